"""Pure: what an activity notification says, with its times as structured values.

No server-written text carries a clock time: a server cannot know the reader's zone. A
notification's ``body`` is a plain fallback without times; the times travel in ``data``
(``times`` by name, with ``template`` naming them as ``{name}``; ``{{`` and ``}}`` are literal
braces), or ``changes`` for an edit), and
clients render them in the reader's locale and zone (docs/protocol.md, Notifications).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from server.activities import cards
from server.activities.models import Activity, Effect


@dataclass(frozen=True)
class Notice:
    title: str
    body: str  # the fallback: no times
    data: dict[str, Any] = field(default_factory=dict)  # template/times or changes


def _timed(title: str, body: str, template: str, **times: datetime) -> Notice:
    return Notice(
        title,
        body,
        {"template": template, "times": {k: cards.iso(v) for k, v in times.items()}},
    )


def for_effect(a: Activity, effect: Effect) -> Notice | None:
    """The attendee's notification for ``effect``, or None when it is not told."""
    t = a.title
    match effect.kind:
        case "signup_confirmed":
            return _timed(
                f"You're in: {t}",
                "See you there.",
                "See you on {starts_at}.",
                starts_at=a.starts_at,
            )
        case "waitlisted":
            pos = a.waitlist_position(effect.user_id)
            return Notice(f"Waitlisted: {t}", f"You are number {pos} on the waitlist.")
        case "offer":
            until = effect.data.get("offer_expires_at")
            if not isinstance(until, datetime):
                return Notice(f"A seat opened up: {t}", "Claim it soon.")
            return _timed(
                f"A seat opened up: {t}",
                "Claim it soon: the offer is open for a limited time.",
                "Claim it before {offer_expires_at}.",
                offer_expires_at=until,
            )
        case "offer_expired":
            return Notice(f"Offer expired: {t}", "The seat went to the next person waiting.")
        case "hold_expired":
            return Notice(f"Seat released: {t}", "The payment did not arrive in time.")
        case "activity_changed":
            changes = list(effect.data.get("changes", []))
            return Notice(
                f"Changed: {t}",
                cards.change_notice(t, changes),
                {"changes": changes, "action": "activity:reconfirm"},
            )
        case "activity_cancelled":
            reason = effect.data.get("reason") or ""
            return Notice(f"Cancelled: {t}", reason or "The organiser cancelled this activity.")
    return None


def reminder(a: Activity, when: str) -> Notice:
    """The 24 h / 1 h reminder: the start time as a value, the place in words."""
    return _timed(
        f"Reminder: {a.title} starts in {when}",
        f"At {a.location.name}.",
        "{starts_at} at " + a.location.name.replace("{", "{{").replace("}", "}}"),
        starts_at=a.starts_at,
    )
