"""The throwaway PostgreSQL cluster used by the tests is private and local."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from remission.store.pgtest import TempPostgres

pytestmark = pytest.mark.postgres


def test_it_listens_on_loopback_only_with_a_private_socket(
    pg_server: TempPostgres, pg_url: str
) -> None:
    engine = create_engine(pg_url)
    try:
        with engine.connect() as connection:
            listen = connection.execute(text("SHOW listen_addresses")).scalar_one()
            sockets = connection.execute(text("SHOW unix_socket_directories")).scalar_one()
            encoding = connection.execute(text("SHOW server_encoding")).scalar_one()
    finally:
        engine.dispose()
    assert listen == "127.0.0.1"
    assert sockets == str(pg_server.base)
    assert encoding == "UTF8"


def test_each_test_database_is_new_and_empty(pg_server: TempPostgres) -> None:
    first, second = pg_server.create_database(), pg_server.create_database()
    assert first != second
    engine = create_engine(first)
    try:
        with engine.connect() as connection:
            tables = connection.execute(
                text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            ).scalar_one()
    finally:
        engine.dispose()
    assert tables == 0
