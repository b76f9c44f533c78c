"""The one gate of share pages and posters: only public circles and their activities.

A private circle, an activity in one, an unknown id and a forged "going" link are all the same
``NotShared``, answered with one page and one status (routes.py), so nothing tells them apart.
"""

from __future__ import annotations

from server.activities.models import Activity
from server.activities.service import ActivityService
from server.rooms.models import Circle
from server.rooms.service import CircleService


class NotShared(Exception):
    """Private, missing or forged: the caller answers with the one refusal page."""


async def shared_circle(circles: CircleService, circle_id: str) -> Circle:
    circle = await circles.public(circle_id)
    if circle is None:
        raise NotShared
    return circle


async def shared_activity(
    activities: ActivityService, circles: CircleService, activity_id: str
) -> tuple[Activity, Circle]:
    a = await activities.state(activity_id)
    if a is None:
        raise NotShared
    return a, await shared_circle(circles, a.circle_id)
