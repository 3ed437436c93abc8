"""The guard's session memory (remission.web.middleware.SessionCache): a worker trusts a session
it checked for at most ``seconds``, never past the session's expiry, and asks the store again
as soon as this process has committed any write (docs/security.md, "Sessions")."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from remission.store import Store
from remission.store.engine import commit_count
from remission.store.users import Accounts, SessionRow
from remission.web.middleware import SessionCache
from remission.web.security import hash_password, new_token, token_digest


def _row(expires_in: timedelta = timedelta(hours=1)) -> SessionRow:
    now = datetime.now(UTC)
    return SessionRow("ada", "viewer", new_token(), now, now, now + expires_in)


def test_a_checked_session_is_trusted_within_the_time_limit() -> None:
    cache = SessionCache(seconds=60)
    row = _row()
    cache.remember("d1", row, commit_count())
    assert cache.get("d1") == row
    assert cache.get("another digest") is None


def test_a_session_is_asked_again_after_the_time_limit() -> None:
    cache = SessionCache(seconds=0.05)
    cache.remember("d1", _row(), commit_count())
    time.sleep(0.1)
    assert cache.get("d1") is None


def test_an_expired_session_is_never_used_from_memory() -> None:
    cache = SessionCache(seconds=60)
    cache.remember("d1", _row(expires_in=timedelta(seconds=-1)), commit_count())
    assert cache.get("d1") is None


def test_zero_seconds_turns_the_memory_off() -> None:
    cache = SessionCache(seconds=0)
    cache.remember("d1", _row(), commit_count())
    assert cache.get("d1") is None


def test_any_write_of_this_process_makes_the_worker_ask_again(store: Store) -> None:
    """A sign-out (the session row deleted) through this process is seen at once."""
    accounts = Accounts(store)
    accounts.add("ada", "viewer", hash_password("ada-password-1"))
    token = new_token()
    accounts.create_session(
        token_digest(token), "ada", new_token(), expires_at=datetime.now(UTC) + timedelta(hours=1)
    )
    cache = SessionCache(seconds=60)
    digest = token_digest(token)
    before = commit_count()
    row = accounts.session(digest)
    assert row is not None
    cache.remember(digest, row, before)
    assert cache.get(digest) == row
    accounts.end_session(digest)
    assert cache.get(digest) is None
    assert accounts.session(digest) is None


@given(st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=60))
def test_the_memory_is_bounded_and_keeps_the_newest(digests: list[str]) -> None:
    cache = SessionCache(seconds=60, size=10)
    row = _row()
    for digest in digests:
        cache.remember(digest, row, commit_count())
    newest = list(dict.fromkeys(reversed(digests)))[:10]
    assert all(cache.get(d) == row for d in newest)
    assert len(cache._entries) <= 10
