"""``remission user ...`` and ``remission serve`` as an administrator runs them: the user commands
in-process (Typer's runner, a real store), ``serve`` as a real process answering on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import typer
from typer.testing import CliRunner

from remission.cli.web import register
from remission.store import Store
from remission.store.users import Accounts
from remission.web.security import verify_password
from remission.web.testing import free_port

EXE = str(Path(sys.executable).with_name("remission"))


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """remission (test app)."""

    register(app)
    return app


APP = _app()


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run(*args: str, input: str | None = None) -> Ran:
    result = CliRunner().invoke(APP, list(args), input=input)
    return Ran(result.exit_code, result.stdout, result.stderr)


def test_user_add_list_role_passwd_remove(store_url: str) -> None:
    added = run("user", "add", "dr-a", "--role", "editor", "--password-stdin", "--db", store_url,
                input="first-password\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    run("user", "add", "boss", "--role", "admin", "--password-stdin", "--db", store_url,
        input="boss-password-1\n")  # fmt: skip
    listed = json.loads(run("user", "list", "--json", "--db", store_url).stdout)
    assert {(u["username"], u["role"]) for u in listed} == {("dr-a", "editor"), ("boss", "admin")}
    assert "password" not in json.dumps(listed).replace("password_changed_at", "")

    assert run("user", "role", "dr-a", "viewer", "--db", store_url).returncode == 0
    changed = run("user", "passwd", "dr-a", "--password-stdin", "--db", store_url,
                  input="second-password\n")  # fmt: skip
    assert changed.returncode == 0, changed.stderr
    with Store(store_url) as store:
        accounts = Accounts(store)
        assert accounts.get("dr-a").role == "viewer"  # type: ignore[union-attr]
        stored = accounts.password_hash("dr-a")
        assert stored is not None and stored.startswith("$argon2id$")
        assert verify_password(stored, "second-password")
        assert "second-password" not in stored
        assert {e.event for e in accounts.events()} >= {"user_added", "role_set", "password_set"}

    assert run("user", "remove", "dr-a", "--db", store_url).returncode == 0
    last = run("user", "remove", "boss", "--db", store_url)
    assert last.returncode == 1 and "only admin" in last.stderr


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["user", "add", "dr a", "--password-stdin"], "long-enough-1\n", "may only hold"),
        (["user", "add", "dr-a", "--role", "god", "--password-stdin"], "long-enough-1\n", "role"),
        (["user", "add", "dr-a", "--password-stdin"], "short\n", "at least 10"),
        (["user", "passwd", "nobody", "--password-stdin"], "long-enough-1\n", "no user named"),
    ],
)
def test_user_commands_refuse_bad_input_in_words(
    tmp_path: Path, args: list[str], stdin: str, message: str
) -> None:
    db = str(tmp_path / "s.sqlite")
    done = run(*args, "--db", db, input=stdin)
    assert done.returncode == 1
    assert message in done.stderr and "Traceback" not in done.stderr


def test_serve_refuses_to_start_without_an_admin(tmp_path: Path) -> None:
    db = str(tmp_path / "s.sqlite")
    done = run("serve", "--db", db, "--port", str(free_port()))
    assert done.returncode == 1
    assert "no admin account" in done.stderr
    assert "remission user add admin --role admin" in done.stderr


@pytest.mark.parametrize("access_log", [True, False])
def test_serve_runs_the_app_on_loopback(tmp_path: Path, access_log: bool) -> None:
    db = str(tmp_path / "s.sqlite")
    run("user", "add", "admin", "--role", "admin", "--password-stdin", "--db", db,
        input="admin-password-1\n")  # fmt: skip
    port = free_port()
    flag = [] if access_log else ["--no-access-log"]
    server = subprocess.Popen(
        [EXE, "serve", "--db", db, "--port", str(port), *flag],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(base + "/api/cases", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        assert response.status_code == 401
        with httpx.Client(base_url=base) as client:
            login = client.post(
                "/api/auth/login", json={"username": "admin", "password": "admin-password-1"}
            )
            assert login.status_code == 200
            assert client.get("/api/cases").json()["total"] == 0
    finally:
        server.terminate()
        server.wait(timeout=30)
    logged = server.stdout.read() if server.stdout else ""
    assert ('"GET /api/cases HTTP/1.1" 200' in logged) is access_log, logged[-2000:]
