"""Outreach: the organiser acts on a segment (issue 13, item 5). A DM to each member, an
invitation to an activity (a card in each DM) or an announcement card in the circle told to each;
every send is recorded with its recipients and counted (reached, read, signed up afterwards).

Owners/admins only, like the reports the segments come from. The send is stored first with its
recipients, then each delivery is recorded once after its message is stored, so a retry with the
same ``client_id`` resumes where a failure stopped and never reaches anyone twice (the DM and
card writes are themselves idempotent on keys derived from the send and the recipient).
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import datetime

from server.accounts.models import Principal, User
from server.activities.models import Activity
from server.activities.service import ActivityService
from server.core import clock
from server.core.errors import Forbidden, Invalid, NotFound
from server.core.ids import new_id
from server.dm.service import DmService
from server.messages.service import MessageService
from server.notifications.models import Notifier
from server.outreach.cards import announcement_card, invite_card
from server.outreach.repository import Delivery, Outreach, OutreachRepository
from server.outreach.schemas import (
    AudienceOut,
    OutreachEnvelope,
    OutreachIn,
    OutreachListOut,
    OutreachOut,
    SenderOut,
)
from server.reports import access
from server.reports.lifecycle import LifecycleService
from server.reports.lifecycle_schemas import LifecycleQuery
from server.reports.service import ReportService
from server.rooms.models import Circle
from server.rooms.service import CircleService

SIGNED_UP = ("confirmed", "waitlisted", "offered", "pending_payment", "attended")
LISTED = 50  # sends listed, newest first
PARALLEL = 8  # deliveries in flight at once


def _invalid(field: str, why: str) -> Invalid:
    return Invalid("the input failed validation", {"fields": {field: why}})


def _key(*parts: str) -> str:
    """A short stable key (client ids are at most 64 characters)."""
    return "o" + hashlib.blake2b(":".join(parts).encode(), digest_size=16).hexdigest()


class OutreachService:
    def __init__(
        self,
        repo: OutreachRepository,
        circles: CircleService,
        lifecycle: LifecycleService,
        reports: ReportService,
        activities: ActivityService,
        dms: DmService,
        messages: MessageService,
        notifier: Notifier,
    ) -> None:
        self._repo = repo
        self._circles = circles
        self._lifecycle = lifecycle
        self._reports = reports
        self._activities = activities
        self._dms = dms
        self._messages = messages
        self._notifier = notifier

    # sending -----------------------------------------------------------------------------

    async def send(self, who: Principal, circle_id: str, body: OutreachIn) -> OutreachEnvelope:
        user = who.user
        circle = await access.require_circle_reader(self._circles, user, circle_id)
        activity = await self._invited(circle_id, body)
        recipients = await self._audience(user, circle_id, body)
        oid = _key(circle_id, user.id, body.client_id) if body.client_id else new_id()
        o = await self._repo.insert(
            Outreach(
                id=oid,
                circle_id=circle_id,
                kind=body.kind,
                text=body.text,
                activity_id=activity.id if activity else None,
                activity_title=activity.title if activity else None,
                stage=body.stage,
                segment=body.segment,
                tag=body.tag,
                by_ids=body.user_ids is not None,
                sent_by=user.id,
                sent_by_name=user.display_name,
                sent_at=clock.now(),
                recipients=tuple(recipients),
            )
        )
        if o.circle_id != circle_id or o.sent_by != user.id:
            raise _invalid("client_id", "already used for another send")
        await self._deliver(who, circle, o, activity)
        return OutreachEnvelope(outreach=await self._out(user, o))

    async def _invited(self, circle_id: str, body: OutreachIn) -> Activity | None:
        if body.kind != "invite":
            if body.activity_id is not None:
                raise _invalid("activity_id", "only an invite names an activity")
            return None
        if body.activity_id is None:
            raise _invalid("activity_id", "required for an invite")
        a = await self._activities.state(body.activity_id)
        if a is None or a.circle_id != circle_id:
            raise _invalid("activity_id", "not an activity of this circle")
        if a.cancelled:
            raise _invalid("activity_id", "the activity is cancelled")
        if a.starts_at <= clock.now():
            raise _invalid("activity_id", "the activity has started")
        return a

    async def _audience(self, user: User, circle_id: str, body: OutreachIn) -> list[str]:
        filters = {"stage": body.stage, "segment": body.segment, "tag": body.tag}
        given = [name for name, value in filters.items() if value is not None]
        if body.user_ids is not None:
            if given:
                raise _invalid(given[0], "give user_ids or filters, not both")
            ids = list(dict.fromkeys(body.user_ids))
            if user.id in ids:
                raise _invalid("user_ids", "cannot include you")
            roles = await asyncio.gather(*(self._circles.role_of(circle_id, i) for i in ids))
            if any(r is None for r in roles):
                raise _invalid("user_ids", "not all are members of this circle")
            return ids
        if not given:
            raise _invalid("user_ids", "required without stage, segment or tag")
        q = LifecycleQuery(stage=body.stage, segment=body.segment, tag=body.tag)
        ids = [i for i in await self._lifecycle.matching(circle_id, q) if i != user.id]
        if not ids:
            raise _invalid(given[0], "no member matches")
        return ids

    async def _deliver(
        self, who: Principal, circle: Circle, o: Outreach, activity: Activity | None
    ) -> None:
        done = await self._repo.deliveries(o.id)
        todo = [u for u in o.recipients if u not in done]
        if not todo:
            return
        posted = None
        if o.kind == "announcement":
            card = announcement_card(o.id, o.text)
            posted = await self._messages.post(
                circle.conversation_id, who.user, "card", o.text, card, key=_key(o.id)
            )
        gate = asyncio.Semaphore(PARALLEL)

        async def one(uid: str) -> None:
            async with gate:
                if posted is not None:
                    title = f"Announcement in {circle.name}"
                    data = {
                        "circle_id": circle.id,
                        "conversation_id": circle.conversation_id,
                        "message_id": posted.id,
                    }
                    await self._notifier.notify(
                        uid, "announcement", title, o.text[:140], data, key=_key(o.id, uid)
                    )
                    d = Delivery(uid, True, None, circle.conversation_id, posted.id, posted.seq)
                else:
                    d = await self._direct(who, o, activity, uid)
                await self._repo.record(o.id, d)

        await asyncio.gather(*(one(u) for u in todo))

    async def _direct(
        self, who: Principal, o: Outreach, activity: Activity | None, uid: str
    ) -> Delivery:
        """A DM (or an invite card in it) from the sender to one member."""
        try:
            conv = await self._dms.open(who.user, uid, None)
            if activity is None:
                m = await self._messages.send(who, conv.id, _key(o.id, uid), o.text)
            else:
                card = invite_card(activity, o.text)
                fallback = f"{o.text}\n\nYou're invited: {activity.title}"
                m = await self._messages.post(
                    conv.id, who.user, "card", fallback, card, key=_key(o.id, uid)
                )
        except Forbidden:  # a block either way, or no longer sharing a circle
            return Delivery(uid, False, "unreachable", None, None, None)
        except NotFound:  # the account is gone
            return Delivery(uid, False, "gone", None, None, None)
        return Delivery(uid, True, None, conv.id, m.id, m.seq)

    # reading -----------------------------------------------------------------------------

    async def sends(self, user: User, circle_id: str) -> OutreachListOut:
        await access.require_circle_reader(self._circles, user, circle_id)
        sends = sorted(await self._repo.of_circle(circle_id), key=lambda o: o.sent_at)
        newest = sends[::-1][:LISTED]
        activities = await self._reports.circle_activities(user, circle_id)
        return OutreachListOut(outreach=[await self._out(user, o, activities) for o in newest])

    async def _out(
        self, user: User, o: Outreach, activities: list[Activity] | None = None
    ) -> OutreachOut:
        if activities is None:
            activities = await self._reports.circle_activities(user, o.circle_id)
        deliveries = await self._repo.deliveries(o.id)
        reached = [d for d in deliveries.values() if d.delivered]
        positions = await asyncio.gather(
            *(self._messages.read_position(d.conversation_id or "", d.user_id) for d in reached)
        )
        read = sum(1 for d, at in zip(reached, positions, strict=True) if at >= (d.seq or 0))
        return OutreachOut(
            id=o.id,
            circle_id=o.circle_id,
            kind=o.kind,
            text=o.text,
            activity_id=o.activity_id,
            activity_title=o.activity_title,
            audience=AudienceOut(
                stage=o.stage,
                segment=o.segment,
                tag=o.tag,
                user_ids=o.by_ids,
            ),
            sent_by=SenderOut(id=o.sent_by, display_name=o.sent_by_name),
            sent_at=o.sent_at,
            recipients=len(o.recipients),
            delivered=len(reached),
            skipped=sum(1 for d in deliveries.values() if not d.delivered),
            read=read,
            signed_up=_signed_up(o, activities),
        )


def _signed_up(o: Outreach, activities: list[Activity]) -> int:
    """Recipients with a sign-up made at or after the send: for the invited activity, or any of
    the circle's for a message or an announcement."""
    chosen = [a for a in activities if o.activity_id is None or a.id == o.activity_id]
    who: set[str] = set()
    for a in chosen:
        for e in a.entries.values():
            if e.status in SIGNED_UP and _after(e.created_at, o.sent_at):
                who.add(e.user_id)
    return len(who & set(o.recipients))


def _after(at: datetime, sent_at: datetime) -> bool:
    return at >= sent_at
