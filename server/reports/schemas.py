"""Wire models of the reports (docs/protocol.md, "Reports")."""

from __future__ import annotations

from server.core.schemas import Out, UtcDatetime


class ChannelsOut(Out):
    link: int
    poster: int
    going: int


class ViewsOut(Out):
    # Share-page visits that carried a ref, distinct visitors per channel (None: not counted,
    # no Redis). Card views in the chat are not counted by the server.
    share_page: ChannelsOut | None


class DayCountOut(Out):
    day: str  # YYYY-MM-DD, UTC
    signups: int


class FunnelOut(Out):
    viewed: int | None  # share-page visitors (all channels); None when not counted
    signed_up: int
    confirmed: int
    attended: int


class WaitlistOut(Out):
    current: int
    ever: int  # distinct people who were ever waitlisted


class OffersOut(Out):
    made: int
    claimed: int
    declined: int
    expired: int
    open: int


class CancellationsOut(Out):
    count: int
    late: int  # with less than 24 hours left before the start
    hours_before_start: list[float]  # each cancellation, most notice first
    median_hours_before_start: float | None


class ReconfirmOut(Out):
    asked: int
    reconfirmed: int


class MoneyOut(Out):
    currency: str
    test: bool  # sandbox money: no money moved
    paid: int
    refunded: int
    net: int


class ReferralSourcesOut(Out):
    total: int
    by_channel: ChannelsOut


class ActivityReportOut(Out):
    activity_id: str
    circle_id: str
    title: str
    starts_at: UtcDatetime
    cancelled: bool
    ended: bool
    views: ViewsOut
    signups: int
    signups_by_day: list[DayCountOut]
    funnel: FunnelOut
    waitlist: WaitlistOut
    offers: OffersOut
    holds_expired: int
    cancellations: CancellationsOut
    reconfirmation: ReconfirmOut
    no_shows: int | None  # None until the activity has ended (or when it was cancelled)
    no_show_rate: float | None
    payments: list[MoneyOut]
    referrals: ReferralSourcesOut


class RevenueRowOut(Out):
    currency: str
    test: bool
    gross: int
    refunds: int
    fees: int
    net: int


class MonthRevenueOut(RevenueRowOut):
    month: str  # YYYY-MM, UTC


class ActivityRevenueOut(RevenueRowOut):
    activity_id: str
    title: str


class ProviderRevenueOut(RevenueRowOut):
    provider: str


class OutstandingOut(Out):
    payment_id: str
    activity_id: str
    activity_title: str
    payer_id: str
    payer_name: str
    amount: int
    currency: str
    status: str
    reference: str
    since: UtcDatetime


class RevenueOut(Out):
    circle_id: str
    totals: list[RevenueRowOut]
    by_month: list[MonthRevenueOut]
    by_activity: list[ActivityRevenueOut]
    by_provider: list[ProviderRevenueOut]
    outstanding: list[OutstandingOut]
