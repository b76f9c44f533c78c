"""The table of refusable requests that tests/test_refusals.py sends (no tests in this module).

A case names its route exactly as ``/openapi.json`` does (``"PATCH /api/activities/{id}"``) or
its Socket.IO event as ``"sio <event>"``, who sends it (a persona of the world, or ``nobody``),
what it targets (``on``: the value of the path's one parameter), its body and the error code
(and ``conflict`` reason) it must get. Strings may name the world's ids as ``{A}``, ``{pm}``...:
the public circle ``P`` and private ``Q`` (alice is in both; bob, carol, dave and wendy in ``P``;
eve in neither), the activities ``A`` (capacity 2: alice and bob confirmed, wendy waitlisted),
``T`` (alice checked in), ``X`` (cancelled), ``M`` (paid: carol holds a seat with a manual
payment ``pm``, dave paid by sandbox ``ps``) and ``Qa`` (in the private circle), alice's message
``msg`` in ``P`` and the DM ``dm`` of alice and bob.
"""

# One case per line reads as a table (fmt: off below keeps it so).

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

NOBODY = "nobody"
PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Case:
    route: str
    who: str
    expect: str
    body: Any = ...  # ``...``: no body; a callable(world) is evaluated when the case is sent
    on: str = ""
    params: dict[str, str] | None = None
    reason: str | None = None
    signed: bool = False
    headers: tuple[tuple[str, str], ...] = ()
    id: str = ""

    @property
    def path(self) -> str:
        return re.sub(r"\{\w+\}", lambda _: self.on, self.route.split(" ", 1)[1])


def http(route: str, who: str, expect: str, on: str = "", body: Any = ..., **kw: Any) -> Case:
    return Case(route, who, expect, body, on, **kw)


def sio(event: str, who: str, expect: str, body: Any, **kw: Any) -> Case:
    return Case(f"sio {event}", who, expect, body, **kw)


async def alice_ticket_for_t(w: Any) -> dict[str, str]:
    """A fresh ticket of alice's for ``T`` (tickets are valid for a minute)."""
    resp = await w.api["alice"].get(f"/api/activities/{w.ids['T']}/ticket")
    return {"code": resp.json()["code"]}


def _webhook_event(payment: str) -> Callable[[Any], dict[str, Any]]:
    def make(w: Any) -> dict[str, Any]:
        return {
            "id": f"evt_refused_{payment}",
            "type": "payment.succeeded",
            "payment_id": w.ids[payment],
            "amount": 500,
            "currency": "EUR",
        }

    return make


NEW_ACTIVITY = {
    "title": "Another",
    "category": "outdoors",
    "starts_at": "{start}",
    "ends_at": "{late}",
    "location": {"name": "Here"},
    "capacity": 3,
}
MOVE = {
    "title": "Moved",
    "capacity": 9,
    "starts_at": "{start}",
    "ends_at": "{late}",
    "location": {"name": "Elsewhere"},
    "signup_deadline": "{late}",
}
AUTH = "/api/auth"
ACT = "/api/activities/{id}"
CIRCLE = "/api/circles/{id}"
PAY = "/api/payments/{id}"
FORGED_BEARER = (("Authorization", "Bearer forged.token.value"),)

