"""Browser end-to-end tests: the real app (uvicorn on a free loopback port) on a real SQLite file
and on the real PostgreSQL of the test session, driven by Debian's chromium through Playwright.

Each backend gets one server for the whole session, loaded with the bundled example cases and
three accounts (admin, editor, viewer); each test opens fresh browser contexts. Every page a
test visits is saved as a screenshot in ``$REMISSION_SCREENSHOTS`` (default: a temporary folder
named in the test output), and every console message is collected so that a test can assert no
Content-Security-Policy violation happened.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from remission import api
from remission.examples import example_paths
from remission.store import Store

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORDS = {
    "admin": "admin password 1",
    "editor": "editor password 1",
    "viewer": "viewer password 1",
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: drives a real browser against the running web app")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@dataclass
class Site:
    """One running web app with its store, accounts and screenshot folder."""

    url: str
    backend: str
    db_url: str
    shots: Path
    console: list[str] = field(default_factory=list)

    def shot(self, page: Any, name: str) -> Path:
        """Save a full-page screenshot named ``<backend>-<name>.png``."""
        path = self.shots / f"{self.backend}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    def store(self) -> Store:
        return Store(self.db_url)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium, headless, launched once for the session."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip(f"{CHROMIUM} is needed for the browser tests (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    configured = os.environ.get("REMISSION_SCREENSHOTS", "").strip()
    folder = Path(configured) if configured else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {folder}")
    return folder


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def site(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    screenshot_dir: Path,
) -> Iterator[Site]:
    """The web app on one backend, with the bundled examples imported and three accounts."""
    from remission.web.testing import LiveServer, add_account

    if request.param == "sqlite":
        db_url = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'web.sqlite'}"
    else:
        db_url = str(request.getfixturevalue("pg_server").create_database())
    with Store(db_url) as store:
        api.import_files(store, example_paths(), author="seed", reason="examples")
    for username, password in PASSWORDS.items():
        add_account(db_url, username, password, role=username)
    with LiveServer(db_url) as server:
        yield Site(server.url, request.param, db_url, screenshot_dir)


@pytest.fixture
def open_page(browser: Any, site: Site) -> Iterator[Any]:
    """``open_page(user)``: a page in a new browser context, signed in as ``user``.

    Console messages of every page go to ``site.console``; the contexts are closed afterwards
    and the test fails if any page reported a Content-Security-Policy violation.
    """
    contexts: list[Any] = []
    first_message = len(site.console)

    def opener(user: str | None = "editor") -> Any:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: site.console.append(f"{m.type}: {m.text}"))
        page.on("dialog", lambda d: (site.console.append(f"dialog: {d.message}"), d.dismiss()))
        if user is not None:
            sign_in(page, site, user, PASSWORDS[user])
            page.wait_for_url(f"{site.url}/cases")
        return page

    yield opener
    for context in contexts:
        context.close()
    violations = csp_violations(site, since=first_message)
    assert not violations, f"Content-Security-Policy violations: {violations}"


def sign_in(page: Any, site: Site, user: str, password: str) -> None:
    page.goto(f"{site.url}/login")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("form button[type=submit]")


def csp_violations(site: Site, since: int = 0) -> list[str]:
    """Console messages (from the ``since``-th on) that report a Content-Security-Policy
    violation."""
    return [m for m in site.console[since:] if "Content Security Policy" in m or "Refused to" in m]
