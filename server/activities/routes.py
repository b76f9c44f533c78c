"""Activity endpoints."""

from __future__ import annotations

from starlette.responses import Response

from server.accounts.models import User
from server.activities import cards
from server.activities.models import Activity
from server.activities.schemas import (
    ActivitiesOut,
    ActivityDetailOut,
    ActivityEnvelope,
    AttendeeOut,
    AttendeesOut,
    CalendarQuery,
    CancelActivityIn,
    CheckinIn,
    CheckinUserIn,
    CreateActivityIn,
    GoingOut,
    MyActivitiesOut,
    MyActivityOut,
    PatchActivityIn,
    SignupEnvelope,
    TicketOut,
    TicketSvgQuery,
    WhenQuery,
)
from server.activities.service import ActivityService
from server.activities.tickets import qr_svg
from server.core import clock
from server.http.routing import Authenticator, Ctx, Route, bearer


def routes(activities: ActivityService, authenticate: Authenticator) -> list[Route]:
    def out(a: Activity, user: User, verified: set[str]) -> ActivityEnvelope:
        """``verified``: the verified organisers among those of the answer (one batch)."""
        url = activities.calendar_url(a, user)
        return ActivityEnvelope(
            activity=cards.activity_out(a, clock.now(), url, a.organiser_id in verified)
        )

    async def one(a: Activity, user: User) -> ActivityEnvelope:
        return out(a, user, await activities.verified_organisers([a]))

    async def create_activity(ctx: Ctx) -> ActivityEnvelope:
        return await one(
            await activities.create(ctx.who.user, ctx.path["id"], ctx.body), ctx.who.user
        )

    async def get_activity(ctx: Ctx) -> ActivityDetailOut:
        a = await activities.get(ctx.who.user, ctx.path["id"])
        mine = a.entries.get(ctx.who.user.id)
        return ActivityDetailOut(
            activity=(await one(a, ctx.who.user)).activity,
            my_signup=cards.signup_out(a, mine) if mine else None,
        )

    async def patch_activity(ctx: Ctx) -> ActivityEnvelope:
        body: PatchActivityIn = ctx.body
        return await one(await activities.patch(ctx.who.user, ctx.path["id"], body), ctx.who.user)

    async def cancel_activity(ctx: Ctx) -> ActivityEnvelope:
        body: CancelActivityIn = ctx.body
        a = await activities.cancel_activity(ctx.who.user, ctx.path["id"], body.reason)
        return await one(a, ctx.who.user)

    async def list_attendees(ctx: Ctx) -> AttendeesOut:
        found = await activities.attendees(ctx.who.user, ctx.path["id"])
        return AttendeesOut(
            signups=[
                AttendeeOut(
                    **cards.signup_out(a, e).model_dump(),
                    display_name=u.display_name,
                    handle=u.handle,
                )
                for a, e, u in found
            ]
        )

    async def circle_activities(ctx: Ctx) -> ActivitiesOut:
        q: WhenQuery = ctx.query
        found = await activities.in_circle(ctx.who.user, ctx.path["id"], q.when == "upcoming")
        verified = await activities.verified_organisers(found)
        return ActivitiesOut(activities=[out(a, ctx.who.user, verified).activity for a in found])

    async def my_activities(ctx: Ctx) -> MyActivitiesOut:
        q: WhenQuery = ctx.query
        found = await activities.mine(ctx.who.user, q.when == "upcoming")
        verified = await activities.verified_organisers(a for a, _ in found)
        return MyActivitiesOut(
            items=[
                MyActivityOut(
                    activity=out(a, ctx.who.user, verified).activity,
                    signup=cards.signup_out(a, e),
                )
                for a, e in found
            ]
        )

    async def hosted_activities(ctx: Ctx) -> ActivitiesOut:
        q: WhenQuery = ctx.query
        found = await activities.hosted(ctx.who.user, q.when == "upcoming")
        verified = await activities.verified_organisers(found)
        return ActivitiesOut(activities=[out(a, ctx.who.user, verified).activity for a in found])

    async def ticket(ctx: Ctx) -> TicketOut:
        t = await activities.ticket(ctx.who.user, ctx.path["id"])
        return TicketOut(code=t.code, expires_at=t.expires_at)

    async def ticket_svg(ctx: Ctx) -> Response:
        q: TicketSvgQuery = ctx.query
        t = await activities.ticket(ctx.who.user, ctx.path["id"], q.code)
        return Response(
            qr_svg(t.code), media_type="image/svg+xml", headers={"Cache-Control": "no-store"}
        )

    async def checkin(ctx: Ctx) -> SignupEnvelope:
        body: CheckinIn = ctx.body
        applied, attendee = await activities.check_in(ctx.who.user, ctx.path["id"], body.code)
        a = applied.activity
        return SignupEnvelope(signup=cards.signup_out(a, a.entries[attendee]))

    async def by_name(ctx: Ctx, undo: bool) -> SignupEnvelope:
        body: CheckinUserIn = ctx.body
        applied = await activities.check_in_user(ctx.who.user, ctx.path["id"], body.user_id, undo)
        a = applied.activity
        return SignupEnvelope(signup=cards.signup_out(a, a.entries[body.user_id]))

    async def checkin_user(ctx: Ctx) -> SignupEnvelope:
        return await by_name(ctx, undo=False)

    async def undo_checkin(ctx: Ctx) -> SignupEnvelope:
        return await by_name(ctx, undo=True)

    async def going(ctx: Ctx) -> GoingOut:
        a, users = await activities.people(ctx.who.user, ctx.path["id"])
        return cards.going_out(a, users)

    async def calendar_ics(ctx: Ctx) -> Response:
        q: CalendarQuery = ctx.query
        user = None
        if q.key is None:
            token = bearer(ctx.request)
            user = (await authenticate(token)).user if token else None
        body = await activities.calendar(ctx.path["id"], q.key, user)
        return Response(body, media_type="text/calendar; charset=utf-8")

    t = ["activities"]
    return [
        Route(
            "POST",
            "/api/circles/{id}/activities",
            create_activity,
            "Post an activity card (owner/admin)",
            body=CreateActivityIn,
            response=ActivityEnvelope,
            status=201,
            tags=t,
        ),
        Route(
            "GET",
            "/api/circles/{id}/activities",
            circle_activities,
            "A circle's activities",
            query=WhenQuery,
            response=ActivitiesOut,
            tags=t,
        ),
        Route(
            "GET",
            "/api/me/activities",
            my_activities,
            "Activities you signed up for",
            query=WhenQuery,
            response=MyActivitiesOut,
            tags=t,
        ),
        Route(
            "GET",
            "/api/me/hosting",
            hosted_activities,
            "Activities you organise",
            query=WhenQuery,
            response=ActivitiesOut,
            tags=t,
        ),
        Route(
            "GET",
            "/api/activities/{id}",
            get_activity,
            "An activity and your sign-up",
            response=ActivityDetailOut,
            tags=t,
        ),
        Route(
            "PATCH",
            "/api/activities/{id}",
            patch_activity,
            "Edit (organiser)",
            body=PatchActivityIn,
            response=ActivityEnvelope,
            tags=t,
        ),
        Route(
            "POST",
            "/api/activities/{id}/cancel",
            cancel_activity,
            "Cancel (organiser)",
            body=CancelActivityIn,
            response=ActivityEnvelope,
            tags=t,
        ),
        Route(
            "GET",
            "/api/activities/{id}/attendees",
            list_attendees,
            "Sign-ups (organiser)",
            response=AttendeesOut,
            tags=t,
        ),
        Route(
            "GET",
            "/api/activities/{id}/ticket",
            ticket,
            "Your rotating check-in code",
            response=TicketOut,
            tags=t,
        ),
        Route(
            "GET",
            "/api/activities/{id}/ticket.svg",
            ticket_svg,
            "Your check-in QR code",
            query=TicketSvgQuery,
            tags=t,
        ),
        Route(
            "POST",
            "/api/activities/{id}/checkin",
            checkin,
            "Check in (organiser)",
            body=CheckinIn,
            response=SignupEnvelope,
            tags=t,
        ),
        Route(
            "POST",
            "/api/activities/{id}/checkin/user",
            checkin_user,
            "Check in a signed-up person by name, without a code (organiser)",
            body=CheckinUserIn,
            response=SignupEnvelope,
            tags=t,
        ),
        Route(
            "POST",
            "/api/activities/{id}/checkin/undo",
            undo_checkin,
            "Undo a check-in (organiser)",
            body=CheckinUserIn,
            response=SignupEnvelope,
            tags=t,
        ),
        Route(
            "GET",
            "/api/activities/{id}/going",
            going,
            "The organiser and who is going (circle members)",
            response=GoingOut,
            tags=t,
        ),
        Route(
            "GET",
            "/api/activities/{id}/calendar.ics",
            calendar_ics,
            "iCalendar event (bearer token or signed key)",
            query=CalendarQuery,
            auth=False,
            credential=lambda r: bool(r.query_params.get("key") or bearer(r)),
            tags=t,
        ),
    ]
