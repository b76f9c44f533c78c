"""The activity as an iCalendar event: a stable UID, SEQUENCE bumped on each material change."""

from __future__ import annotations

from icalendar import Calendar, Event

from server.activities.models import Activity


def render(a: Activity, url: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Circles//Activities//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    ev = Event()
    ev.add("uid", f"{a.id}@circles")
    ev.add("sequence", a.ics_sequence)
    ev.add("dtstamp", a.updated_at)
    ev.add("dtstart", a.starts_at)
    ev.add("dtend", a.ends_at)
    ev.add("summary", a.title)
    if a.description:
        ev.add("description", a.description)
    place = a.location.name + (f", {a.location.address}" if a.location.address else "")
    ev.add("location", place)
    if a.location.lat is not None and a.location.lng is not None:
        ev.add("geo", (a.location.lat, a.location.lng))
    ev.add("status", "CANCELLED" if a.cancelled else "CONFIRMED")
    ev.add("url", url)
    cal.add_component(ev)
    return bytes(cal.to_ical())
