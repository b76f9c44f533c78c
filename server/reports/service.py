"""Report logic: gate, read the sources, compute (history.py, money.py), shape the answer.

Cost per request (all reads are equalities on declared indexes, none touches messages):
- an activity's report: the activity's state, its sign-up rows (one query, about as many rows as
  the activity has had sign-up changes), its payments with their ledgers from the circle's book
  (one ``_id`` and the circle's pending marks; from the sources when the activity is marked),
  its referral attributions (one query) and three Redis counters;
- a circle's revenue and its CSV ledger: the circle's book (one ``_id``, book.py), its pending
  marks (one equality, usually none) and the sources of each activity still marked; then the
  names of the payers shown (the outstanding transfers; every payer for the CSV), one ``_id``
  each.
"""

from __future__ import annotations

from server.accounts.models import User
from server.accounts.service import AccountService
from server.activities.models import Activity
from server.activities.service import ActivityService
from server.core import clock
from server.referrals.service import ReferralService
from server.reports import access, history, money
from server.reports.book import BookKeeper
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
        referrals: ReferralService,
        book: BookKeeper,
        accounts: AccountService,
    ) -> None:
        self._repo = repo
        self._book = book
        self._accounts = accounts
        self._activities = activities
        self._circles = circles
        self._referrals = referrals
        self._listed: set[str] = set()  # circles whose older activities were listed

    async def activity_report(self, user: User, activity_id: str) -> ActivityReportOut:
        a = await access.require_activity_reader(self._activities, user, activity_id)
        rows = await self._repo.rows(a.id)
        f = history.figures(a, rows, [row_of(a, e) for e in a.entries.values()])
        now = clock.now()
        missing, rate = history.no_shows(a, now)
        counts = await self._referrals.activity_counts(a.id)  # gated above
        visits = ChannelsOut(**counts.visits) if counts.visits is not None else None
        e = await self._book.entry(a.circle_id, a.id)
        paid = [Paid(p, ledger, None, a.title) for p, ledger in (e.payments if e else [])]
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

    async def _activity_ids(self, user: User, circle_id: str) -> list[str]:
        """The circle's activities (see ``_list_older``)."""
        await self._list_older(user, circle_id)
        return await self._repo.activities_of(circle_id)

    async def _list_older(self, user: User, circle_id: str) -> None:
        """The recorder lists an activity at its first commit; one whose last change came
        before the recorder existed (a store from an older version) is listed here, from the
        circle's upcoming and newest 100 past activities, once per circle and process, and
        marked for the circle's book."""
        if circle_id in self._listed:
            return
        found = [
            *await self._activities.in_circle(user, circle_id, True),
            *await self._activities.in_circle(user, circle_id, False),
        ]
        ids = list(dict.fromkeys(a.id for a in found))
        taken = await self._repo.add_activities(circle_id, ids)
        for k, activity_id in enumerate(ids):
            if k not in taken:
                await self._book.mark(circle_id, activity_id)
        if len(self._listed) >= LISTED_MEMORY:
            self._listed.clear()
        self._listed.add(circle_id)

    async def _circle_paid(self, user: User, circle_id: str, every_payer: bool) -> list[Paid]:
        """The circle's payments from its book, with the payer of each outstanding one (of
        each one with ``every_payer``)."""
        await access.require_circle_reader(self._circles, user, circle_id)
        await self._list_older(user, circle_id)
        found = [
            (p, ledger, e.title)
            for e in (await self._book.read(circle_id)).values()
            for p, ledger in e.payments
        ]
        wanted = {p.user_id for p, _, _ in found if every_payer or money.is_outstanding(p)}
        payers = await self._accounts.get_users(sorted(wanted))
        return [Paid(p, ledger, payers.get(p.user_id), title) for p, ledger, title in found]

    async def circle_activities(self, user: User, circle_id: str) -> list[Activity]:
        """The current state of each of the circle's activities (the caller has passed the
        circle's reader gate; lifecycle.py reads attendance and money from them)."""
        found = [await self._activities.state(i) for i in await self._activity_ids(user, circle_id)]
        return [a for a in found if a is not None and a.circle_id == circle_id]

    async def revenue(self, user: User, circle_id: str) -> RevenueOut:
        paid = await self._circle_paid(user, circle_id, every_payer=False)
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
        return money.ledger_csv(await self._circle_paid(user, circle_id, every_payer=True))
