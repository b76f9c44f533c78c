"""Check-in: tickets (signed codes that rotate every 60 seconds, and their QR image), and the
organiser's check-in by name (for an attendee whose phone is dead) and its undo."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta

import segno
from itsdangerous import BadSignature, SignatureExpired

from server.activities import rules
from server.activities.models import Activity, Effect, Entry
from server.core import clock
from server.core.errors import Conflict
from server.core.tokens import serializer

TICKET_SECONDS = 60


@dataclass(frozen=True)
class Ticket:
    code: str
    expires_at: datetime


class TicketSigner:
    def __init__(self, secret_key: str) -> None:
        self._s = serializer(secret_key, "circles.ticket.v1")

    def issue(self, activity_id: str, user_id: str) -> Ticket:
        code = str(self._s.dumps([activity_id, user_id]))
        return Ticket(code=code, expires_at=clock.now() + timedelta(seconds=TICKET_SECONDS))

    def again(self, code: str) -> Ticket:
        """A ticket for a code already issued (and checked with ``read``)."""
        issued = self._s.loads(code, max_age=TICKET_SECONDS, return_timestamp=True)[1]
        return Ticket(code=code, expires_at=issued + timedelta(seconds=TICKET_SECONDS))

    def read(self, code: str, activity_id: str) -> str:
        """The user the code was issued to, or ``conflict`` with the refusal's reason."""
        try:
            data = self._s.loads(code, max_age=TICKET_SECONDS)
        except SignatureExpired:
            raise Conflict("expired", "the code expired; ask for a fresh one") from None
        except (BadSignature, ValueError, TypeError):
            raise Conflict("invalid_code", "the code is not valid") from None
        if not (
            isinstance(data, list) and len(data) == 2 and all(isinstance(x, str) for x in data)
        ):
            raise Conflict("invalid_code", "the code is not valid")
        if data[0] != activity_id:
            raise Conflict("wrong_activity", "the code is for another activity")
        return str(data[1])


def qr_svg(code: str) -> bytes:
    out = io.BytesIO()
    segno.make(code, error="m").save(out, kind="svg", scale=6, border=2)
    return out.getvalue()


def _signed_up(a: Activity, user_id: str) -> Entry:
    e = a.entries.get(user_id)
    if e is None or e.status == "cancelled":
        raise Conflict("not_signed_up", "this person has not signed up")
    return e


def check_in_by_id(a: Activity, user_id: str, now: datetime) -> list[Effect]:
    """Check in a signed-up person without their code. Already checked in: nothing changes (a
    second tap at the door is not an error, unlike a QR code shown twice)."""
    if _signed_up(a, user_id).status == "attended":
        return []
    return rules.check_in(a, user_id, now)  # ``not_confirmed`` without a seat


def undo_check_in(a: Activity, user_id: str, now: datetime) -> list[Effect]:
    """Back to ``confirmed`` (the seat stays theirs); a confirmed person stays as they are."""
    e = _signed_up(a, user_id)
    if e.status == "confirmed":
        return []
    if e.status != "attended":
        raise Conflict("not_checked_in", "this person is not checked in")
    e.status = "confirmed"
    e.checked_in_at = None
    e.updated_at = now
    return [Effect("checkin_undone", user_id)]
