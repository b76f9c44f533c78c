"""A history recorder and checker for the conversation log (TESTING.md, M1-M4).

Jepsen-style: a test records every operation it performs (each ``message:send`` with its client
id, when it started, when and how it was answered) and every event each client received, then the
checkers below verify invariants over the whole history against what the database holds:

- M1 every message acknowledged ``ok`` to its sender is stored exactly once;
- M2 no ``(conversation_id, sender_id, client_id)`` appears twice;
- M3 each client receives each conversation's messages in increasing ``seq``;
- M4 after ``sync``, each client's copy of each conversation equals the database.

The database is read directly (PyMongo), not through the server, so the checkers do not trust the
code they check. Each checker raises ``AssertionError`` with the offending items.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pymongo import AsyncMongoClient

from tests.support.client import Sock

# The fields of a message that a client's copy must agree on with the database.
COMPARED = ("id", "conversation_id", "seq", "rev", "sender_id", "kind", "text", "deleted")


def client_id() -> str:
    return uuid.uuid4().hex


@dataclass
class SendOp:
    """One ``message:send``: what was asked and how (and whether) it was answered."""

    sender: str  # the sender's user id
    conversation_id: str
    client_id: str
    text: str
    via: str = ""  # which process / socket it went through
    started: float = 0.0
    finished: float | None = None
    outcome: str = "pending"  # ok | error | no_answer
    message: dict[str, Any] | None = None
    error: dict[str, Any] | None = None

    @property
    def latency(self) -> float | None:
        return None if self.finished is None else self.finished - self.started


@dataclass
class History:
    """Every operation of a run and every event each watched client received."""

    sends: list[SendOp] = field(default_factory=list)
    watched: dict[str, Sock] = field(default_factory=dict)

    def watch(self, name: str, sock: Sock) -> Sock:
        """Record what ``sock`` receives (its ``log``) under ``name`` for the M3 check."""
        assert name not in self.watched, name
        self.watched[name] = sock
        return sock

    async def send(
        self,
        sock: Sock,
        sender_id: str,
        conversation_id: str,
        text: str,
        cid: str | None = None,
        via: str = "",
        timeout: float = 15.0,
    ) -> SendOp:
        """Send one message and record the outcome. Never raises for a refused or lost send."""
        op = SendOp(sender_id, conversation_id, cid or client_id(), text, via, time.monotonic())
        self.sends.append(op)
        payload = {"conversation_id": conversation_id, "client_id": op.client_id, "text": text}
        try:
            ack = await sock.sio.call("message:send", payload, timeout=timeout)
        except Exception as exc:  # timeout or the connection went away: the send was in flight
            op.outcome = "no_answer"
            op.error = {"exception": type(exc).__name__}
            return op
        op.finished = time.monotonic()
        if isinstance(ack, dict) and ack.get("ok") is True:
            op.outcome = "ok"
            op.message = ack["data"]["message"]
        else:
            op.outcome = "error"
            op.error = ack.get("error") if isinstance(ack, dict) else {"ack": ack}
        return op

    def acked(self, conversation_id: str | None = None) -> list[SendOp]:
        return [
            op
            for op in self.sends
            if op.outcome == "ok" and conversation_id in (None, op.conversation_id)
        ]

    def outcomes(self) -> Counter[str]:
        return Counter(
            op.outcome if op.outcome != "error" else f"error:{(op.error or {}).get('code')}"
            for op in self.sends
        )


# --- the database ---------------------------------------------------------------------------


class Store:
    """Direct, read-only access to the messages the server stored."""

    def __init__(self, mongo_url: str, db_name: str) -> None:
        self._client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            mongo_url, tz_aware=True, serverSelectionTimeoutMS=10_000
        )
        self._db = self._client[db_name]

    async def messages(self, conversation_id: str) -> list[dict[str, Any]]:
        """Every stored message of a conversation, raw, ascending by seq."""
        cursor = self._db["messages"].find({"conversation_id": conversation_id}, sort=[("seq", 1)])
        return [doc async for doc in cursor]

    async def by_client_id(self, conversation_id: str, cid: str) -> list[dict[str, Any]]:
        cursor = self._db["messages"].find({"conversation_id": conversation_id, "client_id": cid})
        return [doc async for doc in cursor]

    async def close(self) -> None:
        await self._client.close()


def normal(message: dict[str, Any]) -> dict[str, Any]:
    """A stored document or a wire message, reduced to the fields a copy must agree on."""
    out = {k: message.get(k) for k in COMPARED}
    if "_id" in message:
        out["id"] = message["_id"]
    out["deleted"] = bool(out["deleted"])
    return out


# --- a client's copy of a conversation --------------------------------------------------------


class Replica:
    """A client's copy of conversations, built the way a client must build it: from live
    ``message:new`` / ``message:updated`` events and ``sync`` results, the latest ``rev`` of each
    message winning. ``mark`` is the highest rev seen, what the client passes to ``sync``."""

    def __init__(self) -> None:
        self.copy: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        self.mark: dict[str, int] = defaultdict(int)

    def apply(self, message: dict[str, Any]) -> None:
        conv = message["conversation_id"]
        current = self.copy[conv].get(message["id"])
        if current is None or message["rev"] > current["rev"]:
            self.copy[conv][message["id"]] = message
        self.mark[conv] = max(self.mark[conv], message["rev"])

    def apply_events(self, log: Iterable[tuple[str, Any]]) -> None:
        for event, data in log:
            if event in ("message:new", "message:updated"):
                self.apply(data["message"])

    async def sync(self, sock: Sock, conversation_id: str, limit: int = 200) -> list[dict]:
        """Call ``sync`` from the mark until ``has_more`` is false; returns what it delivered."""
        got: list[dict[str, Any]] = []
        while True:
            page = await sock.ok(
                "sync",
                {
                    "conversation_id": conversation_id,
                    "since_rev": self.mark[conversation_id],
                    "limit": limit,
                },
            )
            for message in page["messages"]:
                self.apply(message)
            got.extend(page["messages"])
            self.mark[conversation_id] = max(self.mark[conversation_id], page["rev"])
            if not page["has_more"]:
                return got


# --- the checkers -----------------------------------------------------------------------------


def check_m1(acked: Iterable[SendOp], stored: list[dict[str, Any]]) -> None:
    """M1: every ``ok`` ack names a message stored exactly once, as acknowledged. ``stored`` must
    hold every document of the acks' conversations."""
    by_key: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for doc in stored:
        if doc.get("kind") == "text":
            by_key[(doc["conversation_id"], doc["sender_id"], doc["client_id"])].append(doc)
    problems = []
    checked = 0
    for op in acked:
        assert op.outcome == "ok" and op.message is not None, op
        checked += 1
        docs = by_key.get((op.conversation_id, op.sender, op.client_id), [])
        if len(docs) != 1:
            problems.append((op.client_id, f"stored {len(docs)} times"))
        elif docs[0]["_id"] != op.message["id"] or docs[0]["seq"] != op.message["seq"]:
            problems.append((op.client_id, "ack names another copy", op.message, docs[0]))
    assert not problems, f"M1 violated for {len(problems)} of {checked} acks: {problems[:10]}"


