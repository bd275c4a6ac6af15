"""Fold rows into people, and each person's rows into non-overlapping intervals.

A clinician who drops off and rejoins, or joins from a phone while the laptop is
still connected, appears on several rows; counting them twice would inflate both
headcount and CME minutes. Identity is the e-mail when the row has one, else the
normalised name; a row without e-mail joins the one e-mail holder of that name.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from .model import Attendee, Interval
from .names import name_key
from .visits import Visit


def merge_intervals(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    """Sorted, with overlapping or touching intervals joined."""
    merged: list[Interval] = []
    for interval in sorted(intervals, key=lambda item: (item.start, item.end)):
        if merged and interval.start <= merged[-1].end:
            last = merged.pop()
            interval = Interval(last.start, max(last.end, interval.end))
        merged.append(interval)
    return tuple(merged)


def group_attendees(visits: Iterable[Visit]) -> tuple[Attendee, ...]:
    """One Attendee per person, ordered by first arrival, then name."""
    ordered = sorted(visits, key=_chronological)
    groups: dict[str, list[Visit]] = {}
    for visit in ordered:
        if visit.who.email:
            groups.setdefault(f"email:{visit.who.email}", []).append(visit)
    owners = _email_owner_by_name(groups)
    for visit in ordered:
        if not visit.who.email:
            key = name_key(visit.who.display_name)
            groups.setdefault(owners.get(key, f"name:{key}"), []).append(visit)
    attendees = (_attendee(group) for group in groups.values())
    return tuple(sorted(attendees, key=_arrival))


def _chronological(visit: Visit) -> tuple[datetime, int]:
    return visit.interval.start, visit.row_number


def _arrival(person: Attendee) -> tuple[datetime, str]:
    return person.intervals[0].start, person.display_name


def _email_owner_by_name(groups: dict[str, list[Visit]]) -> dict[str, str]:
    """Name key -> e-mail group, only where exactly one address carries that name."""
    claims: dict[str, set[str]] = {}
    for group_key, group in groups.items():
        for visit in group:
            claims.setdefault(name_key(visit.who.display_name), set()).add(group_key)
    return {name: next(iter(keys)) for name, keys in claims.items() if len(keys) == 1}


def _attendee(visits: list[Visit]) -> Attendee:
    """The earliest row names the person; the earliest stated e-mail and spoke win."""
    visits = sorted(visits, key=_chronological)
    return Attendee(
        display_name=visits[0].who.display_name,
        email=next((visit.who.email for visit in visits if visit.who.email), None),
        stated_spoke=next((v.who.stated_spoke for v in visits if v.who.stated_spoke), None),
        intervals=merge_intervals(visit.interval for visit in visits),
    )
