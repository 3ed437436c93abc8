"""Bring a database to the schema this version of remission expects (Alembic, run in-process).

Opening a :class:`~remission.store.Store` calls :func:`ensure_schema`. When the database is
already at :data:`HEAD_REVISION` this costs one small query and Alembic is not even imported;
otherwise the migrations run in one transaction (SQLite and PostgreSQL both have transactional
DDL), under a lock so two processes opening a fresh database at once do not race.

The migration scripts live inside the package (``remission/store/migrations``), found from the
package, never from the working directory. To write a new migration::

    from alembic import command
    from remission.store.migrate import alembic_config
    command.revision(alembic_config("sqlite:///scratch.sqlite"), message="...", autogenerate=True)

then set :data:`HEAD_REVISION` to the new revision (a test checks it matches the scripts).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from remission.exceptions import StoreError

if TYPE_CHECKING:
    from alembic.config import Config

HEAD_REVISION = "0003"
"""The newest migration; a database at this revision needs nothing."""

VERSION_TABLE = "alembic_version"
_PG_LOCK_KEY = 0x72656D6973  # arbitrary constant ("remis"): one advisory lock for migrations


def script_location() -> Path:
    """Folder holding ``env.py`` and ``versions/``, resolved from the installed package."""
    return Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """An Alembic ``Config`` for remission's migrations (no ``alembic.ini`` needed).

    Pass ``connection`` to run migrations on an open connection (inside its transaction), or
    ``url`` for standalone use of Alembic commands.
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(script_location()))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at, or None for a database remission never touched."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(rows) > 1:
        raise StoreError(
            f"the database has several schema revisions at once ({', '.join(rows)}); "
            "it was changed outside remission"
        )
    return rows[0] if rows else None


def ensure_schema(engine: Engine, shown: str) -> None:
    """Upgrade the database to :data:`HEAD_REVISION` if it is not there yet.

    ``shown`` is the masked URL used in messages. A database at a revision this version of
    remission does not know (written by a newer remission) is refused, not touched.
    """
    with engine.connect() as connection:
        if current_revision(connection) == HEAD_REVISION:
            connection.rollback()
            return
        connection.rollback()
    with engine.connect() as connection:
        connection.execution_options(sqlite_begin="IMMEDIATE")
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
            revision = current_revision(connection)  # again: another process may have won
            if revision == HEAD_REVISION:
                return
            _check_known(revision, shown)
            from alembic import command

            command.upgrade(alembic_config(connection=connection), "head")


def _check_known(revision: str | None, shown: str) -> None:
    if revision is None:
        return
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory(str(script_location()))
    try:
        known = scripts.get_revision(revision)
    except Exception:
        known = None
    if known is None:
        raise StoreError(
            f"the store {shown} has schema revision {revision!r}, which this version of "
            "remission does not know: it was written by a newer remission; upgrade remission"
        )
