"""The per-process rev ordering of conversation changes (realtime/ordering.py), as pure logic.
The end-to-end properties are in test_delivery.py and test_faults.py."""

from __future__ import annotations

import time

from server.realtime.ordering import RevOrder


def test_in_order_changes_pass_straight_through():
    order = RevOrder()
    assert order.push("c", 1, "r1") == ["r1"]
    assert order.push("c", 2, "r2") == ["r2"]
    assert not order.waiting()


def test_a_change_ahead_of_a_gap_waits_for_it():
    order = RevOrder()
    order.push("c", 1, "r1")
    assert order.push("c", 3, "r3") == []
    assert order.waiting()
    assert order.push("c", 2, "r2") == ["r2", "r3"]
    assert not order.waiting()
    assert order.push("c", 2, "r2 again") == []  # delivered already: never twice


def test_a_lasting_gap_is_filled_from_the_database_answers():
    order = RevOrder()
    order.push("c", 1, "r1")
    order.push("c", 4, "r4")
    assert order.gaps(min_age=10) == []
    time.sleep(0.01)
    assert order.gaps(min_age=0.005) == [("c", [2, 3])]
    assert order.fill("c", 2, "r2 from db") == ["r2 from db"]
    assert order.fill("c", 2, "stale answer") == []
    assert order.fill("c", 3, None) == ["r4"]  # nothing to deliver for 3 (voided)
    assert order.push("c", 2, "r2 late") == []  # the fill already delivered it
    assert order.push("c", 3, "r3 late") == ["r3 late"]  # skipped, so late beats never


def test_a_stream_first_seen_above_rev_1_waits_for_lower_revs_in_flight():
    """Two processes claim revs 9 and 10 of a conversation; this one gets 10 first. It holds 10
    for the gap wait, so 9 arriving meanwhile is delivered first (a full run once saw every client of
    test_delivery get seq 2 before seq 1)."""
    order = RevOrder()
    assert order.push("c", 10, "r10") == []
    assert order.waiting()
    assert order.push("c", 9, "r9") == []
    assert order.gaps(min_age=0) == []  # nothing is known to be missing
    assert order.opened(min_age=10) == []
    time.sleep(0.01)
    assert order.opened(min_age=0.005) == ["r9", "r10"]
    assert not order.waiting()
    assert order.push("c", 11, "r11") == ["r11"]
    assert order.push("c", 8, "r8") == ["r8"]  # from before the stream's start: late, not never


def test_an_opening_stream_with_a_gap_inside_waits_on_the_gap():
    order = RevOrder()
    order.push("c", 5, "r5")
    order.push("c", 7, "r7")
    time.sleep(0.01)
    assert order.opened(min_age=0.005) == ["r5"]
    assert order.push("c", 6, "r6") == ["r6", "r7"]


def test_conversations_are_independent():
    order = RevOrder()
    order.push("a", 1, "a1")
    order.push("b", 1, "b1")
    assert order.push("a", 3, "a3") == []
    assert order.push("b", 2, "b2") == ["b2"]
