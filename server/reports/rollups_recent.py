"""What this process stored lately in circles' chats, kept for the report sweep (rollups.py).

The sweep turns every change of a circle's chat into a fact. It used to read each change back
from the database with ``sync``'s code, one rev page after another: in the chat benchmark at
1,025 msg/s that was 21,914 messages read back in a 30 s run, a second read of every message
the process had just written, and the sends waiting behind the sweep's first pages. A message
service observer now keeps what a fact needs of each change this process commits in a chat the
sweep watches, and the sweep takes from it the changes right above the rev it has recorded, one
after another, as long as none is missing. Where one is missing (a change another process
wrote, one still being written, a placeholder, a memory cleared at its cap or at a restart) it
reads from there on from the database as before, so the facts are the same either way.

Bounded: at most ``CAP`` changes in all, about 300 bytes each (150 measured with tracemalloc,
plus the message id and time it keeps alive); past it, everything is dropped
and the sweep reads the database. Changes the sweep of another process has taken stay until
this process's sweep passes them over or the cap drops them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from server.messages.models import Message
from server.reports.rollups_compute import Fact, is_question

CAP = 100_000


class Said(NamedTuple):
    """A change of a chat, as far as the report needs it: the message at that rev."""

    rev: int
    message_id: str
    seq: int
    kind: str
    sender_id: str
    at: datetime
    deleted: bool
    question: bool
    reacted: bool  # has reactions: the sweep reads who reacted (reactions_of)


def said_of(m: Message) -> Said:
    return Said(
        m.rev,
        m.id,
        m.seq,
        m.kind,
        m.sender_id,
        m.created_at,
        m.deleted,
        not m.deleted and is_question(m.text),
        bool(m.reactions) and not m.deleted,
    )


def said_fact(circle_id: str, s: Said) -> Fact | None:
    """The fact of a message at this change (none for a card or a system message)."""
    if s.kind != "text":
        return None
    return Fact(
        f"m:{s.message_id}",
        circle_id,
        "msg",
        s.sender_id,
        s.at,
        seq=s.seq,
        deleted=s.deleted,
        question=s.question,
        rev=s.rev,
    )


class Recent:
    def __init__(self, cap: int = CAP) -> None:
        self._cap = cap
        self._watched: frozenset[str] = frozenset()
        self._chats: dict[str, dict[int, Said]] = {}  # conversation -> rev -> change
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def watch(self, conversation_ids: Iterable[str]) -> None:
        """The circles' chats (each sweep lists them): changes elsewhere are not kept."""
        self._watched = frozenset(conversation_ids)

    def observe(self, messages: list[Message]) -> None:
        """A message service observer: called after each commit, must not raise or wait."""
        for m in messages:
            if m.conversation_id not in self._watched:
                continue
            kept = self._chats.setdefault(m.conversation_id, {})
            if m.rev not in kept:
                self._count += 1
            kept[m.rev] = said_of(m)
        if self._count > self._cap:
            self.clear()

    def clear(self) -> None:
        self._chats.clear()
        self._count = 0

    def take(self, conversation_id: str, after: int, limit: int) -> list[Said]:
        """The changes ``after + 1``, ``after + 2``, … up to ``limit`` of them, stopping at the
        first not kept; taken out. When none is, what is kept at or below ``after`` (read
        already, by this process's sweep from the database or by another process's) goes."""
        kept = self._chats.get(conversation_id)
        if not kept:
            return []
        out: list[Said] = []
        while len(out) < limit and (s := kept.pop(after + len(out) + 1, None)) is not None:
            out.append(s)
        read = [rev for rev in kept if rev <= after] if not out else []
        for rev in read:
            del kept[rev]
        self._count -= len(out) + len(read)
        if not kept:
            del self._chats[conversation_id]
        return out
