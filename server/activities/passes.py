"""What an attendee carries: a ticket code the door checks them in by (or their name, for a dead
phone), and a calendar subscription link. Part of ``ActivityService`` (a mixin, so the service
stays one object for its callers); the attributes below are the service's."""

from __future__ import annotations

from server.accounts.models import User
from server.accounts.service import AccountService
from server.activities import access, ical, rules
from server.activities.engine import ActivityEngine, Applied
from server.activities.models import Activity
from server.activities.repository import ActivityRepository
from server.activities.tickets import Ticket, TicketSigner, check_in_by_id, undo_check_in
from server.core import clock
from server.core.errors import Conflict, NotFound, Unauthorized
from server.core.tokens import TokenSigner
from server.rooms.service import CircleService


class Passes:
    _repo: ActivityRepository
    _circles: CircleService
    _accounts: AccountService
    _signer: TokenSigner
    _tickets: TicketSigner
    _base_url: str
    engine: ActivityEngine

    async def get(self, user: User, activity_id: str) -> Activity:
        raise NotImplementedError  # the service's

    def calendar_url(self, a: Activity, user: User) -> str:
        """``user``'s subscription link: the key names the user and their current calendar key,
        so it works only while they can see the activity and until they rotate their keys."""
        key = self._signer.sign("calendar", {"a": a.id, "u": user.id, "k": user.calendar_key})
        return f"{self._base_url}/api/activities/{a.id}/calendar.ics?key={key}"

    async def ticket(self, user: User, activity_id: str, code: str | None = None) -> Ticket:
        """A fresh ticket code, or ``code`` again if it is a current ticket of this user for this
        activity (so the QR and the text show one code); ``conflict`` if it is not."""
        a = await self.get(user, activity_id)
        rules.require_confirmed(a, user.id)
        if code is not None:
            if self._tickets.read(code, a.id) != user.id:
                raise Conflict("invalid_code", "the code is not valid")
            return self._tickets.again(code)
        return self._tickets.issue(a.id, user.id)

    async def check_in(self, user: User, activity_id: str, code: str) -> tuple[Applied, str]:
        """Check in the holder of ``code``; returns the new state and whose sign-up it was."""
        await access.require_check_in(self._circles, await self._repo.get(activity_id), user)
        attendee = self._tickets.read(code, activity_id)
        applied = await self.engine.apply(
            activity_id, lambda a: rules.check_in(a, attendee, clock.now())
        )
        return applied, attendee

    async def check_in_user(
        self, user: User, activity_id: str, attendee: str, undo: bool = False
    ) -> Applied:
        """Check ``attendee`` in by name (no code: a dead phone), or undo their check-in; both
        idempotent, so a second tap changes nothing."""
        await access.require_check_in(self._circles, await self._repo.get(activity_id), user)
        rule = undo_check_in if undo else check_in_by_id
        return await self.engine.apply(activity_id, lambda a: rule(a, attendee, clock.now()))

    async def calendar(self, activity_id: str, key: str | None, user: User | None) -> bytes:
        """The activity as iCalendar, for a session's user or the user a calendar key names.
        Every refusal of a key is ``not_found``, as for an activity that does not exist."""
        if key is not None:
            user = await self._calendar_user(activity_id, key)
        elif user is None:
            raise Unauthorized("a bearer token or a calendar key is needed")
        a = await access.require_visible(self._circles, await self._repo.get(activity_id), user)
        return ical.render(a, self.calendar_url(a, user))

    async def _calendar_user(self, activity_id: str, key: str) -> User:
        try:
            data = self._signer.verify("calendar", key)
        except Unauthorized:
            raise NotFound("no such activity") from None
        # The payload is ours (the signature verified), so plain comparisons suffice.
        user_id = data.get("u")
        if data.get("a") != activity_id or not isinstance(user_id, str):
            raise NotFound("no such activity")  # another activity's key, or an unbound old one
        user = await self._accounts.get_user(user_id)
        if user is None or data.get("k") != user.calendar_key:  # gone, or rotated since
            raise NotFound("no such activity")
        return user
