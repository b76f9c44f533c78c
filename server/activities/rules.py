"""Pure sign-up rules: each function changes an ``Activity`` in memory and returns effects.

No I/O here. The engine loads the document, applies these functions, and stores the result with a
compare-and-set on ``version``; a lost race re-runs them on the fresh state, so every decision
below is made on a consistent snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from server.activities.models import SEATED, Activity, Effect, Entry
from server.core.errors import Conflict, Forbidden

Effects = list[Effect]


def _require_open_for_signup(a: Activity, now: datetime) -> None:
    if a.cancelled:
        raise Conflict("activity_cancelled", "the activity was cancelled")
    if now >= a.signup_deadline:
        raise Conflict("signups_closed", "sign-ups are closed")


def _seat(a: Activity, e: Entry, now: datetime) -> Effects:
    """Give ``e`` a seat: confirmed when free, pending_payment (held) when paid."""
    e.waitlist_no = None
    e.offer_expires_at = None
    e.updated_at = now
    if a.paid:
        e.status = "pending_payment"
        e.hold_expires_at = now + timedelta(minutes=a.hold_minutes)
        return [Effect("payment_required", e.user_id, {"hold_expires_at": e.hold_expires_at})]
    e.status = "confirmed"
    e.hold_expires_at = None
    return [Effect("signup_confirmed", e.user_id)]


def signup(a: Activity, user_id: str, now: datetime) -> Effects:
    """Sign up, or return the existing active sign-up unchanged (idempotent)."""
    existing = a.entries.get(user_id)
    if existing is not None and existing.status != "cancelled":
        return []
    _require_open_for_signup(a, now)
    seat_free = a.seats_taken < a.capacity and a.waitlist_count == 0
    e = existing or Entry(user_id=user_id, status="cancelled", created_at=now, updated_at=now)
    a.entries[user_id] = e
    e.reconfirm_pending = False
    e.payment_id = None
    if seat_free:
        return _seat(a, e, now)
    e.status = "waitlisted"
    e.waitlist_no = a.next_waitlist_no
    a.next_waitlist_no += 1
    e.updated_at = now
    return [Effect("waitlisted", user_id)]


def check_signup(a: Activity, user_id: str, now: datetime) -> None:
    """Raise what ``signup`` would refuse, changing nothing (for a step taken before it)."""
    existing = a.entries.get(user_id)
    if existing is None or existing.status == "cancelled":
        _require_open_for_signup(a, now)


def _entry(a: Activity, user_id: str) -> Entry:
    e = a.entries.get(user_id)
    if e is None:
        raise Conflict("not_signed_up", "you have not signed up")
    return e


def _release(a: Activity, e: Entry, now: datetime) -> None:
    e.status = "cancelled"
    e.waitlist_no = None
    e.offer_expires_at = None
    e.hold_expires_at = None
    e.reconfirm_pending = False
    e.updated_at = now


def cancel(a: Activity, user_id: str, now: datetime) -> Effects:
    """Withdraw; a freed seat goes to the first person waiting. Cancelling twice is a no-op."""
    e = _entry(a, user_id)
    if e.status == "cancelled":
        return []
    if e.status == "attended":
        raise Conflict("already_checked_in", "you were already checked in")
    effects: Effects = []
    refundable = now <= a.starts_at - timedelta(hours=a.refund_cutoff_hours)
    if e.status == "confirmed" and e.payment_id is not None and refundable:
        effects.append(
            Effect(
                "refund_due", user_id, {"payment_id": e.payment_id, "reason": "attendee_cancelled"}
            )
        )
    _release(a, e, now)
    return effects + promote(a, now)


def promote(a: Activity, now: datetime) -> Effects:
    """Offer every free seat to the first people still waiting, once each."""
    effects: Effects = []
    if a.cancelled or now >= a.starts_at:
        return effects
    waiting = sorted(
        (e for e in a.entries.values() if e.status == "waitlisted"),
        key=lambda e: e.waitlist_no or 0,
    )
    for e in waiting:
        if a.seats_taken >= a.capacity:
            break
        e.status = "offered"
        e.waitlist_no = None
        e.offer_expires_at = min(now + timedelta(minutes=a.offer_window_minutes), a.starts_at)
        e.updated_at = now
        effects.append(Effect("offer", e.user_id, {"offer_expires_at": e.offer_expires_at}))
    return effects


def accept_offer(a: Activity, user_id: str, now: datetime) -> Effects:
    e = _entry(a, user_id)
    if e.status != "offered":
        raise Conflict("no_offer", "there is no open offer for you")
    if e.offer_expires_at is not None and now >= e.offer_expires_at:
        raise Conflict("offer_expired", "the offer expired")
    if a.cancelled:
        raise Conflict("activity_cancelled", "the activity was cancelled")
    return _seat(a, e, now)


def decline_offer(a: Activity, user_id: str, now: datetime) -> Effects:
    e = _entry(a, user_id)
    if e.status != "offered":
        raise Conflict("no_offer", "there is no open offer for you")
    _release(a, e, now)
    return promote(a, now)


def reconfirm(a: Activity, user_id: str, going: bool, now: datetime) -> Effects:
    """After a material change: ``going`` keeps the place, otherwise it is released."""
    e = _entry(a, user_id)
    if e.status in ("cancelled", "attended"):
        raise Conflict("not_signed_up", "you have no active sign-up")
    if not going:
        return cancel(a, user_id, now)
    e.reconfirm_pending = False
    e.reconfirmed_at = now
    e.updated_at = now
    return []


def expire(a: Activity, now: datetime) -> Effects:
    """Expire offers and unpaid holds whose time has come, then pass the seats on. Also stamp a
    passed sign-up deadline, so the change is stored and the card re-rendered as closed."""
    effects: Effects = []
    if now >= a.signup_deadline and a.deadline_swept != a.signup_deadline:
        a.deadline_swept = a.signup_deadline
    for e in a.entries.values():
        if e.status == "offered" and e.offer_expires_at and now >= e.offer_expires_at:
            _release(a, e, now)
            effects.append(Effect("offer_expired", e.user_id))
        elif e.status == "pending_payment" and e.hold_expires_at and now >= e.hold_expires_at:
            _release(a, e, now)
            effects.append(Effect("hold_expired", e.user_id, {"payment_id": e.payment_id}))
    return effects + (promote(a, now) if effects else [])


def set_capacity(a: Activity, capacity: int, now: datetime) -> Effects:
    if capacity < a.seats_taken:
        raise Conflict(
            "capacity_below_taken",
            "capacity cannot go below the seats taken",
            seats_taken=a.seats_taken,
        )
    a.capacity = capacity
    return promote(a, now)


def material_change(a: Activity, now: datetime, changes: Sequence[Mapping[str, str]]) -> Effects:
    """Everyone confirmed or waiting is asked to re-confirm."""
    effects: Effects = []
    a.ics_sequence += 1
    for e in a.entries.values():
        if e.status in (*SEATED, "waitlisted"):
            e.reconfirm_pending = True
            e.updated_at = now
            effects.append(Effect("activity_changed", e.user_id, {"changes": changes}))
    return effects


def cancel_activity(a: Activity, reason: str, now: datetime) -> Effects:
    if a.cancelled:
        return []
    a.cancelled = True
    a.cancel_reason = reason
    a.ics_sequence += 1
    effects: Effects = []
    for e in a.entries.values():
        if e.status == "cancelled":
            continue
        if e.payment_id is not None and e.status in ("confirmed", "attended"):
            effects.append(
                Effect(
                    "refund_due",
                    e.user_id,
                    {"payment_id": e.payment_id, "reason": "activity_cancelled"},
                )
            )
        _release(a, e, now)
        effects.append(Effect("activity_cancelled", e.user_id, {"reason": reason}))
    return effects


def check_in(a: Activity, user_id: str, now: datetime) -> Effects:
    e = a.entries.get(user_id)
    if e is None or e.status not in ("confirmed", "attended"):
        raise Conflict("not_confirmed", "this person has no confirmed seat")
    if e.status == "attended":
        raise Conflict("already_checked_in", "already checked in")
    e.status = "attended"
    e.checked_in_at = now
    e.updated_at = now
    return [Effect("checked_in", user_id)]


def require_confirmed(a: Activity, user_id: str) -> Entry:
    e = a.entries.get(user_id)
    if e is None or e.status not in ("confirmed", "attended"):
        raise Forbidden("only confirmed attendees have a ticket")
    return e


def attach_payment(a: Activity, user_id: str, payment_id: str, now: datetime) -> Effects:
    """Record which payment pays for a held seat. A new payment gets no more than a normal hold:
    a review window won by another payment's transfer reference does not carry over."""
    e = a.entries.get(user_id)
    if e is None or e.status != "pending_payment":
        raise Conflict("no_hold", "there is no held seat to pay for")
    if e.hold_expires_at is not None and now >= e.hold_expires_at:
        raise Conflict("hold_expired", "the hold on your seat expired")
    if e.payment_id is not None and e.payment_id != payment_id:
        normal = now + timedelta(minutes=a.hold_minutes)
        e.hold_expires_at = min(e.hold_expires_at or normal, normal)
    e.payment_id = payment_id
    e.updated_at = now
    return []


