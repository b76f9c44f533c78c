"""Helpers for tests that drive the report rollup keeper of an in-process server
(``rollup_keeper`` in conftest.py) directly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.core import clock
from server.reports.rollups_compute import day_of
from tests.support.chat import circle_with
from tests.support.security_infra import People


async def today(keeper: Any, circle_id: str) -> tuple[Any, ...]:
    """Today's stored rollup of the circle, as what a report shows of it: messages, deleted,
    prompts, waits, posters, active members."""
    d = await keeper._repo.day(circle_id, day_of(clock.now()))
    assert d is not None
    return (d.messages, d.deleted, d.prompts, list(d.waits), sorted(d.posters), sorted(d.active))


@dataclass
class Pair:
    """An owner and a member of a new circle, each with a socket."""

    owner: Any
    member: Any
    so: Any
    sm: Any
    circle_id: str
    conversation_id: str


async def pair_in_new_circle(keeper: Any, people: People, name: str) -> Pair:
    """After one sweep of the keeper (so that its next one is not a full sweep), a new circle of
    two users named ``name``."""
    await keeper.sweep()
    owner, member = await people.user(name), await people.user(name)
    so, sm = await people.sock(owner), await people.sock(member)
    circle = await circle_with(owner, member)
    return Pair(owner, member, so, sm, circle["id"], circle["conversation_id"])
