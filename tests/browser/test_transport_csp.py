"""The Content-Security-Policy header in a real browser (issue 9 item 17).

The built web client works under it with no violation at all: it loads, logs in, connects its
websocket and chats, and ``data:`` images (the ticket QR code) render.
The policy is really enforced (an injected inline script does not run), and no other page can
frame the app.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import Client, Server, User, api_create_circle

pytestmark = pytest.mark.browser

# Every CSP violation the page sees, as "<directive> <blocked URI>".
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.effectiveDirective} ${e.blockedURI}`);
});
"""

IMAGE_LOADS = """
async (src) => {
  const img = new Image();
  const loaded = new Promise((resolve) => {
    img.onload = () => resolve(img.naturalWidth > 0);
    img.onerror = () => resolve(false);
  });
  img.src = src;
  document.body.append(img);
  return await loaded;
}
"""

SVG = "<svg xmlns='http://www.w3.org/2000/svg' width='4' height='4'><rect width='4' height='4'/></svg>"


def test_the_web_client_runs_under_the_policy_with_no_violation(
    open_client: Callable[[str], Client], make_user: Callable[..., User], server: Server
) -> None:
    alice = make_user("alice")
    name = f"Policy {uuid.uuid4().hex[:6]}"
    api_create_circle(server, alice, name)
    client = open_client("alice")
    console: list[str] = []
    client.page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    client.context.add_init_script(RECORD_VIOLATIONS)

    response = client.page.goto(f"{server.url}/#/login")
    assert response is not None
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    client.login(alice)  # waits for the websocket to be online
    client.open_conversation(name)
    client.send("hello under a policy")
    text = client.page.get_by_test_id("message-text").filter(
        has_text=re.compile("^hello under a policy$")
    )
    expect(client.messages().filter(has=text)).to_have_count(1)

    page = client.page
    # The ticket QR code is an SVG data: URL (web/src/views/activity.ts).
    assert page.evaluate(IMAGE_LOADS, "data:image/svg+xml;utf8," + SVG.replace("'", "%27"))
    assert page.evaluate("window.__cspViolations") == []
    assert [line for line in console if "Content Security Policy" in line] == []

    # Enforced, not just sent: an injected inline script does not run.
    ran = page.evaluate(
        """() => {
            const s = document.createElement("script");
            s.textContent = "window.__inlineRan = true";
            document.body.append(s);
            return window.__inlineRan === true;
        }"""
    )
    assert ran is False
    page.wait_for_function("window.__cspViolations.length > 0")
    # (once per policy that forbids it: web/index.html also carries one in a <meta> tag)
    assert set(page.evaluate("window.__cspViolations")) == {"script-src-elem inline"}


def test_no_other_page_can_frame_the_app(
    open_client: Callable[[str], Client], server: Server
) -> None:
    client = open_client("mallory")
    page = client.page
    page.set_content(f"<iframe id='victim' src='{server.url}/'></iframe>")
    page.wait_for_timeout(1500)
    framed = page.frame_locator("#victim")
    expect(framed.locator("#app")).to_have_count(0)
    # Control: the same page, opened on its own, does load the app.
    client.goto("#/login")
    expect(page.locator("#app")).to_have_count(1)