def hold_for_review(
    a: Activity, user_id: str, payment_id: str, started_at: datetime, now: datetime
) -> Effects:
    """A transfer reference arrived for the payment holding the seat: hold the seat until the
    organiser's review window (counted from when the payment was started, so sending the
    reference again does not extend it) ends, never past the start. A hold that already ran out,
    or a seat held for another payment, is left alone: the organiser can still confirm late."""
    e = a.entries.get(user_id)
    if e is None or e.status != "pending_payment" or e.payment_id != payment_id:
        return []
    if e.hold_expires_at is None or now >= e.hold_expires_at or a.cancelled:
        return []
    review_ends = min(started_at + timedelta(hours=a.payment_review_hours), a.starts_at)
    if review_ends > e.hold_expires_at:
        e.hold_expires_at = review_ends
        e.updated_at = now
    return []


def start_moved_earlier(a: Activity, now: datetime) -> Effects:
    """The start was brought forward: no seat stays held for payment, and no offer stays open,
    past the new start (both were capped at the old one). The sweep expires the holds, the
    payments and the offers at their new time as usual."""
    for e in a.entries.values():
        if e.status == "pending_payment" and e.hold_expires_at and e.hold_expires_at > a.starts_at:
            e.hold_expires_at = a.starts_at
            e.updated_at = now
        elif e.status == "offered" and e.offer_expires_at and e.offer_expires_at > a.starts_at:
            e.offer_expires_at = a.starts_at
            e.updated_at = now
    return []


