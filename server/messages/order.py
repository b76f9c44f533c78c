"""Revs become visible in order: how a reader settles a claimed rev.

A writer claims a rev (an insert into ``revs`` naming the message) before it writes the change
itself. Until the write lands, a reader that saw a higher rev must not move past the claimed one,
or a client that syncs "from the highest rev it has seen" would never get it. ``settle`` says,
for one claimed rev, whether the change is there to read (``written``), will never be there
(``skip``: voided, or superseded by a later change of the same message), is still in flight
(``pending``), or has been in flight so long that its writer is taken for dead (``abandoned``).
Live delivery and ``sync`` both stop at the first pending rev.

An abandoned claim may still be written: a write the database received before its writer died
or timed out lands when the database gets to it. A reader that passed over the claim and let a
client's cursor move beyond it would then never show that change to that client. So a reader
plugs an abandoned claim of a new message before passing it (``syncing.settle_claims``): a
deleted placeholder under the claim's message id, seq and rev, which refuses the late insert
(unique ``_id`` and seq; the writer tries again under a fresh id and rev). A change of an
existing message cannot be refused that way (FerretDB v1 updates are not atomic), so its
writer stamps a change that took longer than half ``ABANDON_SECONDS`` again under a fresh rev
(``MessageService._change``).
"""

from __future__ import annotations

from typing import Literal

from server.messages.claims import Claim
from server.messages.models import Message

Settled = Literal["written", "skip", "pending", "abandoned"]

# A claim older than this whose change never appeared was abandoned (its writer died mid-write;
# a writer that survives a refused or failed write voids its claims at once).
ABANDON_SECONDS = 10.0


def settle(claim: Claim | None, message: Message | None, rev: int, now: float) -> Settled:
    if claim is None or claim.void:
        return "skip"
    if message is not None and message.rev == rev:
        return "written"
    if message is not None and message.rev > rev:
        return "skip"  # superseded: the message's later state carries this change
    if now - claim.t > ABANDON_SECONDS:
        return "abandoned"
    return "pending"
