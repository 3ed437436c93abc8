"""Accounts, sessions and the audit log live beside the cases, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from remission.exceptions import AccountError
from remission.store import Store
from remission.store.users import Accounts, check_username


def test_an_account_is_added_found_listed_and_removed(store: Store) -> None:
    accounts = Accounts(store)
    added = accounts.add("dr-a", "editor", "argon2-hash-a")
    assert added.role == "editor" and added.created_at.tzinfo is not None
    assert accounts.get("dr-a") == added
    assert accounts.password_hash("dr-a") == "argon2-hash-a"
    assert [a.username for a in accounts.list()] == ["dr-a"]
    accounts.add("boss", "admin", "h")
    accounts.remove("dr-a")
    assert accounts.get("dr-a") is None and accounts.password_hash("dr-a") is None
    assert accounts.count() == 1 and accounts.count("admin") == 1


def test_a_name_is_taken_once(store: Store) -> None:
    accounts = Accounts(store)
    accounts.add("dr-a", "viewer", "h")
    with pytest.raises(AccountError, match="already a user named 'dr-a'") as caught:
        accounts.add("dr-a", "admin", "h2")
    assert caught.value.kind == "exists"
    assert accounts.get("dr-a").role == "viewer"  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["", "a b", "../x", "x" * 65, "-dash", "名前", "a\nb"])
def test_user_names_are_plain_identifiers(name: str) -> None:
    with pytest.raises(AccountError):
        check_username(name)


def test_roles_are_checked(store: Store) -> None:
    with pytest.raises(AccountError, match="viewer, editor, admin"):
        Accounts(store).add("dr-a", "superuser", "h")
    assert Accounts(store).count() == 0


def test_the_last_admin_stays(store: Store) -> None:
    accounts = Accounts(store)
    accounts.add("boss", "admin", "h")
    for action in (lambda: accounts.remove("boss"), lambda: accounts.set_role("boss", "editor")):
        with pytest.raises(AccountError, match="only admin") as caught:
            action()
        assert caught.value.kind == "last_admin"
    accounts.add("second", "admin", "h")
    accounts.set_role("boss", "viewer")
    assert accounts.get("boss").role == "viewer"  # type: ignore[union-attr]


def test_sessions_expire_and_end_with_a_new_password(store: Store) -> None:
    accounts = Accounts(store)
    accounts.add("dr-a", "editor", "h")
    soon = datetime.now(UTC) + timedelta(minutes=5)
    accounts.create_session("d1" * 32, "dr-a", "csrf-1", expires_at=soon)
    live = accounts.session("d1" * 32)
    assert live is not None and live.role == "editor" and live.csrf_token == "csrf-1"
    assert accounts.session("d1" * 32, now=soon + timedelta(seconds=1)) is None
    accounts.set_password("dr-a", "h2")
    assert accounts.session("d1" * 32) is None


def test_a_role_change_applies_to_live_sessions(store: Store) -> None:
    accounts = Accounts(store)
    accounts.add("boss", "admin", "h")
    accounts.add("dr-a", "editor", "h")
    accounts.create_session(
        "d2" * 32, "dr-a", "c", expires_at=datetime.now(UTC) + timedelta(hours=1)
    )
    accounts.set_role("dr-a", "viewer")
    assert accounts.session("d2" * 32).role == "viewer"  # type: ignore[union-attr]
    accounts.remove("dr-a")
    assert accounts.session("d2" * 32) is None


def test_expired_sessions_are_purged(store: Store) -> None:
    accounts = Accounts(store)
    accounts.add("dr-a", "editor", "h")
    past = datetime.now(UTC) - timedelta(minutes=1)
    accounts.create_session("d3" * 32, "dr-a", "c", expires_at=past)
    assert accounts.purge_expired() == 1


def test_the_audit_log_counts_failed_sign_ins_per_user_and_client(store: Store) -> None:
    accounts = Accounts(store)
    start = datetime.now(UTC) - timedelta(seconds=1)
    for client in ("10.0.0.1", "10.0.0.1", "10.0.0.2"):
        accounts.record("login_failed", username="dr-a", client=client)
    accounts.record("login_failed", username="dr-b", client="10.0.0.1")
    assert (
        accounts.count_events("login_failed", username="dr-a", client="10.0.0.1", since=start) == 2
    )
    assert accounts.count_events("login_failed", username="dr-a", client=None, since=start) == 3
    later = datetime.now(UTC) + timedelta(seconds=1)
    assert accounts.count_events("login_failed", username="dr-a", client=None, since=later) == 0
    newest = accounts.events(limit=1)[0]
    assert (newest.event, newest.username) == ("login_failed", "dr-b")


def test_audit_details_are_cut_to_size(store: Store) -> None:
    accounts = Accounts(store)
    accounts.record("x" * 40, username="u" * 80, client="c" * 80, detail="d" * 2000)
    event = accounts.events()[0]
    assert len(event.event) == 32 and len(event.username or "") == 64 and len(event.detail) == 500
