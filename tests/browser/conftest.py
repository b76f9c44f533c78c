"""Fixtures for the browser tests: a real FerretDB + Circles server serving the built web client,
driven by real headless Chromium through Playwright.

The client must be built first (``cd web && npm ci && npm run build``); if ``web/dist`` is
missing or older than ``web/src`` and npm is available, it is built here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Playwright, expect, sync_playwright

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # `pytest` run from another directory
    sys.path.insert(0, str(_ROOT))

from tests.browser.helpers import PASSWORD, Client, Server, User, unique_handle  # noqa: E402
from tests.support.infra import ROOT, start_server, temp_dir  # noqa: E402

WEB = ROOT / "web"
DIST = WEB / "dist"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

expect.set_options(timeout=10_000)


def _newest_mtime(path: Path) -> float:
    return max((p.stat().st_mtime for p in path.rglob("*") if p.is_file()), default=0.0)


def _ensure_web_built() -> None:
    index = DIST / "index.html"
    sources = [WEB / "src", WEB / "index.html", WEB / "package-lock.json"]
    newest_source = max(_newest_mtime(s) if s.is_dir() else s.stat().st_mtime for s in sources)
    if index.exists() and index.stat().st_mtime >= newest_source:
        return
    npm = shutil.which("npm")
    if npm is None:
        if index.exists():
            return
        pytest.fail(
            "web/dist is missing and npm is not installed: run `npm ci && npm run build` in web/"
        )
    if not (WEB / "node_modules").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=WEB, check=True)
    subprocess.run([npm, "run", "build"], cwd=WEB, check=True)


# ---- the server ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(stack: Any) -> Iterator[Server]:
    _ensure_web_built()
    logs = ROOT / "test-artifacts" / "logs"
    db = stack.ferretdb()
    data_dir = temp_dir("circles-browser-data-")
    proc = start_server(
        {
            "MONGODB_URL": db.url,
            "FERRETDB_POSTGRESQL_URL": db.extra["postgres_url"],
            "MONGODB_DB": "circles_browser",
            "DATA_DIR": str(data_dir),
            "SEED_DEMO": "0",
            "PAYMENT_PROVIDERS": "manual,sandbox",  # the test provider, off by default
            "WEB_DIST": str(DIST),
            "LOG_LEVEL": "warning",
            # Join notices arrive after a window, at a moment two browsers may disagree on;
            # tests that compare message rows between browsers leave them out.
            "MEMBER_NOTICE_SECONDS": "0",
            # Organisers here publish paid activities without going through verification (the
            # gate has its own tests: tests/test_trust_*.py).
            "PAID_ACTIVITIES_REQUIRE_VERIFICATION": "0",
            # The console's report follows the chat at each sweep, not every 5 minutes.
            "REPORT_CHAT_ROLLUP_SECONDS": "0",
        },
        logs,
    )
    try:
        yield Server(proc.url, proc)
    finally:
        proc.stop()
        db.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
        shutil.rmtree(db.extra["data_dir"], ignore_errors=True)


# ---- users -----------------------------------------------------------------------------------


@pytest.fixture
def make_user(server: Server) -> Callable[..., User]:
    """Register a user through the HTTP API."""

    def make(persona: str, display_name: str | None = None) -> User:
        user = User(unique_handle(persona), display_name or persona.capitalize(), PASSWORD)
        out = server.api(
            "POST",
            "/api/auth/register",
            {"handle": user.handle, "password": user.password, "display_name": user.display_name},
        )
        user.token, user.id = out["token"], out["user"]["id"]
        return user

    return make


# ---- browsers --------------------------------------------------------------------------------


# Module scope, not session: Playwright's sync API keeps its own event loop running while it is
# open, which would stop pytest-asyncio tests that run after these from starting theirs.
@pytest.fixture(scope="module")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} not found (apt-get install chromium)")
    b = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    yield b
    b.close()


@pytest.fixture
def open_client(
    browser: Browser, server: Server, request: pytest.FixtureRequest
) -> Iterator[Callable[[str], Client]]:
    """Open a fresh browser context for a persona; on failure, screenshots every page."""
    clients: list[Client] = []

    def open_(name: str) -> Client:
        context = browser.new_context(viewport={"width": 1200, "height": 800})
        page = context.new_page()
        client = Client(name, context, page, server)
        page.on("dialog", lambda d: (client.dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: client.errors.append(str(e)))
        clients.append(client)
        return client

    yield open_

    rep = getattr(request.node, "rep_call", None)
    for client in clients:
        if rep is not None and rep.failed:
            try:
                client.screenshot(f"FAILED-{request.node.name}")
            except Exception:  # best effort on the way out
                pass
        client.context.close()
    if rep is not None and rep.passed:
        for client in clients:
            assert client.errors == [], f"uncaught errors in {client.name}'s page: {client.errors}"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    rep = yield
    if rep.when == "call":
        item.rep_call = rep  # type: ignore[attr-defined]
    return rep
