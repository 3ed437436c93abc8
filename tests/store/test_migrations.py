"""Opening a store brings its schema to the newest revision, once, safely, from the package."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from remission.exceptions import StoreError
from remission.store import RecordIn, Store
from remission.store.engine import normalise_url
from remission.store.migrate import HEAD_REVISION, script_location
from remission.store.schema import metadata


def _revisions(url: str) -> list[str]:
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return []
            return list(
                connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
            )
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = create_engine(normalise_url(url))
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_the_scripts_ship_inside_the_package() -> None:
    location = script_location()
    assert location.parent == Path(__import__("remission.store").store.__file__).parent
    assert (location / "env.py").is_file()
    assert (location / "script.py.mako").is_file()
    assert (location / "versions" / "0001_initial.py").is_file()


def test_head_revision_constant_matches_the_scripts() -> None:
    scripts = ScriptDirectory(str(script_location()))
    assert scripts.get_heads() == [HEAD_REVISION]


def test_a_new_store_is_at_head(store_url: str) -> None:
    Store(store_url).close()
    assert _revisions(store_url) == [HEAD_REVISION]
    assert {"records", "record_versions", "alembic_version"} <= _tables(store_url)


def test_the_migrated_schema_matches_the_code(store: Store) -> None:
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_opening_at_head_runs_no_migration(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with Store(store_url) as first:
        first.save(RecordIn("a", "case", {"v": 1}), author="a", reason="r")

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("upgrade ran although the database is at head")

    monkeypatch.setattr(command, "upgrade", refuse)
    for _ in range(3):
        with Store(store_url) as again:
            assert again.get("a").document == {"v": 1}
    assert _revisions(store_url) == [HEAD_REVISION]


def test_stores_opened_at_once_migrate_once(store_url: str) -> None:
    errors: list[BaseException] = []

    def open_and_save(n: int) -> None:
        try:
            with Store(store_url) as s:
                s.save(RecordIn(f"t{n}", "case", {}), author="a", reason="r")
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=open_and_save, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _revisions(store_url) == [HEAD_REVISION]
    with Store(store_url) as s:
        assert s.ids() == ["t0", "t1", "t2", "t3"]


def test_a_database_from_a_newer_remission_is_refused(store_url: str) -> None:
    Store(store_url).close()
    engine = create_engine(normalise_url(store_url))
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()

    with pytest.raises(StoreError, match=r"'9999_future'.*newer remission"):
        Store(store_url)
    assert _revisions(store_url) == ["9999_future"]


def test_a_failed_migration_leaves_the_database_as_it_was(store_url: str) -> None:
    """A clash halfway through the initial migration: the first table must not stay behind."""
    engine = create_engine(normalise_url(store_url))
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE record_versions (something_else INTEGER)"))
    engine.dispose()

    with pytest.raises(StoreError, match="could not open the store"):
        Store(store_url)
    assert _tables(store_url) == {"record_versions"}


def test_upgrading_a_0002_store_keeps_its_versions_and_adds_the_report_column(
    store_url: str,
) -> None:
    """A store saved before migration 0003 opens with its data intact; its versions have no
    report data (NULL), which the case page derives when it shows them."""
    from remission.store.migrate import alembic_config

    engine = create_engine(normalise_url(store_url))
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection=connection), "0002")
    with engine.begin() as connection:
        now = "2026-01-02 03:04:05+00:00"
        connection.execute(
            text(
                "INSERT INTO records (id, kind, status, current_version, content_hash, "
                "created_at, updated_at, summary, search_text) VALUES ('old', 'case', 'final', 1, "
                f"'h', '{now}', '{now}', '{{\"n\": 1}}', 'old')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO record_versions (id, version, status, document, summary, "
                "content_hash, author, reason, created_at) VALUES ('old', 1, 'final', "
                f"'{{\"id\": \"old\"}}', '{{\"n\": 1}}', 'h', 'ana', 'before 0003', '{now}')"
            )
        )
    engine.dispose()

    with Store(store_url) as store:
        record = store.get("old")
        assert record.document == {"id": "old"} and record.summary == {"n": 1}
        assert record.report is None
        assert record.author == "ana" and record.reason == "before 0003"
    assert _revisions(store_url) == [HEAD_REVISION]
