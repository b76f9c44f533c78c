"""What a member must satisfy to post in a circle's chat: not muted, links and attachments only
from roles with ``post_media`` (the table: moderation/permissions.py), the current rules
accepted, slow mode's interval since their last message, and no link while a newcomer where the
circle holds newcomers' links (newcomers.py: such a message is held for review, holds.py;
moderators are exempt from the last three).

Every circle send passes here, so what it needs of a circle (its slow mode and rules version, its
mutes) is read once and kept by each process for ``ttl`` seconds: on the embedded database each
read by ``_id`` costs about 1.2 ms of FerretDB CPU, and three of them on every send would cost
more than the send's own batched writes (docs/performance.md, "What a read costs"). A change
(mute, unmute, slow mode, rules) drops the kept copy at once on the process that made it and, by
a ``forget`` control op over Redis, on every other process; ``ttl`` bounds how long a change whose
op was lost (Redis down) can go unseen. The member's role (moderators are exempt) is read only in
a circle with slow mode or rules, for a message with a link in a circle holding newcomers'
links, or for a link or an attachment while some role lacks ``post_media``.

Slow mode holds under concurrency without an atomic update: a member's sends claim numbered
keys ``slow:<circle>:<user>:<n>`` one after another, each insert made only after the previous
claim was seen to be at least N seconds old. Two concurrent sends both try the same next number
and the unique ``_id`` lets exactly one of them in.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from server.accounts.models import User
from server.core import clock
from server.core.errors import Conflict, Forbidden, RateLimited
from server.moderation.models import Claim
from server.moderation.newcomers import has_link, link_refusal
from server.moderation.permissions import allowed, everyone_may
from server.moderation.repository import ModerationRepository
from server.rooms import access
from server.rooms.models import Circle
from server.rooms.repository import CircleRepository
from server.rooms.service import CircleService

# the step that claims a let-through send's slow-mode slot (run right before it is stored)
Commit = Callable[[], Awaitable[None]]
# (circle, user_id, client_id, text): a newcomer's link is held for review (holds.py); the
# answer is the refusal the send gets
Held = Callable[[Circle, str, str, str], Awaitable[Forbidden]]


def _rules_key(circle_id: str, user_id: str, version: str) -> str:
    return f"rules:{circle_id}:{user_id}:{version}"


@dataclass(frozen=True)
class _Kept:
    circle: Circle | None
    mutes: dict[str, datetime]  # user id -> muted until
    expires: float  # time.monotonic()


class SendGate:
    def __init__(
        self,
        repo: ModerationRepository,
        circle_repo: CircleRepository,
        circles: CircleService,
        ttl: float = 10.0,
        size: int = 50_000,
    ) -> None:
        self._repo = repo
        self._circle_repo = circle_repo
        self._circles = circles
        self._ttl = ttl
        self._size = size
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        self._epoch = 0
        self._accepted: OrderedDict[str, None] = OrderedDict()  # acceptances seen: never undone
        self.held: Held | None = None

    def forget(self, circle_id: str) -> None:
        """Drop what is kept of ``circle_id`` (its moderation settings or mutes changed)."""
        self._epoch += 1
        self._kept.pop(circle_id, None)

    async def _circle(self, circle_id: str) -> _Kept:
        kept = self._kept.get(circle_id)
        if kept is not None and kept.expires > time.monotonic():
            return kept
        epoch = self._epoch
        circle = await self._circle_repo.get_circle(circle_id)
        mutes = await self._repo.mutes_of(circle_id)
        kept = _Kept(circle, {m.user_id: m.until for m in mutes}, time.monotonic() + self._ttl)
        if epoch == self._epoch:  # no change was applied while reading: keep it
            self._kept[circle_id] = kept
            if len(self._kept) > self._size:
                self._kept.popitem(last=False)
        return kept

    async def check(
        self, circle_id: str, user_id: str, client_id: str, text: str = "", media: bool = False
    ) -> Commit | None:
        """Refuse a send (``forbidden`` when muted, the rules are not accepted or a link or an
        attachment (``media``) is not the role's to post, ``rate_limited`` by slow mode) without
        writing anything, or let it through. Under slow mode the answer is the step that claims
        the send's slot, which the log takes right before it stores the message (after
        everything else that can refuse it); it refuses a send that a concurrent one beat to the
        slot. A retry of a send that was let through
        (same client id) passes again."""
        kept = await self._circle(circle_id)
        until = kept.mutes.get(user_id)
        if until is not None and until > (now := clock.now()):
            left = max(1, round((until - now).total_seconds()))
            raise Forbidden(
                f"you are muted in this circle for {left} more seconds",
                {"reason": "muted", "muted_until": _iso(until), "retry_after": left},
            )
        circle = kept.circle
        if circle is None:
            return None
        linked = circle.newcomer_link_hours > 0 and has_link(text)
        # links and attachments are ``post_media``'s; while the table gives it to every role,
        # no send reads the role for it
        gated = not everyone_may("post_media") and (media or has_link(text))
        if not (circle.rules_version or circle.slow_mode_seconds > 0 or linked or gated):
            return None  # the usual send: no clock read, no role read
        now = clock.now()
        membership = await self._circle_repo.get_membership(circle_id, user_id)
        if membership is None:
            return None  # not a member: the conversation's participant gate decides
        if gated and not allowed(membership.role, "post_media"):
            raise Forbidden(
                "your role in this circle may not post links or images",
                {"reason": "media_not_allowed"},
            )
        if allowed(membership.role, "moderate"):
            return None
        if linked and (refusal := link_refusal(circle, membership, now)) is not None:
            if self.held is not None:
                raise await self.held(circle, user_id, client_id, text)
            raise refusal
        if circle.rules_version and not await self.accepted(circle, user_id):
            raise Forbidden(
                "accept the circle's rules before posting",
                {"reason": "rules_not_accepted", "rules_version": circle.rules_version},
            )
        if circle.slow_mode_seconds > 0:
            return await self._slow(circle, user_id, client_id, now)
        return None

    async def _slow(
        self, circle: Circle, user_id: str, client_id: str, now: datetime
    ) -> Commit | None:
        base = f"slow:{circle.id}:{user_id}"
        n = await self._repo.get_hint(base)
        last = await self._repo.get_claim(f"{base}:{n}") if n else None
        while (nxt := await self._repo.get_claim(f"{base}:{n + 1}")) is not None:
            n, last = n + 1, nxt
        if last is not None:
            if last.owner == client_id:
                return None  # a retry of the send this claim let through
            _refuse_within(circle, last, now)
        mine = Claim(f"{base}:{n + 1}", now, client_id)

        async def commit() -> None:
            if not await self._repo.claim(mine):
                won = await self._repo.get_claim(mine.key)
                if won is None or won.owner != client_id:  # a concurrent send took the slot
                    _refuse_within(circle, won or mine, mine.at, at_least=1)
                    return
            await self._repo.set_hint(base, n + 1)

        return commit

    # rules --------------------------------------------------------------------------------

    async def accepted(self, circle: Circle, user_id: str) -> bool:
        if not circle.rules_version:
            return True
        key = _rules_key(circle.id, user_id, circle.rules_version)
        if key in self._accepted:
            return True
        if await self._repo.get_claim(key) is None:
            return False
        self._accepted[key] = None
        if len(self._accepted) > self._size:
            self._accepted.popitem(last=False)
        return True

    async def rules(self, user: User, circle_id: str) -> tuple[Circle, bool | None]:
        """The circle's rules for anyone who can see the circle; whether this user accepted the
        current version (None: not a member)."""
        circle, membership = await access.visible_circle(self._circle_repo, circle_id, user.id)
        return circle, (await self.accepted(circle, user.id)) if membership else None

    async def accept(self, user: User, circle_id: str, version: str) -> Circle:
        """Accept the rules of ``version``, which must be the current one (``conflict``,
        ``rules_changed``, when they changed since the member read them); idempotent."""
        circle, _ = await access.require_member(self._circle_repo, circle_id, user.id)
        if not circle.rules_version:
            raise Conflict("no_rules", "this circle has no rules to accept")
        if version != circle.rules_version:
            raise Conflict(
                "rules_changed",
                "the rules changed: read them again",
                rules_version=circle.rules_version,
            )
        key = _rules_key(circle.id, user.id, version)
        await self._repo.claim(Claim(key, clock.now(), user.id))
        return circle


def _refuse_within(circle: Circle, last: Claim, now: datetime, at_least: float = 0) -> None:
    """``rate_limited`` while ``last`` is younger than the slow-mode interval (or always, with
    ``at_least``: the slot is taken, so the wait is at least that)."""
    wait = max(at_least, circle.slow_mode_seconds - (now - last.at).total_seconds())
    if wait > 0:
        err = RateLimited(wait)
        assert err.details is not None
        err.details["reason"] = "slow_mode"
        err.message = f"slow mode: one message every {circle.slow_mode_seconds} seconds"
        raise err


def _iso(t: datetime) -> str:
    """As every wire time is written (core/schemas.UtcDatetime): milliseconds, ``Z``."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
