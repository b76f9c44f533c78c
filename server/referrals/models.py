"""Referral domain objects (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from server.accounts.models import User

Channel = Literal["link", "poster", "going"]
CHANNELS: tuple[Channel, ...] = ("link", "poster", "going")
Kind = Literal["activity", "circle"]


@dataclass(frozen=True)
class Via:
    """What a share URL carried: the sharer as written in the URL (handle or user id), and the
    channel (``link`` when the URL named none)."""

    ref: str
    channel: Channel = "link"


@dataclass(frozen=True)
class Attribution:
    kind: Kind
    target_id: str  # the activity or circle id
    user_id: str  # the new participant
    sharer_id: str
    channel: Channel
    at: datetime


class Recorder(Protocol):
    """What the activity and circle services call after a sign-up or a join they stored."""

    async def record(self, kind: Kind, target_id: str, user: User, via: Via) -> None: ...
