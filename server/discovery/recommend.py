""" "For you": a score per candidate from what Circles knows, and the reason that weighed most.

Pure functions. The profile says what the user likes (categories and tags of the circles they
joined and of the activities they attended), whom they know (people of their circles) and which
circles they belong to or follow. Each factor adds a weight with a sentence; the item's reason is
the factor that added most, so the sentence shown is the one that decided the ranking.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from server.discovery.models import Card, Reason

W_FRIENDS = 3.0  # plus one per person
W_FOLLOWED = 2.5
W_YOUR_CIRCLE = 2.0
W_CATEGORY = 2.0
W_TAG = 1.0
W_SEATS = 0.5
W_SOON = 1.5
SOON_DAYS = 14.0


@dataclass
class Profile:
    user_id: str
    categories: Counter[str] = field(default_factory=Counter)
    tags: Counter[str] = field(default_factory=Counter)
    # where a liked category or tag comes from, for the sentence: "circles you joined" or
    # "activities you attended"
    sources: dict[str, str] = field(default_factory=dict)
    my_circles: dict[str, str] = field(default_factory=dict)  # id -> name
    followed: dict[str, str] = field(default_factory=dict)  # id -> name
    known: dict[str, str] = field(default_factory=dict)  # user id -> a circle name we share
    signed_up: set[str] = field(default_factory=set)  # activity ids


def _people(n: int) -> str:
    return "1 person" if n == 1 else f"{n} people"


def reasons(card: Card, p: Profile, now: datetime) -> list[Reason]:
    out: list[Reason] = []
    going = [u for u in card.going_ids if u != p.user_id and u in p.known]
    if going:
        by_circle = Counter(p.known[u] for u in going)
        circle, n = by_circle.most_common(1)[0]
        verb = "is" if n == 1 else "are"
        out.append(
            Reason("friends_going", f"{_people(n)} from {circle} {verb} going", W_FRIENDS + n)
        )
    if card.circle_id in p.followed:
        out.append(
            Reason("followed_circle", f"From {card.circle_name}, a circle you follow", W_FOLLOWED)
        )
    elif card.circle_id in p.my_circles:
        out.append(Reason("your_circle", f"New in {card.circle_name}, your circle", W_YOUR_CIRCLE))
    if p.categories[card.category]:
        share = p.categories[card.category] / max(1, sum(p.categories.values()))
        where = p.sources.get(f"cat:{card.category}", "circles you joined")
        text = f"You like {card.category}: {where}"
        out.append(Reason("category", text, W_CATEGORY * (0.5 + share)))
    liked = [t for t in card.tags if p.tags[t]]
    if liked:
        top = max(liked, key=lambda t: p.tags[t])
        where = p.sources.get(f"tag:{top}", "circles you joined")
        out.append(Reason("tag", f"Tagged #{top}, like {where}", W_TAG * len(liked)))
    if 0 < card.seats_left <= 3:
        seats = "1 seat" if card.seats_left == 1 else f"{card.seats_left} seats"
        out.append(Reason("seats_left", f"Only {seats} left", W_SEATS))
    days = (card.starts_at - now).total_seconds() / 86400
    if 0 <= days < SOON_DAYS:
        when = "today" if days < 1 else "tomorrow" if days < 2 else f"in {int(days)} days"
        out.append(Reason("soon", f"Starts {when}", W_SOON * (1 - days / SOON_DAYS)))
    return out


def score(card: Card, p: Profile, now: datetime) -> tuple[float, Reason | None]:
    """The total weight and the reason that added most (None: nothing speaks for it)."""
    found = reasons(card, p, now)
    total = sum(r.weight for r in found)
    if card.seats_left == 0:
        total -= 1.0  # full: still shown (the waitlist), but after the ones with room
    best = max(found, key=lambda r: r.weight, default=None)
    return total, best


def rank(
    cards: list[Card], p: Profile, now: datetime, limit: int
) -> list[tuple[Card, float, Reason]]:
    """Candidates the user has not signed up for, best first; only those with a reason."""
    scored: list[tuple[Card, float, Reason]] = []
    for c in cards:
        if c.id in p.signed_up:
            continue
        total, best = score(c, p, now)
        if best is not None:
            scored.append((c, total, best))
    scored.sort(key=lambda t: (-t[1], t[0].starts_at, t[0].id))
    return scored[:limit]