def check_m2(stored: list[dict[str, Any]]) -> None:
    """M2: no (conversation, sender, client_id) twice; also no seq twice."""
    keys = Counter(
        (d["conversation_id"], d["sender_id"], d["client_id"])
        for d in stored
        if d.get("kind") == "text"
    )
    dup_keys = [k for k, n in keys.items() if n > 1]
    assert not dup_keys, f"M2 violated: {dup_keys[:10]}"
    seqs = Counter((d["conversation_id"], d["seq"]) for d in stored)
    dup_seqs = [k for k, n in seqs.items() if n > 1]
    assert not dup_seqs, f"seq stored twice: {dup_seqs[:10]}"


def check_dense(stored: list[dict[str, Any]]) -> None:
    """seq is 1..n in every conversation."""
    by_conv: dict[str, list[int]] = defaultdict(list)
    for d in stored:
        by_conv[d["conversation_id"]].append(d["seq"])
    for conv, seqs in by_conv.items():
        seqs.sort()
        missing = sorted(set(range(1, len(seqs) + 1)) - set(seqs))
        assert seqs == list(range(1, len(seqs) + 1)), (
            f"seq not dense in {conv}: {len(seqs)} messages, missing {missing[:10]}, "
            f"max {seqs[-1] if seqs else None}"
        )


def live_seqs(sock: Sock) -> dict[str, list[int]]:
    """The seqs of the ``message:new`` events a socket received, per conversation, in order."""
    out: dict[str, list[int]] = defaultdict(list)
    for event, data in sock.log:
        if event == "message:new":
            out[data["message"]["conversation_id"]].append(data["message"]["seq"])
    return out


def check_m3(history: History) -> None:
    """M3: every watched client saw each conversation's messages in strictly increasing seq
    (which also rules out receiving one message twice)."""
    problems = []
    for name, sock in history.watched.items():
        for conv, seqs in live_seqs(sock).items():
            bad = [(a, b) for a, b in itertools.pairwise(seqs) if b <= a]
            if bad:
                problems.append((name, conv, bad[:5], len(seqs)))
    assert not problems, f"M3 violated: {problems[:10]}"


def check_m4(replica: Replica, conversation_id: str, stored: list[dict[str, Any]]) -> None:
    """M4: the client's copy of the conversation equals the database."""
    mine = {mid: normal(m) for mid, m in replica.copy[conversation_id].items()}
    theirs = {d["_id"]: normal(d) for d in stored}
    missing = sorted((theirs[k]["seq"], k) for k in theirs.keys() - mine.keys())
    extra = sorted(mine.keys() - theirs.keys())
    stale = [
        (mine[k]["seq"], mine[k]["rev"], theirs[k]["rev"])
        for k in mine.keys() & theirs.keys()
        if mine[k] != theirs[k]
    ]
    assert not (missing or extra or stale), (
        f"M4 violated in {conversation_id}: missing (seq, id) {missing[:10]} "
        f"({len(missing)} in all), extra {extra[:10]}, stale (seq, my rev, db rev) {stale[:10]}"
    )
    seqs = Counter(m["seq"] for m in mine.values())
    assert all(n == 1 for n in seqs.values()), f"two messages share a seq: {seqs.most_common(3)}"


async def settle(
    socks: Iterable[Sock], count: int, conversation_id: str, timeout: float = 15.0
) -> None:
    """Wait until every socket has received ``count`` distinct ``message:new`` of a conversation
    (or the timeout passes: the checkers then say what is missing)."""
    socks = list(socks)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(len({m["id"] for m in s.messages(conversation_id)}) >= count for s in socks):
            return
        await asyncio.sleep(0.05)
