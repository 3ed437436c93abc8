"""Accounts, sessions and the audit log of the web app, kept in the same database as the cases.

Persistence only: the password hashes and token digests arrive already computed (argon2 and
SHA-256 live in :mod:`remission.web.security`); this module stores, finds and removes rows.
Rules that protect the data itself live here because every face must keep them: user names are
plain identifiers, roles are one of :data:`ROLES`, and the last administrator can be neither
removed nor demoted (nobody could manage accounts afterwards). ::

    accounts = Accounts(store)
    accounts.add("ana", "editor", password_hash)
    accounts.create_session(token_digest, "ana", csrf_token, expires_at=...)
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, cast

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy import exc as sa_exc

from remission.exceptions import AccountError
from remission.store.engine import database_errors
from remission.store.schema import USERNAME_MAX_LENGTH, audit_events, sessions, users
from remission.store.store import Store

__all__ = [
    "ROLES",
    "Account",
    "Accounts",
    "AuditEvent",
    "Role",
    "SessionRow",
    "check_role",
    "check_username",
]

Role = Literal["viewer", "editor", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "editor", "admin")
"""Roles, weakest first: viewers read, editors also change cases, admins also manage accounts."""

_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")
_DETAIL_MAX = 500


def check_username(username: str) -> str:
    """The user name if it is a plain identifier, else :class:`AccountError` saying why."""
    if not isinstance(username, str) or not username:
        raise AccountError("a user name is needed")
    if len(username) > USERNAME_MAX_LENGTH:
        raise AccountError(f"a user name has at most {USERNAME_MAX_LENGTH} characters")
    if not _USERNAME.match(username):
        raise AccountError(
            f"the user name {username!r} may only hold letters, digits and . _ @ - "
            "(starting with a letter or digit)"
        )
    return username


def check_role(role: str) -> Role:
    """The role if it is one of :data:`ROLES`, else :class:`AccountError`."""
    if role not in ROLES:
        raise AccountError(f"the role must be one of {', '.join(ROLES)}, not {role!r}")
    return cast(Role, role)


@dataclass(frozen=True, slots=True)
class Account:
    """One account, without its password hash."""

    username: str
    role: Role
    created_at: datetime
    password_changed_at: datetime


@dataclass(frozen=True, slots=True)
class SessionRow:
    """A live session: whose it is, the user's current role and the session's CSRF token."""

    username: str
    role: Role
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class AuditEvent:
    at: datetime
    event: str
    username: str | None
    client: str | None
    detail: str


class Accounts:
    """The account tables of one :class:`~remission.store.Store`."""

    def __init__(self, store: Store) -> None:
        self._store = store

    @contextmanager
    def _connect(self, what: str, *, write: bool = False) -> Iterator[Connection]:
        with (
            database_errors(f"could not {what} in the store {self._store.url}", self._store.url),
            (self._store.engine if write else self._store.reader).connect() as connection,
        ):
            if write:
                connection.execution_options(sqlite_begin="IMMEDIATE")
                with connection.begin():
                    yield connection
            else:
                yield connection

    # ------------------------------------------------------------------ accounts

    def add(self, username: str, role: str, password_hash: str) -> Account:
        """Create an account; :class:`AccountError` if the name is taken or invalid."""
        check_username(username)
        checked = check_role(role)
        now = datetime.now(UTC)
        try:
            with self._connect(f"add the user {username!r}", write=True) as c:
                if c.execute(select(users.c.username).where(users.c.username == username)).first():
                    raise AccountError(f"there is already a user named {username!r}", "exists")
                c.execute(
                    insert(users).values(
                        username=username,
                        role=checked,
                        password_hash=password_hash,
                        created_at=now,
                        password_changed_at=now,
                    )
                )
        except sa_exc.IntegrityError:  # added by someone else at the same moment
            raise AccountError(f"there is already a user named {username!r}", "exists") from None
        return Account(username, checked, now, now)

    def get(self, username: str) -> Account | None:
        with self._connect("read a user") as c:
            row = c.execute(
                select(
                    users.c.username, users.c.role, users.c.created_at, users.c.password_changed_at
                ).where(users.c.username == username)
            ).first()
        return None if row is None else Account(row[0], cast(Role, row[1]), row[2], row[3])

    def password_hash(self, username: str) -> str | None:
        """The stored argon2 hash, or None for an unknown user."""
        with self._connect("read a user") as c:
            value = c.execute(
                select(users.c.password_hash).where(users.c.username == username)
            ).scalar_one_or_none()
        return cast(str | None, value)

    def list(self) -> list[Account]:
        with self._connect("list users") as c:
            rows = c.execute(
                select(
                    users.c.username, users.c.role, users.c.created_at, users.c.password_changed_at
                ).order_by(users.c.username)
            ).all()
        return [Account(r[0], cast(Role, r[1]), r[2], r[3]) for r in rows]

    def count(self, role: Role | None = None) -> int:
        statement = select(func.count()).select_from(users)
        if role is not None:
            statement = statement.where(users.c.role == role)
        with self._connect("count users") as c:
            return int(c.execute(statement).scalar_one())

    def set_password(self, username: str, password_hash: str, *, end_sessions: bool = True) -> None:
        """Replace the password hash and (unless told otherwise, as when a hash is only
        upgraded to stronger parameters) end every session of the user."""
        now = datetime.now(UTC)
        with self._connect(f"change the password of {username!r}", write=True) as c:
            done = c.execute(
                update(users)
                .where(users.c.username == username)
                .values(password_hash=password_hash, password_changed_at=now)
            )
            if done.rowcount == 0:
                raise AccountError(f"there is no user named {username!r}", "missing")
            if end_sessions:
                c.execute(delete(sessions).where(sessions.c.username == username))

    def set_role(self, username: str, role: str) -> None:
        """Change a user's role (not the last admin's to a lower one)."""
        checked = check_role(role)
        with self._connect(f"change the role of {username!r}", write=True) as c:
            current = c.execute(
                select(users.c.role).where(users.c.username == username)
            ).scalar_one_or_none()
            if current is None:
                raise AccountError(f"there is no user named {username!r}", "missing")
            if current == "admin" and checked != "admin":
                self._refuse_last_admin(c, username, "demoted")
            c.execute(update(users).where(users.c.username == username).values(role=checked))

    def remove(self, username: str) -> None:
        """Delete an account and its sessions (not the last admin). Case versions it saved keep
        its name as their author."""
        with self._connect(f"remove the user {username!r}", write=True) as c:
            current = c.execute(
                select(users.c.role).where(users.c.username == username)
            ).scalar_one_or_none()
            if current is None:
                raise AccountError(f"there is no user named {username!r}", "missing")
            if current == "admin":
                self._refuse_last_admin(c, username, "removed")
            c.execute(delete(sessions).where(sessions.c.username == username))
            c.execute(delete(users).where(users.c.username == username))

    @staticmethod
    def _refuse_last_admin(c: Connection, username: str, what: str) -> None:
        admins = c.execute(
            select(func.count()).select_from(users).where(users.c.role == "admin")
        ).scalar_one()
        if admins <= 1:
            raise AccountError(
                f"{username!r} is the only admin and cannot be {what}; make another user admin "
                "first",
                "last_admin",
            )

    # ------------------------------------------------------------------ sessions

    def create_session(
        self, token_hash: str, username: str, csrf_token: str, *, expires_at: datetime
    ) -> None:
        now = datetime.now(UTC)
        with self._connect("start a session", write=True) as c:
            c.execute(
                insert(sessions).values(
                    token_hash=token_hash,
                    username=username,
                    csrf_token=csrf_token,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=expires_at,
                )
            )

    def session(self, token_hash: str, now: datetime | None = None) -> SessionRow | None:
        """The live session with this token digest (None when unknown or expired)."""
        now = now or datetime.now(UTC)
        statement = (
            select(
                sessions.c.username,
                users.c.role,
                sessions.c.csrf_token,
                sessions.c.created_at,
                sessions.c.last_seen_at,
                sessions.c.expires_at,
            )
            .join(users, users.c.username == sessions.c.username)
            .where(sessions.c.token_hash == token_hash)
        )
        with self._connect("read a session") as c:
            row = c.execute(statement).first()
        if row is None or row[5] <= now:
            return None
        return SessionRow(row[0], cast(Role, row[1]), row[2], row[3], row[4], row[5])

    def touch_session(self, token_hash: str, *, expires_at: datetime) -> None:
        """Record activity: last seen now, expiring at ``expires_at`` (sliding idle timeout)."""
        with self._connect("update a session", write=True) as c:
            c.execute(
                update(sessions)
                .where(sessions.c.token_hash == token_hash)
                .values(last_seen_at=datetime.now(UTC), expires_at=expires_at)
            )

    def end_session(self, token_hash: str) -> str | None:
        """Delete one session; returns whose it was."""
        with self._connect("end a session", write=True) as c:
            username = c.execute(
                select(sessions.c.username).where(sessions.c.token_hash == token_hash)
            ).scalar_one_or_none()
            c.execute(delete(sessions).where(sessions.c.token_hash == token_hash))
        return cast(str | None, username)

    def purge_expired(self, now: datetime | None = None) -> int:
        """Delete expired sessions; returns how many."""
        with self._connect("remove expired sessions", write=True) as c:
            done = c.execute(
                delete(sessions).where(sessions.c.expires_at <= (now or datetime.now(UTC)))
            )
        return int(done.rowcount or 0)

    # ------------------------------------------------------------------ audit

    def record(
        self, event: str, *, username: str | None, client: str | None, detail: str = ""
    ) -> None:
        """Append an audit event (who, from where, what); ``detail`` never holds case data or
        passwords and is cut to 500 characters."""
        with self._connect("write the audit log", write=True) as c:
            c.execute(
                insert(audit_events).values(
                    at=datetime.now(UTC),
                    event=event[:32],
                    username=None if username is None else username[:USERNAME_MAX_LENGTH],
                    client=None if client is None else client[:64],
                    detail=detail[:_DETAIL_MAX],
                )
            )

    def count_events(
        self, event: str, *, username: str | None, client: str | None, since: datetime
    ) -> int:
        """How many ``event`` rows for this user name and client since ``since``."""
        statement = (
            select(func.count())
            .select_from(audit_events)
            .where(
                audit_events.c.event == event,
                audit_events.c.username == username,
                audit_events.c.at >= since,
            )
        )
        if client is not None:
            statement = statement.where(audit_events.c.client == client)
        with self._connect("read the audit log") as c:
            return int(c.execute(statement).scalar_one())

    def last_event_at(
        self, event: str, *, username: str | None, client: str | None
    ) -> datetime | None:
        """When the newest ``event`` of this user name and client happened (None: never)."""
        statement = select(func.max(audit_events.c.at)).where(
            audit_events.c.event == event, audit_events.c.username == username
        )
        if client is not None:
            statement = statement.where(audit_events.c.client == client)
        with self._connect("read the audit log") as c:
            return cast(datetime | None, c.execute(statement).scalar_one_or_none())

    def events(self, limit: int = 200) -> builtins.list[AuditEvent]:
        """The newest audit events, newest first."""
        with self._connect("read the audit log") as c:
            rows = c.execute(
                select(
                    audit_events.c.at,
                    audit_events.c.event,
                    audit_events.c.username,
                    audit_events.c.client,
                    audit_events.c.detail,
                )
                .order_by(audit_events.c.id.desc())
                .limit(limit)
            ).all()
        return [AuditEvent(r[0], r[1], r[2], r[3], r[4]) for r in rows]
