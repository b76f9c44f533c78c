"""Reading changes in rev order: a ``sync`` page, and what each rev stands for in live delivery.

Moved out of service.py unchanged (only the participation check stays there).
"""

from __future__ import annotations

import time
from typing import Any

from server.core import clock
from server.messages import order
from server.messages.claims import Claim
from server.messages.models import Message
from server.messages.repository import MessageRepository
from server.messages.schemas import MessageEnvelope, MessageOut


async def sync_page(
    repo: MessageRepository, conversation_id: str, since_rev: int, limit: int
) -> tuple[list[Message], int, bool]:
    """Messages changed after ``since_rev``, by rev, stopping before the first rev that is
    claimed but not yet written (order.py): the returned rev is the highest one returned, so
    syncing from it again can never skip a change that was still being written.

    The page is read by rev window, at most ``limit`` revs above ``since_rev``: its claims
    and the messages whose current rev is in it, each from the stored pages that hold them
    (``rev // 50``: one equality lookup per page), and by ``_id`` the messages of claims
    those pages do not explain (superseded or still being written, or stored before rev
    pages). A query on the conversation would read all of it on FerretDB v1. A window
    whose claims were all voided or superseded is passed over."""
    # The top first, then messages, then claims: a rev claimed after the top was read is
    # above every claim read, so the page never includes a change whose lower neighbours
    # are unknown (one written between the two reads settles as "written": the page stops
    # before it).
    top, _ = await repo.top(conversation_id)
    claims: dict[int, Claim] = {}
    messages: list[Message] = []
    end, reread = since_rev, False
    while end < top and not messages:
        start, end = end, min(top, end + limit)
        messages = await repo.changed_between(conversation_id, start + 1, end)
        # only the claims of revs no message read explains (usually none: a few _id lookups
        # instead of the claim pages, docs/performance.md "sync")
        explained = {m.rev for m in messages}
        window = await repo.claims_between(conversation_id, start + 1, end, explained)
        claims.update(window)
        shown = {m.id for m in messages}
        others = await repo.get_messages(list({c.mid for c in window.values()} - shown))
        # a message changed again above the window is read with the window of that change
        older = [m for m in others.values() if start < m.rev <= end]  # before rev pages
        messages = sorted([*messages, *older], key=lambda m: m.rev)
        if not messages:
            settled = set((await settle_claims(repo, list(window.values()), others)).values())
            if "written" in settled and not reread:
                end, reread = start, True  # written (or plugged) since it was read: again
            elif settled - {"skip"}:
                break  # a change still being written: stop before it
    if not messages:
        return [], since_rev, False
    has_more = end < top
    last = messages[-1].rev if messages else since_rev
    in_page = {m.id: m.rev for m in messages}
    open_claims = [
        c
        for c in (claims[rev] for rev in sorted(claims))
        if c.rev <= last and in_page.get(c.mid, -1) < c.rev
    ]
    if open_claims:
        found = await repo.get_messages(list({c.mid for c in open_claims}))
        states = await settle_claims(repo, open_claims, found)
        for c in open_claims:
            rev = c.rev
            if states[rev] != "skip":
                # Written (or plugged) after the page was read, or still being written: stop
                # before it. Once written it is fetched by the next call (or arrives live).
                messages = [m for m in messages if m.rev < rev]
                has_more = states[rev] == "written"
                break
    return messages, max([since_rev, *(m.rev for m in messages)]), has_more


async def settle_claims(
    repo: MessageRepository, claims: list[Claim], found: dict[str, Message]
) -> dict[int, order.Settled]:
    """What each claim stands for (``order.settle``), by rev, given ``found``, the stored
    messages the claims name. An abandoned claim of a new message is plugged first and read
    again, so it settles as its placeholder (or as its message, when that landed meanwhile) and
    its late write can no longer land below a rev a reader has passed; ``found`` is updated. A
    claim that cannot be plugged is passed over. Raises when the plug cannot be stored: nothing
    is passed over then."""
    now = time.time()
    states = {c.rev: order.settle(c, found.get(c.mid), c.rev, now) for c in claims}
    lost = [c for c in claims if states[c.rev] == "abandoned"]
    if lost:
        await repo.plug_claims(lost, clock.now())
        found.update(await repo.get_messages([c.mid for c in lost]))
        for c in lost:
            again = order.settle(c, found.get(c.mid), c.rev, now)
            states[c.rev] = "skip" if again == "abandoned" else again
    return states


async def resolve_revs(
    repo: MessageRepository, conversation_id: str, revs: list[int]
) -> list[tuple[int, str | None, dict[str, Any] | None]]:
    """For live delivery in rev order: what each rev (ascending) stands for. ``(rev, event,
    payload)`` to deliver, ``(rev, None, None)`` to skip; stops with ``(rev, "pending",
    None)`` at the first rev still being written."""
    claims = await repo.claims(conversation_id, revs)
    found = await repo.get_messages(list({c.mid for c in claims.values()}))
    states = await settle_claims(repo, list(claims.values()), found)
    out: list[tuple[int, str | None, dict[str, Any] | None]] = []
    for rev in revs:
        c = claims.get(rev)
        m = found.get(c.mid) if c else None
        state = states.get(rev, "skip")  # a rev never claimed stands for nothing
        if state == "pending":
            out.append((rev, "pending", None))
            break
        if state == "written" and c is not None and m is not None:
            event = "message:new" if c.new else "message:updated"
            out.append(
                (rev, event, MessageEnvelope(message=MessageOut.of(m)).model_dump(mode="json"))
            )
        else:
            out.append((rev, None, None))
    return out
