"""Socket.IO events for sign-ups: parse -> one service call -> the caller's sign-up."""

from __future__ import annotations

from pydantic import BaseModel

from server.activities import cards, rules
from server.activities.engine import Applied
from server.activities.schemas import ActivityRef, ReconfirmIn, SignupEnvelope
from server.activities.service import ActivityService
from server.core import clock
from server.core.ratelimit import Budget
from server.core.schemas import Id
from server.realtime.events import Call, Event, EventTable
from server.referrals.fields import ReferralFields


class SignupIn(ReferralFields):
    """``activity:signup``: the activity, and the share link it came from (``ref``, ``ch``)."""

    activity_id: Id


# Every sign-up change rewrites the activity and re-sends its card to the whole circle: the five
# events share one per-user budget, so toggling sign-up and cancel cannot flood a circle.
SIGNUP = Budget("signup", per_minute=30, burst=10)


def _signup(applied: Applied, user_id: str) -> BaseModel:
    a = applied.activity
    return SignupEnvelope(signup=cards.signup_out(a, a.entries[user_id]))


def handlers(activities: ActivityService) -> EventTable:
    async def signup(call: Call) -> BaseModel:
        d: SignupIn = call.data  # type: ignore[assignment]
        applied = await activities.signup(call.who.user, d.activity_id, d.via())
        return _signup(applied, call.who.user.id)

    async def cancel(call: Call) -> BaseModel:
        d: ActivityRef = call.data  # type: ignore[assignment]
        applied = await activities.change(
            call.who.user, d.activity_id, lambda a, u: rules.cancel(a, u, clock.now())
        )
        return _signup(applied, call.who.user.id)

    async def accept(call: Call) -> BaseModel:
        d: ActivityRef = call.data  # type: ignore[assignment]
        applied = await activities.change(
            call.who.user, d.activity_id, lambda a, u: rules.accept_offer(a, u, clock.now())
        )
        return _signup(applied, call.who.user.id)

    async def decline(call: Call) -> BaseModel:
        d: ActivityRef = call.data  # type: ignore[assignment]
        applied = await activities.change(
            call.who.user, d.activity_id, lambda a, u: rules.decline_offer(a, u, clock.now())
        )
        return _signup(applied, call.who.user.id)

    async def reconfirm(call: Call) -> BaseModel:
        d: ReconfirmIn = call.data  # type: ignore[assignment]
        applied = await activities.change(
            call.who.user, d.activity_id, lambda a, u: rules.reconfirm(a, u, d.going, clock.now())
        )
        return _signup(applied, call.who.user.id)

    return {
        "activity:signup": Event(SignupIn, signup, SIGNUP),
        "activity:cancel": Event(ActivityRef, cancel, SIGNUP),
        "activity:accept_offer": Event(ActivityRef, accept, SIGNUP),
        "activity:decline_offer": Event(ActivityRef, decline, SIGNUP),
        "activity:reconfirm": Event(ReconfirmIn, reconfirm, SIGNUP),
    }
