"""Wire models of newcomer link holds (moderation/newcomers.py)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from server.core.schemas import Out, StrictIn

MAX_HOURS = 24 * 30


class NewcomersIn(StrictIn):
    link_hours: Annotated[int, Field(ge=0, le=MAX_HOURS)]  # 0: off


class LinkHeldOut(Out):
    """``circle:link_held`` (to the circle's staff): a newcomer's link is held for review."""

    circle_id: str
    user_id: str
    text: str
    hold_id: str  # approve or decline it under /api/circles/{id}/holds/{hold_id}