# fmt: off
CASES: list[Case] = [
    # accounts
    http(f"POST {AUTH}/register", NOBODY, "invalid", body={"handle": "NO!", "password": PASSWORD, "display_name": "x"}),
    http(f"POST {AUTH}/register", NOBODY, "conflict", body={"handle": "{owner_handle}", "password": PASSWORD, "display_name": "Again"}, reason="handle_taken"),
    http(f"POST {AUTH}/login", NOBODY, "unauthorized", body={"handle": "{alice_handle}", "password": "not her password"}),
    http(f"POST {AUTH}/login", NOBODY, "invalid", body={"handle": "{alice_handle}"}),
    http(f"POST {AUTH}/logout", NOBODY, "unauthorized"),
    http(f"POST {AUTH}/logout", NOBODY, "unauthorized", headers=FORGED_BEARER),
    http("GET /api/me", NOBODY, "unauthorized"),
    http("POST /api/me/calendar-keys/rotate", NOBODY, "unauthorized"),
    http("POST /api/me/calendar-keys/rotate", NOBODY, "unauthorized", headers=FORGED_BEARER),
    # circles
    http("POST /api/circles", NOBODY, "unauthorized", body={"name": "N", "category": "x"}),
    http("POST /api/circles", "alice", "invalid", body={"name": "", "category": "x"}),
    http("POST /api/circles", "alice", "invalid", body={"name": "N", "category": "x", "visibility": "secret"}),
    http("GET /api/circles", "alice", "invalid", params={"sort": "name"}),
    http(f"GET {CIRCLE}", "eve", "not_found", on="{Q}"),
    http(f"POST {CIRCLE}/join", "eve", "not_found", on="{Q}", body={}),
    http(f"POST {CIRCLE}/join", "eve", "not_found", on="{Q}", body={"invite": "{public_invite}"}),
    http(f"POST {CIRCLE}/join", "eve", "invalid", on="{P}", body={"invite": 5}),
    http(f"POST {CIRCLE}/leave", "owner", "conflict", on="{P}", reason="owner"),
    http(f"POST {CIRCLE}/leave", "eve", "forbidden", on="{P}"),
    http(f"POST {CIRCLE}/leave", "eve", "not_found", on="{Q}"),
    http(f"GET {CIRCLE}/members", "eve", "forbidden", on="{P}"),
    http(f"POST {CIRCLE}/invites", "alice", "forbidden", on="{P}"),
    http(f"POST {CIRCLE}/invites", "eve", "not_found", on="{Q}"),
    http(f"POST {CIRCLE}/invite-preview", NOBODY, "not_found", on="{Q}", body={"invite": "{public_invite}"}),
    http(f"POST {CIRCLE}/invite-preview", NOBODY, "invalid", on="{Q}", body={"invite": "not a token"}),
    # activities
    http(f"POST {CIRCLE}/activities", "alice", "forbidden", on="{P}", body=NEW_ACTIVITY),
    http(f"POST {CIRCLE}/activities", "owner", "invalid", on="{P}", body={**NEW_ACTIVITY, "ends_at": "{early}"}),
    http(f"POST {CIRCLE}/activities", "eve", "not_found", on="{Q}", body=NEW_ACTIVITY),
    http(f"GET {CIRCLE}/activities", "eve", "not_found", on="{Q}"),
    http(f"GET {CIRCLE}/activities", "alice", "invalid", on="{P}", params={"when": "soon"}),
    http("GET /api/me/activities", "alice", "invalid", params={"when": "soon"}),
    http("GET /api/me/activities", NOBODY, "unauthorized"),
    http("GET /api/me/hosting", "alice", "invalid", params={"when": "soon"}),
    http("GET /api/me/hosting", NOBODY, "unauthorized"),
    http(f"GET {ACT}", "eve", "not_found", on="{Qa}"),
    http(f"PATCH {ACT}", "alice", "forbidden", on="{A}", body={"title": "Mine now"}),
    http(f"PATCH {ACT}", "owner", "conflict", on="{A}", body=MOVE, reason="deadline_after_start"),
    http(f"PATCH {ACT}", "owner", "conflict", on="{A}", body={"capacity": 1, "title": "Smaller"}, reason="capacity_below_taken"),
    http(f"PATCH {ACT}", "owner", "conflict", on="{A}", body={"ends_at": "{early}", "title": "Past"}, reason="ends_before_start"),
    http(f"PATCH {ACT}", "owner", "conflict", on="{M}", body={"price": {"amount": 900, "currency": "EUR"}, "title": "Dearer"}, reason="price_locked"),
    http(f"PATCH {ACT}", "owner", "invalid", on="{A}", body={"starts_at": None, "title": "Null start"}),
    http(f"PATCH {ACT}", "owner", "invalid", on="{A}", body={"location": None, "title": "Null place"}),
    http(f"PATCH {ACT}", "owner", "invalid", on="{A}", body={"capacity": None, "title": "Null seats"}),
    http(f"PATCH {ACT}", "owner", "invalid", on="{A}", body={"status": "open", "title": "Mass assignment"}),
    http(f"PATCH {ACT}", "eve", "not_found", on="{Qa}", body={"title": "x"}),
    http(f"POST {ACT}/cancel", "alice", "forbidden", on="{A}", body={}),
    http(f"POST {ACT}/cancel", "owner", "invalid", on="{A}", body={"reason": 5}),
    http(f"POST {ACT}/cancel", "eve", "not_found", on="{Qa}", body={}),
    http(f"GET {ACT}/attendees", "alice", "forbidden", on="{A}"),
    http(f"GET {ACT}/ticket", "wendy", "forbidden", on="{A}"),
    http(f"GET {ACT}/ticket.svg", "alice", "conflict", on="{A}", params={"code": "forged"}, reason="invalid_code"),
    http(f"POST {ACT}/checkin", "alice", "forbidden", on="{A}", body={"code": "x"}),
    http(f"POST {ACT}/checkin", "owner", "conflict", on="{A}", body={"code": "garbage"}, reason="invalid_code"),
    http(f"POST {ACT}/checkin", "owner", "conflict", on="{T}", body=alice_ticket_for_t, reason="already_checked_in"),
    http(f"POST {ACT}/checkin/user", "alice", "forbidden", on="{A}", body={"user_id": "{bob_id}"}),
    http(f"POST {ACT}/checkin/user", "eve", "not_found", on="{Qa}", body={"user_id": "{alice_id}"}),
    http(f"POST {ACT}/checkin/user", "owner", "conflict", on="{A}", body={"user_id": "{eve_id}"}, reason="not_signed_up"),
    http(f"POST {ACT}/checkin/user", "owner", "conflict", on="{A}", body={"user_id": "{wendy_id}"}, reason="not_confirmed"),
    http(f"POST {ACT}/checkin/user", "owner", "invalid", on="{A}", body={"user_id": {"$gt": ""}}),
    http(f"POST {ACT}/checkin/undo", "alice", "forbidden", on="{T}", body={"user_id": "{alice_id}"}),
    http(f"POST {ACT}/checkin/undo", "owner", "conflict", on="{A}", body={"user_id": "{wendy_id}"}, reason="not_checked_in"),
    http(f"POST {ACT}/checkin/undo", "owner", "conflict", on="{T}", body={"user_id": "{eve_id}"}, reason="not_signed_up"),
    http(f"GET {ACT}/going", "eve", "forbidden", on="{A}"),
    http(f"GET {ACT}/going", "eve", "not_found", on="{Qa}"),
    http(f"GET {ACT}/calendar.ics", NOBODY, "unauthorized", on="{A}"),
    http(f"GET {ACT}/calendar.ics", NOBODY, "not_found", on="{A}", params={"key": "forged"}),
    # share links (the share pages and posters under /s/ are pages, not API routes: they
    # write nothing; tests/test_share_pages.py and test_share_posters.py drive their refusals)
    http(f"GET {ACT}/share", NOBODY, "unauthorized", on="{A}"),
    http(f"GET {ACT}/share", "eve", "not_found", on="{Qa}"),
    http(f"GET {ACT}/share", "eve", "not_found", on="{nosuch}"),
    # notifications
    http("GET /api/notifications", "alice", "invalid", params={"unread": "maybe"}),
    http("POST /api/notifications/read", "alice", "invalid", body={}),
    http("POST /api/notifications/read", "alice", "invalid", body={"ids": ["$gt"]}),
    # payments
    http(f"POST {ACT}/payment", "alice", "conflict", on="{A}", body={"provider": "manual"}, reason="no_hold"),
    http(f"POST {ACT}/payment", "carol", "invalid", on="{M}", body={"provider": "paypal"}),
    http(f"POST {ACT}/payment", "eve", "not_found", on="{Qa}", body={"provider": "manual"}),
    http(f"GET {PAY}", "eve", "not_found", on="{pm}"),
    http(f"POST {PAY}/proof", "owner", "forbidden", on="{pm}", body={"reference": "REF1"}),
    http(f"POST {PAY}/proof", "dave", "conflict", on="{ps}", body={"reference": "REF1"}, reason="wrong_provider"),
    http(f"POST {PAY}/proof", "eve", "not_found", on="{pm}", body={"reference": "REF1"}),
    http(f"POST {PAY}/proof", "carol", "invalid", on="{pm}", body={}),
    http(f"POST {PAY}/confirm", "carol", "forbidden", on="{pm}", body={}),
    http(f"POST {PAY}/confirm", "owner", "conflict", on="{ps}", body={}, reason="wrong_provider"),
    http(f"POST {PAY}/confirm", "owner", "invalid", on="{pm}", body={"amount": 1}),
    http(f"POST {PAY}/reject", "carol", "forbidden", on="{pm}", body={}),
    http(f"POST {PAY}/reject", "eve", "not_found", on="{pm}", body={}),
    http(f"POST {PAY}/refunded", "carol", "forbidden", on="{pm}", body={}),
    http(f"POST {PAY}/refunded", "owner", "conflict", on="{ps}", body={}, reason="wrong_provider"),
    http(f"GET {ACT}/payments", "alice", "forbidden", on="{M}"),
    http("POST /api/payments/webhook/{provider}", NOBODY, "bad_request", on="sandbox", body=_webhook_event("pm")),
    http("POST /api/payments/webhook/{provider}", NOBODY, "bad_request", on="sandbox", body=_webhook_event("ps"), headers=(("Circles-Signature", "t=1,v1=00"),)),
    http("POST /api/payments/webhook/{provider}", NOBODY, "invalid", on="sandbox", body={"id": "evt_bad"}, signed=True),
    http("POST /api/payments/webhook/{provider}", NOBODY, "not_found", on="paypal", body=_webhook_event("ps"), signed=True),
    http("GET /api/payments/providers", NOBODY, "unauthorized"),
    http(f"POST {PAY}/sandbox/complete", NOBODY, "unauthorized", on="{ps}", body={}),
    http(f"POST {PAY}/sandbox/complete", "owner", "forbidden", on="{ps}", body={}),
    http(f"POST {PAY}/sandbox/complete", "eve", "not_found", on="{ps}", body={}),
    http(f"POST {PAY}/sandbox/complete", "carol", "conflict", on="{pm}", body={}, reason="wrong_provider"),
    http(f"POST {PAY}/sandbox/complete", "dave", "conflict", on="{ps}", body={}, reason="not_payable"),
    # Socket.IO events
    sio("conversations", "alice", "invalid", {"x": 1}),
    sio("message:send", "eve", "not_found", {"conversation_id": "{convP}", "client_id": "r1", "text": "hi"}),
    sio("message:send", "eve", "not_found", {"conversation_id": "{dm}", "client_id": "r2", "text": "hi"}),
    sio("message:send", "alice", "invalid", {"conversation_id": "{convP}", "client_id": "r3", "text": "   "}),
    sio("message:edit", "bob", "forbidden", {"message_id": "{msg}", "text": "mine"}),
    sio("message:edit", "alice", "invalid", {"message_id": "{msg}", "text": ""}),
    sio("message:delete", "bob", "forbidden", {"message_id": "{msg}"}),
    sio("message:delete", "eve", "not_found", {"message_id": "{msg}"}),
    sio("history", "eve", "not_found", {"conversation_id": "{convQ}"}),
    sio("sync", "eve", "not_found", {"conversation_id": "{convQ}", "since_rev": 0}),
    sio("sync", "alice", "invalid", {"conversation_id": "{convP}", "since_rev": -1}),
    sio("read", "eve", "not_found", {"conversation_id": "{convP}", "seq": 1}),
    sio("read", "alice", "invalid", {"conversation_id": "{convP}", "seq": -1}),
    sio("typing", "eve", "not_found", {"conversation_id": "{convP}"}),
    sio("dm:open", "alice", "invalid", {"user_id": "{alice_id}"}),
    sio("dm:open", "eve", "forbidden", {"user_id": "{alice_id}"}),
    sio("dm:open", "alice", "not_found", {"user_id": "{nosuch}"}),
    sio("activity:signup", "eve", "conflict", {"activity_id": "{X}"}, reason="activity_cancelled"),
    sio("activity:signup", "eve", "not_found", {"activity_id": "{Qa}"}),
    sio("activity:signup", "alice", "invalid", {"activity_id": 5}),
    sio("activity:cancel", "alice", "conflict", {"activity_id": "{T}"}, reason="already_checked_in"),
    sio("activity:cancel", "eve", "conflict", {"activity_id": "{A}"}, reason="not_signed_up"),
    sio("activity:accept_offer", "wendy", "conflict", {"activity_id": "{A}"}, reason="no_offer"),
    sio("activity:decline_offer", "alice", "conflict", {"activity_id": "{A}"}, reason="no_offer"),
    sio("activity:reconfirm", "eve", "conflict", {"activity_id": "{A}", "going": True}, reason="not_signed_up"),
    sio("activity:reconfirm", "alice", "invalid", {"activity_id": "{A}", "going": "yes"}),
    # replies, reactions, pins (issue 11)
    sio("message:send", "alice", "invalid", {"conversation_id": "{convP}", "client_id": "r4", "text": "re", "reply_to": "{nosuch}"}),
    sio("message:send", "alice", "invalid", {"conversation_id": "{convP}", "client_id": "r5", "text": "", "attachments": ["u1", "u1"]}),
    sio("reaction:add", "eve", "not_found", {"message_id": "{msg}", "emoji": "👍"}),
    sio("reaction:add", "bob", "invalid", {"message_id": "{msg}", "emoji": "nice"}),
    sio("reaction:remove", "eve", "not_found", {"message_id": "{msg}", "emoji": "👍"}),
    sio("message:pin", "bob", "forbidden", {"message_id": "{msg}"}),
    sio("message:pin", "eve", "not_found", {"message_id": "{msg}"}),
    sio("message:unpin", "bob", "forbidden", {"message_id": "{msg}"}),
    sio("pins", "eve", "not_found", {"conversation_id": "{convQ}"}),
    # uploads and search
    http("POST /api/uploads", "eve", "not_found", params={"conversation_id": "{convQ}"}),
    http("POST /api/uploads", "alice", "invalid", params={"conversation_id": "{convQ}"}, body={"file": "not multipart"}),
    http("POST /api/uploads", NOBODY, "unauthorized", params={"conversation_id": "{convQ}"}),
    http("GET /api/uploads/{id}", "eve", "not_found", on="{nosuch}"),
    http("GET /api/uploads/{id}/thumbnail", "alice", "not_found", on="{nosuch}"),
    http("GET /api/search", "eve", "not_found", params={"q": "hi", "conversation_id": "{convQ}"}),
    http("GET /api/search", "alice", "invalid", params={"q": "!!!"}),
    http("GET /api/search", "alice", "invalid", params={"q": "hi", "cursor": "$gt"}),
    # discovery and following (issue 12)
    http("GET /api/activities", "eve", "not_found", params={"circle": "{Q}"}),
    http("GET /api/activities", "alice", "invalid", params={"radius_km": "5"}),
    http("GET /api/activities", "alice", "invalid", params={"cursor": "bm90IGEgY3Vyc29y"}),
    http("GET /api/activities", NOBODY, "unauthorized"),
    http("GET /api/discover", "alice", "invalid", params={"near": "95,10"}),
    http("GET /api/discover", NOBODY, "unauthorized"),
    http("POST /api/circles/{id}/follow", "eve", "not_found", on="{Q}"),
    http("DELETE /api/circles/{id}/follow", "eve", "not_found", on="{Q}"),
    http("GET /api/me/following", NOBODY, "unauthorized"),
    http("POST /api/activities/{id}/push", "bob", "forbidden", on="{A}"),
    http("POST /api/activities/{id}/push", "eve", "not_found", on="{Qa}"),
    # referral attribution and the circle page (issue 12, items 5 and 8)
    http("GET /api/activities/{id}/referrals", "bob", "forbidden", on="{A}"),
    http("GET /api/activities/{id}/referrals", "eve", "not_found", on="{Qa}"),
    http("GET /api/circles/{id}/referrals", "bob", "forbidden", on="{P}"),
    http("GET /api/circles/{id}/referrals", "eve", "not_found", on="{Q}"),
    http("GET /api/circles/{id}/page", "eve", "not_found", on="{Q}"),
    http("GET /api/circles/{id}/page", NOBODY, "unauthorized", on="{P}"),
    http("POST /api/circles/{id}/join", "eve", "invalid", on="{P}", body={"ref": "$gt"}),
    http("POST /api/circles/{id}/join", "eve", "invalid", on="{P}", body={"ref": "x", "ch": "sms"}),
    sio("activity:signup", "eve", "invalid", {"activity_id": "{A}", "ch": "carrier-pigeon"}),
    # circle posts and member profiles (issue 12, items 6 and 7)
    http("GET /api/circles/{id}/posts", "eve", "not_found", on="{Q}"),
    http("GET /api/circles/{id}/posts", "alice", "invalid", on="{P}", params={"cursor": "-1"}),
    http("GET /api/circles/{id}/posts", NOBODY, "unauthorized", on="{P}"),
    http("POST /api/circles/{id}/posts", "alice", "forbidden", on="{P}", body={"text": "members may not post yet"}),
    http("POST /api/circles/{id}/posts", "eve", "not_found", on="{Q}", body={"text": "hi"}),
    http("POST /api/circles/{id}/posts", "owner", "invalid", on="{P}", body={"text": "  "}),
    http("POST /api/circles/{id}/posts", "owner", "invalid", on="{P}", body={"text": "t", "images": ["{nosuch}"]}),
    http("POST /api/circles/{id}/posts", "owner", "invalid", on="{P}", body={"text": "t", "activity_id": "{Qa}"}),
    http("PUT /api/circles/{id}/posts/settings", "alice", "forbidden", on="{P}", body={"members_can_post": True}),
    http("PUT /api/circles/{id}/posts/settings", "eve", "not_found", on="{Q}", body={"members_can_post": True}),
    http("PUT /api/circles/{id}/posts/settings", "owner", "invalid", on="{P}", body={"members_can_post": "yes"}),
    http("GET /api/users/{id}/posts", "alice", "not_found", on="{nosuch}"),
    http("GET /api/users/{id}/posts", "alice", "invalid", on="{bob_id}", params={"cursor": "x"}),
    http("GET /api/posts/{id}", "alice", "not_found", on="{nosuch}"),
    http("DELETE /api/posts/{id}", "alice", "not_found", on="{nosuch}"),
    http("PUT /api/posts/{id}/like", "alice", "not_found", on="{nosuch}"),
    http("DELETE /api/posts/{id}/like", "alice", "not_found", on="{nosuch}"),
    http("GET /api/posts/{id}/comments", "alice", "not_found", on="{nosuch}"),
    http("POST /api/posts/{id}/comments", "alice", "not_found", on="{nosuch}", body={"text": "hi"}),
    http("POST /api/posts/{id}/comments", "alice", "invalid", on="{nosuch}", body={"text": ""}),
    http("DELETE /api/posts/{id}/comments/{comment_id}", "alice", "not_found", on="{nosuch}"),
    http("GET /api/users/{id}/profile", "alice", "not_found", on="{nosuch}"),
    http("GET /api/users/{id}/profile", NOBODY, "unauthorized", on="{alice_id}"),
    http("GET /api/users/by-handle/{handle}", "alice", "not_found", on="{nosuch}"),
    http("PATCH /api/me/profile", "alice", "invalid", body={"display_name": ""}),
    http("PATCH /api/me/profile", "alice", "invalid", body={"avatar_url": "https://evil.example/a.png"}),
    http("PUT /api/me/avatar", "alice", "invalid", body={"upload_id": "{nosuch}"}),
    http("DELETE /api/me/avatar", NOBODY, "unauthorized"),
    http("POST /api/uploads", "eve", "not_found", params={"circle_id": "{Q}"}),
    http("POST /api/uploads", "alice", "forbidden", params={"circle_id": "{P}"}),
    http("POST /api/uploads", "alice", "invalid", params={"circle_id": "{P}", "purpose": "avatar"}),
    # roles and moderation (issue 14 items 1-2, server/moderation/)
    http(f"GET {CIRCLE}/permissions", "eve", "forbidden", on="{P}"),
    http(f"GET {CIRCLE}/permissions", "eve", "not_found", on="{Q}"),
    http(f"PUT {CIRCLE}/roles", "alice", "forbidden", on="{P}", body={"user_id": "{bob_id}", "role": "moderator"}),
    http(f"PUT {CIRCLE}/roles", "owner", "invalid", on="{P}", body={"user_id": "{bob_id}", "role": "owner"}),
    http(f"PUT {CIRCLE}/roles", "owner", "conflict", on="{P}", body={"user_id": "{eve_id}", "role": "member"}, reason="not_member"),
    http(f"PUT {CIRCLE}/roles", "eve", "not_found", on="{Q}", body={"user_id": "{alice_id}", "role": "member"}),
    http(f"POST {CIRCLE}/transfer", "alice", "forbidden", on="{P}", body={"user_id": "{bob_id}"}),
    http(f"POST {CIRCLE}/transfer", "owner", "conflict", on="{P}", body={"user_id": "{eve_id}"}, reason="not_member"),
    http(f"POST {CIRCLE}/mute", "alice", "forbidden", on="{P}", body={"user_id": "{bob_id}", "seconds": 60}),
    http(f"POST {CIRCLE}/mute", "owner", "invalid", on="{P}", body={"user_id": "{bob_id}", "seconds": 0}),
    http(f"POST {CIRCLE}/mute", "owner", "conflict", on="{P}", body={"user_id": "{eve_id}", "seconds": 60}, reason="not_member"),
    http(f"POST {CIRCLE}/unmute", "owner", "conflict", on="{P}", body={"user_id": "{bob_id}"}, reason="not_muted"),
    http(f"POST {CIRCLE}/kick", "alice", "forbidden", on="{P}", body={"user_id": "{bob_id}"}),
    http(f"POST {CIRCLE}/kick", "owner", "forbidden", on="{P}", body={"user_id": "{owner_id}"}),
    http(f"POST {CIRCLE}/kick", "eve", "not_found", on="{Q}", body={"user_id": "{alice_id}"}),
    http(f"POST {CIRCLE}/ban", "alice", "forbidden", on="{P}", body={"user_id": "{eve_id}"}),
    http(f"POST {CIRCLE}/ban", "owner", "not_found", on="{P}", body={"user_id": "{nosuch}"}),
    http(f"POST {CIRCLE}/ban", "owner", "invalid", on="{P}", body={"user_id": {"$gt": ""}}),
    http(f"POST {CIRCLE}/unban", "owner", "conflict", on="{P}", body={"user_id": "{eve_id}"}, reason="not_banned"),
    http(f"GET {CIRCLE}/bans", "alice", "forbidden", on="{P}"),
    http(f"GET {CIRCLE}/audit", "alice", "forbidden", on="{P}"),
    http(f"GET {CIRCLE}/audit", "eve", "not_found", on="{Q}"),
    http(f"GET {CIRCLE}/audit", "owner", "invalid", on="{P}", params={"limit": "0"}),
    http(f"PUT {CIRCLE}/slow-mode", "alice", "forbidden", on="{P}", body={"seconds": 10}),
    http(f"PUT {CIRCLE}/slow-mode", "owner", "invalid", on="{P}", body={"seconds": -1}),
    http(f"GET {CIRCLE}/rules", "eve", "not_found", on="{Q}"),
    http(f"PUT {CIRCLE}/rules", "alice", "forbidden", on="{P}", body={"text": "mine"}),
    http(f"PUT {CIRCLE}/rules", "owner", "invalid", on="{P}", body={"text": 5}),
    http(f"POST {CIRCLE}/rules/accept", "alice", "conflict", on="{P}", body={"version": "v1"}, reason="no_rules"),
    http(f"POST {CIRCLE}/rules/accept", "eve", "forbidden", on="{P}", body={"version": "v1"}),
    http(f"POST {CIRCLE}/invites/revoke", "alice", "forbidden", on="{P}", body={}),
    http(f"POST {CIRCLE}/invites/revoke", "eve", "not_found", on="{Q}", body={}),
    # join approval and blocks (issue 14 item 4: moderation/joins*.py, blocks*.py)
    http(f"PUT {CIRCLE}/join-approval", "alice", "forbidden", on="{P}", body={"required": True}),
    http(f"PUT {CIRCLE}/join-approval", "owner", "invalid", on="{P}", body={"required": True, "questions": ["a?", "b?", "c?", "d?", "e?", "f?"]}),
    http(f"PUT {CIRCLE}/join-approval", "eve", "not_found", on="{Q}", body={"required": False}),
    http(f"POST {CIRCLE}/join-requests", "eve", "conflict", on="{P}", body={}, reason="approval_not_required"),
    http(f"POST {CIRCLE}/join-requests", "alice", "conflict", on="{P}", body={}, reason="already_member"),
    http(f"POST {CIRCLE}/join-requests", "eve", "not_found", on="{Q}", body={}),
    http(f"POST {CIRCLE}/join-requests", "eve", "invalid", on="{P}", body={"answers": "yes"}),
    http(f"GET {CIRCLE}/join-requests", "alice", "forbidden", on="{P}"),
    http(f"GET {CIRCLE}/join-requests", "eve", "not_found", on="{Q}"),
    http(f"GET {CIRCLE}/join-requests/mine", "eve", "not_found", on="{Q}"),
    http(f"DELETE {CIRCLE}/join-requests/mine", "eve", "not_found", on="{P}"),
    http(f"POST {CIRCLE}/join-requests/approve", "alice", "forbidden", on="{P}", body={"user_id": "{eve_id}"}),
    http(f"POST {CIRCLE}/join-requests/approve", "owner", "not_found", on="{P}", body={"user_id": "{eve_id}"}),
    http(f"POST {CIRCLE}/join-requests/approve", "owner", "invalid", on="{P}", body={"user_id": {"$gt": ""}}),
    http(f"POST {CIRCLE}/join-requests/decline", "alice", "forbidden", on="{P}", body={"user_id": "{eve_id}"}),
    http(f"POST {CIRCLE}/join-requests/decline", "eve", "not_found", on="{Q}", body={"user_id": "{alice_id}"}),
    http("POST /api/me/blocks", "alice", "invalid", body={"user_id": "{alice_id}"}),
    http("POST /api/me/blocks", "alice", "not_found", body={"user_id": "{nosuch}"}),
    http("POST /api/me/blocks", NOBODY, "unauthorized", body={"user_id": "{bob_id}"}),
    http("GET /api/me/blocks", NOBODY, "unauthorized"),
    http("DELETE /api/me/blocks/{id}", NOBODY, "unauthorized", on="{bob_id}"),
    http(f"PUT {CIRCLE}/newcomers", "alice", "forbidden", on="{P}", body={"link_hours": 24}),
    http(f"PUT {CIRCLE}/newcomers", "owner", "invalid", on="{P}", body={"link_hours": -1}),
    http(f"PUT {CIRCLE}/newcomers", "eve", "not_found", on="{Q}", body={"link_hours": 0}),
    http(f"GET {CIRCLE}/holds", "alice", "forbidden", on="{P}"),
    http(f"GET {CIRCLE}/holds", "eve", "not_found", on="{Q}"),
    http(f"POST {CIRCLE}/holds/{{hold_id}}/approve", "alice", "forbidden", on="{P}", body={}),
    http(f"POST {CIRCLE}/holds/{{hold_id}}/approve", "owner", "not_found", on="{P}", body={}),
    http(f"POST {CIRCLE}/holds/{{hold_id}}/decline", "eve", "not_found", on="{Q}", body={}),
    http(f"POST {CIRCLE}/holds/{{hold_id}}/decline", "owner", "invalid", on="{P}", body={"reason": 5}),
    # organiser verification and payout details (server/trust/)
    http("POST /api/me/verification", "alice", "invalid", body={"legal_name": "Alice A", "document_type": "passport", "document_number": "ab", "upload_id": "{nosuch}"}),
    http("POST /api/me/verification", "alice", "invalid", body={"legal_name": "Alice A", "document_type": "passport", "document_number": "AB123456", "upload_id": "{nosuch}"}),
    http("GET /api/me/verification", NOBODY, "unauthorized"),
    http("GET /api/admin/verifications", "alice", "forbidden"),
    http("GET /api/admin/verifications/{id}", "alice", "forbidden", on="{nosuch}"),
    http("GET /api/admin/verifications/{id}/image", "alice", "forbidden", on="{nosuch}"),
    http("POST /api/admin/verifications/{id}/review", "alice", "forbidden", on="{nosuch}", body={"decision": "approved"}),
    http("POST /api/admin/verifications/{id}/review", "alice", "invalid", on="{nosuch}", body={"decision": "maybe"}),
    http("GET /api/users/{id}/trust", NOBODY, "unauthorized", on="{alice_id}"),
    http("GET /api/circles/{id}/trust", "eve", "not_found", on="{Q}"),
    http("PUT /api/circles/{id}/payout-account", "alice", "forbidden", on="{P}", body={"holder_name": "Alice A", "iban": "DE89370400440532013000"}),
    http("PUT /api/circles/{id}/payout-account", "owner", "invalid", on="{P}", body={"holder_name": "Owner O", "iban": "DE89370400440532013001"}),
    http("PUT /api/circles/{id}/payout-account", "eve", "not_found", on="{Q}", body={"holder_name": "Eve E", "platform": "paypal", "handle": "eve"}),
    http("GET /api/circles/{id}/payout-account", "alice", "forbidden", on="{P}"),
    http("GET /api/circles/{id}/payout-account", "eve", "not_found", on="{Q}"),
    http("DELETE /api/circles/{id}/payout-account", "alice", "forbidden", on="{P}"),
    http("GET /api/circles/{id}/payout-statement", "alice", "forbidden", on="{P}", params={"from": "2026-01-01", "to": "2026-01-31"}),
    http("GET /api/circles/{id}/payout-statement", "owner", "invalid", on="{P}", params={"from": "2026-02-01", "to": "2026-01-31"}),
    http("GET /api/circles/{id}/payout-statement.csv", "eve", "not_found", on="{Q}", params={"from": "2026-01-01", "to": "2026-01-31"}),
    # member reports and the review queue (issue 14 item 3: moderation/report*.py)
    http(f"POST {CIRCLE}/reports", "eve", "forbidden", on="{P}", body={"kind": "message", "target_id": "{msg}", "reason": "spam"}),
    http(f"POST {CIRCLE}/reports", "eve", "not_found", on="{Q}", body={"kind": "member", "target_id": "{alice_id}", "reason": "spam"}),
    http(f"POST {CIRCLE}/reports", "alice", "forbidden", on="{P}", body={"kind": "message", "target_id": "{msg}", "reason": "spam"}),
    http(f"POST {CIRCLE}/reports", "bob", "invalid", on="{P}", body={"kind": "message", "target_id": "{msg}", "reason": "rude"}),
    http(f"POST {CIRCLE}/reports", "bob", "conflict", on="{P}", body={"kind": "member", "target_id": "{eve_id}", "reason": "spam"}, reason="not_member"),
    http(f"POST {CIRCLE}/reports", NOBODY, "unauthorized", on="{P}", body={"kind": "message", "target_id": "{msg}", "reason": "spam"}),
    http(f"GET {CIRCLE}/reports", "alice", "forbidden", on="{P}"),
    http(f"GET {CIRCLE}/reports", "eve", "not_found", on="{Q}"),
    http(f"GET {CIRCLE}/reports", "owner", "invalid", on="{P}", params={"limit": "0"}),
    http(f"GET {CIRCLE}/reports/{{item_id}}", "alice", "forbidden", on="{P}"),
    http(f"GET {CIRCLE}/reports/{{item_id}}", "owner", "not_found", on="{P}"),
    http(f"POST {CIRCLE}/reports/decision", "alice", "forbidden", on="{P}", body={"item_id": "{nosuch}", "action": "dismiss"}),
    http(f"POST {CIRCLE}/reports/decision", "eve", "not_found", on="{Q}", body={"item_id": "{nosuch}", "action": "dismiss"}),
    http(f"POST {CIRCLE}/reports/decision", "owner", "not_found", on="{P}", body={"item_id": "{nosuch}", "action": "dismiss"}),
    http(f"POST {CIRCLE}/reports/decision", "owner", "invalid", on="{P}", body={"item_id": "{nosuch}", "action": "pardon"}),
    # organiser reports: activity report, circle revenue and ledger CSV (issue 13, items 1, 3)
    http("GET /api/activities/{id}/report", "bob", "forbidden", on="{A}"),
    http("GET /api/activities/{id}/report", "eve", "not_found", on="{Qa}"),
    http("GET /api/activities/{id}/report", NOBODY, "unauthorized", on="{A}"),
    http("GET /api/circles/{id}/revenue", "alice", "forbidden", on="{P}"),
    http("GET /api/circles/{id}/revenue", "eve", "not_found", on="{Q}"),
    http("GET /api/circles/{id}/revenue", NOBODY, "unauthorized", on="{P}"),
    http("GET /api/circles/{id}/revenue/ledger.csv", "alice", "forbidden", on="{Q}"),
    http("GET /api/circles/{id}/revenue/ledger.csv", "eve", "not_found", on="{Q}"),
    http("GET /api/circles/{id}/revenue/ledger.csv", NOBODY, "unauthorized", on="{P}"),
    # the circle report from the daily rollups (issue 13, items 2, 6)
    http("GET /api/circles/{id}/report", "alice", "forbidden", on="{P}"),
    http("GET /api/circles/{id}/report", "eve", "forbidden", on="{P}"),
    http("GET /api/circles/{id}/report", "eve", "not_found", on="{Q}"),
    http("GET /api/circles/{id}/report", NOBODY, "unauthorized", on="{P}"),
    http("GET /api/circles/{id}/report", "owner", "invalid", on="{P}", params={"period": "year"}),
    # member lifecycle and RFM (issue 13, item 4)
    http("GET /api/circles/{id}/members/lifecycle", "alice", "forbidden", on="{P}"),
    http("GET /api/circles/{id}/members/lifecycle", "eve", "forbidden", on="{P}"),
    http("GET /api/circles/{id}/members/lifecycle", "eve", "not_found", on="{Q}"),
    http("GET /api/circles/{id}/members/lifecycle", NOBODY, "unauthorized", on="{P}"),
    http("GET /api/circles/{id}/members/lifecycle", "owner", "invalid", on="{P}", params={"stage": "sleepy"}),
    http("GET /api/circles/{id}/members/lifecycle", "owner", "invalid", on="{P}", params={"limit": "501"}),
    http("PUT /api/circles/{id}/lifecycle", "alice", "forbidden", on="{P}", body={"new_days": 14, "cooling_days": 14, "silent_days": 30, "churned_days": 60}),
    http("PUT /api/circles/{id}/lifecycle", "eve", "not_found", on="{Q}", body={"new_days": 14, "cooling_days": 14, "silent_days": 30, "churned_days": 60}),
    http("PUT /api/circles/{id}/lifecycle", NOBODY, "unauthorized", on="{P}", body={"new_days": 14, "cooling_days": 14, "silent_days": 30, "churned_days": 60}),
    http("PUT /api/circles/{id}/lifecycle", "owner", "invalid", on="{P}", body={"new_days": 14, "cooling_days": 30, "silent_days": 30, "churned_days": 60}),
    # member tags and outreach (issue 13, items 4-5)
    http("PUT /api/circles/{id}/members/{user_id}/tags", "alice", "forbidden", on="{P}", body={"tags": ["x"]}),
    http("PUT /api/circles/{id}/members/{user_id}/tags", "eve", "not_found", on="{Q}", body={"tags": ["x"]}),
    http("PUT /api/circles/{id}/members/{user_id}/tags", NOBODY, "unauthorized", on="{P}", body={"tags": ["x"]}),
    http("PUT /api/circles/{id}/members/{user_id}/tags", "owner", "not_found", on="{P}", body={"tags": ["x"]}),  # the user is not a member
    http("PUT /api/circles/{id}/members/{user_id}/tags", "owner", "invalid", on="{P}", body={"tags": ["Not A Slug"]}),
    http("POST /api/circles/{id}/outreach", "alice", "forbidden", on="{P}", body={"kind": "dm", "text": "x", "segment": "lost"}),
    http("POST /api/circles/{id}/outreach", "eve", "not_found", on="{Q}", body={"kind": "dm", "text": "x", "segment": "lost"}),
    http("POST /api/circles/{id}/outreach", NOBODY, "unauthorized", on="{P}", body={"kind": "dm", "text": "x", "segment": "lost"}),
    http("POST /api/circles/{id}/outreach", "owner", "invalid", on="{P}", body={"kind": "dm", "text": "x"}),
    http("GET /api/circles/{id}/outreach", "alice", "forbidden", on="{P}"),
    http("GET /api/circles/{id}/outreach", "eve", "not_found", on="{Q}"),
    http("GET /api/circles/{id}/outreach", NOBODY, "unauthorized", on="{P}"),
]
# fmt: on

# Routes and events with nothing to refuse, each with the reason. None so far: every route
# needs a session, a key or a valid body, and every event a payload.
NOT_REFUSABLE: dict[str, str] = {}


def _name(c: Case) -> str:
    return f"{c.route} as {c.who}: {c.reason or c.expect}"


_seen: Counter[str] = Counter()
for _i, _c in enumerate(CASES):
    _seen[_name(_c)] += 1
    object.__setattr__(_c, "id", f"{_name(_c)} #{_seen[_name(_c)]}")
