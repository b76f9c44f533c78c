"""Member reports and the review queue, under ``/api/circles/{id}/reports``."""

from __future__ import annotations

from server.core.ratelimit import Budget
from server.http.routing import Ctx, Route
from server.moderation import report_schemas as s
from server.moderation.reports import ReportQueue
from server.moderation.routes import CIRCLE, MODERATE

# Filing a report writes a few documents and may notify: a modest budget of its own, so a
# flood of reports cannot spend the moderators' budget.
REPORT = Budget("report", per_minute=30, burst=10)


def routes(queue: ReportQueue) -> list[Route]:
    async def file_report(ctx: Ctx) -> s.FiledReportEnvelope:
        b: s.FileReportIn = ctx.body
        filed = await queue.report(ctx.who, ctx.path["id"], b.kind, b.target_id, b.reason, b.text)
        return s.FiledReportEnvelope(report=s.FiledReportOut.of(filed))

    async def list_queue(ctx: Ctx) -> s.ReportQueueOut:
        q: s.ReportQueueQuery = ctx.query
        size = q.size()
        items, more = await queue.queue(ctx.who, ctx.path["id"], q.status, q.before_at(), size)
        return s.ReportQueueOut(
            items=[s.ReportItemOut.of(i) for i in items],
            next_before=items[-1].item.opened_at if more and items else None,
        )

    async def get_item(ctx: Ctx) -> s.ReportItemEnvelope:
        item = await queue.item(ctx.who, ctx.path["id"], ctx.path["item_id"])
        return s.ReportItemEnvelope(item=s.ReportItemOut.of(item))

    async def decide(ctx: Ctx) -> s.ReportItemEnvelope:
        b: s.ReportDecideIn = ctx.body
        item = await queue.decide(ctx.who, ctx.path["id"], b.item_id, b.action, b.reason, b.seconds)
        return s.ReportItemEnvelope(item=s.ReportItemOut.of(item))

    t = ["moderation"]
    return [
        Route(
            "POST",
            f"{CIRCLE}/reports",
            file_report,
            "Report a message, a post or a member of the circle (members)",
            body=s.FileReportIn,
            response=s.FiledReportEnvelope,
            tags=t,
            budget=REPORT,
        ),
        Route(
            "GET",
            f"{CIRCLE}/reports",
            list_queue,
            "The review queue, newest first (roles with view_reports)",
            query=s.ReportQueueQuery,
            response=s.ReportQueueOut,
            tags=t,
        ),
        Route(
            "GET",
            f"{CIRCLE}/reports/{{item_id}}",
            get_item,
            "One queue item with its reports and context",
            response=s.ReportItemEnvelope,
            tags=t,
        ),
        Route(
            "POST",
            f"{CIRCLE}/reports/decision",
            decide,
            "Decide a queue item: dismiss, remove, mute, kick or ban (once)",
            body=s.ReportDecideIn,
            response=s.ReportItemEnvelope,
            tags=t,
            budget=MODERATE,
        ),
    ]
