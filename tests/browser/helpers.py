"""Shared helpers of the browser tests: the server handle, personas and a per-person browser."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.support.infra import ROOT, Proc

ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "correct horse battery"


@dataclass
class Server:
    url: str
    proc: Proc

    def api(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        """Call the HTTP API; returns the decoded JSON body (None for 204)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{method} {path} -> {exc.code}: {exc.read()!r}") from None
        return json.loads(raw) if raw else None


@dataclass
class User:
    handle: str
    display_name: str
    password: str
    token: str = ""
    id: str = ""


def unique_handle(persona: str) -> str:
    return f"{persona}_{uuid.uuid4().hex[:10]}"


@dataclass
class Client:
    """One person's browser: an isolated context (own localStorage) and one page."""

    name: str
    context: BrowserContext
    page: Page
    server: Server
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def goto(self, hash_route: str = "#/") -> None:
        self.page.goto(f"{self.server.url}/{hash_route}")

    def login(self, user: User) -> None:
        self.goto("#/login")
        page = self.page
        page.get_by_test_id("login-handle").fill(user.handle)
        page.get_by_test_id("login-password").fill(user.password)
        page.get_by_test_id("login-submit").click()
        expect(page.get_by_test_id("app-shell")).to_be_visible()
        expect(page.get_by_test_id("conn-status")).to_have_attribute("data-state", "online")

    def register(self, user: User) -> None:
        self.goto("#/login")
        page = self.page
        page.get_by_test_id("auth-toggle").click()
        page.get_by_test_id("login-handle").fill(user.handle)
        page.get_by_test_id("login-password").fill(user.password)
        page.get_by_test_id("login-display-name").fill(user.display_name)
        page.get_by_test_id("login-submit").click()
        expect(page.get_by_test_id("app-shell")).to_be_visible()
        expect(page.get_by_test_id("conn-status")).to_have_attribute("data-state", "online")

    def open_conversation(self, title: str) -> None:
        self.conversation_item(title).click()
        expect(self.page.get_by_test_id("message-list")).to_have_attribute("data-loaded", "true")

    def conversation_item(self, title: str) -> Locator:
        exact = re.compile(f"^{re.escape(title)}$")
        return self.page.get_by_test_id("conversation-item").filter(
            has=self.page.get_by_test_id("conversation-title").filter(has_text=exact)
        )

    def send(self, text: str) -> None:
        self.page.get_by_test_id("composer-input").fill(text)
        self.page.get_by_test_id("composer-send").click()
        # Acknowledged: the optimistic copy has been replaced by the stored message.
        expect(self.messages().filter(has_text=text).last).to_have_attribute("data-state", "sent")

    def messages(self) -> Locator:
        return self.page.get_by_test_id("message-list").get_by_test_id("message")

    def message_rows(self) -> list[tuple[str, str]]:
        """(seq, shown text) for every message in the list, in DOM order."""
        return self.page.eval_on_selector_all(
            '[data-testid="message-list"] [data-testid="message"]',
            """els => els.map(el => [
                el.dataset.seq || "pending",
                (el.querySelector('[data-testid="message-deleted"]') ||
                 el.querySelector('[data-testid="message-text"]') || {textContent: ""}).textContent,
            ])""",
        )

    def screenshot(self, label: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{_safe(label)}-{self.name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:120]


# ---- circles, activities and payments through the HTTP API ------------------------------------


def api_create_circle(
    server: Server,
    owner: User,
    name: str,
    visibility: str = "public",
    description: str = "",
    category: str = "outdoors",
    tags: list[str] | None = None,
) -> dict:
    """A circle owned by ``owner`` (public unless told otherwise)."""
    body = {"name": name, "category": category, "visibility": visibility}
    if description:
        body["description"] = description
    if tags:
        body["tags"] = tags
    out = server.api("POST", "/api/circles", body, token=owner.token)
    return out["circle"]


def api_join_circle(server: Server, user: User, circle: dict) -> None:
    server.api("POST", f"/api/circles/{circle['id']}/join", {}, token=user.token)


def api_create_activity(
    server: Server,
    owner: User,
    circle: dict,
    title: str,
    capacity: int,
    price: dict | None = None,
    days_ahead: int = 3,
) -> dict:
    """An activity starting ``days_ahead`` days from now; ``price`` is ``{amount, currency}``."""
    starts = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=days_ahead)
    body: dict[str, Any] = {
        "title": title,
        "category": "outdoors",
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "ends_at": (starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "location": {"name": "Boathouse", "address": "2 River Walk"},
        "capacity": capacity,
    }
    if price is not None:
        body["price"] = price
    out = server.api("POST", f"/api/circles/{circle['id']}/activities", body, token=owner.token)
    return out["activity"]


def activity_card(client: Client, title: str) -> Locator:
    """The activity card titled exactly ``title`` in the open conversation."""
    page = client.page
    exact = re.compile(f"^{re.escape(title)}$")
    return (
        page.get_by_test_id("message-list")
        .get_by_test_id("activity-card")
        .filter(has=page.get_by_test_id("activity-title").filter(has_text=exact))
    )


def payment_rows(client: Client) -> Locator:
    """The rows of the organiser's payment review list on the activity page."""
    return client.page.get_by_test_id("payments-review").get_by_test_id("payment-row")


# ---- a second device: Socket.IO calls from Python ---------------------------------------------


def socket_calls(server: Server, user: User, calls: list[tuple[str, dict]]) -> list[dict]:
    """Emit client events as ``user`` over a real Socket.IO connection (like a second device),
    one after another, each awaiting its ack; returns each ack's ``data``. It runs on its own
    thread: Playwright's sync API keeps an event loop on this one."""
    import asyncio
    import threading

    from tests.support.client import Sock

    out: list[dict] = []
    failure: list[BaseException] = []

    async def run() -> None:
        sock = await Sock(server.url, user.token).connect()
        try:
            for event, payload in calls:
                out.append(await sock.ok(event, payload))
        finally:
            await sock.close()

    def main() -> None:
        try:
            asyncio.run(run())
        except BaseException as exc:  # re-raised on the test's thread
            failure.append(exc)

    thread = threading.Thread(target=main)
    thread.start()
    thread.join(60)
    if failure:
        raise failure[0]
    assert not thread.is_alive(), "socket calls did not finish"
    return out


def send_texts(server: Server, user: User, conversation_id: str, texts: list[str]) -> list[dict]:
    """Send messages as ``user`` from a second device; returns the stored messages."""
    calls = [
        (
            "message:send",
            {"conversation_id": conversation_id, "client_id": uuid.uuid4().hex, "text": t},
        )
        for t in texts
    ]
    return [data["message"] for data in socket_calls(server, user, calls)]
