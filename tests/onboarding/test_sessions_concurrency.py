"""Registrations at the same moment (real transactions, threads): one per business, never past capacity."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from onboarding.sessions.actions import register_prospect
from onboarding.sessions.models import SessionRegistration
from tenants.connection import connection
from tenants.current import town_today
from tests.conftest import run_concurrently
from tests.onboarding.factories import make_prospect
from tests.onboarding.sessions_factories import first_occurrence, make_weekly_series


@pytest.mark.slow
def test_the_same_link_clicked_four_times_at_once_registers_once(committed_town):
    with committed_town:
        start = town_today() + dt.timedelta(days=3)
        occurrence = first_occurrence(make_weekly_series(start_date=start, weekday=start.weekday()))
        prospect = make_prospect(email="double-clic@example.fr")

    def click(index: int) -> bool:
        connection.set_tenant(committed_town)  # a thread has its own connection, in public until told
        return register_prospect(occurrence=occurrence, prospect=prospect, actor=None).created

    outcomes = run_concurrently(4, click)

    assert sorted(outcomes) == [False, False, False, True]
    with committed_town:
        assert SessionRegistration.objects.filter(prospect=prospect).count() == 1


@pytest.mark.slow
def test_six_businesses_at_once_for_two_places_give_exactly_two(committed_town):
    with committed_town:
        start = town_today() + dt.timedelta(days=3)
        occurrence = first_occurrence(make_weekly_series(start_date=start, weekday=start.weekday(), capacity=2))
        prospects = [make_prospect(email=f"commerce{n}@example.fr") for n in range(6)]

    def register(index: int) -> str:
        connection.set_tenant(committed_town)
        try:
            register_prospect(occurrence=occurrence, prospect=prospects[index], actor=None)
        except ValidationError:
            return "full"
        return "registered"

    outcomes = run_concurrently(6, register)

    assert sorted(map(str, outcomes)) == ["full"] * 4 + ["registered"] * 2
    with committed_town:
        assert SessionRegistration.objects.filter(occurrence=occurrence).count() == 2
