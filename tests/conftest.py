"""Fixtures shared by every test package.

PostgreSQL is real, never mocked: ``pg_url`` starts a private, throwaway cluster once per test
session (see :mod:`remission.store.pgtest`) and removes it at the end. Tests that take ``store``
or ``store_url`` run twice, against SQLite and against PostgreSQL (``-m "not postgres"`` runs
the SQLite half only).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from remission.store import Store
from remission.store.pgtest import PostgresUnavailable, TempPostgres


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[TempPostgres]:
    """The session's private PostgreSQL cluster (127.0.0.1, free port, trust auth)."""
    try:
        server = TempPostgres()
    except PostgresUnavailable as e:
        message = (
            f"PostgreSQL is needed for these tests: {e}. Run `make test`, which installs the "
            "PostgreSQL server packages first."
        )
        if _in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_url(pg_server: TempPostgres) -> str:
    """URL of the session cluster's maintenance database ``postgres``."""
    return pg_server.url()


@pytest.fixture
def pg_database_url(pg_server: TempPostgres) -> str:
    """URL of a brand-new, empty database on the session cluster (one per test)."""
    return pg_server.create_database()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of an empty store: a SQLite file in ``tmp_path``, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    return str(request.getfixturevalue("pg_database_url"))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An open, empty store on each backend."""
    with Store(store_url) as opened:
        yield opened
