"""Signing in and out: sessions are server-side, cookies are HttpOnly and SameSite, tokens are
stored hashed, failed sign-ins are rate limited per user name and client, and every sign-in is
in the audit log."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from remission.store.schema import sessions
from remission.store.users import Accounts
from remission.web.auth import safe_next

from .conftest import PASSWORDS, Web


def _login_form(client, username: str, password: str, next_path: str = "/cases"):
    page = client.get("/login")
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "the sign-in form carries its CSRF token"
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "next": next_path,
            "csrf_token": token.group(1),
        },
    )


def test_signing_in_with_the_form_starts_a_session(web: Web) -> None:
    client = web.anonymous()
    response = _login_form(client, "editor", PASSWORDS["editor"], "/cases?q=cns")
    assert response.status_code == 303
    assert response.headers["location"] == "/cases?q=cns"
    cookie = response.headers["set-cookie"]
    assert "remission_session=" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    me = client.get("/api/auth/me")
    assert me.status_code == 200
    assert me.json()["username"] == "editor" and me.json()["role"] == "editor"


def test_a_wrong_password_is_refused_in_words_and_starts_no_session(web: Web) -> None:
    client = web.anonymous()
    response = _login_form(client, "editor", "not-the-password")
    assert response.status_code == 401
    assert "user name or password is not right" in response.text
    assert "remission_session" not in response.headers.get("set-cookie", "")
    assert client.get("/api/auth/me").status_code == 401


def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(web: Web) -> None:
    client = web.anonymous()
    unknown = client.post("/api/auth/login", json={"username": "nobody", "password": "x" * 12})
    wrong = client.post("/api/auth/login", json={"username": "editor", "password": "x" * 12})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json()["detail"] == wrong.json()["detail"]


def test_the_sign_in_form_without_its_csrf_token_is_refused(web: Web) -> None:
    client = web.anonymous()
    client.get("/login")
    response = client.post(
        "/login", data={"username": "editor", "password": PASSWORDS["editor"], "csrf_token": "x"}
    )
    assert response.status_code == 403
    assert client.get("/api/auth/me").status_code == 401


def test_signing_out_ends_the_session_on_the_server(web: Web) -> None:
    client = web.sign_in("viewer")
    old_cookie = client.cookies.get("remission_session")
    assert client.post("/logout").status_code == 303
    assert client.get("/api/auth/me").status_code == 401
    # the old cookie replayed by someone who copied it is no longer accepted
    thief = web.anonymous()
    thief.cookies.set("remission_session", old_cookie)
    assert thief.get("/api/cases").status_code == 401
    events = [e.event for e in Accounts(web.store).events()]
    assert "logout" in events and "login" in events


def test_session_tokens_are_stored_only_as_digests(web: Web) -> None:
    client = web.sign_in("viewer")
    token = client.cookies.get("remission_session")
    with web.store.engine.connect() as connection:
        stored = connection.execute(select(sessions.c.token_hash)).scalars().all()
    assert token not in stored
    assert all(re.fullmatch(r"[0-9a-f]{64}", s) for s in stored)


def test_failed_sign_ins_are_rate_limited_per_user_and_client(web: Web) -> None:
    client = web.anonymous()
    for _ in range(5):
        wrong = client.post("/api/auth/login", json={"username": "editor", "password": "w" * 12})
        assert wrong.status_code == 401
    limited = client.post(
        "/api/auth/login", json={"username": "editor", "password": PASSWORDS["editor"]}
    )
    assert limited.status_code == 429
    assert "too many failed sign-ins" in limited.json()["detail"]
    # another user from the same client is not locked out
    assert web.sign_in("viewer").get("/api/auth/me").status_code == 200
    events = [e.event for e in Accounts(web.store).events()]
    assert events.count("login_failed") == 5 and "login_limited" in events


def test_the_json_sign_in_takes_json_only(web: Web) -> None:
    client = web.anonymous()
    response = client.post(
        "/api/auth/login",
        content='{"username": "editor", "password": "editor-password-1"}',
        headers={"content-type": "text/plain"},
    )
    assert response.status_code in (415, 422)
    assert client.get("/api/auth/me").status_code == 401


def test_a_signed_in_user_visiting_login_goes_on(web: Web) -> None:
    client = web.sign_in("viewer")
    response = client.get("/login?next=/cohort")
    assert response.status_code == 303 and response.headers["location"] == "/cohort"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "",
        None,
        "/login",
        "/cases\r\nSet-Cookie: x=1",
    ],
)
def test_after_sign_in_only_paths_of_this_site_are_followed(target: str | None) -> None:
    assert safe_next(target) == "/cases"


def test_after_sign_in_a_path_with_its_query_is_kept() -> None:
    assert safe_next("/cases/seed-001?version=2") == "/cases/seed-001?version=2"


def test_a_successful_sign_in_starts_the_failure_count_again(web: Web) -> None:
    client = web.anonymous()
    wrong = {"username": "editor", "password": "w" * 12}
    right = {"username": "editor", "password": PASSWORDS["editor"]}
    for _ in range(4):
        assert client.post("/api/auth/login", json=wrong).status_code == 401
    assert client.post("/api/auth/login", json=right).status_code == 200
    for _ in range(4):
        assert client.post("/api/auth/login", json=wrong).status_code == 401
    assert client.post("/api/auth/login", json=right).status_code == 200
