"""Where the store lives: URLs, the default location, and engines set up for safe transactions.

SQLite is the default (one file, nothing to install); PostgreSQL is chosen by URL. Every database
error leaving this package is a :class:`~remission.exceptions.StoreError` whose message names the
database (password masked) and never quotes stored values or SQL parameters.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, exc, make_url
from sqlalchemy.pool import StaticPool

from remission.exceptions import StoreError

POOL_SIZE = 20
"""PostgreSQL connections each process keeps open: one per concurrent request of a busy web
worker (20 clients), so requests do not queue for a connection."""
POOL_OVERFLOW = 20
"""Extra PostgreSQL connections a process may open beyond :data:`POOL_SIZE` at a peak."""

ENV_VAR = "REMISSION_DB"
"""Environment variable naming the store (a URL or a path to a SQLite file)."""

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_PASSWORD_IN_URL = re.compile(r"(://[^:/@]*:)[^@/]*@")


def dumps(value: Any) -> str:
    """Serialise a JSON-able value the way the store writes it (UTF-8 text, no NaN/Infinity)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def canonical_json(value: Any) -> bytes:
    """The canonical form hashed for content comparison: sorted keys, compact, UTF-8."""
    return json.dumps(
        value, ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":")
    ).encode("utf-8")


def default_url() -> str:
    """The store to use when none is given.

    ``$REMISSION_DB`` if set (a URL, or a path meaning a SQLite file); otherwise the SQLite file
    ``$XDG_DATA_HOME/remission/remission.sqlite`` (``~/.local/share/remission/...`` when
    ``XDG_DATA_HOME`` is unset), creating the folder if needed.
    """
    configured = os.environ.get(ENV_VAR, "").strip()
    if configured:
        return normalise_url(configured)
    data_home = os.environ.get("XDG_DATA_HOME", "").strip()
    base = Path(data_home) if data_home else Path.home() / ".local" / "share"
    folder = base / "remission"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StoreError(f"cannot create the folder for the default store {folder}: {e}") from e
    return f"sqlite:///{folder / 'remission.sqlite'}"


def normalise_url(target: str | os.PathLike[str]) -> str:
    """Turn what a user typed into a SQLAlchemy URL string.

    A bare path (no ``scheme://``) is a SQLite file. ``postgresql://`` and ``postgres://`` use the
    psycopg 3 driver (the one remission installs).
    """
    text = os.fspath(target).strip()
    if not text:
        raise StoreError("no store given: the database URL or path is empty")
    if not _SCHEME.match(text):
        return f"sqlite:///{Path(text).expanduser().absolute()}"
    for prefix in ("postgresql://", "postgres://"):
        if text.startswith(prefix):
            return "postgresql+psycopg://" + text[len(prefix) :]
    return text


def mask(url: str | URL) -> str:
    """The URL with any password replaced by ``***``, for messages and logs."""
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return _PASSWORD_IN_URL.sub(r"\1***@", url)


def reason_of(error: BaseException) -> str:
    """A one-line description of a database error, without SQL text or parameters."""
    orig = getattr(error, "orig", None)
    text = str(orig if orig is not None else error).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return "; ".join(lines[:2]) if lines else type(error).__name__


def _is_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or (url.query.get("mode") == "memory")


def _check_sqlite_file(url: URL, shown: str) -> None:
    database = url.database or ""
    if database.startswith("file:"):  # URI filenames: let SQLite judge
        return
    path = Path(database)
    if path.is_dir():
        raise StoreError(f"cannot open the store {shown}: {path} is a folder, not a file")
    parent = path.parent
    if not parent.is_dir():
        raise StoreError(
            f"cannot open the store {shown}: the folder {parent} does not exist "
            "(create it first, or choose another path)"
        )


def _sqlite_pragmas(engine: Engine, *, wal: bool) -> None:
    """Give pysqlite real transactions: we issue BEGIN ourselves (DDL included).

    Python's sqlite3 module otherwise begins transactions only before DML, so a failed
    migration or batch could leave half its work behind. Writers begin with ``BEGIN IMMEDIATE``
    (execution option ``sqlite_begin``) so two writers queue instead of deadlocking.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            if wal:
                cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def make_engine(target: str | os.PathLike[str], *, echo: bool = False) -> Engine:
    """Build an engine for ``target`` (URL or path); nothing is connected yet.

    Raises :class:`StoreError` for a malformed URL, an unsupported backend, a missing driver,
    or a SQLite path whose folder does not exist.
    """
    text = normalise_url(target)
    shown = mask(text)
    try:
        url = make_url(text)
    except (exc.ArgumentError, ValueError) as e:
        raise StoreError(f"cannot understand the store URL {shown!r}: {e}") from e
    backend = url.get_backend_name()
    json_args: dict[str, Any] = {"json_serializer": dumps, "json_deserializer": json.loads}
    try:
        if backend == "sqlite":
            if _is_memory(url):
                engine = create_engine(
                    url,
                    echo=echo,
                    poolclass=StaticPool,
                    connect_args={"check_same_thread": False},
                    **json_args,
                )
                _sqlite_pragmas(engine, wal=False)
            else:
                _check_sqlite_file(url, shown)
                engine = create_engine(url, echo=echo, connect_args={"timeout": 30}, **json_args)
                _sqlite_pragmas(engine, wal=True)
        elif backend == "postgresql":
            engine = create_engine(
                url,
                echo=echo,
                pool_size=POOL_SIZE,
                max_overflow=POOL_OVERFLOW,
                pool_pre_ping=True,
                connect_args={"connect_timeout": 10},
                **json_args,
            )
        else:
            raise StoreError(
                f"cannot open the store {shown}: remission stores data in SQLite or PostgreSQL, "
                f"not {backend!r} (use sqlite:///path/file.sqlite or "
                "postgresql://user@host/dbname)"
            )
    except StoreError:
        raise
    except (exc.ArgumentError, ImportError) as e:
        raise StoreError(f"cannot open the store {shown}: {e}") from e
    return engine


_commit_numbers = itertools.count(1)
_last_commit = [0]


@event.listens_for(Engine, "commit")
def _count_commit(_connection: Any) -> None:
    # next() on itertools.count is atomic: every commit stores a new, unique number
    _last_commit[0] = next(_commit_numbers)


def commit_count() -> int:
    """A number that changes with every transaction this process commits (any store, any thread).

    Caches of what the database says (the web app's session check, the search index) compare
    it with the count they last saw: a change means this process wrote something, and they ask
    the database again instead of waiting for their time limit. The count moves just before
    each commit reaches the database; writes of other processes are not counted.
    """
    return _last_commit[0]


@contextmanager
def database_errors(what: str, shown: str) -> Iterator[None]:
    """Turn database driver errors raised inside the block into :class:`StoreError`.

    ``what`` starts the message, e.g. ``"could not read 'case-7' from the store <url>"``;
    ``shown`` is the masked URL.
    """
    try:
        yield
    except StoreError:
        raise
    except exc.DatabaseError as e:
        detail = reason_of(e)
        if "not a database" in detail or "malformed" in detail:
            raise StoreError(
                f"{what}: {shown} is not a remission store "
                f"(not a SQLite database, or a damaged one): {detail}"
            ) from e
        raise StoreError(f"{what}: {detail}") from e
    except exc.SQLAlchemyError as e:
        raise StoreError(f"{what}: {reason_of(e)}") from e
