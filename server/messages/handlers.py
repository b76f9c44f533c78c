"""Socket.IO events of the conversation log: parse -> one service call -> output model."""

from __future__ import annotations

from pydantic import BaseModel

from server.messages import schemas as s
from server.messages.service import MessageService
from server.realtime.events import Call, Event, EventTable


def handlers(messages: MessageService) -> EventTable:
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

    return {
        "conversations": Event(s.EmptyIn, conversations),
        "message:send": Event(s.SendMessageIn, send),
        "message:edit": Event(s.EditMessageIn, edit),
        "message:delete": Event(s.DeleteMessageIn, delete),
        "history": Event(s.HistoryIn, history),
        "sync": Event(s.SyncIn, sync),
        "read": Event(s.ReadIn, read),
        "typing": Event(s.TypingIn, typing),
    }
