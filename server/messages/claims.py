"""A rev claim as the log's readers see it (stored in ``revs`` by ``MessageRepository``).

A writer claims the next rev of a conversation before it writes the change, by inserting
``<conversation>:<rev>`` (order.py says how a reader settles one). The repository maps the
stored document to this record; nothing outside it reads claim documents.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Claim:
    conversation_id: str
    rev: int
    mid: str  # the message whose change the rev stands for
    new: bool  # a new message (its seq is seq_top), else a change of an existing one
    seq_top: int  # the highest seq assigned up to this rev (-1: claimed before claims had it)
    t: float  # when it was claimed (epoch seconds): an old claim with nothing written was lost
    void: bool = False  # its change was refused or failed: it stands for nothing
