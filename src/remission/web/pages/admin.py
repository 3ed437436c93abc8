"""Account administration pages (admins only): list users, add, remove, reset a password,
change a role, and read the audit log.

The same account rules as the JSON API and ``remission user``: :class:`remission.store.users.
Accounts` (the last admin can be neither removed nor demoted), argon2 hashes
(:func:`remission.web.security.hash_password`) and the password policy
(:func:`~remission.web.security.password_problem`); each change is an audit event naming the
admin who made it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from remission.exceptions import AccountError, StoreError
from remission.store.users import check_username
from remission.web.auth import client_of
from remission.web.deps import get_accounts, page_admin
from remission.web.pages._common import form_text, read_form, username_of
from remission.web.security import hash_password, password_problem
from remission.web.templating import render

__all__ = ["router"]

router = APIRouter(dependencies=[Depends(page_admin)])

ROLE_CHOICES = ("viewer", "editor", "admin")


def _page(request: Request, status: int = 200, **context: Any) -> HTMLResponse:
    accounts = get_accounts(request)
    base: dict[str, Any] = {
        "accounts": accounts.list(),
        "roles": ROLE_CHOICES,
        "problems": [],
        "done": None,
        "audit": accounts.events(limit=50),
        "new_username": "",
        "new_role": "editor",
    }
    return render(request, "admin/users.html", {**base, **context}, status_code=status)


@router.get("/admin/users", response_class=HTMLResponse, name="admin_users")
def admin_users(request: Request, done: str | None = None) -> HTMLResponse:
    return _page(request, done=done[:200] if done else None)


def _password(password: str) -> str:
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    return hash_password(password)


@router.post("/admin/users", name="admin_users_change")
async def admin_users_change(request: Request) -> Response:
    """One account change, chosen by the ``action`` field (add, remove, password, role)."""
    form = await read_form(request)
    action = form_text(form, "action", limit=20)
    username = form_text(form, "username", limit=200).strip()
    accounts = get_accounts(request)
    admin = username_of(request)
    client = client_of(request)
    try:
        if action == "add":
            role = form_text(form, "role", limit=20)
            check_username(username)
            accounts.add(username, role, _password(form_text(form, "password", limit=2000)))
            accounts.record(
                "user_added", username=admin, client=client, detail=f"{username} ({role})"
            )
            done = f"Added {username} ({role})."
        elif action == "remove":
            if form_text(form, "confirm", limit=10) != "yes":
                raise AccountError(f"tick 'sure' to remove {username}")
            if username == admin:
                raise AccountError("you cannot remove your own account while signed in with it")
            accounts.remove(username)
            accounts.record("user_removed", username=admin, client=client, detail=username)
            done = f"Removed {username}; the case versions they saved keep their name."
        elif action == "password":
            accounts.set_password(username, _password(form_text(form, "password", limit=2000)))
            accounts.record("password_set", username=admin, client=client, detail=username)
            done = f"Set a new password for {username}; their sessions were ended."
        elif action == "role":
            role = form_text(form, "role", limit=20)
            accounts.set_role(username, role)
            accounts.record(
                "role_set", username=admin, client=client, detail=f"{username} -> {role}"
            )
            done = f"{username} is now {role}."
        else:
            raise AccountError(f"unknown action {action[:20]!r}")
    except (AccountError, StoreError) as exc:
        keep = username if action == "add" else ""
        return _page(
            request,
            422,
            problems=[str(exc)],
            new_username=keep,
            new_role=form_text(form, "role", limit=20) or "editor",
        )
    return RedirectResponse("/admin/users?" + urlencode({"done": done}), status_code=303)
