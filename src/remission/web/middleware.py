"""The gate every request passes: body size, session, sign-in, CSRF, security headers.

One plain ASGI middleware (no per-request task switching), in this order:

1. A request body larger than ``max_request_bytes`` is refused with 413 before it is read
   (by its Content-Length) or as soon as it grows past the limit (chunked uploads).
2. The session cookie is looked up (by its SHA-256) in the store; a live session sets
   ``request.state.user`` (:class:`~remission.web.security.User`) and ``request.state.csrf_token``.
   A worker trusts a session it checked for ``session_check_seconds`` (5 s) before asking the
   store again, and asks at once after any write of its own (:class:`SessionCache`).
3. Without a session only the public paths answer: ``/login``, ``/static/...`` and the JSON
   sign-in ``POST /api/auth/login``. Pages redirect to ``/login?next=...`` (303); the API
   answers 401.
4. POST, PUT, PATCH and DELETE need the session's CSRF token in the ``X-CSRF-Token`` header or
   the ``csrf_token`` form field; otherwise 403 and the request never reaches a route. (The
   sign-in form checks its own pre-session token; the JSON sign-in only accepts
   ``application/json``, which a cross-site form cannot send.)
5. Every response carries the security headers, and ``Cache-Control: no-store`` unless it is a
   static file.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from anyio import to_thread
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from remission.store.engine import commit_count
from remission.store.users import Accounts, SessionRow
from remission.web.security import SECURITY_HEADERS, User, new_token, same_token, token_digest
from remission.web.settings import WebSettings

__all__ = ["PUBLIC_PATHS", "Guard", "SessionCache", "is_public"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PUBLIC_PATHS = frozenset({"/login", "/api/auth/login"})
"""Paths answered without a session (besides ``/static/...``)."""

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_EXEMPT = frozenset({"/login", "/api/auth/login"})
_TOUCH_EVERY = timedelta(seconds=60)


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith("/static/")


class _TooLarge(Exception):
    pass


class Guard:
    """ASGI middleware; see the module docstring."""

    def __init__(self, app: ASGIApp, settings: WebSettings) -> None:
        self.app = app
        self.settings = settings
        self._sessions = SessionCache(settings.session_check_seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        method: str = scope["method"]
        headers = Headers(scope=scope)
        static = path.startswith("/static/")
        send = _with_headers(send, static=static)

        if method in UNSAFE_METHODS:
            declared = headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > self._limit:
                await _json(send, 413, self._too_large_message())
                return

        state = scope.setdefault("state", {})
        state["user"] = None
        state["csrf_token"] = ""
        state["new_login_token"] = None
        session = None
        cookie = _cookie(headers, self.settings.session_cookie)
        if cookie and not static and len(cookie) <= 100:
            digest = token_digest(cookie)
            session = self._sessions.get(digest)
            if session is None:
                session = await to_thread.run_sync(self._session, scope["app"], digest)
            if session is not None:
                state["user"] = User(session.username, session.role)
                state["csrf_token"] = session.csrf_token
                state["session_digest"] = digest
        if session is None and path in CSRF_EXEMPT:
            # the sign-in form's own double-submit token (cookie + hidden field)
            login_token = _cookie(headers, self.settings.login_cookie)
            if not login_token or len(login_token) > 100:
                login_token = new_token()
                state["new_login_token"] = login_token
            state["csrf_token"] = login_token

        if session is None and not is_public(path):
            await self._refuse_anonymous(scope, headers, send)
            return

        if method in UNSAFE_METHODS:
            try:
                body = await _read_body(receive, self._limit)
            except _TooLarge:
                await _json(send, 413, self._too_large_message())
                return
            receive = _replay(body)
            if path not in CSRF_EXEMPT:
                given = headers.get("x-csrf-token") or await _form_token(scope, body)
                if not same_token(given, state["csrf_token"]):
                    await self._csrf_refused(scope, headers, send)
                    return
        await self.app(scope, receive, send)

    @property
    def _limit(self) -> int:
        return self.settings.max_request_bytes

    def _too_large_message(self) -> str:
        return (
            f"the request is larger than {self._limit / 1e6:g} MB, the most this server accepts; "
            "nothing was stored"
        )

    def _session(self, app: Any, digest: str) -> SessionRow | None:
        """The live session with this token digest, read from the store (and touched at most
        once a minute: sliding idle expiry); remembered in :attr:`_sessions`."""
        store = getattr(app.state, "store", None)
        if store is None:
            return None
        commits = commit_count()
        accounts = Accounts(store)
        now = datetime.now(UTC)
        session = accounts.session(digest, now)
        if session is not None and now - session.last_seen_at > _TOUCH_EVERY:
            limit = session.created_at + timedelta(hours=self.settings.session_max_hours)
            idle = now + timedelta(minutes=self.settings.session_idle_minutes)
            accounts.touch_session(digest, expires_at=min(limit, idle))
        if session is None:
            self._sessions.forget(digest)
        else:
            self._sessions.remember(digest, session, commits)
        return session

    async def _refuse_anonymous(self, scope: Scope, headers: Headers, send: Send) -> None:
        path: str = scope["path"]
        if path.startswith("/api/") or path == "/api":
            await _json(
                send,
                401,
                "sign in first: POST /api/auth/login with your user name and password",
                extra=[(b"www-authenticate", b'Cookie realm="remission"')],
            )
            return
        target = path + (
            "?" + scope["query_string"].decode("latin-1") if scope["query_string"] else ""
        )
        location = "/login?next=" + quote(target, safe="")
        extra = [(b"location", location.encode("latin-1"))]
        if headers.get("hx-request"):
            extra.append((b"hx-redirect", location.encode("latin-1")))
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [(b"content-length", b"0"), *extra],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    async def _csrf_refused(self, scope: Scope, headers: Headers, send: Send) -> None:
        message = (
            "this form or request is missing its security token (CSRF) or it has expired; "
            "reload the page and try again — nothing was changed"
        )
        path: str = scope["path"]
        if path.startswith("/api/") or "application/json" in headers.get("accept", ""):
            await _json(send, 403, message)
            return
        body = (
            "<!doctype html><html lang=en><title>Refused</title><h1>Refused</h1>"
            f'<p>{message}</p><p><a href="/cases">Back to the cases</a></p></html>'
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [
                    (b"content-type", b"text/html; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class SessionCache:
    """Sessions this worker checked in the store during the last ``seconds``, by token digest.

    Checking the session is the one store query every request makes; a busy worker asks again
    only when the entry is older than ``seconds`` or when this process has committed any write
    since (a sign-out, a password change, an account removed: :func:`commit_count` moved). An
    entry is never used past the session's own expiry. So a session ended through this worker
    is refused at once, and one ended through another worker or the CLI within ``seconds``.
    Bounded: at most ``size`` entries, the oldest dropped first. ``seconds=0`` turns it off.
    """

    def __init__(self, seconds: float, size: int = 10_000) -> None:
        self.seconds = seconds
        self.size = size
        self._entries: OrderedDict[str, tuple[float, int, SessionRow]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, digest: str) -> SessionRow | None:
        """The remembered session, or None: unknown, too old, expired, or a write happened."""
        if self.seconds <= 0:
            return None
        with self._lock:
            entry = self._entries.get(digest)
        if entry is None:
            return None
        checked, commits, session = entry
        if (
            commits != commit_count()
            or time.monotonic() - checked >= self.seconds
            or session.expires_at <= datetime.now(UTC)
        ):
            self.forget(digest)
            return None
        return session

    def remember(self, digest: str, session: SessionRow, commits: int) -> None:
        """Keep ``session``, read from the store when :func:`commit_count` was ``commits``."""
        if self.seconds <= 0:
            return
        with self._lock:
            self._entries[digest] = (time.monotonic(), commits, session)
            self._entries.move_to_end(digest)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def forget(self, digest: str) -> None:
        with self._lock:
            self._entries.pop(digest, None)


def _cookie(headers: Headers, name: str) -> str | None:
    raw = headers.get("cookie")
    if not raw:
        return None
    for part in raw.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value or None
    return None


def _with_headers(send: Send, *, static: bool) -> Send:
    extra = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
    if not static:
        extra.append((b"cache-control", b"no-store"))

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            present = {k.lower() for k, _ in message.get("headers", [])}
            message["headers"] = list(message.get("headers", [])) + [
                (k, v) for k, v in extra if k not in present
            ]
        await send(message)

    return wrapped


async def _json(
    send: Send, status: int, detail: str, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(extra or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _form_token(scope: Scope, body: bytes) -> str | None:
    """The ``csrf_token`` field of a form body (URL-encoded or multipart), if any."""
    content_type = Headers(scope=scope).get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return None
    request = Request(scope, _replay(body))
    try:
        form = await request.form(max_files=10_000, max_fields=10_000)
    except (MultiPartException, HTTPException, ValueError):
        return None  # a malformed form: no token can be read from it, so it is refused
    try:
        value = form.get("csrf_token")
        return value if isinstance(value, str) else None
    finally:
        await form.close()
