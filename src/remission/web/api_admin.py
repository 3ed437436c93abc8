"""Account administration in the JSON API (admins only): users, roles, passwords, the audit log.

The same rules as ``remission user add/remove/passwd``: argon2 hashes, passwords of at least
ten characters, the last admin can be neither removed nor demoted; every change is an audit
event naming the admin who made it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, status

from remission.exceptions import AccountError
from remission.store.users import Accounts, check_username
from remission.web.api_common import Responses
from remission.web.api_models import (
    AccountOut,
    AuditEventOut,
    NewAccount,
    PasswordChange,
    ProblemsOut,
    RoleChange,
)
from remission.web.auth import client_of
from remission.web.deps import ApiAdmin, get_accounts
from remission.web.security import hash_password, password_problem

__all__ = ["audit_router", "router"]

router = APIRouter(prefix="/users", tags=["users"])

Username = Annotated[str, Path(min_length=1, max_length=64)]
ACCOUNT_ERRORS: Responses = {
    404: {"model": ProblemsOut, "description": "No such user"},
    409: {"model": ProblemsOut, "description": "Name taken, or the last admin"},
}


def _out(accounts: Accounts, username: str) -> AccountOut:
    account = accounts.get(username)
    if account is None:
        raise AccountError(f"there is no user named {username!r}", "missing")
    return AccountOut(
        username=account.username,
        role=account.role,
        created_at=account.created_at,
        password_changed_at=account.password_changed_at,
    )


def _password(password: str) -> str:
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    return hash_password(password)


@router.get("", response_model=list[AccountOut])
def list_users(request: Request, admin: ApiAdmin) -> list[AccountOut]:
    """Every account with its role (no password hashes)."""
    return [
        AccountOut(
            username=a.username,
            role=a.role,
            created_at=a.created_at,
            password_changed_at=a.password_changed_at,
        )
        for a in get_accounts(request).list()
    ]


@router.post(
    "", response_model=AccountOut, status_code=status.HTTP_201_CREATED, responses=ACCOUNT_ERRORS
)
def add_user(request: Request, admin: ApiAdmin, new: NewAccount) -> AccountOut:
    """Create an account."""
    accounts = get_accounts(request)
    check_username(new.username)
    accounts.add(new.username, new.role, _password(new.password))
    accounts.record(
        "user_added",
        username=admin.username,
        client=client_of(request),
        detail=f"{new.username} ({new.role})",
    )
    return _out(accounts, new.username)


@router.delete("/{username}", status_code=status.HTTP_204_NO_CONTENT, responses=ACCOUNT_ERRORS)
def remove_user(request: Request, admin: ApiAdmin, username: Username) -> None:
    """Remove an account and end its sessions (its case versions keep its name)."""
    accounts = get_accounts(request)
    accounts.remove(username)
    accounts.record(
        "user_removed", username=admin.username, client=client_of(request), detail=username
    )


@router.put("/{username}/password", response_model=AccountOut, responses=ACCOUNT_ERRORS)
def set_password(
    request: Request, admin: ApiAdmin, username: Username, change: PasswordChange
) -> AccountOut:
    """Set a new password; the user's sessions end."""
    accounts = get_accounts(request)
    accounts.set_password(username, _password(change.password))
    accounts.record(
        "password_set", username=admin.username, client=client_of(request), detail=username
    )
    return _out(accounts, username)


@router.put("/{username}/role", response_model=AccountOut, responses=ACCOUNT_ERRORS)
def set_role(
    request: Request, admin: ApiAdmin, username: Username, change: RoleChange
) -> AccountOut:
    """Change a user's role."""
    accounts = get_accounts(request)
    accounts.set_role(username, change.role)
    accounts.record(
        "role_set",
        username=admin.username,
        client=client_of(request),
        detail=f"{username} -> {change.role}",
    )
    return _out(accounts, username)


audit_router = APIRouter(prefix="/audit", tags=["users"])


@audit_router.get("", response_model=list[AuditEventOut])
def audit_events(
    request: Request,
    admin: ApiAdmin,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditEventOut]:
    """The newest audit events (sign-ins, failures, sign-outs, account changes)."""
    return [
        AuditEventOut(at=e.at, event=e.event, username=e.username, client=e.client, detail=e.detail)
        for e in get_accounts(request).events(limit)
    ]
