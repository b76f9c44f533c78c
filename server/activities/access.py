"""The permission gate for activities."""

from __future__ import annotations

from server.accounts.models import User
from server.activities.models import Activity
from server.core.errors import Forbidden, NotFound
from server.moderation.permissions import Permission, allowed
from server.rooms.service import CircleService


async def require_visible(circles: CircleService, a: Activity | None, user: User) -> Activity:
    """Anyone who can see the circle can see its activities; others get ``not_found``."""
    if a is None:
        raise NotFound("no such activity")
    try:
        await circles.get(user, a.circle_id)
    except NotFound:
        raise NotFound("no such activity") from None
    return a


async def require_organiser(
    circles: CircleService,
    a: Activity | None,
    user: User,
    permission: Permission = "create_activities",
) -> Activity:
    """The organiser, or a member of the activity's circle whose role holds ``permission`` (the
    circle's organisers, ``create_activities``; for its payments, ``review_payments``)."""
    a = await require_visible(circles, a, user)
    if a.organiser_id == user.id:
        return a
    if allowed(await circles.role_of(a.circle_id, user.id), permission):
        return a
    raise Forbidden("organisers only")


async def require_check_in(circles: CircleService, a: Activity | None, user: User) -> Activity:
    """Who works the door: the organiser, or a member of the activity's circle whose role may
    check people in (owners, admins, check-in staff: moderation/permissions.py)."""
    a = await require_visible(circles, a, user)
    if a.organiser_id == user.id:
        return a
    if allowed(await circles.role_of(a.circle_id, user.id), "check_in"):
        return a
    raise Forbidden("organisers and check-in staff only")


async def require_circle_admin(circles: CircleService, circle_id: str, user: User) -> None:
    _, role = await circles.get(user, circle_id)
    if not allowed(role, "create_activities"):
        raise Forbidden("circle owners and admins post activities")
