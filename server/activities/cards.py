"""Pure rendering: the activity as wire model, as a chat card, and its change notices."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from server.activities.models import Activity, Entry
from server.activities.schemas import (
    ActivityOut,
    LocationOut,
    PriceOut,
    SignupOut,
)


def activity_out(a: Activity, now: datetime, calendar_url: str) -> ActivityOut:
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


def _when(t: datetime) -> str:
    return t.strftime("%a %d %b %Y %H:%M UTC")


def describe_changes(before: Activity, after: Activity) -> dict[str, dict[str, str]]:
    """The material changes (time or place), old -> new, in words."""
    changes: dict[str, dict[str, str]] = {}
    if before.starts_at != after.starts_at:
        changes["starts_at"] = {"from": _when(before.starts_at), "to": _when(after.starts_at)}
    if before.ends_at != after.ends_at:
        changes["ends_at"] = {"from": _when(before.ends_at), "to": _when(after.ends_at)}
    if before.location != after.location:

        def place(a: Activity) -> str:
            return a.location.name + (f", {a.location.address}" if a.location.address else "")

        changes["location"] = {"from": place(before), "to": place(after)}
    return changes


LABELS = {"starts_at": "Start", "ends_at": "End", "location": "Place"}


def change_notice(title: str, changes: dict[str, dict[str, str]]) -> str:
    parts = [f"{LABELS[k]}: {v['from']} → {v['to']}" for k, v in changes.items()]
    return f"“{title}” changed. " + "; ".join(parts) + ". Please re-confirm on the card."
