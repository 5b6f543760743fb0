"""The town's sessions as an iCalendar feed (RFC 5545) for the agents' calendars.

One VEVENT per occurrence, from two weeks back: its UID names the occurrence and the town's host, so a
calendar updates the same event when the time changes (SEQUENCE goes up) or it is cancelled
(STATUS:CANCELLED). Times carry the town's TZID with its VTIMEZONE, so calendars show 9 h as 9 h.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import icalendar
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from onboarding.sessions.models import SessionOccurrence
from tenants.actions import town_absolute_url
from tenants.current import current_town, town_zone


def occurrence_uid(occurrence: SessionOccurrence) -> str:
    return f"reunion-{occurrence.pk}@{current_town().primary_host}"


def sessions_calendar(occurrences: Iterable[SessionOccurrence]) -> bytes:
    """The feed's body; ``occurrences`` with their series and ``registered`` count."""
    town = current_town()
    zone = town_zone(town)
    now = timezone.now()
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Comptoir//Réunions d’information//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    first = last = None
    with translation.override("fr"):
        calendar.add("x-wr-calname", _("Réunions d’information — %(town)s") % {"town": town.name})
        calendar.add("x-wr-timezone", zone.key)
        for occurrence in occurrences:
            series = occurrence.series
            event = icalendar.Event()
            event.add("uid", occurrence_uid(occurrence))
            event.add("dtstamp", now)
            event.add("dtstart", occurrence.starts_at.astimezone(zone))
            event.add("dtend", occurrence.ends_at.astimezone(zone))
            event.add("summary", series.title)
            event.add("location", series.place)
            registered = getattr(occurrence, "registered", None)
            lines = [series.description] if series.description else []
            if registered is not None:
                lines.append(_("Inscrits : %(count)d") % {"count": registered})
            path = reverse("onboarding:sessions:occurrence", args=[occurrence.pk], urlconf=settings.ROOT_URLCONF)
            url = town_absolute_url(town, path)
            lines.append(url)
            event.add("description", "\n".join(lines))
            event.add("url", url)
            event.add("sequence", occurrence.sequence)
            event.add("status", "CANCELLED" if occurrence.is_cancelled else "CONFIRMED")
            calendar.add_component(event)
            day = occurrence.day
            first = day if first is None or day < first else first
            last = day if last is None or day > last else last
    if first is not None and last is not None:
        calendar.add_missing_timezones(
            first_date=first - dt.timedelta(days=366), last_date=last + dt.timedelta(days=366)
        )
    return calendar.to_ical()
