"""Which town this is, and what time it is there: the one answer for requests, tasks and commands.

A request on a town's host (``tenants.middleware.TownMiddleware``), a town task (``TownTask``) and
``with town:`` all make the town's schema the connection's; ``current_town()`` reads it back.
The town's IANA time zone is activated for the same span (middleware, ``TownTask``), so that
``timezone.localtime()`` and the templates' ``|date`` speak town time; ``town_now()`` and
``town_today()`` say it explicitly, whatever is activated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from tenants.connection import connection
from tenants.models import Town


class NoCurrentTown(LookupError):
    """Asked for the town while the connection is on the public schema (the operator site)."""


def current_town() -> Town:
    """The town whose schema is active; ``NoCurrentTown`` on the operator site (public schema)."""
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Town) and tenant.schema_name == connection.schema_name and tenant.pk is not None:
        return tenant
    if connection.schema_name == "public":
        raise NoCurrentTown("no town: the connection is on the public schema")
    return Town.objects.get(schema_name=connection.schema_name)


def current_town_or_none() -> Town | None:
    """The active town, or None on the operator site (texts shared by both, e-mail frames)."""
    try:
        return current_town()
    except (NoCurrentTown, Town.DoesNotExist):
        return None


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def town_zone(town: Town | None = None) -> ZoneInfo:
    """The town's time zone (the current town's by default; the platform's outside any town)."""
    if town is None:
        town = current_town_or_none()
    return _zone((town.time_zone if town is not None else "") or settings.TIME_ZONE)


def town_now(town: Town | None = None) -> dt.datetime:
    """Now, as an aware datetime in the town's time zone."""
    return timezone.now().astimezone(town_zone(town))


def town_today(town: Town | None = None) -> dt.date:
    """Today's date in the town: cut-offs, delivery days, opening hours and payout periods are local."""
    return town_now(town).date()


def town_local(moment: dt.datetime, town: Town | None = None) -> dt.datetime:
    """A stored (UTC) moment in the town's time zone."""
    return timezone.localtime(moment, town_zone(town))


@contextmanager
def town_clock(town: Town | None) -> Iterator[None]:
    """Activates the town's time zone for a block (a request, a task); the previous one after."""
    previous = timezone.get_current_timezone()
    timezone.activate(town_zone(town))
    try:
        yield
    finally:
        timezone.activate(previous)
