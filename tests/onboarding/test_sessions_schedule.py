"""Series and their occurrences: 9 h stays 9 h local across DST, generation is idempotent, edits follow."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.core import mail

from onboarding.sessions.actions import cancel_occurrence, generate_occurrences, register_prospect, update_series
from onboarding.sessions.models import SessionOccurrence
from onboarding.sessions.schedule import WEEKS_AHEAD
from tenants.current import town_local
from tenants.models import Town
from tests.onboarding.factories import make_prospect
from tests.onboarding.sessions_factories import first_occurrence, make_one_off, make_weekly_series

UTC = dt.UTC


@time_machine.travel(dt.datetime(2027, 3, 10, 12, tzinfo=UTC), tick=False)
def test_a_weekly_monday_9h_series_stays_9h_local_across_the_march_clock_change(town_a: Town) -> None:
    with town_a:
        series = make_weekly_series(start_date=dt.date(2027, 3, 15), end_date=dt.date(2027, 4, 5))
        occurrences = list(series.occurrences.order_by("starts_at"))
        # France goes to summer time on Sunday 28 March 2027: UTC+1 before, UTC+2 after.
        assert [(o.day, o.starts_at, o.ends_at) for o in occurrences] == [
            (dt.date(2027, 3, 15), dt.datetime(2027, 3, 15, 8, tzinfo=UTC), dt.datetime(2027, 3, 15, 9, tzinfo=UTC)),
            (dt.date(2027, 3, 22), dt.datetime(2027, 3, 22, 8, tzinfo=UTC), dt.datetime(2027, 3, 22, 9, tzinfo=UTC)),
            (dt.date(2027, 3, 29), dt.datetime(2027, 3, 29, 7, tzinfo=UTC), dt.datetime(2027, 3, 29, 8, tzinfo=UTC)),
            (dt.date(2027, 4, 5), dt.datetime(2027, 4, 5, 7, tzinfo=UTC), dt.datetime(2027, 4, 5, 8, tzinfo=UTC)),
        ]
        assert {(town_local(o.starts_at).weekday(), town_local(o.starts_at).time()) for o in occurrences} == {
            (0, dt.time(9))
        }


def test_an_open_ended_weekly_series_is_generated_weeks_ahead_and_generation_is_idempotent(town_a: Town) -> None:
    with time_machine.travel(dt.datetime(2027, 1, 4, 6, tzinfo=UTC), tick=False), town_a:
        series = make_weekly_series(start_date=dt.date(2027, 1, 4))
        assert series.occurrences.count() == WEEKS_AHEAD + 1  # 4 January to 1 March included
        assert generate_occurrences() == 0
    with time_machine.travel(dt.datetime(2027, 1, 19, 6, tzinfo=UTC), tick=False), town_a:
        assert generate_occurrences() == 2  # the horizon moved two weeks on
        assert generate_occurrences() == 0
        last = series.occurrences.order_by("-starts_at").first()
        assert last.day == dt.date(2027, 3, 15)


@time_machine.travel(dt.datetime(2027, 6, 1, 8, tzinfo=UTC), tick=False)
def test_a_one_off_session_has_one_occurrence_even_beyond_the_horizon(town_a: Town) -> None:
    with town_a:
        series = make_one_off(day=dt.date(2027, 12, 2))
        assert list(series.occurrences.values_list("day", "starts_at")) == [
            (dt.date(2027, 12, 2), dt.datetime(2027, 12, 2, 17, 30, tzinfo=UTC))
        ]
        assert series.weekday is None


@time_machine.travel(dt.datetime(2027, 3, 1, 8, tzinfo=UTC), tick=False)
def test_changing_the_day_cancels_registered_dates_and_deletes_empty_ones(town_a: Town) -> None:
    with town_a:
        series = make_weekly_series(start_date=dt.date(2027, 3, 1), end_date=dt.date(2027, 3, 22))
        # The 1 March one started at 9 h (8 h UTC): it is "now", not upcoming.
        registered = series.occurrences.get(day=dt.date(2027, 3, 8))
        prospect = make_prospect(email="fleuriste@example.fr")
        register_prospect(occurrence=registered, prospect=prospect, actor=None)
        update_series(series=series, actor=None, weekday=1, start_time=dt.time(14))
        days = dict(series.occurrences.values_list("day", "is_cancelled"))
        assert days == {
            dt.date(2027, 3, 1): False,  # past: untouched
            dt.date(2027, 3, 8): True,  # had a registration: cancelled
            dt.date(2027, 3, 2): False,
            dt.date(2027, 3, 9): False,
            dt.date(2027, 3, 16): False,
        }
        assert series.occurrences.get(day=dt.date(2027, 3, 9)).starts_at == dt.datetime(2027, 3, 9, 13, tzinfo=UTC)


@time_machine.travel(dt.datetime(2027, 3, 1, 8, tzinfo=UTC), tick=False)
def test_changing_the_time_moves_upcoming_dates_and_raises_their_sequence(town_a: Town) -> None:
    with town_a:
        series = make_weekly_series(start_date=dt.date(2027, 3, 8), end_date=dt.date(2027, 3, 15))
        update_series(series=series, actor=None, start_time=dt.time(9, 30))
        assert list(series.occurrences.order_by("day").values_list("starts_at", "sequence")) == [
            (dt.datetime(2027, 3, 8, 8, 30, tzinfo=UTC), 1),
            (dt.datetime(2027, 3, 15, 8, 30, tzinfo=UTC), 1),
        ]


@time_machine.travel(dt.datetime(2027, 3, 1, 8, tzinfo=UTC), tick=False)
def test_cancelling_an_occurrence_leaves_the_others_and_tells_registered_merchants_once(
    town_a: Town, django_capture_on_commit_callbacks
) -> None:
    with town_a:
        series = make_weekly_series(start_date=dt.date(2027, 3, 8), end_date=dt.date(2027, 3, 15))
        occurrence = first_occurrence(series)
        prospect = make_prospect(name="Boulangerie Paul", email="paul@example.fr")
        register_prospect(occurrence=occurrence, prospect=prospect, actor=None)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert cancel_occurrence(occurrence=occurrence, actor=None, reason="Salle indisponible.") is True
        with django_capture_on_commit_callbacks(execute=True):
            assert cancel_occurrence(occurrence=occurrence, actor=None) is False
        assert [m.to for m in mail.outbox] == [["paul@example.fr"]]
        assert mail.outbox[0].subject == "Réunion d’information du lundi 8 mars annulée"
        assert "Salle indisponible." in mail.outbox[0].body
        assert list(SessionOccurrence.objects.filter(series=series).values_list("day", "is_cancelled")) == [
            (dt.date(2027, 3, 8), True),
            (dt.date(2027, 3, 15), False),
        ]


def test_an_agent_schedules_a_weekly_session_through_the_form(town_a: Town, client_a) -> None:
    from django.urls import reverse

    from onboarding.sessions.models import SessionSeries
    from tests.onboarding.factories import make_agent

    with time_machine.travel(dt.datetime(2027, 3, 1, 8, tzinfo=UTC), tick=False):
        with town_a:
            agent = make_agent()
            client_a.force_login(agent)
        response = client_a.post(
            reverse("onboarding:sessions:series_new"),
            {
                "title": "Réunion d’information",
                "place": "Salle du conseil, hôtel de ville",
                "recurrence": "weekly",
                "start_date": "2027-03-08",
                "weekday": "",
                "end_date": "2027-03-29",
                "start_time": "09:00",
                "duration_minutes": "90",
                "capacity": "",
            },
        )
        assert response.status_code == 302
        refused = client_a.post(
            reverse("onboarding:sessions:series_new"),
            {
                "title": "x",
                "place": "y",
                "recurrence": "weekly",
                "start_date": "2027-03-08",
                "end_date": "2027-03-01",
                "start_time": "09:00",
                "duration_minutes": "60",
            },
        )
        assert refused.status_code == 200
        assert "La date de fin précède la première date." in refused.content.decode()
    with town_a:
        series = SessionSeries.objects.get()
        assert (series.weekday, series.created_by_id, series.capacity) == (0, agent.pk, None)
        assert list(series.occurrences.values_list("day", flat=True)) == [
            dt.date(2027, 3, 8),
            dt.date(2027, 3, 15),
            dt.date(2027, 3, 22),
            dt.date(2027, 3, 29),
        ]
