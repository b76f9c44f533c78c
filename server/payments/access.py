"""Who may see and decide a payment: its payer, the activity's organiser, and the members of its
circle whose role holds ``review_payments`` (the table: moderation/permissions.py)."""

from __future__ import annotations

from server.accounts.models import User
from server.activities.service import ActivityService
from server.core.errors import Conflict, Forbidden, NotFound
from server.payments.models import Payment
from server.payments.repository import PaymentRepository


async def require_visible(
    repo: PaymentRepository, activities: ActivityService, user: User, payment_id: str
) -> Payment:
    """The payer or a reviewer; ``not_found`` to anyone else (existence is not revealed)."""
    p = await repo.get(payment_id)
    if p is None:
        raise NotFound("no such payment")
    if p.user_id == user.id:
        return p
    try:
        await activities.require_organiser(user, p.activity_id, "review_payments")
    except (Forbidden, NotFound):
        raise NotFound("no such payment") from None
    return p


async def require_organised(
    repo: PaymentRepository,
    activities: ActivityService,
    user: User,
    payment_id: str,
    manual: bool,
) -> Payment:
    """A reviewer (``forbidden`` to the payer, ``not_found`` to anyone else); with ``manual``,
    only a manual payment (the others are decided by their provider)."""
    p = await repo.get(payment_id)
    if p is None:
        raise NotFound("no such payment")
    try:
        await activities.require_organiser(user, p.activity_id, "review_payments")
    except (Forbidden, NotFound):
        if p.user_id == user.id:  # the payer sees the payment but may not decide it
            raise Forbidden("organisers only") from None
        raise NotFound("no such payment") from None
    if manual and p.provider != "manual":
        raise Conflict("wrong_provider", "only manual payments are confirmed by hand")
    return p
