"""The text of ``new_activity`` and ``activity_push`` notifications (pure).

No server-written text carries a clock time (docs/protocol.md, Notifications): the start
travels in ``data.times`` with ``data.template`` saying where it goes, and ``body`` is a
plain fallback without it.
"""

from __future__ import annotations

from typing import Any

from server.activities.cards import iso
from server.activities.models import Activity


def about(a: Activity, circle_name: str) -> tuple[str, str, dict[str, Any]]:
    """(title, body, data) of a notification about activity ``a`` of circle ``circle_name``."""
    place = a.location.name.replace("{", "{{").replace("}", "}}")
    data = {
        "activity_id": a.id,
        "circle_id": a.circle_id,
        "template": f"{{starts_at}} at {place}",
        "times": {"starts_at": iso(a.starts_at)},
    }
    return f"{circle_name}: {a.title}", f"At {a.location.name}.", data
