"""Pure: what an organiser is told about their activity, found by comparing two states.

Every change of a sign-up (whichever rule made it: a sign-up, a cancellation, an offer made,
accepted, declined or expired, a hold running out, a re-confirmation) shows as a difference
between the state a commit replaced and the state it stored, so the organiser's notices need
no hook in each rule. They are sent as digests (NotificationService.digest): one notification
per (organiser, activity, kind) and window, whatever the number of happenings in it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.activities.models import Activity

# kind -> (one, many): "3 new sign-ups for Tuesday run"
NOUNS = {
    "host_signup": ("new sign-up", "new sign-ups"),
    "host_cancelled": ("cancellation", "cancellations"),
    "host_waitlist_moved": ("seat offered from the waitlist", "seats offered from the waitlist"),
    "host_offer_accepted": ("offer accepted", "offers accepted"),
    "host_offer_lapsed": ("offer passed on", "offers passed on"),
    "host_reconfirmed": ("re-confirmation", "re-confirmations"),
}
VERBS = {
    "seated": "signed up",
    "waitlisted": "joined the waitlist",
    "cancelled": "cancelled",
    "not_going": "cannot come after the change",
    "hold_expired": "did not pay in time",
    "offered": "got a freed seat offered",
    "accepted": "took the offered seat",
    "declined": "declined the offered seat",
    "expired": "let the offer expire",
    "reconfirmed": "re-confirmed",
}


@dataclass(frozen=True)
class HostEvent:
    kind: str  # a key of NOUNS
    user_id: str  # who did it
    detail: str  # a key of VERBS


def _lapsed(old: dict[str, Any], key: str, now: datetime) -> bool:
    t = old.get(key)
    return isinstance(t, datetime) and t <= now


def host_events(before: dict[str, Any], after: Activity, now: datetime) -> list[HostEvent]:
    """What changed for the organiser between ``before`` (the stored form of the replaced
    state) and ``after``. An activity being cancelled is the organiser's own doing: nothing."""
    if after.cancelled:
        return []
    old_entries: dict[str, dict[str, Any]] = before.get("entries") or {}
    found: list[HostEvent] = []
    for uid, e in after.entries.items():
        if uid == after.organiser_id:
            continue
        old = old_entries.get(uid) or {}
        was = old.get("status")
        event: tuple[str, str] | None = None
        if was == e.status:
            if old.get("reconfirm_pending") and not e.reconfirm_pending and e.reconfirmed_at:
                event = ("host_reconfirmed", "reconfirmed")
        elif was in (None, "cancelled") and e.status in ("confirmed", "pending_payment"):
            event = ("host_signup", "seated")
        elif was in (None, "cancelled") and e.status == "waitlisted":
            event = ("host_signup", "waitlisted")
        elif was == "waitlisted" and e.status == "offered":
            event = ("host_waitlist_moved", "offered")
        elif was == "offered" and e.status in ("confirmed", "pending_payment"):
            event = ("host_offer_accepted", "accepted")
        elif was == "offered" and e.status == "cancelled":
            expired = _lapsed(old, "offer_expires_at", now)
            event = ("host_offer_lapsed", "expired" if expired else "declined")
        elif e.status == "cancelled" and was != "attended":
            if was == "pending_payment" and _lapsed(old, "hold_expires_at", now):
                event = ("host_cancelled", "hold_expired")
            else:
                event = (
                    "host_cancelled",
                    "not_going" if old.get("reconfirm_pending") else "cancelled",
                )
        if event is not None:
            found.append(HostEvent(event[0], uid, event[1]))
    return found


def _names(names: list[str], more: int) -> str:
    if more > 0:
        return ", ".join(names) + f" and {more} other" + ("s" if more > 1 else "")
    return ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]


def render(
    kind: str, activity_title: str, count: int, first: list[dict[str, Any]]
) -> tuple[str, str, dict[str, Any]]:
    """A digest's title, body and data from its count and first happenings (oldest first)."""
    one, many = NOUNS[kind]
    title = f"{count} {one if count == 1 else many} for {activity_title}"
    by_verb: dict[str, list[str]] = {}
    for e in first:
        by_verb.setdefault(str(e.get("detail")), []).append(str(e.get("name") or "Someone"))
    parts = []
    unnamed = count - len(first)
    for i, (detail, names) in enumerate(by_verb.items()):
        last = i == len(by_verb) - 1
        parts.append(f"{_names(names, unnamed if last else 0)} {VERBS.get(detail, detail)}")
    body = "; ".join(parts) + "." if parts else ""
    people = [{"user_id": e.get("user_id"), "detail": e.get("detail")} for e in first]
    return title, body, {"people": people}


Rendered = tuple[str, str, dict[str, Any]]


def digests(
    a: Activity, found: list[HostEvent], names: dict[str, str]
) -> list[tuple[str, list[tuple[str, dict[str, Any]]], Callable[[int, list[Any]], Rendered]]]:
    """This commit's happenings grouped by digest kind: ``(kind, events, render)``. Each
    happening's id names the committed version, so a happening is counted once."""
    by_kind: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for e in found:
        fields = {"user_id": e.user_id, "name": names.get(e.user_id), "detail": e.detail}
        by_kind.setdefault(e.kind, []).append((f"{a.id}:{a.version}:{e.user_id}", fields))
    title = a.title
    where = {"activity_id": a.id, "circle_id": a.circle_id}

    def renderer(kind: str) -> Callable[[int, list[Any]], Rendered]:
        def draw(count: int, first: list[Any]) -> Rendered:
            heading, body, data = render(kind, title, count, first)
            return heading, body, {**where, **data}

        return draw

    return [(kind, events, renderer(kind)) for kind, events in by_kind.items()]
