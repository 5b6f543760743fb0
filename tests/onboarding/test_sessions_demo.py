"""The demo's weekly session: registrations, last Monday's attendance, and a re-run that changes nothing."""

from __future__ import annotations

import datetime as dt

import time_machine

from demo.onboarding_sessions import seed_sessions
from onboarding.models import Prospect, Step
from onboarding.sessions.models import Attendance, SessionOccurrence, SessionRegistration
from tenants.models import Town
from tests.onboarding.factories import make_agent, make_prospect


@time_machine.travel(dt.datetime(2027, 3, 10, 9, tzinfo=dt.UTC), tick=False)  # a Wednesday
def test_the_demo_seeds_a_weekly_monday_session_with_registrations_and_attendance(town_a: Town) -> None:
    with town_a:
        prospects = [make_prospect(name=f"Commerce {n}") for n in range(8)]
        series = seed_sessions(prospects=prospects, agent=make_agent())
        assert seed_sessions(prospects=prospects).pk == series.pk
        assert SessionOccurrence.objects.filter(series=series).order_by("day").first().day == dt.date(2027, 2, 22)
        past = SessionOccurrence.objects.get(series=series, day=dt.date(2027, 3, 8))
        assert sorted(past.registrations.values_list("attendance", flat=True)) == sorted(
            [Attendance.ATTENDED] * 2 + [Attendance.ABSENT] * 2
        )
        upcoming = SessionOccurrence.objects.get(series=series, day=dt.date(2027, 3, 15))
        assert upcoming.registrations.count() == 3
        assert SessionRegistration.objects.count() == 7
        steps = dict(Prospect.objects.values_list("merchant__name", "step"))
        assert (steps["Commerce 0"], steps["Commerce 2"], steps["Commerce 4"], steps["Commerce 7"]) == (
            Step.INFO_SESSION,
            Step.CONTACTED,
            Step.CONTACTED,
            Step.TO_CONTACT,
        )
