"""Report logic: gate, read the sources, compute (history.py, money.py), shape the answer.

Cost per request (all reads are equalities on declared indexes, none touches messages):
- an activity's report: the activity's state, its sign-up rows (one query, about as many rows as
  the activity has had sign-up changes), its payments with their ledgers (one query plus two
  per payment), its referral attributions (one query) and three Redis counters;
- a circle's revenue and its CSV ledger: the circle's activity list (one query), then per
  activity its state and payments with ledgers: bounded by the circle's activities and payments
  (the first read of a circle in a process also lists its upcoming and 100 newest past
  activities, two queries, see ``_activity_ids``).
"""

from __future__ import annotations

from server.accounts.models import User
from server.activities.models import Activity
from server.activities.service import ActivityService
from server.core import clock
from server.payments.service import PaymentService
from server.referrals.service import ReferralService
from server.reports import access, history, money
from server.reports.money import Paid
from server.reports.recorder import row_of
from server.reports.repository import ReportRepository
from server.reports.schemas import (
    ActivityReportOut,
    ActivityRevenueOut,
    CancellationsOut,
    ChannelsOut,
    DayCountOut,
    FunnelOut,
    MoneyOut,
    MonthRevenueOut,
    OffersOut,
    OutstandingOut,
    ProviderRevenueOut,
    ReconfirmOut,
    ReferralSourcesOut,
    RevenueOut,
    RevenueRowOut,
    ViewsOut,
    WaitlistOut,
)
from server.rooms.service import CircleService

LISTED_MEMORY = 50_000


class ReportService:
    def __init__(
        self,
        repo: ReportRepository,
        activities: ActivityService,
        circles: CircleService,
        payments: PaymentService,
        referrals: ReferralService,
    ) -> None:
        self._repo = repo
        self._activities = activities
        self._circles = circles
        self._payments = payments
        self._referrals = referrals
        self._listed: set[str] = set()  # circles whose older activities were listed

    async def activity_report(self, user: User, activity_id: str) -> ActivityReportOut:
        a = await access.require_activity_reader(self._activities, user, activity_id)
        rows = await self._repo.rows(a.id)
        f = history.figures(a, rows, [row_of(a, e) for e in a.entries.values()])
        now = clock.now()
        missing, rate = history.no_shows(a, now)
        counts = await self._referrals.for_activity(user, a.id)
        visits = ChannelsOut(**counts.visits) if counts.visits is not None else None
        paid = await self._paid(user, a.id, a.title)
        return ActivityReportOut(
            activity_id=a.id,
            circle_id=a.circle_id,
            title=a.title,
            starts_at=a.starts_at,
            cancelled=a.cancelled,
            ended=now >= a.ends_at,
            views=ViewsOut(share_page=visits),
            signups=f.signups,
            signups_by_day=[DayCountOut(day=d, signups=n) for d, n in f.signups_by_day.items()],
            funnel=FunnelOut(
                viewed=sum(counts.visits.values()) if counts.visits is not None else None,
                signed_up=len(f.signed_up),
                confirmed=len(f.confirmed),
                attended=a.count("attended"),
            ),
            waitlist=WaitlistOut(current=a.waitlist_count, ever=len(f.waitlisted)),
            offers=OffersOut(
                made=f.offers["made"],
                claimed=f.offers["claimed"],
                declined=f.offers["declined"],
                expired=f.offers["expired"],
                open=a.count("offered"),
            ),
            holds_expired=f.holds_expired,
            cancellations=CancellationsOut(
                count=len(f.cancel_hours),
                late=f.late_cancellations,
                hours_before_start=f.cancel_hours,
                median_hours_before_start=f.median_cancel_hours,
            ),
            reconfirmation=ReconfirmOut(
                asked=len(f.reconfirm_asked), reconfirmed=len(f.reconfirmed)
            ),
            no_shows=missing,
            no_show_rate=rate,
            payments=[
                MoneyOut(
                    currency=r["currency"],
                    test=r["test"],
                    paid=r["gross"],
                    refunded=r["refunds"],
                    net=r["net"],
                )
                for r in money.revenue(paid)["totals"]
            ],
            referrals=ReferralSourcesOut(
                total=counts.total, by_channel=ChannelsOut(**counts.by_channel)
            ),
        )

    async def _paid(self, user: User, activity_id: str, title: str) -> list[Paid]:
        found = await self._payments.for_activity(user, activity_id)
        return [Paid(p, ledger, payer, title) for p, ledger, payer in found]

    async def _activity_ids(self, user: User, circle_id: str) -> list[str]:
        """The circle's activities. The recorder lists an activity at its first commit; one
        whose last change came before the recorder existed (a store from an older version) is
        listed here, from the circle's upcoming and newest 100 past activities, once per
        circle and process."""
        if circle_id not in self._listed:
            found = [
                *await self._activities.in_circle(user, circle_id, True),
                *await self._activities.in_circle(user, circle_id, False),
            ]
            await self._repo.add_activities(circle_id, [a.id for a in found])
            if len(self._listed) >= LISTED_MEMORY:
                self._listed.clear()
            self._listed.add(circle_id)
        return await self._repo.activities_of(circle_id)

    async def _circle_paid(self, user: User, circle_id: str) -> list[Paid]:
        await access.require_circle_reader(self._circles, user, circle_id)
        paid: list[Paid] = []
        for activity_id in await self._activity_ids(user, circle_id):
            a = await self._activities.state(activity_id)
            if a is not None and a.circle_id == circle_id:
                paid.extend(await self._paid(user, a.id, a.title))
        return paid

    async def circle_activities(self, user: User, circle_id: str) -> list[Activity]:
        """The current state of each of the circle's activities (the caller has passed the
        circle's reader gate; lifecycle.py reads attendance and money from them)."""
        found = [await self._activities.state(i) for i in await self._activity_ids(user, circle_id)]
        return [a for a in found if a is not None and a.circle_id == circle_id]

    async def paid_for(self, user: User, a: Activity) -> list[Paid]:
        return await self._paid(user, a.id, a.title)

    async def revenue(self, user: User, circle_id: str) -> RevenueOut:
        paid = await self._circle_paid(user, circle_id)
        found = money.revenue(paid)
        return RevenueOut(
            circle_id=circle_id,
            totals=[RevenueRowOut(**r) for r in found["totals"]],
            by_month=[MonthRevenueOut(**r) for r in found["by_month"]],
            by_activity=[ActivityRevenueOut(**r) for r in found["by_activity"]],
            by_provider=[ProviderRevenueOut(**r) for r in found["by_provider"]],
            outstanding=[
                OutstandingOut(
                    payment_id=item.payment.id,
                    activity_id=item.payment.activity_id,
                    activity_title=item.title,
                    payer_id=item.payment.user_id,
                    payer_name=item.payer.display_name if item.payer else "",
                    amount=item.payment.amount,
                    currency=item.payment.currency,
                    status=item.payment.status,
                    reference=item.payment.reference or "",
                    since=item.payment.updated_at,
                )
                for item in money.outstanding(paid)
            ],
        )

    async def ledger_csv(self, user: User, circle_id: str) -> str:
        return money.ledger_csv(await self._circle_paid(user, circle_id))
