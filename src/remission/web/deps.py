"""FastAPI dependencies shared by the pages and the API: the store and the signed-in user.

The :class:`~remission.web.middleware.Guard` has already refused anonymous requests; these
dependencies state each route's need explicitly (and are what the role checks hang on):

* ``page_user`` / ``page_editor`` / ``page_admin`` for pages: not signed in -> 303 to
  ``/login?next=<path>``; signed in with too weak a role -> 403;
* ``api_user`` / ``api_editor`` / ``api_admin`` for the JSON API: 401 / 403 with a JSON detail.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request, status

from remission.store import Store
from remission.store.users import Accounts, Role
from remission.web.security import User, role_at_least
from remission.web.settings import WebSettings

__all__ = [
    "ApiAdmin",
    "ApiEditor",
    "ApiUser",
    "PageAdmin",
    "PageEditor",
    "PageUser",
    "SignInRequired",
    "StoreDep",
    "api_admin",
    "api_editor",
    "api_user",
    "get_accounts",
    "get_settings",
    "get_store",
    "page_admin",
    "page_editor",
    "page_user",
    "require_role",
]

_ROLE_WORDS = {"editor": "change cases", "admin": "manage accounts"}


class SignInRequired(Exception):
    """Raised by page dependencies for an anonymous request; answered with a 303 to /login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.location = "/login?next=" + quote(next_path, safe="")


def get_store(request: Request) -> Store:
    """The app's one :class:`Store` (opened in the lifespan)."""
    store: Store = request.app.state.store
    return store


def get_settings(request: Request) -> WebSettings:
    settings: WebSettings = request.app.state.settings
    return settings


def get_accounts(request: Request) -> Accounts:
    return Accounts(get_store(request))


def _user(request: Request) -> User | None:
    user = getattr(request.state, "user", None)
    return user if isinstance(user, User) else None


def _refuse_role(user: User, role: Role) -> HTTPException:
    return HTTPException(
        status.HTTP_403_FORBIDDEN,
        f"{user.username} is signed in as {user.role}; only a user with the {role} role may "
        f"{_ROLE_WORDS.get(role, 'do this')} — ask an admin",
    )


def require_role(user: User, role: Role) -> None:
    """403 unless ``user`` holds ``role`` (for a route whose need depends on its input)."""
    if not role_at_least(user, role):
        raise _refuse_role(user, role)


def _page(role: Role) -> Callable[[Request], User]:
    def dependency(request: Request) -> User:
        user = _user(request)
        if user is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise SignInRequired(target)
        if not role_at_least(user, role):
            raise _refuse_role(user, role)
        return user

    return dependency


def _api(role: Role) -> Callable[[Request], User]:
    def dependency(request: Request) -> User:
        user = _user(request)
        if user is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "sign in first: POST /api/auth/login",
                headers={"WWW-Authenticate": 'Cookie realm="remission"'},
            )
        if not role_at_least(user, role):
            raise _refuse_role(user, role)
        return user

    return dependency


page_user = _page("viewer")
page_editor = _page("editor")
page_admin = _page("admin")
api_user = _api("viewer")
api_editor = _api("editor")
api_admin = _api("admin")

StoreDep = Annotated[Store, Depends(get_store)]
PageUser = Annotated[User, Depends(page_user)]
PageEditor = Annotated[User, Depends(page_editor)]
PageAdmin = Annotated[User, Depends(page_admin)]
ApiUser = Annotated[User, Depends(api_user)]
ApiEditor = Annotated[User, Depends(api_editor)]
ApiAdmin = Annotated[User, Depends(api_admin)]
