"""Socket.IO events for sign-ups: parse -> one service call -> the caller's sign-up."""

from __future__ import annotations

from pydantic import BaseModel

from server.activities import cards, rules
from server.activities.engine import Applied
from server.activities.schemas import ActivityRef, ReconfirmIn, SignupEnvelope
from server.activities.service import ActivityService
from server.core import clock
from server.realtime.events import Call, Event, EventTable


def _signup(applied: Applied, user_id: str) -> BaseModel:
    a = applied.activity
    return SignupEnvelope(signup=cards.signup_out(a, a.entries[user_id]))


def handlers(activities: ActivityService) -> EventTable:
    async def signup(call: Call) -> BaseModel:
        d: ActivityRef = call.data  # type: ignore[assignment]
        return _signup(await activities.signup(call.who.user, d.activity_id), call.who.user.id)

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
        "activity:signup": Event(ActivityRef, signup),
        "activity:cancel": Event(ActivityRef, cancel),
        "activity:accept_offer": Event(ActivityRef, accept),
        "activity:decline_offer": Event(ActivityRef, decline),
        "activity:reconfirm": Event(ReconfirmIn, reconfirm),
    }
