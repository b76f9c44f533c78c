"""DM wire models."""

from __future__ import annotations

from server.core.schemas import Id, StrictIn


class OpenDmIn(StrictIn):
    user_id: Id
