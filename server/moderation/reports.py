"""Member reports and the moderators' review queue.

Any member reports a message of the circle's chat, a post of the circle, or a member, with a
reason. Reports of one target are grouped into one queue item (per round: a decided target
reported again by someone new opens the next round); one reporter's report of a target is stored
once, ever. The queue is for roles holding ``view_reports``. A decision (dismiss, remove, mute,
kick, ban) is made once: its document's ``_id`` is the item's. Actions go through the message,
post and moderation services, so the audit log records them as any other; the decision itself is
recorded as ``review_report``. Reporters are told the outcome (never who decided); the reported
user is never told who reported them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from server.accounts.models import Principal, User
from server.accounts.service import AccountService
from server.core import clock
from server.core.errors import Conflict, Forbidden, Invalid, NotFound
from server.messages.service import MessageService
from server.moderation.models import (
    Outcome,
    Report,
    ReportDecision,
    ReportItem,
    ReportKind,
    ReportReason,
)
from server.moderation.permissions import allowed
from server.moderation.report_context import Context, ContextReader
from server.moderation.report_repository import ReportRepository, Status, item_id, report_id
from server.moderation.service import ModerationService
from server.notifications.service import NotificationService
from server.posts.service import PostService
from server.rooms.models import Circle, Role
from server.rooms.repository import CircleRepository
from server.rooms.service import CircleService

Decision = Literal["dismiss", "remove", "mute", "kick", "ban"]
OUTCOME: dict[Decision, Outcome] = {
    "dismiss": "dismissed",
    "remove": "removed",
    "mute": "muted",
    "kick": "kicked",
    "ban": "banned",
}
# What reporters are told, by outcome; never who decided.
TOLD: dict[Outcome, str] = {
    "dismissed": "A moderator reviewed your report and took no action.",
    "removed": "A moderator reviewed your report and removed the {kind}.",
    "muted": "A moderator reviewed your report and muted the member.",
    "kicked": "A moderator reviewed your report and removed the member from the circle.",
    "banned": "A moderator reviewed your report and banned the member.",
}
MAX_ROUNDS = 10_000  # decisions on one target, far beyond any real circle's
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Filed:
    """A reporter's report as they see it: theirs, and the outcome once decided."""

    report: Report
    item: ReportItem
    decision: ReportDecision | None


@dataclass(frozen=True)
class QueueItem:
    item: ReportItem
    reports: list[Report]
    reporters: dict[str, User]
    decision: ReportDecision | None
    context: Context


