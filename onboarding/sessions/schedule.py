"""When a series meets: its days, and each day's start and end as UTC moments from the town's wall clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from onboarding.sessions.models import SessionSeries

# Weekly series are generated this far ahead (the daily task keeps the horizon moving).
WEEKS_AHEAD = 8


def series_days(series: SessionSeries, *, start: dt.date, until: dt.date) -> Iterator[dt.date]:
    """The town-local days the series meets on, from ``start`` to ``until`` (both included)."""
    first = max(start, series.start_date)
    last = min(until, series.end_date) if series.end_date else until
    if not series.is_weekly:
        if first <= series.start_date <= last:
            yield series.start_date
        return
    assert series.weekday is not None  # noqa: S101 — a weekly series has one (CHECK constraint)
    day = first + dt.timedelta(days=(series.weekday - first.weekday()) % 7)
    while day <= last:
        yield day
        day += dt.timedelta(days=7)


def local_span(series: SessionSeries, day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """Start and end (UTC) of the series' session on ``day``: ``start_time`` read in ``zone`` on that very day.

    The offset is the day's own (UTC+1 in winter, UTC+2 in summer for Europe/Paris), so the wall-clock
    time never moves. A start inside the spring-forward gap (2 h 30 on the last Sunday of March) is read
    with the offset before the change, i.e. one hour later on the clock: zoneinfo's fold=0 rule.
    """
    local_start = dt.datetime.combine(day, series.start_time, tzinfo=zone)
    start = local_start.astimezone(dt.UTC)
    return start, start + series.duration
