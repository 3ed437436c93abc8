"""Alembic environment for remission's store.

Normally run in-process by :func:`remission.store.migrate.ensure_schema`, which hands over an
open connection inside a transaction (``config.attributes["connection"]``). For standalone use
(writing a new migration), the URL comes from the ``sqlalchemy.url`` option or ``-x url=...``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from remission.store.engine import make_engine
from remission.store.schema import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,  # SQLite can only ALTER through table copies
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise RuntimeError("no database: pass -x url=... or set sqlalchemy.url")
    return url


if context.is_offline_mode():
    context.configure(
        url=_url(), target_metadata=metadata, literal_binds=True, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    given = config.attributes.get("connection")
    if given is not None:
        _run(given)
    else:
        engine = make_engine(_url())
        try:
            with engine.connect() as connection:
                _run(connection)
                connection.commit()
        finally:
            engine.dispose()
