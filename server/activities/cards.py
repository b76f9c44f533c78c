"""Pure rendering: the activity as wire model, as a chat card, and its change notices."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from server.accounts.models import User
from server.activities.models import Activity, Entry
from server.activities.schemas import (
    ActivityOut,
    GoingOut,
    LocationOut,
    PersonOut,
    PriceOut,
    SignupOut,
)

# Who is going, as names and avatars: the first this many, in sign-up order, and the total.
GOING_SHOWN = 50


def activity_out(
    a: Activity, now: datetime, calendar_url: str, organiser_verified: bool = False
) -> ActivityOut:
    return ActivityOut(
        id=a.id,
        circle_id=a.circle_id,
        organiser_id=a.organiser_id,
        title=a.title,
        description=a.description,
        category=a.category,
        tags=a.tags,
        starts_at=a.starts_at,
        ends_at=a.ends_at,
        location=LocationOut(
            name=a.location.name, address=a.location.address, lat=a.location.lat, lng=a.location.lng
        ),
        capacity=a.capacity,
        price=PriceOut(amount=a.price.amount, currency=a.price.currency) if a.price else None,
        signup_deadline=a.signup_deadline,
        offer_window_minutes=a.offer_window_minutes,
        refund_cutoff_hours=a.refund_cutoff_hours,
        payment_review_hours=a.payment_review_hours,
        status=a.status_at(now),
        confirmed_count=a.confirmed_count,
        held_count=a.held_count,
        waitlist_count=a.waitlist_count,
        card_message_id=a.card_message_id,
        calendar_url=calendar_url,
        version=a.version,
        cancel_reason=a.cancel_reason,
        created_at=a.created_at,
        updated_at=a.updated_at,
        organiser_verified=organiser_verified,
    )


def signup_out(a: Activity, e: Entry) -> SignupOut:
    return SignupOut(
        activity_id=a.id,
        user_id=e.user_id,
        status=e.status,
        waitlist_position=a.waitlist_position(e.user_id),
        offer_expires_at=e.offer_expires_at if e.status == "offered" else None,
        hold_expires_at=e.hold_expires_at if e.status == "pending_payment" else None,
        payment_id=e.payment_id,
        reconfirm_pending=e.reconfirm_pending,
        reconfirmed_at=e.reconfirmed_at,
        checked_in_at=e.checked_in_at,
        created_at=e.created_at,
        updated_at=e.updated_at,
    )


def going_ids(a: Activity) -> list[str]:
    """Everyone with a confirmed seat (checked in or not), in sign-up order."""
    going = [e for e in a.entries.values() if e.status in ("confirmed", "attended")]
    return [e.user_id for e in sorted(going, key=lambda e: (e.created_at, e.user_id))]


def _person(u: User) -> PersonOut:
    return PersonOut(id=u.id, display_name=u.display_name, handle=u.handle, avatar_url=u.avatar_url)


def going_out(a: Activity, users: dict[str, User]) -> GoingOut:
    ids = going_ids(a)
    organiser = users.get(a.organiser_id)
    return GoingOut(
        organiser=_person(organiser) if organiser else None,
        going=[_person(users[i]) for i in ids[:GOING_SHOWN] if i in users],
        going_count=len(ids),
    )


def card(a: Activity, now: datetime) -> dict[str, Any]:
    """The card carried by the activity's chat message; equal to the activity's state."""
    out = activity_out(a, now, "").model_dump(mode="json")
    keys = (
        "title",
        "starts_at",
        "ends_at",
        "location",
        "capacity",
        "confirmed_count",
        "held_count",
        "waitlist_count",
        "price",
        "status",
        "version",
    )
    return {"type": "activity", "activity_id": a.id, **{k: out[k] for k in keys}}


def iso(t: datetime) -> str:
    """A time as it travels on the wire (UTC, milliseconds, ``Z``): clients render it in the
    reader's own zone, so no server-written text carries a clock time (docs/protocol.md)."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


Change = dict[str, str]
TIME_FIELDS = ("starts_at", "ends_at")


def describe_changes(before: Activity, after: Activity) -> list[Change]:
    """The material changes (time or place): ``{field, from, to}``, times as ISO values."""
    changes: list[Change] = []
    for name in TIME_FIELDS:
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            changes.append({"field": name, "from": iso(old), "to": iso(new)})
    if before.location != after.location:

        def place(a: Activity) -> str:
            return a.location.name + (f", {a.location.address}" if a.location.address else "")

        changes.append({"field": "location", "from": place(before), "to": place(after)})
    return changes


WHAT = {"starts_at": "the start time", "ends_at": "the end time", "location": "the place"}


def change_notice(title: str, changes: list[Change]) -> str:
    """The plain fallback of a change notice: what changed, in words, never a clock time (the
    times travel as ISO values beside it, for the reader's zone)."""
    parts = [
        WHAT[c["field"]] + (f" ({c['from']} → {c['to']})" if c["field"] == "location" else "")
        for c in changes
    ]
    what = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    return f"“{title}” changed: {what}. Please re-confirm on the card."


def change_card(a: Activity, changes: list[Change]) -> dict[str, Any]:
    """The structured part of a change notice (a ``system`` message's ``card``)."""
    return {
        "type": "activity_changed",
        "activity_id": a.id,
        "title": a.title,
        "changes": changes,
    }
