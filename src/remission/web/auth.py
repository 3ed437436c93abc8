"""Signing in and out: the ``/login`` page and form, ``/logout``, and the JSON ``/api/auth/*``.

A successful sign-in creates a server-side session: a random token in an HttpOnly,
SameSite=Lax cookie (Secure when configured), its SHA-256 in the store, a CSRF token of its own,
an idle timeout and an absolute lifetime. Every sign-in, failed sign-in, refusal by the rate
limit and sign-out is an audit event.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal
from urllib.parse import urlsplit

from anyio import to_thread
from fastapi import APIRouter, Form, HTTPException, Request, Response, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field

from remission.store.users import Role
from remission.web.deps import ApiUser, get_accounts, get_settings
from remission.web.security import LoginGate, User, new_token, same_token, token_digest
from remission.web.settings import WebSettings

__all__ = ["api_router", "page_router", "safe_next"]

page_router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/auth", tags=["auth"])

WRONG = "the user name or password is not right"


def limited_message(settings: WebSettings) -> str:
    return (
        f"too many failed sign-ins for this user name from this computer; wait "
        f"{settings.login_window_minutes} minutes and try again, or ask an admin to reset the "
        "password"
    )


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (never another host)."""
    if not target or len(target) > 2000 or not target.startswith("/") or target.startswith("//"):
        return "/cases"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target or any(ord(c) < 32 for c in target):
        return "/cases"
    if parts.path in ("/login", "/logout"):
        return "/cases"
    return target


def client_of(request: Request) -> str | None:
    return request.client.host if request.client else None


def _start_session(request: Request, response: Response, user: User) -> str:
    settings = get_settings(request)
    token = new_token()
    csrf = new_token()
    expires = datetime.now(UTC) + timedelta(
        minutes=min(settings.session_idle_minutes, settings.session_max_hours * 60)
    )
    get_accounts(request).create_session(
        token_digest(token), user.username, csrf, expires_at=expires
    )
    response.set_cookie(
        settings.session_cookie,
        token,
        max_age=settings.session_max_hours * 3600,
        path="/",
        secure=settings.cookie_secure,
        httponly=True,
        samesite="lax",
    )
    response.delete_cookie(settings.login_cookie, path="/login")
    return csrf


def _end_session(request: Request, response: Response) -> None:
    settings = get_settings(request)
    digest = getattr(request.state, "session_digest", None)
    accounts = get_accounts(request)
    if digest:
        username = accounts.end_session(digest)
        accounts.record("logout", username=username, client=client_of(request))
    response.delete_cookie(
        settings.session_cookie,
        path="/",
        secure=settings.cookie_secure,
        httponly=True,
        samesite="lax",
    )


def _login_page(
    request: Request, *, error: str | None, next_path: str, username: str, status_code: int
) -> HTMLResponse:
    from remission.web.templating import render

    response = render(
        request,
        "login.html",
        {"error": error, "next": next_path, "username": username},
        status_code=status_code,
    )
    fresh = getattr(request.state, "new_login_token", None)
    if fresh:
        settings = get_settings(request)
        response.set_cookie(
            settings.login_cookie,
            fresh,
            max_age=3600,
            path="/login",
            secure=settings.cookie_secure,
            httponly=True,
            samesite="strict",
        )
    return response


@page_router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    """The sign-in page (signed-in users go straight on)."""
    if getattr(request.state, "user", None) is not None:
        return RedirectResponse(safe_next(next), status.HTTP_303_SEE_OTHER)
    return _login_page(request, error=None, next_path=safe_next(next), username="", status_code=200)


@page_router.post("/login")
def login_submit(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=2000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/cases",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Check the form; on success start a session and go to ``next`` (on this site only)."""
    target = safe_next(next)
    expected = getattr(request.state, "csrf_token", "")
    if getattr(request.state, "new_login_token", None) or not same_token(csrf_token, expected):
        return _login_page(
            request,
            error="the sign-in form had expired; please sign in again",
            next_path=target,
            username=username,
            status_code=status.HTTP_403_FORBIDDEN,
        )
    settings = get_settings(request)
    gate = LoginGate(
        get_accounts(request),
        attempts=settings.login_attempts,
        window_minutes=settings.login_window_minutes,
    )
    outcome, user = gate.check(username.strip(), password, client_of(request))
    if outcome != "ok" or user is None:
        limited = outcome == "limited"
        return _login_page(
            request,
            error=limited_message(settings) if limited else WRONG,
            next_path=target,
            username=username,
            status_code=(
                status.HTTP_429_TOO_MANY_REQUESTS if limited else status.HTTP_401_UNAUTHORIZED
            ),
        )
    response = RedirectResponse(target, status.HTTP_303_SEE_OTHER)
    if getattr(request.state, "session_digest", None):  # signing in again: drop the old session
        get_accounts(request).end_session(request.state.session_digest)
    _start_session(request, response, user)
    return response


@page_router.post("/logout")
def logout(request: Request) -> Response:
    """End the session (the CSRF token was checked by the guard) and show the sign-in page."""
    response = RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
    _end_session(request, response)
    return response


# ---------------------------------------------------------------------------- JSON


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=2000)


class SessionInfo(BaseModel):
    """Who is signed in, and the CSRF token to send as ``X-CSRF-Token`` on every change."""

    username: str
    role: Role
    csrf_token: str


class Signed(BaseModel):
    signed_out: Literal[True] = True


@api_router.post(
    "/login",
    response_model=SessionInfo,
    responses={
        401: {"description": "Wrong user name or password"},
        415: {"description": "Not application/json"},
        429: {"description": "Too many failed sign-ins"},
    },
)
async def api_login(request: Request, response: Response, credentials: Credentials) -> SessionInfo:
    """Sign in; sets the session cookie. Only ``application/json`` bodies are accepted (a
    cross-site form cannot send them), so no CSRF token is needed here."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "send application/json")
    settings = get_settings(request)
    gate = LoginGate(
        get_accounts(request),
        attempts=settings.login_attempts,
        window_minutes=settings.login_window_minutes,
    )
    outcome, user = await to_thread.run_sync(
        gate.check, credentials.username.strip(), credentials.password, client_of(request)
    )
    if outcome == "limited":
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, limited_message(settings))
    if outcome != "ok" or user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, WRONG)
    csrf = await to_thread.run_sync(_start_session, request, response, user)
    return SessionInfo(username=user.username, role=user.role, csrf_token=csrf)


@api_router.get("/me", response_model=SessionInfo)
def api_me(request: Request, user: ApiUser) -> SessionInfo:
    """The signed-in user and the session's CSRF token."""
    return SessionInfo(username=user.username, role=user.role, csrf_token=request.state.csrf_token)


@api_router.post("/logout", response_model=Signed)
def api_logout(request: Request, user: ApiUser) -> Response:
    """End the session."""
    response = JSONResponse(Signed().model_dump())
    _end_session(request, response)
    return response
