"""Click-and-collect pickup windows, taken from the shop's opening hours in the town's time zone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from catalog.formatting import format_clock, format_day
from catalog.models import Merchant
from tenants.current import town_zone

# A shop needs time to prepare: the first window starts at least this long after the order.
PREPARATION_TIME = dt.timedelta(hours=1)
DAYS_AHEAD = 6


@dataclass(frozen=True)
class PickupWindow:
    # Stable across requests (day and opening period), while the start moves with the clock.
    key: str
    starts_at: dt.datetime
    ends_at: dt.datetime

    def label(self, time_zone: str) -> str:
        return window_label(self.starts_at, self.ends_at, zone=ZoneInfo(time_zone)).capitalize()


def window_label(starts_at: dt.datetime | None, ends_at: dt.datetime | None, *, zone: dt.tzinfo | None = None) -> str:
    """« mardi 8 décembre, de 14 h à 15 h 30 » in the town's clock (``zone``: the current town's by
    default); "" without a window. The one wording of a pickup window: pages, e-mails, tickets."""
    if starts_at is None:
        return ""
    zone = zone or town_zone()
    start = starts_at.astimezone(zone)
    if ends_at is None:
        return _("%(day)s, à partir de %(start)s") % {
            "day": format_day(start.date()),
            "start": format_clock(start.time()),
        }
    return _("%(day)s, de %(start)s à %(end)s") % {
        "day": format_day(start.date()),
        "start": format_clock(start.time()),
        "end": format_clock(ends_at.astimezone(zone).time()),
    }


def pickup_windows(*, merchant: Merchant, now: dt.datetime, time_zone: str) -> list[PickupWindow]:
    """Opening periods of the coming days, minus closures, starting after the preparation time."""
    zone = ZoneInfo(time_zone)
    local_now = now.astimezone(zone)
    # Rounded up to the quarter hour: "à partir de 13 h", not "12 h 54".
    earliest = now + PREPARATION_TIME
    earliest = earliest.replace(second=0, microsecond=0) + dt.timedelta(minutes=-earliest.minute % 15)
    if earliest < now + PREPARATION_TIME:
        earliest += dt.timedelta(minutes=15)
    periods = list(merchant.opening_periods.all())
    closures = [(c.starts_on, c.ends_on) for c in merchant.closures.all()]
    windows = []
    for offset in range(DAYS_AHEAD + 1):
        day = local_now.date() + dt.timedelta(days=offset)
        if any(start <= day <= end for start, end in closures):
            continue
        for period in sorted((p for p in periods if p.weekday == day.weekday()), key=lambda p: p.opens_at):
            starts = dt.datetime.combine(day, period.opens_at, tzinfo=zone)
            ends = dt.datetime.combine(day, period.closes_at, tzinfo=zone)
            if ends - PREPARATION_TIME < earliest:
                continue
            key = f"{day.isoformat()}_{period.opens_at:%H%M}_{period.closes_at:%H%M}"
            windows.append(PickupWindow(key=key, starts_at=max(starts, earliest.astimezone(zone)), ends_at=ends))
    return windows


def find_window(windows: list[PickupWindow], key: str) -> PickupWindow | None:
    return next((window for window in windows if window.key == key), None)
