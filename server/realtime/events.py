"""The Socket.IO event table: event name -> (input model, handler, per-user budget)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from server.accounts.models import Principal
from server.core.ratelimit import Budget
from server.core.schemas import StrictIn


@dataclass(frozen=True)
class Call:
    """One inbound event: who sent it, from which socket, with what (validated) payload."""

    who: Principal
    sid: str
    data: StrictIn


@dataclass(frozen=True)
class Wire:
    """An answer already in its wire form, sent as it is instead of dumping a model again: a
    sent message's ack is its ``message:new`` payload, built once for both (the ack and the
    broadcast differ only in ``reactions[].me``, and a new message has no reactions)."""

    data: dict[str, Any]


EventFn = Callable[[Call], Awaitable[BaseModel | Wire]]


@dataclass(frozen=True)
class Event:
    """``budget`` is charged to the sender before the payload is even parsed, so a refused
    event costs one Redis round trip and changes nothing."""

    model: type[StrictIn]
    fn: EventFn
    budget: Budget


EventTable = dict[str, Event]
