"""Refusals that need a moment no sweep has reached yet: a hold that ran out a moment ago is
refused as ``hold_expired`` before anything is stored (issue 9, item 2)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.activities import post_activity
from tests.support.security_infra import Dedicated, People, start_dedicated
from tests.test_refusals import differences, settled, snapshot


@pytest.fixture(scope="module")
def lazy_sweeper(stack: Any) -> Iterator[Dedicated]:
    """A server that sweeps once at start and then not for an hour: expired holds stay held."""
    d = start_dedicated(stack, SWEEP_INTERVAL_SECONDS="3600", HOLD_MINUTES="15")
    yield d
    d.proc.stop()


async def test_paying_for_a_hold_that_just_ran_out_stores_no_payment(
    lazy_sweeper: Dedicated, clock: Any
) -> None:
    people = People(lazy_sweeper.url)
    try:
        organiser, alice = await people.user("organiser"), await people.user("alice")
        circle = await organiser.create_circle("Late payers")
        act = await post_activity(
            organiser, circle, clock.now(), price={"amount": 700, "currency": "EUR"}
        )
        sock = await people.sock(alice)
        held = await sock.ok("activity:signup", {"activity_id": act["id"]})
        assert held["signup"]["status"] == "pending_payment"
        clock.advance(16 * 60)
        # The sign-up's own after-effects (its card, the discovery card) first, so only the
        # refused payment is compared.
        before = await settled(lazy_sweeper)
        refused = await alice.post(f"/api/activities/{act['id']}/payment", {"provider": "manual"})
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["details"]["reason"] == "hold_expired"
        changed = differences(before, await snapshot(lazy_sweeper))
        assert not changed, changed
    finally:
        await people.aclose()
