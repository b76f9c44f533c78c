"""Socket.IO events for DMs."""

from __future__ import annotations

from pydantic import BaseModel

from server.core.ratelimit import Budget
from server.dm.schemas import OpenDmIn
from server.dm.service import DmService
from server.messages.schemas import ConversationEnvelope
from server.realtime.events import Call, Event, EventTable

# Opening a DM tells the peer: a per-user budget keeps it from becoming a way to spam people.
OPEN_DM = Budget("dm_open", per_minute=30, burst=10)


def handlers(dms: DmService) -> EventTable:
    async def open_dm(call: Call) -> BaseModel:
        d: OpenDmIn = call.data  # type: ignore[assignment]
        return ConversationEnvelope(conversation=await dms.open(call.who.user, d.user_id, call.sid))

    return {"dm:open": Event(OpenDmIn, open_dm, OPEN_DM)}
