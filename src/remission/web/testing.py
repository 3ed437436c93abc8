"""Running the web app for tests, benchmarks and demonstrations: a real uvicorn server on a free
loopback port, accounts, and signed-in HTTP clients.

::

    from remission.web.testing import LiveServer, add_account, signed_in_client

    add_account(db_url, "admin", "a long password", role="admin")
    with LiveServer(db_url) as server:                     # http://127.0.0.1:<free port>
        with signed_in_client(server.url, "admin", "a long password") as client:
            client.get("/api/cases").json()                # cookie and X-CSRF-Token are set

The server runs in a background thread of the calling process (one uvicorn worker), so a test can
look into the same database while it runs; :meth:`LiveServer.stop` shuts it down cleanly.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

import httpx
import uvicorn

from remission.store import Store
from remission.store.users import Accounts
from remission.web.app import create_app
from remission.web.security import hash_password
from remission.web.settings import WebSettings

__all__ = ["LiveServer", "add_account", "free_port", "sign_in", "signed_in_client"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def add_account(db_url: str, username: str, password: str, *, role: str = "admin") -> None:
    """Create an account in the store at ``db_url`` (as ``remission user add`` does)."""
    with Store(db_url) as store:
        Accounts(store).add(username, role, hash_password(password))


class LiveServer:
    """The web app for ``db_url`` served by uvicorn on 127.0.0.1 in a background thread."""

    def __init__(self, db_url: str, settings: WebSettings | None = None) -> None:
        base = settings or WebSettings()
        self.settings = base.model_copy(update={"db_url": db_url})
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(self.settings),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            server_header=False,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="remission-web", daemon=True)

    def start(self, timeout: float = 30.0) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the web app did not start on {self.url}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def sign_in(client: httpx.Client, username: str, password: str) -> str:
    """Sign ``client`` in through the JSON API; sets its ``X-CSRF-Token`` header and returns
    the token. Raises :class:`httpx.HTTPStatusError` when refused."""
    response = client.post("/api/auth/login", json={"username": username, "password": password})
    response.raise_for_status()
    token = str(response.json()["csrf_token"])
    client.headers["X-CSRF-Token"] = token
    return token


@contextmanager
def signed_in_client(base_url: str, username: str, password: str) -> Iterator[httpx.Client]:
    """A new :class:`httpx.Client` for ``base_url``, signed in; closed when the block ends."""
    with httpx.Client(base_url=base_url, timeout=60.0) as client:
        sign_in(client, username, password)
        yield client
