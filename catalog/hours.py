"""Is a merchant open now? In the town's time zone, with lunch breaks and exceptional closures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from catalog.formatting import format_clock


@dataclass(frozen=True)
class Period:
    weekday: int
    opens_at: dt.time
    closes_at: dt.time


@dataclass(frozen=True)
class OpeningState:
    is_open: bool
    label: str  # "Ouvert · ferme à 19 h", "Fermé · ouvre demain à 9 h 30"


def opening_state(
    *, periods: list[Period], closures: list[tuple[dt.date, dt.date]], now: dt.datetime, time_zone: str
) -> OpeningState:
    local = now.astimezone(ZoneInfo(time_zone))
    today, time_now = local.date(), local.time()

    def closed_on(day: dt.date) -> bool:
        return any(start <= day <= end for start, end in closures)

    if not closed_on(today):
        for period in periods:
            if period.weekday == today.weekday() and period.opens_at <= time_now < period.closes_at:
                return OpeningState(True, _("Ouvert · ferme à %(time)s") % {"time": format_clock(period.closes_at)})
    for offset in range(0, 8):
        day = today + dt.timedelta(days=offset)
        if closed_on(day):
            continue
        upcoming = sorted(
            (p for p in periods if p.weekday == day.weekday() and (offset > 0 or p.opens_at > time_now)),
            key=lambda p: p.opens_at,
        )
        if upcoming:
            when = format_clock(upcoming[0].opens_at)
            if offset == 0:
                return OpeningState(False, _("Fermé · ouvre à %(time)s") % {"time": when})
            if offset == 1:
                return OpeningState(False, _("Fermé · ouvre demain à %(time)s") % {"time": when})
            day_name = [_("lundi"), _("mardi"), _("mercredi"), _("jeudi"), _("vendredi"), _("samedi"), _("dimanche")][
                day.weekday()
            ]
            return OpeningState(False, _("Fermé · ouvre %(day)s à %(time)s") % {"day": day_name, "time": when})
    return OpeningState(False, _("Fermé"))
