"""The permission gate of the reports: one place, so every report answers alike.

An activity's report: its organiser and the circle's owners/admins (``forbidden`` to a member,
``not_found`` to anyone who cannot see the activity). A circle's revenue: its owners/admins
(``forbidden`` to a member or a visitor of a public circle, ``not_found`` to a non-member of a
private one). Members never see what others paid.
"""

from __future__ import annotations

from server.accounts.models import User
from server.activities.models import Activity
from server.activities.service import ActivityService
from server.core.errors import Forbidden
from server.rooms.models import Circle
from server.rooms.service import CircleService

READERS = ("owner", "admin")


async def require_activity_reader(
    activities: ActivityService, user: User, activity_id: str
) -> Activity:
    return await activities.require_organiser(user, activity_id)


async def require_circle_reader(circles: CircleService, user: User, circle_id: str) -> Circle:
    circle, role = await circles.get(user, circle_id)  # not_found when it is not visible
    if role not in READERS:
        raise Forbidden("circle owners and admins only")
    return circle
