"""Socket.IO events of the conversation log: parse -> one service call -> output model."""

from __future__ import annotations

from pydantic import BaseModel

from server.core.ratelimit import Budget
from server.messages import schemas as s
from server.messages.service import MessageService
from server.realtime.events import Call, Event, EventTable

# Per-user budgets (docs/protocol.md, "Rate limits"). Reads are generous: a reconnecting client
# syncs every conversation it has. Edits and deletes share one bucket: each rewrites a stored
# message and is broadcast to every member, so a flood of them slows everyone down.
EDIT = Budget("edit", per_minute=60, burst=20)
READ = Budget("read", per_minute=1200, burst=300)
MARK_READ = Budget("mark_read", per_minute=300, burst=60)
TYPING = Budget("typing", per_minute=120, burst=30)


def send_budget(per_minute: int) -> Budget:
    """RATE_LIMIT_MESSAGES_PER_MINUTE sizes the send budget (a minute's worth may be spent at
    once), unscaled by RATE_LIMIT_SCALE."""
    return Budget("send", per_minute=per_minute, burst=per_minute, scalable=False)


def handlers(messages: MessageService, sends_per_minute: int = 120) -> EventTable:
    async def conversations(call: Call) -> BaseModel:
        return s.ConversationsOut(conversations=await messages.list_conversations(call.who.user))

    async def send(call: Call) -> BaseModel:
        d: s.SendMessageIn = call.data  # type: ignore[assignment]
        m = await messages.send(call.who, d.conversation_id, d.client_id, d.text)
        return s.MessageEnvelope(message=s.MessageOut.of(m))

    async def edit(call: Call) -> BaseModel:
        d: s.EditMessageIn = call.data  # type: ignore[assignment]
        return s.MessageEnvelope(
            message=s.MessageOut.of(await messages.edit(call.who, d.message_id, d.text))
        )

    async def delete(call: Call) -> BaseModel:
        d: s.DeleteMessageIn = call.data  # type: ignore[assignment]
        return s.MessageEnvelope(
            message=s.MessageOut.of(await messages.delete(call.who, d.message_id))
        )

    async def history(call: Call) -> BaseModel:
        d: s.HistoryIn = call.data  # type: ignore[assignment]
        found, more = await messages.history(call.who, d.conversation_id, d.before_seq, d.limit)
        return s.HistoryOut(messages=[s.MessageOut.of(m) for m in found], has_more=more)

    async def sync(call: Call) -> BaseModel:
        d: s.SyncIn = call.data  # type: ignore[assignment]
        found, rev, more = await messages.sync(call.who, d.conversation_id, d.since_rev, d.limit)
        return s.SyncOut(messages=[s.MessageOut.of(m) for m in found], rev=rev, has_more=more)

    async def read(call: Call) -> BaseModel:
        d: s.ReadIn = call.data  # type: ignore[assignment]
        return s.ReadOut(
            read_seq=await messages.mark_read(call.who, d.conversation_id, d.seq, call.sid)
        )

    async def typing(call: Call) -> BaseModel:
        d: s.TypingIn = call.data  # type: ignore[assignment]
        await messages.typing(call.who, d.conversation_id, call.sid)
        return s.EmptyOut()

    send_limit = send_budget(sends_per_minute)
    return {
        "conversations": Event(s.EmptyIn, conversations, READ),
        "message:send": Event(s.SendMessageIn, send, send_limit),
        "message:edit": Event(s.EditMessageIn, edit, EDIT),
        "message:delete": Event(s.DeleteMessageIn, delete, EDIT),
        "history": Event(s.HistoryIn, history, READ),
        "sync": Event(s.SyncIn, sync, READ),
        "read": Event(s.ReadIn, read, MARK_READ),
        "typing": Event(s.TypingIn, typing, TYPING),
    }
