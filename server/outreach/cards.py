"""The cards an outreach send posts (docs/protocol.md, "Outreach")."""

from __future__ import annotations

from typing import Any

from server.activities.cards import iso
from server.activities.models import Activity


def invite_card(a: Activity, note: str) -> dict[str, Any]:
    """An invitation in a DM: the organiser's note and what the reader needs to decide; the
    client links it to the activity's page, where the live sign-up is."""
    return {
        "type": "invite",
        "activity_id": a.id,
        "circle_id": a.circle_id,
        "title": a.title,
        "starts_at": iso(a.starts_at),
        "note": note,
    }


def announcement_card(outreach_id: str, note: str) -> dict[str, Any]:
    """An announcement in the circle's chat; the audience is not on it (segments are for the
    organisers' eyes), each recipient is told by a notification."""
    return {"type": "announcement", "outreach_id": outreach_id, "note": note}
