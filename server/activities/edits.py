"""Pure: an organiser's edit (PATCH) applied to an activity, with its checks and effects."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from server.activities import cards, rules
from server.activities.models import Activity, Effect, Location, Price
from server.activities.schemas import PatchActivityIn
from server.core.errors import Conflict


def apply(a: Activity, data: PatchActivityIn, now: datetime) -> list[Effect]:
    """Apply ``data`` to ``a`` (a draft: it may be left half-edited when a check refuses)."""
    fields = data.model_dump(exclude_unset=True)
    before = dataclasses.replace(a)  # shallow: time and place are replaced below, not mutated
    starts = data.starts_at or a.starts_at
    ends = data.ends_at or a.ends_at
    if ends <= starts:
        raise Conflict("ends_before_start", "ends_at must be after starts_at")
    if "price" in fields and any(e.payment_id for e in a.entries.values()):
        raise Conflict("price_locked", "the price cannot change once anyone has paid")
    effects: list[Effect] = []
    if data.capacity is not None and data.capacity != a.capacity:
        effects += rules.set_capacity(a, data.capacity, now)
    for name in ("title", "description", "category", "tags", "refund_cutoff_hours"):
        if fields.get(name) is not None:
            setattr(a, name, getattr(data, name))
    if data.payment_review_hours is not None:  # for transfer references sent from now on
        a.payment_review_hours = data.payment_review_hours
    a.starts_at, a.ends_at = starts, ends
    if a.starts_at < before.starts_at:
        effects += rules.start_moved_earlier(a, now)
    if data.location is not None:
        loc = data.location
        a.location = Location(loc.name, loc.address, loc.lat, loc.lng)
    if "price" in fields:  # null: the activity becomes free (docs/protocol.md)
        a.price = Price(data.price.amount, data.price.currency) if data.price else None
    if data.signup_deadline is not None:
        a.signup_deadline = data.signup_deadline
    elif data.starts_at is not None and before.signup_deadline == before.starts_at:
        a.signup_deadline = a.starts_at  # the default deadline follows the start
    if a.signup_deadline > a.starts_at:
        raise Conflict("deadline_after_start", "signup_deadline must not be after start")
    changes = cards.describe_changes(before, a)
    if changes:
        effects += rules.material_change(a, now, changes)
    return effects
