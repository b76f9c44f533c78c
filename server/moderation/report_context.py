"""What a moderator sees beside a report: the messages around a reported message (read through
the conversation log as the moderator, a participant), the reported post, and the reported
user's membership and recent moderation entries."""

from __future__ import annotations

from dataclasses import dataclass, field

from server.accounts.models import Principal
from server.core.errors import NotFound
from server.messages.models import Message
from server.messages.service import MessageService
from server.moderation.models import AuditEntry, ReportItem
from server.moderation.service import ModerationService
from server.posts.models import Post
from server.posts.service import PostService
from server.rooms.models import Circle, Membership
from server.rooms.repository import CircleRepository

AROUND = 2  # messages either side of a reported one
HISTORY = 10  # the subject's latest moderation entries shown
AUDIT_READ = 200  # audit entries read to find them (the audit is read by circle only)


@dataclass(frozen=True)
class Context:
    messages: list[Message] = field(default_factory=list)  # by seq, the reported one among them
    post: Post | None = None  # None: not a post report, or the post is gone
    membership: Membership | None = None  # the subject's; None: no longer a member
    history: list[AuditEntry] = field(default_factory=list)  # newest first


class ContextReader:
    def __init__(
        self,
        moderation: ModerationService,
        circle_repo: CircleRepository,
        messages: MessageService,
        posts: PostService,
    ) -> None:
        self._mod = moderation
        self._circle_repo = circle_repo
        self._messages = messages
        self._posts = posts

    async def read(self, who: Principal, circle: Circle, item: ReportItem) -> Context:
        messages: list[Message] = []
        post: Post | None = None
        if item.kind == "message" and item.seq is not None:
            messages, _ = await self._messages.history(
                who, circle.conversation_id, item.seq + AROUND + 1, 2 * AROUND + 1
            )
        elif item.kind == "post":
            try:
                post = (await self._posts.get(who.user, item.target_id)).post
            except NotFound:
                post = None
        membership = await self._circle_repo.get_membership(circle.id, item.subject_id)
        entries = await self._mod.repo.audit(circle.id, None, AUDIT_READ)
        history = [e for e in entries if e.target_id == item.subject_id][:HISTORY]
        return Context(messages, post, membership, history)
