"""Check-in tickets: signed codes that rotate every 60 seconds, and their QR image."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta

import segno
from itsdangerous import BadSignature, SignatureExpired

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
