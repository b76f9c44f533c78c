"""The permission gate for circles."""

from __future__ import annotations

from server.core.errors import Forbidden, NotFound
from server.moderation.permissions import Permission, allowed
from server.rooms.models import Circle, Membership
from server.rooms.repository import CircleRepository


async def visible_circle(
    repo: CircleRepository, circle_id: str, user_id: str
) -> tuple[Circle, Membership | None]:
    """A circle the user may see: public, or private and a member. Otherwise ``not_found``, so a
    private circle's existence is not revealed."""
    circle = await repo.get_circle(circle_id)
    if circle is None:
        raise NotFound("no such circle")
    membership = await repo.get_membership(circle_id, user_id)
    if circle.visibility == "private" and membership is None:
        raise NotFound("no such circle")
    return circle, membership


async def require_member(
    repo: CircleRepository, circle_id: str, user_id: str
) -> tuple[Circle, Membership]:
    circle, membership = await visible_circle(repo, circle_id, user_id)
    if membership is None:
        raise Forbidden("members only")
    return circle, membership


async def require(
    repo: CircleRepository, circle_id: str, user_id: str, permission: Permission
) -> tuple[Circle, Membership]:
    """A member whose role holds ``permission`` (the table: moderation/permissions.py);
    ``forbidden`` to other members, ``not_found`` where the circle is not visible."""
    circle, membership = await require_member(repo, circle_id, user_id)
    if not allowed(membership.role, permission):
        raise Forbidden(f"your role in this circle may not {permission.replace('_', ' ')}")
    return circle, membership


async def require_admin(
    repo: CircleRepository, circle_id: str, user_id: str
) -> tuple[Circle, Membership]:
    """Managing the circle itself (invites, slow mode, rules): owners and admins."""
    return await require(repo, circle_id, user_id, "manage_circle")
