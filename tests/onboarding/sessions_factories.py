"""Information sessions for tests (use inside a town: ``with town_a:``)."""

from __future__ import annotations

import datetime as dt

from accounts.models import User
from onboarding.sessions.actions import create_series
from onboarding.sessions.models import SessionOccurrence, SessionSeries


def make_weekly_series(
    *, start_date: dt.date, weekday: int = 0, at: dt.time = dt.time(9), actor: User | None = None, **fields: object
) -> SessionSeries:
    fields.setdefault("place", "Salle du conseil, hôtel de ville")
    return create_series(
        actor=actor,
        title=fields.pop("title", "Réunion d’information"),
        recurrence="weekly",
        weekday=weekday,
        start_date=start_date,
        start_time=at,
        duration_minutes=fields.pop("duration_minutes", 60),
        **fields,
    )


def make_one_off(
    *, day: dt.date, at: dt.time = dt.time(18, 30), actor: User | None = None, **fields: object
) -> SessionSeries:
    fields.setdefault("place", "Maison des associations")
    return create_series(actor=actor, recurrence="once", start_date=day, start_time=at, duration_minutes=90, **fields)


def first_occurrence(series: SessionSeries) -> SessionOccurrence:
    return series.occurrences.order_by("starts_at").first()  # type: ignore[return-value]
