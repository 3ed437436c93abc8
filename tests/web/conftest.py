"""Fixtures for the web app: the real app on a real store (SQLite and PostgreSQL), with accounts.

``web`` gives a :class:`Web`: an app started with its lifespan (FastAPI's TestClient, in-process)
on an empty store with three accounts (``admin``, ``editor``, ``viewer``), and ``client(role)``
for a client signed in as that role (cookie and X-CSRF-Token set). ``live`` runs the app in a
real uvicorn on a free loopback port (:mod:`remission.web.testing`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from remission.examples import example_paths
from remission.store import Store
from remission.store.users import Accounts
from remission.web.app import create_app
from remission.web.security import hash_password, new_token, token_digest
from remission.web.settings import WebSettings
from remission.web.testing import LiveServer

PASSWORDS = {
    "admin": "admin-password-1",
    "editor": "editor-password-1",
    "viewer": "viewer-password-1",
}


@dataclass
class Web:
    url: str
    app: FastAPI
    store: Store
    clients: list[TestClient] = field(default_factory=list)

    def anonymous(self) -> TestClient:
        client = TestClient(self.app, follow_redirects=False)
        client.__enter__()
        self.clients.append(client)
        return client

    def client(self, role: str = "editor") -> TestClient:
        """A client with a session of the account named ``role`` (cookie and X-CSRF-Token set).

        The session is created in the store directly, as a sign-in would (the sign-in itself,
        with its half-second argon2 check, is tested in test_auth.py).
        """
        client = self.anonymous()
        token, csrf = new_token(), new_token()
        expires = datetime.now(UTC) + timedelta(hours=1)
        Accounts(self.store).create_session(token_digest(token), role, csrf, expires_at=expires)
        client.cookies.set("remission_session", token)
        client.headers["X-CSRF-Token"] = csrf
        return client

    def sign_in(self, role: str) -> TestClient:
        """A client signed in through ``POST /api/auth/login`` with the account's password."""
        client = self.anonymous()
        response = client.post(
            "/api/auth/login", json={"username": role, "password": PASSWORDS[role]}
        )
        assert response.status_code == 200, response.text
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        return client

    def close(self) -> None:
        for client in self.clients:
            client.__exit__(None, None, None)


def seed_text(name: str = "seed-001") -> str:
    path = next(p for p in example_paths() if Path(p).name.startswith(name))
    return Path(path).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def password_hashes() -> dict[str, str]:
    """argon2 hashes of :data:`PASSWORDS`, made once (each takes about half a second)."""
    return {role: hash_password(password) for role, password in PASSWORDS.items()}


@pytest.fixture
def accounts_url(store_url: str, password_hashes: dict[str, str]) -> str:
    """An empty store (SQLite or PostgreSQL) with the three accounts of :data:`PASSWORDS`."""
    with Store(store_url) as store:
        for role, digest in password_hashes.items():
            Accounts(store).add(role, role, digest)
    return store_url


@pytest.fixture
def web(accounts_url: str) -> Iterator[Web]:
    app = create_app(WebSettings(db_url=accounts_url))
    with Store(accounts_url) as store:
        web = Web(accounts_url, app, store)
        try:
            yield web
        finally:
            web.close()


@pytest.fixture
def live(accounts_url: str) -> Iterator[LiveServer]:
    with LiveServer(accounts_url) as server:
        yield server
