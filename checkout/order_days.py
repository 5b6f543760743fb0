"""Order lists grouped by the day each order came in, in the town's clock: a shop or the town desk sees
at once what has been waiting since an earlier day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from catalog.formatting import format_day
from tenants.current import town_local, town_today

Item = TypeVar("Item")


@dataclass(frozen=True)
class OrderDay(Generic[Item]):
    day: dt.date
    label: str  # "lundi 7 décembre"
    is_earlier: bool  # before today in the town: these orders have waited since an earlier day
    items: list[Item] = field(default_factory=list)


def group_by_day(items: Iterable[Item], came_in: Callable[[Item], dt.datetime]) -> list[OrderDay[Item]]:
    """Items (given oldest first) grouped by their town-local day, oldest day first."""
    today = town_today()
    groups: dict[dt.date, OrderDay[Item]] = {}
    for item in items:
        day = town_local(came_in(item)).date()
        if day not in groups:
            groups[day] = OrderDay(day=day, label=format_day(day), is_earlier=day < today)
        groups[day].items.append(item)
    return sorted(groups.values(), key=lambda group: group.day)
