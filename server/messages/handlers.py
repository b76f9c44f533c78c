"""Socket.IO events of the conversation log: parse -> one service call -> output model."""

from __future__ import annotations

from pydantic import BaseModel

from server.core.ratelimit import Budget
from server.messages import schemas as s
from server.messages.models import Message
from server.messages.service import MessageService
from server.realtime.events import Call, Event, EventTable, Wire

# Per-user budgets (docs/protocol.md, "Rate limits"). Reads are generous: a reconnecting client
# syncs every conversation it has. Edits and deletes share one bucket: each rewrites a stored
# message and is broadcast to every member, so a flood of them slows everyone down.
EDIT = Budget("edit", per_minute=60, burst=20)
READ = Budget("read", per_minute=1200, burst=300)
MARK_READ = Budget("mark_read", per_minute=300, burst=60)
TYPING = Budget("typing", per_minute=120, burst=30)
# A reaction rewrites the message and is broadcast to every member, like an edit, but people
# tap several in a row.
REACT = Budget("react", per_minute=120, burst=30)
PIN = Budget("pin", per_minute=30, burst=10)


def send_budget(per_minute: int) -> Budget:
    """RATE_LIMIT_MESSAGES_PER_MINUTE sizes the send budget (a minute's worth may be spent at
    once), unscaled by RATE_LIMIT_SCALE."""
    return Budget("send", per_minute=per_minute, burst=per_minute, scalable=False)


def handlers(messages: MessageService, sends_per_minute: int = 120) -> EventTable:
    async def conversations(call: Call) -> BaseModel:
        return s.ConversationsOut(conversations=await messages.list_conversations(call.who.user))

    async def one(call: Call, m: Message) -> BaseModel:
        return s.MessageEnvelope(message=(await messages.viewed(call.who.user.id, [m]))[0])

    async def send(call: Call) -> BaseModel | Wire:
        d: s.SendMessageIn = call.data  # type: ignore[assignment]
        m = await messages.send(
            call.who, d.conversation_id, d.client_id, d.text, d.reply_to, list(d.attachments)
        )
        wire = messages.committed_wire(m)  # the broadcast's payload: built once for both
        return Wire(wire) if wire is not None else await one(call, m)

    async def edit(call: Call) -> BaseModel:
        d: s.EditMessageIn = call.data  # type: ignore[assignment]
        return await one(call, await messages.edit(call.who, d.message_id, d.text))

    async def delete(call: Call) -> BaseModel:
        d: s.DeleteMessageIn = call.data  # type: ignore[assignment]
        return await one(call, await messages.delete(call.who, d.message_id, d.reason))

    async def react(call: Call) -> BaseModel:
        d: s.ReactionIn = call.data  # type: ignore[assignment]
        return await one(call, await messages.reactions.add(call.who, d.message_id, d.emoji))

    async def unreact(call: Call) -> BaseModel:
        d: s.ReactionIn = call.data  # type: ignore[assignment]
        return await one(call, await messages.reactions.remove(call.who, d.message_id, d.emoji))

    async def pin(call: Call) -> BaseModel:
        d: s.MessageRefIn = call.data  # type: ignore[assignment]
        return await one(call, await messages.pins.pin(call.who, d.message_id))

    async def unpin(call: Call) -> BaseModel:
        d: s.MessageRefIn = call.data  # type: ignore[assignment]
        return await one(call, await messages.pins.unpin(call.who, d.message_id))

    async def pins(call: Call) -> BaseModel:
        d: s.PinsIn = call.data  # type: ignore[assignment]
        found = await messages.pins.listing(call.who, d.conversation_id)
        return s.PinsOut(messages=await messages.viewed(call.who.user.id, found))

    async def history(call: Call) -> BaseModel:
        d: s.HistoryIn = call.data  # type: ignore[assignment]
        found, more = await messages.history(call.who, d.conversation_id, d.before_seq, d.limit)
        return s.HistoryOut(messages=await messages.viewed(call.who.user.id, found), has_more=more)

    async def sync(call: Call) -> BaseModel:
        d: s.SyncIn = call.data  # type: ignore[assignment]
        found, rev, more = await messages.sync(call.who, d.conversation_id, d.since_rev, d.limit)
        out = await messages.viewed(call.who.user.id, found)
        return s.SyncOut(messages=out, rev=rev, has_more=more)

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
        "reaction:add": Event(s.ReactionIn, react, REACT),
        "reaction:remove": Event(s.ReactionIn, unreact, REACT),
        "message:pin": Event(s.MessageRefIn, pin, PIN),
        "message:unpin": Event(s.MessageRefIn, unpin, PIN),
        "pins": Event(s.PinsIn, pins, READ),
        "history": Event(s.HistoryIn, history, READ),
        "sync": Event(s.SyncIn, sync, READ),
        "read": Event(s.ReadIn, read, MARK_READ),
        "typing": Event(s.TypingIn, typing, TYPING),
    }
