"""What a share page and a poster say about an activity or a circle, as display text (pure).

Pages and posters are read by people who are not signed in, and a poster is an image, so the
server has to write the time out itself: in ``zone`` (the activity carries no zone of its own
yet), always naming the zone, with the exact instant beside it as ISO for machines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from server.activities.cards import iso
from server.activities.models import Activity
from server.payments.money import format_money
from server.rooms.models import Circle

DASH = "\u2013"  # an en dash between two times


@dataclass(frozen=True)
class ActivityFacts:
    title: str
    circle_name: str
    when: str  # "Sat 5 Dec 2026, 10:00 to 12:00 UTC" (with an en dash)
    starts_iso: str
    place: str
    seats: str  # "3 of 10 seats left", "Full (2 on the waitlist)", "Cancelled"...
    price: str  # "Free" or "EUR 5.00"
    status: str
    description: str

    @property
    def summary(self) -> str:
        """One line for previews: time, place and seats."""
        return " · ".join([self.when, self.place, self.seats])


@dataclass(frozen=True)
class CircleFacts:
    name: str
    description: str
    category: str
    members: str  # "12 members"

    @property
    def summary(self) -> str:
        return " · ".join(p for p in [self.members, self.category, self.description] if p)


def when(starts: datetime, ends: datetime, zone: ZoneInfo) -> str:
    start, end = starts.astimezone(zone), ends.astimezone(zone)
    day = f"{start:%a} {start.day} {start:%b %Y}"
    if end.date() == start.date():
        return f"{day}, {start:%H:%M}{DASH}{end:%H:%M} {start.tzname()}"
    return f"{day}, {start:%H:%M} {DASH} {end:%a} {end.day} {end:%b %Y}, {end:%H:%M} {end.tzname()}"


def seats(a: Activity, now: datetime) -> str:
    status = a.status_at(now)
    if status == "cancelled":
        return "Cancelled"
    if now >= a.ends_at:
        return "Already happened"
    if status == "closed":
        return "Sign-up closed"
    left = max(0, a.capacity - a.seats_taken)
    if left == 0:
        waiting = a.waitlist_count
        return "Full, join the waitlist" + (f" ({waiting} waiting)" if waiting else "")
    return f"{left} of {a.capacity} seats left" if left != 1 else f"1 of {a.capacity} seats left"


def activity_facts(a: Activity, circle_name: str, now: datetime, zone: ZoneInfo) -> ActivityFacts:
    place = a.location.name + (f", {a.location.address}" if a.location.address else "")
    price = format_money(a.price.amount, a.price.currency) if a.paid and a.price else "Free"
    return ActivityFacts(
        title=a.title,
        circle_name=circle_name,
        when=when(a.starts_at, a.ends_at, zone),
        starts_iso=iso(a.starts_at),
        place=place,
        seats=seats(a, now),
        price=price,
        status=a.status_at(now),
        description=a.description,
    )


def circle_facts(c: Circle) -> CircleFacts:
    n = c.member_count
    return CircleFacts(
        name=c.name,
        description=c.description,
        category=c.category,
        members=f"{n} member" + ("" if n == 1 else "s"),
    )