def payment_rejected(a: Activity, user_id: str, payment_id: str, now: datetime) -> Effects:
    """The organiser rejected the payment holding this seat. The sign-up stays
    ``pending_payment`` (PROTOCOL §4) so the payer can pay again, but a review window the
    reference won shrinks back to an ordinary hold from now (never longer than it was); the seat
    is released at its expiry as usual. A hold that already ran out is left to the sweep."""
    e = a.entries.get(user_id)
    if e is None or e.status != "pending_payment" or e.payment_id != payment_id:
        return []
    if e.hold_expires_at is None or now >= e.hold_expires_at:
        return []
    normal = now + timedelta(minutes=a.hold_minutes)
    if normal < e.hold_expires_at:
        e.hold_expires_at = normal
        e.updated_at = now
    return []


def payment_succeeded(
    a: Activity, user_id: str, payment_id: str, now: datetime, reseat: bool = False
) -> Effects:
    """Confirm the held seat; if the seat is no longer held, the payment must be refunded.
    With ``reseat`` (an organiser confirming a late transfer) a seat that is free and wanted by
    nobody waiting is given back instead, until the activity ends."""
    e = a.entries.get(user_id)
    if e is not None and e.status in ("confirmed", "attended") and e.payment_id == payment_id:
        return []  # already confirmed by this payment
    refund = [Effect("refund_due", user_id, {"payment_id": payment_id, "reason": "seat_gone"})]
    if a.cancelled:
        return refund
    if e is None or e.status != "pending_payment":
        free = a.seats_taken < a.capacity and a.waitlist_count == 0 and now < a.ends_at
        if not (reseat and free and (e is None or e.status == "cancelled")):
            return refund
        if e is None:
            e = Entry(user_id=user_id, status="cancelled", created_at=now, updated_at=now)
            a.entries[user_id] = e
        e.reconfirm_pending = False
    e.status = "confirmed"
    e.payment_id = payment_id
    e.hold_expires_at = None
    e.waitlist_no = None
    e.offer_expires_at = None
    e.updated_at = now
    return [Effect("paid_confirmed", user_id, {"payment_id": payment_id})]
