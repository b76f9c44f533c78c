"""Trust endpoints: verification (organiser and platform administrator), badges, payout
accounts and statements."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from starlette.responses import Response

from server.core.errors import Invalid
from server.http.routing import Ctx, Route
from server.trust import statements
from server.trust.payouts import PayoutService
from server.trust.schemas import (
    CircleTrustOut,
    LineOut,
    MyVerificationOut,
    PayoutAccountEnvelope,
    PayoutAccountIn,
    PayoutAccountOut,
    QueueItemEnvelope,
    QueueOut,
    ReviewIn,
    StatementOut,
    StatementQuery,
    SubmitVerificationIn,
    UserTrustOut,
    VerificationEnvelope,
    VerificationOut,
    queue_item,
    totals_out,
)
from server.trust.service import VerificationService
from server.uploads.routes import served

MAX_PERIOD = timedelta(days=366)


def _invalid(field: str, why: str) -> Invalid:
    return Invalid("the input failed validation", {"fields": {field: why}})


def _period(q: StatementQuery) -> tuple[datetime, datetime]:
    try:
        first, last = q.period()
    except ValueError:
        raise _invalid("from", "must be a calendar date (YYYY-MM-DD)") from None
    if last < first:
        raise _invalid("to", "must not be before from")
    start = datetime.combine(first, time(), UTC)
    try:
        end = datetime.combine(last, time(), UTC) + timedelta(days=1)
    except OverflowError:  # 9999-12-31 has no next day
        raise _invalid("to", "must be before 9999-12-31") from None
    if end - start > MAX_PERIOD:
        raise _invalid("to", "a statement covers at most 366 days")
    return start, end


def routes(verification: VerificationService, payouts: PayoutService) -> list[Route]:
    # verification --------------------------------------------------------------------------

    async def submit(ctx: Ctx) -> VerificationEnvelope:
        b: SubmitVerificationIn = ctx.body
        number = b.document_number.replace(" ", "").replace("-", "").upper()
        if len(number) < 4:
            raise _invalid("document_number", "must have at least 4 letters or digits")
        s = await verification.submit(
            ctx.who.user, b.legal_name, b.document_type, number, b.upload_id
        )
        return VerificationEnvelope(verification=VerificationOut.of(s))

    async def my_verification(ctx: Ctx) -> MyVerificationOut:
        s = await verification.latest(ctx.who.user.id)
        return MyVerificationOut(
            verified=s is not None and s.status == "approved",
            platform_admin=await verification.is_admin(ctx.who.user.id),
            verification=VerificationOut.of(s) if s else None,
        )

    async def queue(ctx: Ctx) -> QueueOut:
        found = await verification.pending(ctx.who.user)
        return QueueOut(verifications=[queue_item(s) for s in found])

    async def one(ctx: Ctx) -> QueueItemEnvelope:
        s = await verification.get(ctx.who.user, ctx.path["id"])
        return QueueItemEnvelope(verification=queue_item(s))

    async def review(ctx: Ctx) -> QueueItemEnvelope:
        b: ReviewIn = ctx.body
        if b.decision == "rejected" and b.reason is None:
            raise _invalid("reason", "a rejection needs a reason")
        s = await verification.review(ctx.who.user, ctx.path["id"], b.decision, b.reason)
        return QueueItemEnvelope(verification=queue_item(s))

    async def image(ctx: Ctx) -> Response:
        upload, chunks = await verification.image(ctx.who.user, ctx.path["id"])
        resp = served(upload, chunks, thumbnail=False)
        resp.headers["Cache-Control"] = "private, no-store"  # an identity document
        return resp

    async def user_badge(ctx: Ctx) -> UserTrustOut:
        uid = ctx.path["id"]
        return UserTrustOut(user_id=uid, organiser_verified=await verification.is_verified(uid))

    async def circle_badge(ctx: Ctx) -> CircleTrustOut:
        verified, has_account = await payouts.circle_trust(ctx.who.user, ctx.path["id"])
        return CircleTrustOut(
            circle_id=ctx.path["id"], owner_verified=verified, payout_account=has_account
        )

    # payout accounts and statements ----------------------------------------------------------

    async def put_account(ctx: Ctx) -> PayoutAccountEnvelope:
        b: PayoutAccountIn = ctx.body
        if b.iban is None and (b.platform is None or b.handle is None):
            raise _invalid("iban", "give an iban, or a platform and a handle")
        if b.iban is not None and (b.platform is not None or b.handle is not None):
            raise _invalid("iban", "give an iban, or a platform and a handle, not both")
        a = await payouts.put_account(
            ctx.who.user, ctx.path["id"], b.holder_name, b.iban, b.platform, b.handle
        )
        return PayoutAccountEnvelope(payout_account=PayoutAccountOut.of(a))

    async def get_account(ctx: Ctx) -> PayoutAccountEnvelope:
        a = await payouts.get_account(ctx.who.user, ctx.path["id"])
        return PayoutAccountEnvelope(payout_account=PayoutAccountOut.of(a))

    async def delete_account(ctx: Ctx) -> None:
        await payouts.delete_account(ctx.who.user, ctx.path["id"])

    async def _lines(ctx: Ctx) -> tuple[StatementQuery, list[statements.Line]]:
        q: StatementQuery = ctx.query
        start, end = _period(q)
        return q, await payouts.statement(ctx.who.user, ctx.path["id"], start, end)

    async def statement(ctx: Ctx) -> StatementOut:
        q, found = await _lines(ctx)
        return StatementOut(
            circle_id=ctx.path["id"],
            start=q.from_,
            end=q.to,
            totals=totals_out(statements.totals(found, test=False)),
            test_totals=totals_out(statements.totals(found, test=True)),
            lines=[LineOut(**ln.__dict__) for ln in found],
        )

    async def statement_csv(ctx: Ctx) -> Response:
        q, found = await _lines(ctx)
        name = f"payouts-{ctx.path['id']}-{q.from_}-{q.to}.csv"
        return Response(
            statements.to_csv(found),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "private, no-store",
            },
        )

    t = ["trust"]
    v = "/api/admin/verifications"
    acct = "/api/circles/{id}/payout-account"
    return [
        Route("POST", "/api/me/verification", submit, "Submit organiser verification",
              body=SubmitVerificationIn, response=VerificationEnvelope, status=201, tags=t),
        Route("GET", "/api/me/verification", my_verification, "Your verification status",
              response=MyVerificationOut, tags=t),
        Route("GET", v, queue, "Submissions waiting for review (platform administrators)",
              response=QueueOut, tags=t),
        Route("GET", v + "/{id}", one, "One submission (platform administrators)",
              response=QueueItemEnvelope, tags=t),
        Route("POST", v + "/{id}/review", review, "Approve or reject (platform administrators)",
              body=ReviewIn, response=QueueItemEnvelope, tags=t),
        Route("GET", v + "/{id}/image", image, "A submission's image (platform administrators)",
              tags=t),
        Route("GET", "/api/users/{id}/trust", user_badge, "Whether a user is a verified organiser",
              response=UserTrustOut, tags=t),
        Route("GET", "/api/circles/{id}/trust", circle_badge,
              "A circle's badge: its owner verified, a payout account set",
              response=CircleTrustOut, tags=t),
        Route("PUT", acct, put_account, "Set the circle's payout account (owner)",
              body=PayoutAccountIn, response=PayoutAccountEnvelope, tags=t),
        Route("GET", acct, get_account, "The circle's payout account, masked (owner, admins)",
              response=PayoutAccountEnvelope, tags=t),
        Route("DELETE", acct, delete_account, "Remove the circle's payout account (owner)",
              tags=t),
        Route("GET", "/api/circles/{id}/payout-statement", statement,
              "Collected, refunded and due for a period (owner, admins)",
              query=StatementQuery, response=StatementOut, tags=t),
        Route("GET", "/api/circles/{id}/payout-statement.csv", statement_csv,
              "The statement as CSV (owner, admins)", query=StatementQuery, tags=t),
    ]  # fmt: skip
