"""Carrying out the demo history's plan (seed_plan.py) through the real services, in the past.

Every step is what a client's request would have called: joins and leaves, messages (replies
quoting their question) and reactions, activities, sign-ups, cancellations and offers, payments
(the sandbox checkout and its refund webhook, manual transfers with their reference and the
organiser's confirmation), door check-ins, so everything stored has its real shape. The services
stamp times with ``clock.now()``; the seed moves ``clock.travel``'s cursor to each step's time
(the smallest honest way: no service grows a "when" parameter only the seed would use).

What a running server does in the background is done at its time too: the sweeper (reminders,
expiries) before each activity, the member notices after joins and leaves, and the report
rollups' sweep around each leave (a leave is dated when a sweep sees it, so it is seen at its
time). The caller brings the rollups current at the end (seed.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from datetime import datetime
from typing import Any

from server.accounts.models import Principal
from server.activities import rules
from server.activities.schemas import CreateActivityIn
from server.container import Container
from server.core import clock
from server.core.errors import DomainError
from server.rooms.models import Circle
from server.seed_plan import CIRCLE_KEYS, OWNER, Plan, Step

log = logging.getLogger(__name__)
REFUND_WAIT = 10.0  # seconds for the sandbox's refund webhook (it comes after 0.2 s)


class Runner:
    def __init__(
        self,
        c: Container,
        cursor: clock.Travel,
        who: dict[str, Principal],
        circles: dict[str, Circle],
        password: str,
    ) -> None:
        self.c = c
        self.cursor = cursor
        self.who = who
        self.circles = circles
        self.password = password
        self.names: dict[str, str] = {}
        self.messages: dict[str, str] = {}  # plan ref -> message id
        self.activities: dict[str, str] = {}  # plan key -> activity id
        self.payments: dict[tuple[str, str], str] = {}  # (activity key, payer) -> payment id
        self.done: Counter[str] = Counter()
        self.skipped: Counter[str] = Counter()
        self.seconds: dict[str, float] = {}  # time spent per kind of step (the log's)
        self._registering = asyncio.Lock()
        # The member notices post every circle's open window at once: one lane's join or leave
        # and its notice go together, so a notice is never posted at the other lane's time.
        self._membership = asyncio.Lock()

    async def run(self, plan: Plan) -> None:
        """Each circle's steps in a lane of its own (two at once: the seed is bound by round
        trips to the database, not by work), each lane with its own moving "now". The lanes
        share nothing but the people (registered once, under a lock) and the sweeper, whose
        runs expire holds and offers of every circle: a sweep waits until both lanes have
        done every step before it, and runs alone."""
        self.names = {p.handle: p.name for p in plan.people}
        segments: list[tuple[dict[str, list[Step]], Step | None]] = []
        lanes: dict[str, list[Step]] = {key: [] for key in CIRCLE_KEYS}
        for step in plan.steps:
            if step.kind == "sweep":
                segments.append((lanes, step))
                lanes = {key: [] for key in CIRCLE_KEYS}
            else:
                lanes[step.circle].append(step)
        segments.append((lanes, None))
        barrier = asyncio.Barrier(len(CIRCLE_KEYS) + 1)

        async def lane(key: str) -> None:
            with clock.travel(self.cursor.at) as cursor:
                for steps, _ in segments:
                    for step in steps[key]:
                        cursor.to(step.at)
                        await self._do(step)
                    await barrier.wait()  # this segment is done
                    await barrier.wait()  # and so is the sweep after it
                await self.c.activities.drain()  # the organisers' digests, at this lane's end

        async def sweeps() -> None:
            for _, sweep in segments:
                await barrier.wait()
                if sweep is not None:
                    self.cursor.to(sweep.at)
                    await self._do(sweep)
                await barrier.wait()

        await asyncio.gather(*(lane(key) for key in CIRCLE_KEYS), sweeps())

    async def _do(self, step: Step) -> None:
        """One step; a refusal or a failure is logged and the history goes on (a lane that
        stopped would leave the other waiting at the next sweep)."""
        began = time.monotonic()
        try:
            await getattr(self, f"_{step.kind}")(step)
            self.done[step.kind] += 1
        except DomainError as exc:  # the plan follows the rules; say so if it did not
            self.skipped[step.kind] += 1
            log.warning("demo history: %s by %s skipped: %s", step.kind, step.who, exc)
        except Exception:
            self.skipped[step.kind] += 1
            log.exception("demo history: %s by %s failed", step.kind, step.who)
        self.seconds[step.kind] = self.seconds.get(step.kind, 0.0) + time.monotonic() - began

    # people and chat -------------------------------------------------------------------

    async def _person(self, handle: str) -> Principal:
        async with self._registering:  # someone in both circles is registered once
            if handle not in self.who:
                name = self.names[handle]
                _, user = await self.c.accounts.register(handle, self.password, name)
                self.who[handle] = Principal(user=user, jti="seed")
        return self.who[handle]

    async def _join(self, s: Step) -> None:
        p = await self._person(s.who)
        async with self._membership:
            await self.c.circles.join(p.user, self.circles[s.circle].id, None)
            await self._notices()

    async def _leave(self, s: Step) -> None:
        await self._rollups(s.circle)  # the sweep before: the member's join is seen
        async with self._membership:
            await self.c.circles.leave(self.who[s.who].user, self.circles[s.circle].id)
            await self._notices()
        await self._rollups(s.circle)  # and the one after: the leave is dated now

    async def _say(self, s: Step) -> None:
        reply_to = self.messages.get(str(s.data.get("reply_to", "")))
        m = await self.c.messages.send(
            self.who[s.who],
            self.circles[s.circle].conversation_id,
            f"seed-history-{s.order}",
            str(s.data["text"]),
            reply_to,
        )
        if "ref" in s.data:
            self.messages[str(s.data["ref"])] = m.id

    async def _delete(self, s: Step) -> None:
        await self.c.messages.delete(self.who[s.who], self.messages[str(s.data["ref"])])

    async def _react(self, s: Step) -> None:
        message_id = self.messages[str(s.data["ref"])]
        await self.c.messages.reactions.add(self.who[s.who], message_id, str(s.data["emoji"]))

    async def _notices(self) -> None:
        if self.c.circles.notices is not None:
            await self.c.circles.notices.drain()  # "X joined." at the join's time

    async def _rollups(self, circle: str) -> None:
        if self.c.rollups is None:
            return
        for ref in await self.c.rollups.circles():
            if ref.id == self.circles[circle].id:
                await self.c.rollups.keep(ref, full=True)

    # activities ------------------------------------------------------------------------

    async def _activity(self, s: Step) -> None:
        d = s.data
        price = d["price"]
        data = CreateActivityIn.model_validate(
            {
                "title": d["title"],
                "description": "Generated demo activity.",
                "category": self.circles[s.circle].category,
                "starts_at": _iso(d["starts_at"]),
                "ends_at": _iso(d["ends_at"]),
                "location": {"name": d["place"]},
                "capacity": d["capacity"],
                "price": {"amount": price[0], "currency": price[1]} if price else None,
            }
        )
        a = await self.c.activities.create(self.who[s.who].user, self.circles[s.circle].id, data)
        self.activities[str(d["key"])] = a.id

    def _aid(self, s: Step) -> str:
        return self.activities[str(s.data["key"])]

    async def _signup(self, s: Step) -> None:
        await self.c.activities.signup(self.who[s.who].user, self._aid(s))

    async def _cancel(self, s: Step) -> None:
        await self.c.activities.change(
            self.who[s.who].user, self._aid(s), lambda a, u: rules.cancel(a, u, clock.now())
        )
        if s.data.get("refund"):
            await self._refunded(self.payments[(str(s.data["key"]), s.who)], s.circle)

    async def _accept(self, s: Step) -> None:
        await self.c.activities.change(
            self.who[s.who].user, self._aid(s), lambda a, u: rules.accept_offer(a, u, clock.now())
        )

    async def _decline(self, s: Step) -> None:
        await self.c.activities.change(
            self.who[s.who].user, self._aid(s), lambda a, u: rules.decline_offer(a, u, clock.now())
        )

    async def _checkin(self, s: Step) -> None:
        attendee = self.who[str(s.data["attendee"])].user.id
        await self.c.activities.check_in_user(self.who[s.who].user, self._aid(s), attendee)

    async def _cancel_activity(self, s: Step) -> None:
        await self.c.activities.cancel_activity(
            self.who[s.who].user, self._aid(s), str(s.data["reason"])
        )

    async def _sweep(self, s: Step) -> None:
        await self.c.sweeper.run_once()

    # payments --------------------------------------------------------------------------

    async def _pay(self, s: Step) -> None:
        """The sandbox checkout where it is enabled; a bank transfer otherwise (the organiser
        confirms those in a later step, or at once when the plan meant a card)."""
        payer = self.who[s.who].user
        card = s.data["provider"] == "sandbox" and "sandbox" in self.c.payments.enabled
        p = await self.c.payments.create(payer, self._aid(s), "sandbox" if card else "manual")
        self.payments[(str(s.data["key"]), s.who)] = p.id
        if card:
            await self.c.payments.complete_sandbox(payer, p.id)
            return
        await self.c.payments.submit_proof(payer, p.id, f"DEMO-{p.id[:8].upper()}", None)
        if s.data["provider"] == "sandbox":
            organiser = self.who[OWNER[s.circle]].user
            await self.c.payments.confirm(organiser, p.id)

    async def _confirm(self, s: Step) -> None:
        payment_id = self.payments[(str(s.data["key"]), str(s.data["payer"]))]
        await self.c.payments.confirm(self.who[s.who].user, payment_id)

    async def _refunded(self, payment_id: str, circle: str) -> None:
        """Wait for the refund the cancellation started (the sandbox confirms it by webhook a
        moment later, still at this step's time); a manual one the organiser marks done."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + REFUND_WAIT
        while loop.time() < deadline:
            p = await self.c.payments.payment(payment_id)
            if p is None or p.status == "refunded":
                return
            if p.status == "refund_pending" and p.provider == "manual":
                organiser = self.who[OWNER[circle]].user
                await self.c.payments.mark_refunded(organiser, payment_id)
                return
            await asyncio.sleep(0.05)
        log.warning("demo history: the refund of payment %s did not complete", payment_id)


def _iso(at: Any) -> str:
    assert isinstance(at, datetime)
    return at.isoformat()
