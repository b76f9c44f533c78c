"""Circles' payout accounts, payout statements, and the gate on publishing paid activities."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from stdnum import iban
from stdnum.exceptions import ValidationError

from server.accounts.models import User
from server.activities.models import Activity
from server.core import clock
from server.core.errors import Forbidden, Invalid, NotFound
from server.moderation.permissions import Permission, allowed
from server.payments.ledger import LedgerReader
from server.rooms.models import Role
from server.rooms.service import CircleService
from server.trust import statements
from server.trust.crypto import Cipher, last4
from server.trust.models import PayoutAccount, Platform
from server.trust.service import VerificationService


class Activities(Protocol):
    async def in_circle(self, user: User, circle_id: str, upcoming: bool) -> list[Activity]: ...


class PayoutService:
    def __init__(
        self,
        verification: VerificationService,
        circles: CircleService,
        repo_accounts: PayoutStore,
        cipher: Cipher,
        ledger: LedgerReader,
        require_verification: bool,
    ) -> None:
        self._verification = verification
        self._circles = circles
        self._store = repo_accounts
        self._cipher = cipher
        self._ledger = ledger
        self._gate_on = require_verification
        self.activities: Activities | None = None

    # access --------------------------------------------------------------------------------

    async def _role(self, user: User, circle_id: str) -> Role | None:
        """The user's role in a circle they may see (a private circle's outsider: not_found)."""
        _, role = await self._circles.get(user, circle_id)
        return role

    async def _require_owner(self, user: User, circle_id: str) -> None:
        """The account itself is the owner's (ownership is not a permission of the table)."""
        if await self._role(user, circle_id) != "owner":
            raise Forbidden("circle owners only")

    async def _require(self, user: User, circle_id: str, permission: Permission) -> None:
        if not allowed(await self._role(user, circle_id), permission):
            raise Forbidden("owners and admins")

    # the account ---------------------------------------------------------------------------

    async def put_account(
        self,
        user: User,
        circle_id: str,
        holder_name: str,
        iban_number: str | None,
        platform: Platform | None,
        handle: str | None,
    ) -> PayoutAccount:
        """The owner sets the account (IBAN checked by its checksum) in one write."""
        await self._require_owner(user, circle_id)
        if iban_number is not None:
            try:
                number = iban.validate(iban_number)
            except ValidationError as exc:
                raise Invalid(
                    "not a valid IBAN", {"fields": {"iban": str(exc) or "invalid"}}
                ) from None
            account = PayoutAccount(
                circle_id, holder_name, "iban", self._cipher.seal(number), number[:2],
                last4(number), None, None, user.id, clock.now(),
            )  # fmt: skip
        else:
            account = PayoutAccount(
                circle_id, holder_name, "platform", None, None, None, platform, handle,
                user.id, clock.now(),
            )  # fmt: skip
        await self._store.put_payout_account(account)
        return account

    async def get_account(self, user: User, circle_id: str) -> PayoutAccount:
        """Those who review payments (``review_payments``: owners and admins) see it (masked);
        other members and outsiders never."""
        await self._require(user, circle_id, "review_payments")
        found = await self._store.payout_account(circle_id)
        if found is None:
            raise NotFound("this circle has no payout account")
        return found

    async def delete_account(self, user: User, circle_id: str) -> None:
        await self._require_owner(user, circle_id)
        await self._store.delete_payout_account(circle_id)

    async def has_account(self, circle_id: str) -> bool:
        return await self._store.payout_account(circle_id) is not None

    async def circle_trust(self, user: User, circle_id: str) -> tuple[bool, bool]:
        """(owner verified, payout account set) for anyone who may see the circle."""
        circle, _ = await self._circles.get(user, circle_id)
        return await self._verification.is_verified(circle.owner_id), await self.has_account(
            circle_id
        )

    # the gate ------------------------------------------------------------------------------

    async def require_can_charge(self, user: User, circle_id: str) -> None:
        """Before a paid activity is published (or a free one gets a price): the organiser is
        verified and the circle has a payout account. Checked before anything is written."""
        if not self._gate_on:
            return
        if not await self._verification.is_verified(user.id):
            raise Forbidden(
                "paid activities need a verified organiser", {"reason": "verification_required"}
            )
        if not await self.has_account(circle_id):
            raise Forbidden(
                "paid activities need the circle's payout account",
                {"reason": "payout_account_required"},
            )

    # statements ----------------------------------------------------------------------------

    async def statement(
        self, user: User, circle_id: str, start: datetime, end: datetime
    ) -> list[statements.Line]:
        """Collections and refunds of the circle's activities in ``[start, end)``;
        ``review_payments`` only (owners and admins). Reads up to 100 upcoming and 100 past
        activities of the circle."""
        await self._require(user, circle_id, "review_payments")
        assert self.activities is not None
        acts = await self.activities.in_circle(user, circle_id, True)
        acts += await self.activities.in_circle(user, circle_id, False)
        found = [(a.id, await self._ledger.of_activity(a.id)) for a in acts]
        return statements.lines(found, {a.id: a.title for a in acts}, start, end)


class PayoutStore(Protocol):
    async def payout_account(self, circle_id: str) -> PayoutAccount | None: ...

    async def put_payout_account(self, a: PayoutAccount) -> None: ...

    async def delete_payout_account(self, circle_id: str) -> None: ...
