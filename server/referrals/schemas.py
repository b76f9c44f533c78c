"""Wire models of the organiser's referral counts (the inbound fields are in fields.py)."""

from __future__ import annotations

from server.core.schemas import Out
from server.referrals.service import Counts


class ChannelCountsOut(Out):
    link: int
    poster: int
    going: int


class SharerCountOut(Out):
    user_id: str
    handle: str | None  # None: the sharer's account no longer exists
    display_name: str | None
    count: int
    by_channel: ChannelCountsOut


class ReferralsOut(Out):
    total: int
    by_channel: ChannelCountsOut
    by_sharer: list[SharerCountOut]  # most referrals first
    visits: ChannelCountsOut | None  # share-page visitors (with a ref) per channel; None: off

    @classmethod
    def of(cls, c: Counts) -> ReferralsOut:
        return cls(
            total=c.total,
            by_channel=ChannelCountsOut(**c.by_channel),
            by_sharer=[
                SharerCountOut(
                    user_id=s.sharer_id,
                    handle=s.sharer.handle if s.sharer else None,
                    display_name=s.sharer.display_name if s.sharer else None,
                    count=s.count,
                    by_channel=ChannelCountsOut(**s.by_channel),
                )
                for s in c.by_sharer
            ],
            visits=ChannelCountsOut(**c.visits) if c.visits is not None else None,
        )
