"""``remission serve`` (the web app) and ``remission user add/remove/passwd/role/list``.

Accounts live in the same database as the cases. Passwords are read from a hidden prompt (typed
twice) or, for scripts, from the first line of stdin with ``--password-stdin``; they never
appear on the command line, where other users of the machine could see them.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from remission.api import current_user
from remission.cli._common import (
    DbOption,
    JsonOption,
    err,
    handles_errors,
    open_store,
    out,
    print_json,
    print_table,
)
from remission.exceptions import AccountError
from remission.store import default_url
from remission.store.users import ROLES, Accounts

__all__ = ["register"]

user_app = typer.Typer(
    help="Accounts of the web app: add, remove, passwd, role, list.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

RoleOption = Annotated[
    str, typer.Option("--role", help=f"One of {', '.join(ROLES)} (weakest first).")
]
PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from the first line of stdin (scripts)."
    ),
]


def _read_password(from_stdin: bool) -> str:
    from remission.web.security import password_problem

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    return password


def _audit(accounts: Accounts, event: str, detail: str) -> None:
    accounts.record(event, username=current_user()[:64], client="command line", detail=detail)


@user_app.command("add")
@handles_errors
def user_add(
    username: Annotated[str, typer.Argument(help="User name (letters, digits, . _ @ -).")],
    role: RoleOption = "viewer",
    password_stdin: PasswordStdin = False,
    db: DbOption = None,
) -> None:
    """Create an account (the password is asked for, twice)."""
    from remission.store.users import check_role, check_username
    from remission.web.security import hash_password

    check_username(username)
    check_role(role)
    password = _read_password(password_stdin)
    with open_store(db) as store:
        accounts = Accounts(store)
        accounts.add(username, role, hash_password(password))
        _audit(accounts, "user_added", f"{username} ({role})")
    out.print(f"added {username} ({role})", highlight=False)


@user_app.command("remove")
@handles_errors
def user_remove(
    username: Annotated[str, typer.Argument(help="User name.")], db: DbOption = None
) -> None:
    """Remove an account and end its sessions (its case versions keep its name)."""
    with open_store(db) as store:
        accounts = Accounts(store)
        accounts.remove(username)
        _audit(accounts, "user_removed", username)
    out.print(f"removed {username}", highlight=False)


@user_app.command("passwd")
@handles_errors
def user_passwd(
    username: Annotated[str, typer.Argument(help="User name.")],
    password_stdin: PasswordStdin = False,
    db: DbOption = None,
) -> None:
    """Set a new password (the user's sessions end)."""
    from remission.web.security import hash_password

    password = _read_password(password_stdin)
    with open_store(db) as store:
        accounts = Accounts(store)
        accounts.set_password(username, hash_password(password))
        _audit(accounts, "password_set", username)
    out.print(f"password of {username} changed; their sessions were ended", highlight=False)


@user_app.command("role")
@handles_errors
def user_role(
    username: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[str, typer.Argument(help=f"One of {', '.join(ROLES)}.")],
    db: DbOption = None,
) -> None:
    """Change a user's role."""
    with open_store(db) as store:
        accounts = Accounts(store)
        accounts.set_role(username, role)
        _audit(accounts, "role_set", f"{username} -> {role}")
    out.print(f"{username} is now {role}", highlight=False)


@user_app.command("list")
@handles_errors
def user_list(db: DbOption = None, json_out: JsonOption = False) -> None:
    """Every account and its role."""
    with open_store(db) as store:
        accounts = Accounts(store).list()
    if json_out:
        print_json(
            [
                {
                    "username": a.username,
                    "role": a.role,
                    "created_at": a.created_at.isoformat(),
                    "password_changed_at": a.password_changed_at.isoformat(),
                }
                for a in accounts
            ]
        )
        return
    print_table(
        f"{len(accounts)} user(s)",
        ["user", "role", "created (UTC)", "password changed (UTC)"],
        [
            [
                a.username,
                a.role,
                f"{a.created_at:%Y-%m-%d %H:%M}",
                f"{a.password_changed_at:%Y-%m-%d %H:%M}",
            ]
            for a in accounts
        ],
    )


def _loopback(host: str) -> bool:
    return host in ("127.0.0.1", "::1", "localhost") or host.startswith("127.")


@handles_errors
def serve(
    db: DbOption = None,
    host: Annotated[
        str, typer.Option(help="Address to listen on (127.0.0.1: this computer only).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Worker processes (about one per CPU core).")
    ] = 1,
    cookie_secure: Annotated[
        bool,
        typer.Option(
            "--cookie-secure/--no-cookie-secure",
            help="Send the session cookie over HTTPS only (required behind an HTTPS proxy).",
        ),
    ] = False,
    access_log: Annotated[
        bool,
        typer.Option(
            "--access-log/--no-access-log",
            help="Print a line per request (method, path, status); sign-ins, changes and "
            "refusals are kept in the store's audit log either way.",
        ),
    ] = True,
) -> None:
    """Run the web app (sign-in required; create an admin first with `remission user add`)."""
    import uvicorn

    url = db or default_url()
    with open_store(url) as store:
        admins = Accounts(store).count("admin")
        shown = store.url
    if admins == 0:
        err.print(
            f"error: the store {shown} has no admin account yet, so nobody could sign in.\n"
            "Create one first:\n"
            f"  remission user add admin --role admin{'' if db is None else ' --db ' + shown}",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(1)
    if not _loopback(host) and not cookie_secure:
        err.print(
            f"warning: listening on {host} over plain http: put it behind HTTPS and use "
            "--cookie-secure, or keep it on 127.0.0.1",
            markup=False,
            highlight=False,
        )
    os.environ["REMISSION_DB"] = url
    os.environ["REMISSION_COOKIE_SECURE"] = "1" if cookie_secure else "0"
    out.print(f"remission: {shown} at http://{host}:{port}/ (Ctrl+C stops)", highlight=False)
    uvicorn.run(
        "remission.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=access_log,
        proxy_headers=False,
        server_header=False,
        # a worker busy with a long analysis (a cohort report of thousands of cases) on a
        # loaded machine can take more than uvicorn's default 5 s to answer the supervisor's
        # health check; it would be killed mid-request
        timeout_worker_healthcheck=60,
    )


def register(app: typer.Typer) -> None:
    """Add ``serve`` and the ``user`` commands."""
    app.command("serve")(serve)
    app.add_typer(user_app, name="user")
