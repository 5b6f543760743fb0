"""Session times in the town's words: « lundi 30 mars », « 9 h » (the one formatter, catalog.formatting)."""

from __future__ import annotations

import datetime as dt

from django import template

from catalog.formatting import format_clock, format_day
from tenants.current import town_local

register = template.Library()


@register.filter
def town_day(moment: dt.datetime | None) -> str:
    return format_day(town_local(moment).date()) if moment else ""


@register.filter
def town_clock(moment: dt.datetime | None) -> str:
    return format_clock(town_local(moment).time()) if moment else ""


@register.filter
def clock(value: dt.time | None) -> str:
    return format_clock(value) if value else ""
