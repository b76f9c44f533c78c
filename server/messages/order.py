"""Revs become visible in order: how a reader settles a claimed rev.

A writer claims a rev (an insert into ``revs`` naming the message) before it writes the change
itself. Until the write lands, a reader that saw a higher rev must not move past the claimed one,
or a client that syncs "from the highest rev it has seen" would never get it. ``settle`` says,
for one claimed rev, whether the change is there to read (``written``), will never be there
(``skip``: voided, superseded by a later change of the same message, or abandoned by a writer
that died), or is still in flight (``pending``). Live delivery and ``sync`` both stop at the
first pending rev.
"""

from __future__ import annotations

from typing import Literal

from server.messages.claims import Claim
from server.messages.models import Message

Settled = Literal["written", "skip", "pending"]

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
        return "skip"
    return "pending"
