"""Activity logic: posting, editing, sign-ups, offers, check-in, calendar; effects after commit."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

from server.accounts.models import User
from server.accounts.service import AccountService
from server.activities import access, cards, edits, hosting, notices, reminders, rules
from server.activities.engine import ActivityEngine, Applied
from server.activities.models import Activity, Effect, Entry, Location, Participation, Price
from server.activities.passes import Passes
from server.activities.repository import ActivityRepository, changed_users
from server.activities.schemas import CreateActivityIn, PatchActivityIn
from server.activities.tickets import TicketSigner
from server.core import clock
from server.core.errors import DomainError, Forbidden, NotFound
from server.core.ids import new_id
from server.core.tokens import TokenSigner
from server.messages.service import MessageService
from server.moderation.permissions import Permission
from server.notifications.service import NotificationService
from server.referrals.models import Recorder, Via
from server.rooms.service import CircleService

log = logging.getLogger(__name__)
MAX_DUE_ROUNDS = 20  # rounds of DUE_BATCH due activities per hour and sweep
DUE_BATCH = 100
PaymentHook = Callable[[Activity, Effect], Awaitable[None]]
# Told of every committed state (and whether the commit created the activity), after it is
# stored: discovery's cards (server/discovery/indexer.py). A watcher must not raise.
Watcher = Callable[[Activity, bool], Awaitable[None]]


class ActivityService(Passes):
    def __init__(
        self,
        repo: ActivityRepository,
        messages: MessageService,
        circles: CircleService,
        accounts: AccountService,
        notifications: NotificationService,
        signer: TokenSigner,
        tickets: TicketSigner,
        base_url: str,
        hold_minutes: int,
    ) -> None:
        self._repo = repo
        self._messages = messages
        self._circles = circles
        self._accounts = accounts
        self._notes = notifications
        self._signer = signer
        self._tickets = tickets
        self._base_url = base_url
        self._hold_minutes = hold_minutes
        self.engine = ActivityEngine(repo, self._after_commit)
        self.on_payment_effect: PaymentHook | None = None
        self.watchers: list[Watcher] = []
        # told the users whose sign-up a commit added or moved to another status (all of them
        # when the category or tags changed): what discovery knows of their tastes is stale
        self.participants_changed: Callable[[set[str]], Awaitable[None]] | None = None
        # credits share links for sign-ups (server/referrals/); None: nothing is credited
        self.referrals: Recorder | None = None
        # Before a paid activity is published or a free one priced: may this organiser charge
        # in this circle (server/trust/: verified, payout account)? None: anyone may.
        self.paid_gate: Callable[[User, str], Awaitable[None]] | None = None
        # whether an organiser is verified, shown on the card as ``organiser_verified``
        # (server/trust/); None: the card has no such field
        self.verified: Callable[[str], Awaitable[bool]] | None = None
        # the same for many organisers at once (the ``organiser_verified`` of lists)
        self.verified_among: Callable[[Iterable[str]], Awaitable[set[str]]] | None = None

    async def verified_organisers(self, found: Iterable[Activity]) -> set[str]:
        """The organisers of these activities who are verified: one batch for a list."""
        if self.verified_among is None:
            return set()
        return await self.verified_among(a.organiser_id for a in found)

    # organiser ---------------------------------------------------------------------------

    async def create(self, user: User, circle_id: str, data: CreateActivityIn) -> Activity:
        """Store the activity, post its card into the circle, link the two, plan reminders."""
        await access.require_circle_admin(self._circles, circle_id, user)
        circle, _ = await self._circles.get(user, circle_id)
        if data.price is not None and data.price.amount > 0 and self.paid_gate is not None:
            await self.paid_gate(user, circle_id)
        now = clock.now()
        loc = data.location
        a = Activity(
            id=new_id(),
            circle_id=circle_id,
            conversation_id=circle.conversation_id,
            organiser_id=user.id,
            title=data.title,
            description=data.description,
            category=data.category,
            tags=list(dict.fromkeys(data.tags)),
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            location=Location(name=loc.name, address=loc.address, lat=loc.lat, lng=loc.lng),
            capacity=data.capacity,
            price=Price(data.price.amount, data.price.currency) if data.price else None,
            signup_deadline=data.signup_deadline or data.starts_at,
            offer_window_minutes=data.offer_window_minutes,
            refund_cutoff_hours=data.refund_cutoff_hours,
            hold_minutes=self._hold_minutes,
            payment_review_hours=data.payment_review_hours,
            created_at=now,
            updated_at=now,
        )
        await self._repo.insert(a)
        message = await self._messages.post(
            a.conversation_id, user, "card", a.title, await self._card(a, now)
        )

        def link(state: Activity) -> list[Effect]:
            state.card_message_id = message.id
            return []

        applied = await self.engine.apply(a.id, link)
        await self._plan_reminders(applied.activity)
        for watch in self.watchers:
            await watch(applied.activity, True)
        return applied.activity

    async def patch(self, user: User, activity_id: str, data: PatchActivityIn) -> Activity:
        """Apply an edit as a whole or not at all: every check runs on a draft, and only a draft
        that passed them all replaces the state (a refused edit stores nothing)."""
        current = await access.require_organiser(
            self._circles, await self._repo.get(activity_id), user
        )
        priced = data.price is not None and data.price.amount > 0
        was_free = current.price is None or current.price.amount == 0
        if priced and was_free and self.paid_gate is not None:
            await self.paid_gate(user, current.circle_id)
        before_box: list[Activity] = []

        def edit(a: Activity) -> list[Effect]:
            draft = copy.deepcopy(a)
            effects = edits.apply(draft, data, clock.now())
            before_box.append(dataclasses.replace(a))
            for f in dataclasses.fields(a):
                setattr(a, f.name, getattr(draft, f.name))
            return effects

        applied = await self.engine.apply(activity_id, edit)
        changes = cards.describe_changes(before_box[-1], applied.activity) if before_box else []
        if changes:
            await self._messages.post(
                applied.activity.conversation_id,
                None,
                "system",
                cards.change_notice(applied.activity.title, changes),
                cards.change_card(applied.activity, changes),
            )
            await self._repo.drop_pending_schedules(activity_id)
            await self._plan_reminders(applied.activity)
        return applied.activity

    async def cancel_activity(self, user: User, activity_id: str, reason: str) -> Activity:
        await access.require_organiser(self._circles, await self._repo.get(activity_id), user)
        applied = await self.engine.apply(
            activity_id, lambda a: rules.cancel_activity(a, reason, clock.now())
        )
        if applied.changed:
            await self._repo.drop_pending_schedules(activity_id)
            text = f"“{applied.activity.title}” was cancelled." + (f" {reason}" if reason else "")
            await self._messages.post(applied.activity.conversation_id, None, "system", text)
        return applied.activity

    async def attendees(self, user: User, activity_id: str) -> list[tuple[Activity, Entry, User]]:
        a = await access.require_check_in(self._circles, await self._repo.get(activity_id), user)
        users = await self._accounts.get_users(list(a.entries))
        ordered = sorted(
            a.entries.values(), key=lambda e: (e.status, e.waitlist_no or 0, e.created_at)
        )
        return [(a, e, users[e.user_id]) for e in ordered if e.user_id in users]

    # reading -----------------------------------------------------------------------------

    async def get(self, user: User, activity_id: str) -> Activity:
        return await access.require_visible(self._circles, await self._repo.get(activity_id), user)

    async def in_circle(self, user: User, circle_id: str, upcoming: bool) -> list[Activity]:
        await self._circles.get(user, circle_id)
        return await self._repo.in_circle(circle_id, upcoming, clock.now())

    async def mine(self, user: User, upcoming: bool) -> list[tuple[Activity, Entry]]:
        found = await self._repo.of_participant(user.id, upcoming, clock.now())
        return [(a, a.entries[user.id]) for a in found if user.id in a.entries]

    async def participations(self, user_id: str) -> list[Participation]:
        """Every sign-up of ``user_id``, past and upcoming, as small rows (one read); from the
        whole activities while a store's rows are still being backfilled."""
        rows = await self._repo.participations(user_id)
        if rows is not None:
            return rows
        past, upcoming = await self._repo.of_participant_split(user_id, clock.now())
        return [
            Participation(
                user_id,
                a.id,
                a.entries[user_id].status,
                a.starts_at,
                a.ends_at,
                a.category,
                tuple(a.tags),
            )
            for a in past + upcoming
            if user_id in a.entries
        ]

    async def hosted(self, user: User, upcoming: bool) -> list[Activity]:
        """The activities ``user`` organises, in circles they can still see."""
        found = await self._repo.of_organiser(user.id, upcoming, clock.now())
        visible: dict[str, bool] = {}
        for circle_id in {a.circle_id for a in found}:
            try:
                await self._circles.role_if_visible(user.id, circle_id)
                visible[circle_id] = True
            except NotFound:
                visible[circle_id] = False
        return [a for a in found if visible[a.circle_id]]

    # attendee ----------------------------------------------------------------------------

    async def signup(self, user: User, activity_id: str, via: Via | None = None) -> Applied:
        """Sign up (joining a public circle on the way); idempotent for an active sign-up.
        ``via`` (a share link's sharer and channel) is credited only when this call stored a
        sign-up (server/referrals/); a refused one raises before anything is credited."""
        applied = await self._signup(user, activity_id)
        if via is not None and applied.changed and self.referrals is not None:
            await self.referrals.record("activity", activity_id, user, via)
        return applied

    async def _signup(self, user: User, activity_id: str) -> Applied:
        circle_id, role = await self._visible_circle(user, activity_id)
        if role is None:
            # Joining is a change of its own, so a sign-up that will be refused must not join:
            # check on the latest state first (only a cancellation or a deadline passing in the
            # moment between can still refuse it after the join).
            current = await self._repo.get(activity_id)
            if current is None:
                raise NotFound("no such activity")
            rules.check_signup(current, user.id, clock.now())
            await self._circles.join(user, circle_id, None)
            try:
                return await self.engine.apply(
                    activity_id, lambda s: rules.signup(s, user.id, clock.now())
                )
            except DomainError:
                # Refused after the join (cancelled or closed meanwhile, which under concurrent
                # sign-ups is no rare moment): undo the join, so the refusal changes nothing.
                await self._undo_join(user, circle_id)
                raise
        return await self.engine.apply(activity_id, lambda s: rules.signup(s, user.id, clock.now()))

    async def _undo_join(self, user: User, circle_id: str) -> None:
        try:
            await self._circles.leave(user, circle_id)
        except DomainError:  # already left (a concurrent refusal undid the same join)
            pass

    async def _visible_circle(self, user: User, activity_id: str) -> tuple[str, str | None]:
        """The activity's circle and the user's role in it; ``not_found`` unless visible. Reads
        only the circle id (it never changes), not the whole sign-up state."""
        circle_id = await self._repo.circle_of(activity_id)
        if circle_id is None:
            raise NotFound("no such activity")
        try:
            role = await self._circles.role_if_visible(user.id, circle_id)
        except NotFound:
            raise NotFound("no such activity") from None
        return circle_id, role

    async def change(
        self, user: User, activity_id: str, rule: Callable[[Activity, str], list[Effect]]
    ) -> Applied:
        await self._visible_circle(user, activity_id)
        return await self.engine.apply(activity_id, lambda s: rule(s, user.id))

    async def state(self, activity_id: str) -> Activity | None:
        """The latest state, for other domains' services (no permission check)."""
        return await self._repo.get(activity_id)

    async def upcoming_in(self, circle_id: str) -> list[Activity]:
        """A circle's upcoming activities, for other domains' services (no permission check:
        the caller's gate has decided already)."""
        return await self._repo.in_circle(circle_id, True, clock.now())

    async def apply(self, activity_id: str, rule: Callable[[Activity], list[Effect]]) -> Applied:
        return await self.engine.apply(activity_id, rule)

    async def require_organiser(
        self, user: User, activity_id: str, permission: Permission = "create_activities"
    ) -> Activity:
        return await access.require_organiser(
            self._circles, await self._repo.get(activity_id), user, permission
        )

    async def people(self, user: User, activity_id: str) -> tuple[Activity, dict[str, User]]:
        """The organiser and who is going, for the circle's members only (``forbidden`` to
        others who can see the activity): names are not shown outside a circle."""
        a = await self.get(user, activity_id)
        if await self._circles.role_of(a.circle_id, user.id) is None:
            raise Forbidden("only the circle's members see who is going")
        ids = [a.organiser_id, *cards.going_ids(a)[: cards.GOING_SHOWN]]
        return a, await self._accounts.get_users(ids)

    # effects -----------------------------------------------------------------------------

    async def _after_commit(
        self, a: Activity, effects: list[Effect], before: dict[str, Any]
    ) -> None:
        """The state is stored; now update the card in place and tell people."""
        try:
            await self._refresh_card(a)
            gate = asyncio.Semaphore(32)

            async def one(effect: Effect) -> None:
                async with gate:
                    await self._effect(a, effect)

            told = changed_users(before, a)
            tell = self.participants_changed
            await asyncio.gather(
                self._tell_organiser(a, before),
                *(one(e) for e in effects),
                *(watch(a, False) for watch in self.watchers),
                *([tell(told)] if told and tell is not None else []),
            )
        except Exception:
            log.exception("after-commit effects of activity %s failed", a.id)

    async def _card(self, a: Activity, now: datetime) -> dict[str, Any]:
        """The card, with the organiser's badge as it is at this render (a verification
        shows on the card at its next change)."""
        card = cards.card(a, now)
        if self.verified is not None:
            card["organiser_verified"] = await self.verified(a.organiser_id)
        return card

    async def _refresh_card(self, a: Activity) -> None:
        """Re-render the card until it shows at least the newest committed state. Each committer
        checks after writing, so when processes race the last one leaves the newest card."""
        current = a
        for _ in range(4):
            if not current.card_message_id:
                return
            stored = await self._messages.update_card(
                current.card_message_id, await self._card(current, clock.now())
            )
            latest = await self._repo.get(a.id)
            shown = int((stored.card or {}).get("version", 0)) if stored else 0
            if latest is None or latest.version <= shown:
                return
            current = latest

    async def _effect(self, a: Activity, effect: Effect) -> None:
        if effect.kind in ("refund_due", "hold_expired") and self.on_payment_effect is not None:
            await self.on_payment_effect(a, effect)
        if effect.kind == "refund_due":
            return
        notice = notices.for_effect(a, effect)
        if notice is None:
            return
        data = {
            "activity_id": a.id,
            "circle_id": a.circle_id,
            **{k: (cards.iso(v) if isinstance(v, datetime) else v) for k, v in effect.data.items()},
            **notice.data,
        }
        await self._notes.notify(effect.user_id, effect.kind, notice.title, notice.body, data)

    async def _tell_organiser(self, a: Activity, before: dict[str, Any]) -> None:
        """Count this commit's sign-up changes into the organiser's digests, one per kind. Each
        happening's id names the committed version, so it is counted once."""
        found = hosting.host_events(before, a, clock.now())
        if not found:
            return
        users = await self._accounts.get_users(list({e.user_id for e in found}))
        names = {uid: u.display_name for uid, u in users.items()}
        for kind, events, render in hosting.digests(a, found, names):
            await self._notes.digest(a.organiser_id, kind, a.id, events, render)

    async def _plan_reminders(self, a: Activity) -> None:
        await reminders.plan(self._repo, a)

    async def send_due_reminders(self, hour: int, lease_seconds: float = 60) -> int:
        return await reminders.send_due(self._repo, self._notes, hour, lease_seconds)

    async def expire_due(self, hour: int) -> tuple[int, bool]:
        """Apply the deadlines of ``hour`` that have passed (offers and holds expiring,
        sign-ups closing); each application moves the activity's ``due_hour`` to its next
        deadline. Returns how many were applied, and whether the hour is done (False after
        MAX_DUE_ROUNDS rounds that each found a full batch: the sweeper comes back to it)."""
        done = 0
        for _ in range(MAX_DUE_ROUNDS):  # bounded: a deadline no rule moves must not spin
            ids = await self._repo.due_ids(hour, clock.now(), DUE_BATCH)
            missing = 0
            for activity_id in ids:
                try:
                    await self.engine.apply(activity_id, lambda a: rules.expire(a, clock.now()))
                except NotFound:  # no committed state to apply it to: nothing will change that
                    log.error("activity %s is due but has no committed state", activity_id)
                    missing += 1
            done += len(ids) - missing
            if len(ids) < DUE_BATCH or missing == len(ids):
                return done, True
        return done, False

    async def sweep_cursor(self) -> int | None:
        return await self._repo.sweep_cursor()

    async def set_sweep_cursor(self, hour: int) -> None:
        await self._repo.set_sweep_cursor(hour)

    async def backfill_due_hours(self) -> tuple[int, int | None]:
        return await self._repo.backfill_due_hours()

    async def backfill_participations(self) -> int | None:
        return await self._repo.backfill_participations()

    async def rows_complete(self) -> None:
        await self._repo.rows_complete()

    async def drain(self) -> None:
        await self.engine.drain()
        await self._notes.drain()  # the organiser's digests these commits started