class ReportQueue:
    def __init__(
        self,
        repo: ReportRepository,
        moderation: ModerationService,
        circles: CircleService,
        messages: MessageService,
        posts: PostService,
        accounts: AccountService,
        notifications: NotificationService,
        circle_repo: CircleRepository,
    ) -> None:
        self._repo = repo
        self._mod = moderation
        self._circles = circles
        self._messages = messages
        self._posts = posts
        self._accounts = accounts
        self._notifications = notifications
        self._context = ContextReader(moderation, circle_repo, messages, posts)

    # reporting ----------------------------------------------------------------------------

    async def report(
        self,
        who: Principal,
        circle_id: str,
        kind: ReportKind,
        target_id: str,
        reason: ReportReason,
        text: str,
    ) -> Filed:
        """Idempotent per (reporter, target): a second report answers the first. The report is
        stored before its item, and the item is ensured on every call, so a retry completes a
        report a failure cut short. A report that joined an item decided meanwhile is told the
        outcome at once (keyed: each reporter is told once, by whichever step comes first)."""
        user = who.user
        circle, role = await self._circles.get(user, circle_id)
        if role is None:
            raise Forbidden("members only")
        rid = report_id(circle.id, kind, target_id, user.id)
        report = await self._repo.get_report(rid)
        stored = await self._repo.get_item(report.item_id) if report else None
        if report is not None and stored is not None:  # a repeat, even of what was removed since
            return Filed(report, stored, await self._repo.decision(stored.id))
        subject, excerpt, seq = await self._target(user, circle, kind, target_id)
        if report is None:
            round_ = await self._open_round(circle.id, kind, target_id)
            report = Report(
                rid, item_id(circle.id, kind, target_id, round_), circle.id, user.id,
                reason, text, clock.now(),
            )  # fmt: skip
            if not await self._repo.insert_report(report):  # a concurrent double submit
                report = await self._repo.get_report(rid) or report
        round_ = self._round_of(report, circle.id, kind, target_id)
        item = ReportItem(
            report.item_id, circle.id, kind, target_id, subject, round_, report.at, excerpt, seq
        )
        await self._repo.ensure_item(item)
        item = await self._repo.get_item(item.id) or item
        decision = await self._repo.decision(item.id)
        if decision is not None:
            await self._tell(circle, item, decision, [report])
        return Filed(report, item, decision)

    async def _target(
        self, user: User, circle: Circle, kind: ReportKind, target_id: str
    ) -> tuple[str, str, int | None]:
        """(the user reported, the text reported, a message's seq); refusals as the target's
        own read paths give them, and ``forbidden`` for one's own content."""
        own = Forbidden("you cannot report yourself or your own content", {"reason": "own"})
        if kind == "message":
            message = await self._messages.visible_message(target_id, user.id)
            if message.conversation_id != circle.conversation_id:
                raise NotFound("no such message")
            if message.sender_id == user.id:
                raise own
            if message.deleted:
                raise Conflict("deleted", "the message was deleted")
            return message.sender_id, message.text, message.seq
        if kind == "post":
            view = await self._posts.get(user, target_id)
            if view.post.circle_id != circle.id:
                raise NotFound("no such post")
            if view.post.author_id == user.id:
                raise own
            return view.post.author_id, view.post.text, None
        if target_id == user.id:
            raise own
        if await self._circles.role_of(circle.id, target_id) is None:
            raise Conflict("not_member", "that user is not a member of this circle")
        return target_id, "", None

    async def _open_round(self, circle_id: str, kind: ReportKind, target_id: str) -> int:
        """The first round of the target without a decision (one lookup per past decision)."""
        round_ = 0
        while await self._repo.decision(item_id(circle_id, kind, target_id, round_)):
            round_ += 1
        return round_

    @staticmethod
    def _round_of(report: Report, circle_id: str, kind: ReportKind, target: str) -> int:
        """The round of the item a report joined (its id is derived from it)."""
        for round_ in range(MAX_ROUNDS):
            if item_id(circle_id, kind, target, round_) == report.item_id:
                return round_
        raise RuntimeError(f"report {report.id} names an item of no round")

    # the queue ----------------------------------------------------------------------------

    async def queue(
        self, who: Principal, circle_id: str, status: Status, before: datetime | None, limit: int
    ) -> tuple[list[QueueItem], bool]:
        """A page of items, newest first, and whether older ones exist. An item listed open
        whose decision exists (a failure between the two writes) is repaired and left out."""
        circle, _ = await self._mod.staff(who.user, circle_id, "view_reports")
        found = await self._repo.items(circle.id, status, before, limit + 1)
        more = len(found) > limit
        out: list[QueueItem] = []
        for item in found[:limit]:
            decision = await self._repo.decision(item.id)
            if status == "open" and decision is not None:
                await self._repo.mark_decided(item.id)
                continue
            out.append(await self._view(who, circle, item, decision))
        return out, more

    async def item(self, who: Principal, circle_id: str, id_: str) -> QueueItem:
        circle, _ = await self._mod.staff(who.user, circle_id, "view_reports")
        item = await self._item_of(circle, id_)
        return await self._view(who, circle, item, await self._repo.decision(item.id))

    async def _item_of(self, circle: Circle, id_: str) -> ReportItem:
        item = await self._repo.get_item(id_)
        if item is None or item.circle_id != circle.id:
            raise NotFound("no such report")
        return item

    async def _view(
        self, who: Principal, circle: Circle, item: ReportItem, decision: ReportDecision | None
    ) -> QueueItem:
        reports = await self._repo.reports_of(item.id)
        users = await self._accounts.get_users(sorted({r.reporter_id for r in reports}))
        context = await self._context.read(who, circle, item)
        return QueueItem(item, reports, users, decision, context)

    # deciding -----------------------------------------------------------------------------

    async def decide(
        self,
        who: Principal,
        circle_id: str,
        id_: str,
        action: Decision,
        reason: str,
        seconds: int | None,
    ) -> QueueItem:
        """Check everything the action needs, claim the decision (``conflict``/``decided`` for
        a second one, concurrent or not), act, then close the item and tell the reporters. An
        action refused after the claim (the member left meanwhile) withdraws the claim, so a
        refused decision changes nothing."""
        circle, me = await self._mod.staff(who.user, circle_id, "view_reports")
        item = await self._item_of(circle, id_)
        if item.subject_id == who.user.id:
            raise Forbidden("another moderator decides reports about you")
        if await self._repo.decision(item.id) is not None:
            raise Conflict("decided", "this report was decided already")
        await self._check(circle, me.role, item, action, seconds, who.user)
        decision = ReportDecision(
            item.id, circle.id, who.user.id, OUTCOME[action], reason, clock.now()
        )
        if not await self._repo.insert_decision(decision):
            raise Conflict("decided", "this report was decided already")
        try:
            await self._act(who, circle, item, action, reason, seconds)
        except Exception:
            await self._repo.delete_decision(item.id)
            raise
        await self._repo.mark_decided(item.id)
        await self._mod.record(
            circle.id, who.user.id, "review_report", item.subject_id, reason,
            item_id=item.id, kind=item.kind, reported_id=item.target_id, outcome=decision.outcome,
        )  # fmt: skip
        reports = await self._repo.reports_of(item.id)
        await self._tell(circle, item, decision, reports)
        return await self._view(who, circle, item, decision)

    async def _check(
        self,
        circle: Circle,
        role: Role,
        item: ReportItem,
        action: Decision,
        seconds: int | None,
        actor: User,
    ) -> None:
        if action == "mute" and seconds is None:
            raise Invalid(
                "the input failed validation", {"fields": {"seconds": "required to mute"}}
            )
        if action != "mute" and seconds is not None:
            raise Invalid("the input failed validation", {"fields": {"seconds": "only for mute"}})
        if action == "remove":
            if item.kind == "member":
                raise Invalid(
                    "a member cannot be removed as content; kick or ban them",
                    {"fields": {"action": "not for a member report"}},
                )
            if not allowed(role, "delete_messages"):
                raise Forbidden("your role in this circle may not delete messages")
        elif action in ("mute", "kick", "ban"):
            _, me = await self._mod.staff(actor, circle.id, "moderate")
            await self._mod.target(circle, me, item.subject_id, must_be_member=action != "ban")

    async def _act(
        self,
        who: Principal,
        circle: Circle,
        item: ReportItem,
        action: Decision,
        reason: str,
        seconds: int | None,
    ) -> None:
        user = who.user
        if action == "remove" and item.kind == "message":
            await self._messages.delete(who, item.target_id, reason)  # audited as delete_message
        elif action == "remove":
            try:
                await self._posts.delete(user, item.target_id)
            except NotFound:  # its author deleted it meanwhile: removed all the same
                return
            await self._mod.record(
                circle.id, user.id, "delete_post", item.target_id, reason, author_id=item.subject_id
            )
        elif action == "mute":
            await self._mod.mute(user, circle.id, item.subject_id, seconds or 0, reason)
        elif action == "kick":
            await self._mod.kick(user, circle.id, item.subject_id, reason)
        elif action == "ban":
            await self._mod.ban(user, circle.id, item.subject_id, reason)

    async def _tell(
        self, circle: Circle, item: ReportItem, decision: ReportDecision, reports: list[Report]
    ) -> None:
        """Keyed per (item, reporter): told once, whichever step comes first. A failed notice
        never undoes a decision already made."""
        body = TOLD[decision.outcome].format(kind=item.kind)
        # a message report's chat, so the reporter's client can open it from the notice
        chat = {"conversation_id": circle.conversation_id} if item.kind == "message" else {}
        for r in reports:
            try:
                await self._notifications.notify(
                    r.reporter_id,
                    "report_outcome",
                    f"Your report in {circle.name} was reviewed",
                    body,
                    {
                        "circle_id": circle.id,
                        "report_id": r.id,
                        "kind": item.kind,
                        "target_id": item.target_id,
                        "outcome": decision.outcome,
                        **chat,
                    },
                    key=f"report_outcome:{item.id}:{r.reporter_id}",
                )
            except Exception:
                log.exception("telling %s of report %s failed", r.reporter_id, item.id)
