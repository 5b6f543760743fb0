"""Demo information sessions: « Réunion d’information — tous les lundis à 9 h, salle du conseil, hôtel de
ville », weekly from the Monday two weeks ago, with its occurrences (past and eight weeks ahead).

With the prospects given (the lead passes the demo town's draft businesses): the first four were
registered for last Monday's session by the agent, and the first two of them came (attendance marked,
which moves them on to « Réunion d’information »); the next three registered themselves for next
Monday's. Run inside the town (``with town:``). Seeded once: a re-run finds the series by its title
and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction

from accounts.models import User
from onboarding.models import Prospect, Step
from onboarding.pipeline import advance_prospect
from onboarding.sessions.actions import create_series, generate_occurrences, mark_attendance, register_prospect
from onboarding.sessions.models import RegisteredBy, SessionRegistration, SessionSeries
from tenants.current import town_today

TITLE = "Réunion d’information — tous les lundis à 9 h"
DESCRIPTION = (
    "Présentation de la place de marché en ligne de la ville : ce qu’elle apporte aux commerces, la "
    "convention, la mise en ligne du catalogue et des photos, le paiement et les livraisons. "
    "Café offert ; venez avec vos questions."
)


def seed_sessions(
    *, prospects: Sequence[Prospect], agent: User | None = None, today: dt.date | None = None
) -> SessionSeries:
    """The demo town's weekly session with a few registrations and last week's attendance (once)."""
    existing = SessionSeries.objects.filter(title=TITLE).first()
    if existing is not None:
        return existing
    today = today or town_today()
    this_monday = today - dt.timedelta(days=today.weekday())
    first_monday = this_monday - dt.timedelta(weeks=2)
    with transaction.atomic():
        series = create_series(
            actor=agent,
            title=TITLE,
            description=DESCRIPTION,
            place="Salle du conseil, hôtel de ville",
            recurrence="weekly",
            weekday=0,
            start_date=first_monday,
            start_time=dt.time(9),
            duration_minutes=90,
            capacity=20,
        )
        generate_occurrences(series=series, today=first_monday)  # the past Mondays too
        occurrences = list(series.occurrences.order_by("starts_at"))
        past = [o for o in occurrences if o.day < today]
        upcoming = [o for o in occurrences if o.day > today]
        if past and prospects:
            last = past[-1]
            for prospect in prospects[:4]:
                SessionRegistration.objects.get_or_create(
                    occurrence=last,
                    prospect=prospect,
                    defaults={
                        "registered_by": RegisteredBy.AGENT,
                        "registered_by_user": agent,
                        "registered_at": last.starts_at - dt.timedelta(days=4),
                    },
                )
                # What registering does (actions.register_prospect), which refuses a past date.
                advance_prospect(merchant_id=prospect.merchant_id, to_step=Step.CONTACTED, actor=agent)
            came = last.registrations.filter(prospect__in=list(prospects[:2])).values_list("pk", flat=True)
            if agent is not None:
                mark_attendance(occurrence=last, attended_ids=list(came), actor=agent)
        if upcoming:
            for prospect in prospects[4:7]:
                register_prospect(occurrence=upcoming[0], prospect=prospect, actor=None)
    return series
