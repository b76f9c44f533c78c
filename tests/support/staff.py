"""A circle with staff: its owner makes the named members admins, moderators or check-in staff
through the API, as an owner would."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from tests.support.client import Api


async def staffed_circle(
    make_user: Callable[[str], Awaitable[Api]],
    names: tuple[str, ...],
    roles: dict[str, str],
    visibility: str = "public",
    prefix: str = "Staffed",
) -> tuple[dict[str, Any], dict[str, Api]]:
    """``names[0]`` owns a new circle that every other name joins (with an invite when it is
    private); ``roles`` maps a name to the role the owner then gives them."""
    people = {n: await make_user(n) for n in names}
    owner = people[names[0]]
    circle = await owner.create_circle(f"{prefix} {uuid.uuid4().hex[:6]}", visibility)
    invite = None
    if visibility == "private":
        invite = (await owner.ok("POST", f"/api/circles/{circle['id']}/invites"))["invite"]
    for name in names[1:]:
        await people[name].join(circle["id"], invite)
    for name, role in roles.items():
        await owner.ok(
            "PUT", f"/api/circles/{circle['id']}/roles", {"user_id": people[name].id, "role": role}
        )
    return circle, people
