"""Reports over HTTP: an activity's report, a circle's revenue and its ledger as CSV."""

from __future__ import annotations

from starlette.responses import Response

from server.http.routing import Ctx, Route
from server.reports.schemas import ActivityReportOut, RevenueOut
from server.reports.service import ReportService


def routes(reports: ReportService) -> list[Route]:
    async def activity_report(ctx: Ctx) -> ActivityReportOut:
        return await reports.activity_report(ctx.who.user, ctx.path["id"])

    async def revenue(ctx: Ctx) -> RevenueOut:
        return await reports.revenue(ctx.who.user, ctx.path["id"])

    async def ledger_csv(ctx: Ctx) -> Response:
        text = await reports.ledger_csv(ctx.who.user, ctx.path["id"])
        name = f"ledger-{ctx.path['id']}.csv"  # the id passed the route's id pattern
        return Response(
            text.encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
            },
        )

    t = ["reports"]
    return [
        Route(
            "GET",
            "/api/activities/{id}/report",
            activity_report,
            "How an activity did: views, sign-ups, offers, cancellations, no-shows, money "
            "(organiser, circle owners/admins)",
            response=ActivityReportOut,
            tags=t,
        ),
        Route(
            "GET",
            "/api/circles/{id}/revenue",
            revenue,
            "Gross, refunds, fees and net per month, activity and provider; manual payments to "
            "review (owners/admins)",
            response=RevenueOut,
            tags=t,
        ),
        Route(
            "GET",
            "/api/circles/{id}/revenue/ledger.csv",
            ledger_csv,
            "Every payment ledger event of the circle's activities as CSV (owners/admins)",
            tags=t,
        ),
    ]
