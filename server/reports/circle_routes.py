"""The circle report over HTTP (owners/admins; docs/protocol.md, "Circle report")."""

from __future__ import annotations

from server.http.routing import Ctx, Route
from server.reports.circle_report import CircleReportService
from server.reports.circle_schemas import CircleReportOut, CircleReportQuery


def routes(reports: CircleReportService) -> list[Route]:
    async def circle_report(ctx: Ctx) -> CircleReportOut:
        return await reports.report(ctx.who.user, ctx.path["id"], ctx.query)

    return [
        Route(
            "GET",
            "/api/circles/{id}/report",
            circle_report,
            "Members, activity (DAU/WAU/MAU), speakers and reply speed per day, week or month, "
            "from the daily rollups (owners/admins)",
            query=CircleReportQuery,
            response=CircleReportOut,
            tags=["reports"],
        )
    ]
