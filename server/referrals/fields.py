"""The referral fields a sign-up or a join carries (imported by the activity and circle wire
models, so this module imports nothing of theirs)."""

from __future__ import annotations

from typing import Literal

from server.core.schemas import Id, StrictIn
from server.referrals.models import Via


class ReferralFields(StrictIn):
    """``ref`` (the sharer's handle or user id, as the share URL carried it) and ``ch`` (the
    channel; ``link`` when absent). A ``ch`` without a ``ref`` credits nobody."""

    ref: Id | None = None
    ch: Literal["link", "poster", "going"] | None = None

    def via(self) -> Via | None:
        return Via(self.ref, self.ch or "link") if self.ref else None
