"""Passwords, session tokens, CSRF tokens, login rate limiting and security headers.

* Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106 "second recommended"
  parameters); hashes made with older parameters are upgraded on the next sign-in.
* A session cookie holds 32 random bytes; the store keeps only their SHA-256, so reading the
  database does not let anyone take over a session.
* Each session has its own CSRF token (random, compared in constant time); the sign-in form,
  which comes before any session, uses a double-submit token held in a short-lived cookie.
* Failed sign-ins are audit events; after ``login_attempts`` failures for one user name from one
  client within the window (counted since the last successful sign-in), further attempts are
  refused before the password is even checked.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from remission.store.users import ROLES, Accounts, Role

__all__ = [
    "CSP",
    "SECURITY_HEADERS",
    "LoginGate",
    "User",
    "hash_password",
    "new_token",
    "password_problem",
    "role_at_least",
    "same_token",
    "token_digest",
    "verify_password",
]

_hasher = PasswordHasher()

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
"""Sent with every response (pages, API, static files, errors)."""


@dataclass(frozen=True, slots=True)
class User:
    """The signed-in user, as the pages and the API see it (``request.state.user``)."""

    username: str
    role: Role


def role_at_least(user: User | None, role: Role) -> bool:
    """Whether ``user`` holds ``role`` or a stronger one (viewer < editor < admin)."""
    return user is not None and ROLES.index(user.role) >= ROLES.index(role)


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"a password needs at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"a password has at most {MAX_PASSWORD_LENGTH} characters"
    if "\x00" in password:
        return "a password cannot contain a NUL character"
    return None


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (salted; the encoded string carries its parameters)."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches. With no stored hash (unknown user) a dummy hash is still
    checked, so the answer takes as long as for a real user."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_hex(16))


def new_token() -> str:
    """A fresh random token (32 bytes, URL-safe text)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """SHA-256 (hex) of a session token: what the store keeps instead of the token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def same_token(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison of two tokens (False when either is missing)."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


LoginOutcome = Literal["ok", "wrong", "limited"]


class LoginGate:
    """Sign-in with rate limiting counted from the audit log (shared by every worker process)."""

    def __init__(self, accounts: Accounts, *, attempts: int, window_minutes: int) -> None:
        self._accounts = accounts
        self.attempts = attempts
        self.window = timedelta(minutes=window_minutes)

    def check(
        self, username: str, password: str, client: str | None
    ) -> tuple[LoginOutcome, User | None]:
        """Verify a sign-in; records the attempt in the audit log."""
        name = username[:64]
        since = datetime.now(UTC) - self.window
        last_success = self._accounts.last_event_at("login", username=name, client=client)
        if last_success is not None and last_success > since:
            since = last_success  # a successful sign-in starts the count again
        failures = self._accounts.count_events(
            "login_failed", username=name, client=client, since=since
        )
        if failures >= self.attempts:
            self._accounts.record("login_limited", username=name, client=client)
            return "limited", None
        stored = self._accounts.password_hash(name)
        if not verify_password(stored, password):
            self._accounts.record("login_failed", username=name, client=client)
            return "wrong", None
        account = self._accounts.get(name)
        if account is None:  # removed while signing in
            return "wrong", None
        assert stored is not None
        if needs_rehash(stored):
            self._accounts.set_password(name, hash_password(password), end_sessions=False)
        self._accounts.record("login", username=name, client=client)
        return "ok", User(account.username, account.role)
