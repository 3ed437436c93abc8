"""Nothing is reachable without signing in, every change needs the session's CSRF token, roles
decide who may change cases and accounts, and every response carries the security headers."""

from __future__ import annotations

import re

import pytest

from remission.web.app import route_table
from remission.web.middleware import is_public
from remission.web.security import CSP

from .conftest import Web, seed_text

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def _concrete(path: str) -> str:
    """A route path with its parameters filled in (``{case_id}`` -> ``x``, numbers -> 1)."""
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: "1" if "version" in m.group(1) else "x", path)


def _routes(web: Web) -> list[tuple[str, str]]:
    pairs = []
    for path, methods in route_table(web.app):
        if not methods:  # a mount: the static files
            continue
        for method in sorted(methods - {"HEAD"}):
            pairs.append((method, path))
    return pairs


def test_the_route_walk_finds_the_pages_and_the_api(web: Web) -> None:
    paths = {p for _, p in _routes(web)}
    assert {"/api/cases", "/api/cases/{case_id}", "/api/import", "/logout"} <= paths
    assert "/api/openapi.json" in paths


def test_no_route_answers_without_a_session(web: Web) -> None:
    client = web.anonymous()
    checked = 0
    for method, path in _routes(web):
        if is_public(path):
            continue
        response = client.request(method, _concrete(path))
        checked += 1
        if path.startswith("/api"):
            assert response.status_code == 401, (method, path, response.status_code)
            assert "sign in" in response.json()["detail"]
        else:
            assert response.status_code == 303, (method, path, response.status_code)
            assert response.headers["location"].startswith("/login?next=")
    assert checked >= 25


def test_a_page_sends_an_anonymous_visitor_to_sign_in_and_back(web: Web) -> None:
    response = web.anonymous().get("/cases?q=cns")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fcases%3Fq%3Dcns"


def test_every_state_changing_route_refuses_a_missing_or_wrong_csrf_token(web: Web) -> None:
    admin = web.client("admin")
    token = admin.headers.pop("X-CSRF-Token")
    checked = 0
    for method, path in _routes(web):
        if method not in UNSAFE or is_public(path):
            continue
        for headers in ({}, {"X-CSRF-Token": token[::-1]}, {"X-CSRF-Token": ""}):
            response = admin.request(method, _concrete(path), headers=headers, json={})
            assert response.status_code == 403, (method, path, headers, response.status_code)
        checked += 1
    assert checked >= 8
    assert web.store.count() == 0


def test_the_csrf_token_is_accepted_from_a_form_field(web: Web) -> None:
    viewer = web.client("viewer")
    token = viewer.headers.pop("X-CSRF-Token")
    assert viewer.post("/logout", data={"csrf_token": "wrong"}).status_code == 403
    assert viewer.get("/api/auth/me").status_code == 200
    assert viewer.post("/logout", data={"csrf_token": token}).status_code == 303
    assert viewer.get("/api/auth/me").status_code == 401


def test_a_csrf_token_belongs_to_its_session(web: Web) -> None:
    first = web.client("editor")
    second = web.client("editor")
    response = first.post(
        "/api/cases",
        content=seed_text(),
        headers={
            "content-type": "application/yaml",
            "X-CSRF-Token": second.headers["X-CSRF-Token"],
        },
    )
    assert response.status_code == 403
    assert web.store.count() == 0


def test_a_viewer_reads_but_cannot_change_cases(web: Web) -> None:
    editor = web.client("editor")
    assert (
        editor.post(
            "/api/cases", content=seed_text(), headers={"content-type": "application/yaml"}
        ).status_code
        == 201
    )
    viewer = web.client("viewer")
    assert viewer.get("/api/cases").json()["total"] == 1
    refused = viewer.post(
        "/api/cases", content=seed_text("seed-000"), headers={"content-type": "application/yaml"}
    )
    assert refused.status_code == 403
    assert "viewer" in refused.json()["detail"] and "editor" in refused.json()["detail"]
    assert web.store.count() == 1


def test_only_an_admin_manages_accounts(web: Web) -> None:
    new = {"username": "dr-b", "role": "viewer", "password": "a-long-password"}
    assert web.client("editor").post("/api/users", json=new).status_code == 403
    assert web.client("editor").get("/api/users").status_code == 403
    admin = web.client("admin")
    created = admin.post("/api/users", json=new)
    assert created.status_code == 201, created.text
    assert "a-long-password" not in created.text and "argon2" not in created.text
    assert set(created.json()) == {"username", "role", "created_at", "password_changed_at"}
    assert {u["username"] for u in admin.get("/api/users").json()} == {
        "admin",
        "editor",
        "viewer",
        "dr-b",
    }
    assert admin.put("/api/users/dr-b/role", json={"role": "editor"}).json()["role"] == "editor"
    assert admin.delete("/api/users/dr-b").status_code == 204
    events = [e["event"] for e in admin.get("/api/audit").json()]
    assert {"user_added", "role_set", "user_removed"} <= set(events)


def test_the_last_admin_cannot_be_removed_or_demoted(web: Web) -> None:
    admin = web.client("admin")
    removed = admin.delete("/api/users/admin")
    assert removed.status_code == 409 and "only admin" in removed.json()["detail"]
    demoted = admin.put("/api/users/admin/role", json={"role": "viewer"})
    assert demoted.status_code == 409


def test_a_removed_user_is_signed_out_at_once(web: Web) -> None:
    viewer = web.client("viewer")
    assert web.client("admin").delete("/api/users/viewer").status_code == 204
    assert viewer.get("/api/cases").status_code == 401


@pytest.mark.parametrize("path", ["/api/cases", "/login", "/static/app.js", "/api/nope", "/nope"])
def test_every_response_carries_the_security_headers(web: Web, path: str) -> None:
    client = web.client("viewer") if path != "/login" else web.anonymous()
    response = client.get(path)
    assert response.headers["content-security-policy"] == CSP
    assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"
    if not path.startswith("/static/"):
        assert response.headers["cache-control"] == "no-store"


def test_the_openapi_document_needs_a_session_and_describes_the_api(web: Web) -> None:
    assert web.anonymous().get("/api/openapi.json").status_code == 401
    document = web.client("viewer").get("/api/openapi.json").json()
    paths = document["paths"]
    assert "/api/cases" in paths and "/api/cases/{case_id}" in paths
    assert not any(p in paths for p in ("/login", "/logout"))
    listing = paths["/api/cases"]["get"]["responses"]["200"]["content"]["application/json"]
    assert listing["schema"]["$ref"].endswith("SearchPageOut")
