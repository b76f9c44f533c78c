"""TESTING 13: a Hypothesis state machine drives sign-ups on the real server and checks it against
an independent pure-Python model after every step (S1-S3 included)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from tests.support.activities import post_activity
from tests.support.client import Api, Sock, register
from tests.support.payments import deliver, event

USERS = 5
OFFER_MINUTES = 10


@dataclass
class Model:
    capacity: int
    paid: bool = False
    status: dict[int, str] = field(default_factory=dict)
    number: dict[int, int] = field(default_factory=dict)
    next_no: int = 1

    def count(self, *states: str) -> int:
        return sum(1 for s in self.status.values() if s in states)

    def waiting(self) -> list[int]:
        return sorted(
            (u for u, s in self.status.items() if s == "waitlisted"), key=lambda u: self.number[u]
        )

    SEATED = ("confirmed", "offered", "pending_payment")

    def promote(self) -> None:
        for u in self.waiting():
            if self.count(*self.SEATED) >= self.capacity:
                break
            self.status[u] = "offered"

    def seat(self) -> str:
        return "pending_payment" if self.paid else "confirmed"

    def signup(self, u: int) -> str | None:
        if self.status.get(u, "cancelled") != "cancelled":
            return None
        if self.count(*self.SEATED) < self.capacity and not self.waiting():
            self.status[u] = self.seat()
        else:
            self.status[u] = "waitlisted"
            self.number[u] = self.next_no
            self.next_no += 1
        return None

    def cancel(self, u: int) -> str | None:
        if u not in self.status:
            return "not_signed_up"
        self.status[u] = "cancelled"
        self.promote()
        return None

    def accept(self, u: int) -> str | None:
        if self.status.get(u) != "offered":
            return "no_offer" if u in self.status else "not_signed_up"
        self.status[u] = self.seat()
        return None

    def decline(self, u: int) -> str | None:
        if self.status.get(u) != "offered":
            return "no_offer" if u in self.status else "not_signed_up"
        self.status[u] = "cancelled"
        self.promote()
        return None

    def expire_offers(self) -> None:
        for u, s in list(self.status.items()):
            if s in ("offered", "pending_payment"):
                self.status[u] = "cancelled"
        self.promote()

    def set_capacity(self, capacity: int) -> str | None:
        if capacity < self.count(*self.SEATED):
            return "capacity_below_taken"
        self.capacity = capacity
        self.promote()
        return None

    def positions(self) -> dict[int, int]:
        return {u: i + 1 for i, u in enumerate(self.waiting())}


class SignupMachine(RuleBasedStateMachine):
    base_url: str
    clock: Any
    paid = False

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.users: list[Api] = []
        self.socks: list[Sock] = []

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    @initialize(capacity=st.integers(1, 3))
    def setup(self, capacity: int) -> None:
        async def go() -> None:
            self.organiser = await register(self.base_url, "org")
            circle = await self.organiser.create_circle("Model")
            price = {"price": {"amount": 700, "currency": "EUR"}} if self.paid else {}
            self.act = await post_activity(
                self.organiser,
                circle,
                self.clock.now(),
                starts_in=timedelta(days=20),
                capacity=capacity,
                offer_window_minutes=OFFER_MINUTES,
                **price,
            )
            for i in range(USERS):
                u = await register(self.base_url, f"m{i}")
                await u.join(circle["id"])
                self.users.append(u)
                self.socks.append(await Sock(self.base_url, u.token).connect())

        self.run(go())
        self.model = Model(capacity=capacity, paid=self.paid)
        self.payments: dict[str, int] = {}  # payment id -> user index

    def teardown(self) -> None:
        async def go() -> None:
            for s in self.socks:
                await s.close()
            for u in [*self.users, getattr(self, "organiser", None)]:
                if u is not None:
                    await u.aclose()

        self.run(go())
        self.loop.close()

    def _event(self, u: int, event: str, expected_error: str | None) -> None:
        res = self.run(self.socks[u].call(event, {"activity_id": self.act["id"]}))
        if expected_error is None:
            assert res["ok"], (event, u, res)
        else:
            assert not res["ok"] and res["error"]["details"]["reason"] == expected_error, res

    @rule(u=st.integers(0, USERS - 1))
    def signup(self, u: int) -> None:
        self._event(u, "activity:signup", self.model.signup(u))

    @rule(u=st.integers(0, USERS - 1))
    def cancel(self, u: int) -> None:
        if u not in self.model.status:
            err = self.model.cancel(u)
            self._event(u, "activity:cancel", err)
            return
        self._event(u, "activity:cancel", self.model.cancel(u))

    @rule(u=st.integers(0, USERS - 1))
    def accept(self, u: int) -> None:
        self._event(u, "activity:accept_offer", self.model.accept(u))

    @rule(u=st.integers(0, USERS - 1))
    def decline(self, u: int) -> None:
        self._event(u, "activity:decline_offer", self.model.decline(u))

    @rule(delta=st.integers(-2, 2))
    def capacity(self, delta: int) -> None:
        new = max(1, self.model.capacity + delta)
        err = self.model.set_capacity(new)
        resp = self.run(
            self.organiser.request(
                "PATCH", f"/api/activities/{self.act['id']}", json={"capacity": new}
            )
        )
        if err is None:
            assert resp.status_code == 200, resp.text
        else:
            assert resp.status_code == 409 and resp.json()["error"]["details"]["reason"] == err

    @rule()
    def expire(self) -> None:
        if "offered" not in self.model.status.values():
            return
        self.model.expire_offers()
        self.clock.advance((OFFER_MINUTES + 1) * 60)
        self.run(self._await_state(timeout=10))

    async def _server_state(self) -> dict[str, Any]:
        resp = await self.organiser.get(f"/api/activities/{self.act['id']}/attendees")
        assert resp.status_code == 200
        return {s["user_id"]: s for s in resp.json()["signups"]}

    def _expected(self) -> dict[str, tuple[str, int | None]]:
        pos = self.model.positions()
        return {self.users[u].id: (s, pos.get(u)) for u, s in self.model.status.items()}

    async def _await_state(self, timeout: float) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            state = await self._server_state()
            got = {k: (v["status"], v["waitlist_position"]) for k, v in state.items()}
            if got == self._expected() or asyncio.get_running_loop().time() > deadline:
                assert got == self._expected()
                return
            await asyncio.sleep(0.2)

    @invariant()
    def server_matches_model(self) -> None:
        if not hasattr(self, "act"):
            return
        self.run(self._await_state(timeout=0))
        detail = self.run(self.organiser.get(f"/api/activities/{self.act['id']}")).json()
        a = detail["activity"]
        # S1: never more seats taken than capacity; counters equal the model
        assert a["confirmed_count"] + a["held_count"] <= a["capacity"]
        assert a["capacity"] == self.model.capacity
        assert a["confirmed_count"] == self.model.count("confirmed")
        assert a["held_count"] == self.model.count("offered", "pending_payment")
        assert a["waitlist_count"] == self.model.count("waitlisted")
        # S3: no seat stays free while someone waits
        assert a["confirmed_count"] + a["held_count"] == a["capacity"] or a["waitlist_count"] == 0
        # paid implies confirmed, or refunded (or on its way back)
        for payment_id, u in self.payments.items():
            p = self.run(self.users[u].get(f"/api/payments/{payment_id}")).json()["payment"]
            if p["status"] == "paid":
                assert self.model.status.get(u) == "confirmed", (p, self.model.status)


class PaidSignupMachine(SignupMachine):
    """The same, for a paid activity: holds, payments, duplicate and late webhooks, refunds."""

    paid = True

    @rule(u=st.integers(0, USERS - 1), copies=st.integers(1, 3))
    def pay(self, u: int, copies: int) -> None:
        resp = self.run(
            self.users[u].post(f"/api/activities/{self.act['id']}/payment", {"provider": "sandbox"})
        )
        if self.model.status.get(u) != "pending_payment":
            assert resp.status_code == 409, resp.text
            return
        assert resp.status_code == 201, resp.text
        payment = resp.json()["payment"]
        self.payments[payment["id"]] = u
        body = event(payment)

        async def send_all() -> list[Any]:
            return list(
                await asyncio.gather(*[deliver(self.base_url, body) for _ in range(copies)])
            )

        results = self.run(send_all())
        assert sorted(r.json()["outcome"] for r in results) == ["applied"] + ["duplicate"] * (
            copies - 1
        )
        self.model.status[u] = "confirmed"

    @rule(u=st.integers(0, USERS - 1))
    def late_payment(self, u: int) -> None:
        """A success for an expired payment whose seat is gone: refunded, never seated."""
        stale = [pid for pid, owner in self.payments.items() if owner == u]
        for pid in stale:
            p = self.run(self.users[u].get(f"/api/payments/{pid}")).json()["payment"]
            if p["status"] == "expired" and self.model.status.get(u) != "pending_payment":
                self.run(deliver(self.base_url, event(p)))

    @rule()
    def expire(self) -> None:
        if not {"offered", "pending_payment"} & set(self.model.status.values()):
            return
        self.model.expire_offers()
        self.clock.advance(16 * 60)  # past the 10 minute offers and the 15 minute holds
        self.run(self._await_state(timeout=10))


def run_machine(machine_class: type[SignupMachine], server: Any, stack: Any, examples: int) -> None:
    machine_class.base_url = server.url
    machine_class.clock = stack.clock
    machine = machine_class.TestCase
    # No shrinking: a failing run against a live server is reported as found, not replayed.
    machine.settings = settings(
        max_examples=examples,
        stateful_step_count=20,
        deadline=None,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    machine().runTest()


@pytest.mark.slow
def test_signup_state_machine_matches_model(server, stack):
    run_machine(SignupMachine, server, stack, examples=8)


@pytest.mark.slow
def test_paid_signup_state_machine_matches_model(server, stack):
    run_machine(PaidSignupMachine, server, stack, examples=6)
