"""Where a store lives, and what the user is told when it cannot be opened."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from remission.exceptions import StoreError
from remission.store import RecordIn, Store, default_url
from remission.store.engine import mask, normalise_url


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_bare_path_is_a_sqlite_file(tmp_path: Path) -> None:
    target = tmp_path / "cases.sqlite"
    with Store(str(target)) as store:
        store.save(RecordIn("a", "case", {}), author="a", reason="r")
        assert store.backend == "sqlite"
    assert target.is_file()
    with Store(target) as again:  # a Path works too
        assert again.ids() == ["a"]


def test_postgres_urls_use_psycopg_3() -> None:
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"


def test_default_url_honours_remission_db(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REMISSION_DB", str(tmp_path / "env.sqlite"))
    assert default_url() == f"sqlite:///{tmp_path / 'env.sqlite'}"
    monkeypatch.setenv("REMISSION_DB", "postgresql://me@db.example/remission")
    assert default_url() == "postgresql+psycopg://me@db.example/remission"


def test_default_url_is_under_xdg_data_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("REMISSION_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_url() == f"sqlite:///{tmp_path / 'data' / 'remission' / 'remission.sqlite'}"
    assert (tmp_path / "data" / "remission").is_dir()

    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_url().endswith("/home/.local/share/remission/remission.sqlite")


def test_store_without_url_opens_the_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("REMISSION_DB", str(tmp_path / "default.sqlite"))
    with Store() as store:
        assert store.url.endswith("default.sqlite")
    assert (tmp_path / "default.sqlite").is_file()


def test_a_folder_that_does_not_exist_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "x.sqlite"
    with pytest.raises(StoreError, match=r"the folder .*no-such-folder does not exist") as caught:
        Store(missing)
    assert str(missing) in str(caught.value)
    assert not missing.parent.exists()


def test_a_folder_is_not_a_store(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a folder, not a file"):
        Store(tmp_path)


def test_a_file_that_is_not_sqlite_is_refused_and_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "notes.sqlite"
    content = b"These are my notes, not a database.\n" * 100
    target.write_bytes(content)
    with pytest.raises(StoreError, match=r"notes\.sqlite is not a remission store"):
        Store(target)
    assert target.read_bytes() == content


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://u:pw@localhost:notaport/db", "cannot understand the store URL"),
        ("mysql://me@localhost/db", "SQLite or PostgreSQL, not 'mysql'"),
        ("https://example.org/store", "SQLite or PostgreSQL, not 'https'"),
        ("   ", "empty"),
    ],
)
def test_bad_urls_are_explained(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message) as caught:
        Store(url)
    assert "pw" not in str(caught.value)


def test_an_unreachable_server_is_named_without_its_password() -> None:
    url = f"postgresql://clinician:s3cret-pw@127.0.0.1:{_closed_port()}/remission"
    with pytest.raises(StoreError, match="could not open the store") as caught:
        Store(url)
    message = str(caught.value)
    assert "clinician:***@127.0.0.1" in message
    assert "s3cret-pw" not in message
    assert "refused" in message.lower() or "connect" in message.lower()


@pytest.mark.postgres
def test_a_missing_postgres_database_is_named(pg_url: str) -> None:
    url = pg_url.rsplit("/", 1)[0] + "/no_such_db"
    with pytest.raises(StoreError, match=r"no_such_db.*does not exist"):
        Store(url)


def test_mask_hides_passwords_even_in_unparseable_urls() -> None:
    assert mask("postgresql+psycopg://u:secret@h/db") == "postgresql+psycopg://u:***@h/db"
    assert "secret" not in mask("postgresql://u:secret@h:badport/db")


@pytest.mark.postgres
def test_repr_and_url_mask_the_password(pg_database_url: str) -> None:
    url = pg_database_url.replace("postgres@", "postgres:unused-pw@")
    with Store(url) as store:  # trust auth ignores the password
        assert "unused-pw" not in repr(store)
        assert "***" in store.url
