"""Reading and editing member profiles."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from server.accounts.models import User
from server.accounts.service import AccountService
from server.activities.models import Activity
from server.activities.service import ActivityService
from server.core.errors import NotFound
from server.profiles.schemas import PatchProfileIn
from server.rooms.models import Circle, Role
from server.rooms.service import CircleService
from server.uploads.service import UploadService

# Sign-ups that count as "attended" once the activity is over
ATTENDED = ("confirmed", "attended")
MAX_ATTENDED_SHOWN = 50


@dataclass(frozen=True)
class Profile:
    user: User
    circles: list[tuple[Circle, Role]]
    attended: list[Activity] | None  # None: not shown to this viewer
    is_me: bool
    can_message: bool


class ProfileService:
    def __init__(
        self,
        accounts: AccountService,
        circles: CircleService,
        activities: ActivityService,
        uploads: UploadService,
    ) -> None:
        self._accounts = accounts
        self._circles = circles
        self._activities = activities
        self._uploads = uploads
        # Whether either of two users blocked the other (moderation/blocks.py): then dm:open
        # is refused, so the profile offers no "Message" button.
        self.blocked_either_way: Callable[[str, str], Awaitable[bool]] | None = None

    async def profile(self, viewer: User, user_id: str) -> Profile:
        """Anyone signed in may look; what a profile shows depends on who looks."""
        user = viewer if viewer.id == user_id else await self._accounts.get_user(user_id)
        if user is None:
            raise NotFound("no such user")
        me = viewer.id == user.id
        joined = await self._circles.circles_of(user.id)
        circles = [(c, r) for c, r in joined if me or c.visibility == "public"]
        circles.sort(key=lambda cr: cr[0].name.lower())
        attended = None
        if me or user.show_attended:
            public = {c.id for c, _ in circles}
            found = await self._activities.mine(user, upcoming=False)
            attended = [
                a
                for a, e in sorted(found, key=lambda ae: ae[0].starts_at, reverse=True)
                if e.status in ATTENDED and not a.cancelled and (me or a.circle_id in public)
            ][:MAX_ATTENDED_SHOWN]
        can_message = (
            not me
            and await self._circles.share_a_circle(viewer.id, user.id)
            and not (
                self.blocked_either_way is not None
                and await self.blocked_either_way(viewer.id, user.id)
            )
        )
        return Profile(user, circles, attended, me, can_message)

    async def by_handle(self, handle: str) -> User:
        user = await self._accounts.by_handle(handle)
        if user is None:
            raise NotFound("no such user")
        return user

    async def edit(self, user: User, data: PatchProfileIn) -> User:
        """Only the fields sent change (``model_fields_set``); an empty bio or city clears it."""
        changes: dict[str, object] = {}
        for name in data.model_fields_set:
            value = getattr(data, name)
            if name in ("bio", "city"):
                changes[name] = value or None
            elif value is not None:  # display_name, interests, show_attended: null is no change
                changes[name] = tuple(dict.fromkeys(value)) if name == "interests" else value
        return await self._accounts.update_profile(user.id, changes)

    async def set_avatar(self, user: User, upload_id: str | None) -> User:
        """The new avatar (an upload of scope ``avatar`` of the user's own), or none; the one
        it replaces is hidden after the profile points elsewhere."""
        if upload_id is None and user.avatar_id is None:
            return user  # nothing to remove: nothing is written
        if upload_id is not None:
            await self._uploads.attach_scoped(user.id, "avatar", None, [upload_id])
        updated = await self._accounts.update_profile(
            user.id,
            {
                "avatar_id": upload_id,
                "avatar_url": f"/api/uploads/{upload_id}" if upload_id else None,
            },
        )
        if user.avatar_id and user.avatar_id != upload_id:
            await self._uploads.hide([user.avatar_id])
        return updated
