"""Attendance: ticking who came moves each prospect on to « Réunion d’information », the agent recorded;
agents register businesses; the pages are for town staff of this town only."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import Role, User
from onboarding.models import Prospect, ProspectMove, Step
from onboarding.sessions.actions import register_prospect
from onboarding.sessions.models import Attendance, RegisteredBy, SessionRegistration
from tenants.current import town_today
from tenants.models import Town
from tests.onboarding.factories import make_agent, make_prospect
from tests.onboarding.sessions_factories import first_occurrence, make_weekly_series

UTC = dt.UTC


def test_marking_attendance_moves_the_ones_who_came_on_and_records_the_agent(town_a: Town, client_a: Client) -> None:
    with time_machine.travel(dt.datetime(2027, 3, 10, 9, tzinfo=UTC), tick=False), town_a:
        series = make_weekly_series(start_date=dt.date(2027, 3, 15), end_date=dt.date(2027, 3, 15))
        occurrence = first_occurrence(series)
        came = make_prospect(name="Came")
        absent = make_prospect(name="Absent")
        already_further = make_prospect(name="Further")
        Prospect.objects.filter(pk=already_further.pk).update(step=Step.AGREEMENT)
        registrations = {
            p.pk: register_prospect(occurrence=occurrence, prospect=p, actor=None).registration
            for p in (came, absent, already_further)
        }
        agent = make_agent()
        client_a.force_login(agent)
    with time_machine.travel(dt.datetime(2027, 3, 15, 9, 5, tzinfo=UTC), tick=False):
        response = client_a.post(
            reverse("onboarding:sessions:attendance", args=[occurrence.pk]),
            {"present": [registrations[came.pk].pk, registrations[already_further.pk].pk]},
            follow=True,
        )
    assert "1 commerce passe à l’étape « Réunion d’information »." in response.content.decode()
    with town_a:
        assert dict(SessionRegistration.objects.values_list("prospect_id", "attendance")) == {
            came.pk: Attendance.ATTENDED,
            absent.pk: Attendance.ABSENT,
            already_further.pk: Attendance.ATTENDED,
        }
        assert set(SessionRegistration.objects.values_list("attendance_marked_by", flat=True)) == {agent.pk}
        assert dict(Prospect.objects.values_list("pk", "step")) == {
            came.pk: Step.INFO_SESSION,
            absent.pk: Step.CONTACTED,
            already_further.pk: Step.AGREEMENT,
        }
        move = ProspectMove.objects.filter(prospect=came).last()
        assert (move.from_step, move.to_step, move.moved_by_id) == (Step.CONTACTED, Step.INFO_SESSION, agent.pk)


def test_attendance_cannot_be_marked_before_the_day_and_nothing_changes(town_a: Town, client_a: Client) -> None:
    with town_a:
        start = town_today() + dt.timedelta(days=2)
        occurrence = first_occurrence(make_weekly_series(start_date=start, weekday=start.weekday()))
        prospect = make_prospect()
        registration = register_prospect(occurrence=occurrence, prospect=prospect, actor=None).registration
        client_a.force_login(make_agent())
    response = client_a.post(
        reverse("onboarding:sessions:attendance", args=[occurrence.pk]), {"present": [registration.pk]}, follow=True
    )
    assert "Les présences se notent le jour de la réunion ou après." in response.content.decode()
    with town_a:
        registration.refresh_from_db()
        assert registration.attendance == Attendance.UNKNOWN
        assert Prospect.objects.get(pk=prospect.pk).step == Step.CONTACTED


def test_an_agent_registers_a_business_and_it_is_recorded_as_theirs(town_a: Town, client_a: Client) -> None:
    with town_a:
        start = town_today() + dt.timedelta(days=2)
        occurrence = first_occurrence(make_weekly_series(start_date=start, weekday=start.weekday()))
        prospect = make_prospect(name="Cordonnerie")
        agent = make_agent()
        client_a.force_login(agent)
    url = reverse("onboarding:sessions:register", args=[occurrence.pk])
    response = client_a.post(url, {"prospect": prospect.pk}, follow=True)
    assert "Cordonnerie est inscrit." in response.content.decode()
    with town_a:
        registration = SessionRegistration.objects.get()
        assert (registration.registered_by, registration.registered_by_user_id) == (RegisteredBy.AGENT, agent.pk)
        move = ProspectMove.objects.filter(prospect=prospect).last()
        assert (move.to_step, move.moved_by_id) == (Step.CONTACTED, agent.pk)


def test_the_sessions_list_shows_counts_in_a_fixed_number_of_queries(
    town_a: Town, client_a: Client, django_assert_num_queries
) -> None:
    with town_a:
        start = town_today() + dt.timedelta(days=1)
        series = make_weekly_series(start_date=start, weekday=start.weekday())
        occurrence = first_occurrence(series)
        for _index in range(3):
            register_prospect(occurrence=occurrence, prospect=make_prospect(), actor=None)
        client_a.force_login(make_agent())
    client_a.get(reverse("onboarding:sessions:list"))  # the feed key is made on the first visit
    # session, user, town domain lookups are the framework's; the page's own: occurrences, series, feed key
    with django_assert_num_queries(6):
        response = client_a.get(reverse("onboarding:sessions:list"))
    assert response.status_code == 200
    rows = response.context["occurrences"]
    assert [(o.day, o.registered) for o in rows[:2]] == [(start, 3), (start + dt.timedelta(weeks=1), 0)]


def test_residents_are_refused_and_town_b_cannot_see_or_register_for_town_a_sessions(
    town_a: Town, town_b: Town, client_a: Client, client_b: Client
) -> None:
    with town_a:
        start = town_today() + dt.timedelta(days=2)
        occurrence = first_occurrence(make_weekly_series(start_date=start, weekday=start.weekday()))
        prospect = make_prospect()
        resident = User.objects.create_user("habitant@ville-a.test", "pw-habitant-2026", role=Role.RESIDENT)
        client_a.force_login(resident)
    assert client_a.get(reverse("onboarding:sessions:occurrence", args=[occurrence.pk])).status_code == 403
    with town_b:
        agent_b = make_agent("agent@ville-b.test")
        client_b.force_login(agent_b)
    urls = [
        reverse("onboarding:sessions:occurrence", args=[occurrence.pk]),
        reverse("onboarding:sessions:sheet", args=[occurrence.pk]),
    ]
    for url in urls:
        assert client_b.get(url).status_code == 404
    assert (
        client_b.post(
            reverse("onboarding:sessions:register", args=[occurrence.pk]), {"prospect": prospect.pk}
        ).status_code
        == 404
    )
    # Town B's session cookie means nothing on town A's host: the login page.
    foreign = Client(HTTP_HOST=town_a.primary_host)
    foreign.cookies = client_b.cookies
    response = foreign.post(reverse("onboarding:sessions:register", args=[occurrence.pk]), {"prospect": prospect.pk})
    assert response.status_code == 302
    assert "/compte/" in response["Location"] or "login" in response["Location"]
    with town_a:
        assert SessionRegistration.objects.count() == 0


def test_the_occurrence_page_costs_the_same_queries_with_more_registrations(town_a: Town, client_a: Client) -> None:
    with town_a:
        start = town_today() + dt.timedelta(days=1)
        occurrence = first_occurrence(make_weekly_series(start_date=start, weekday=start.weekday()))
        for _index in range(2):
            register_prospect(occurrence=occurrence, prospect=make_prospect(), actor=None)
        client_a.force_login(make_agent())
    url = reverse("onboarding:sessions:occurrence", args=[occurrence.pk])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client_a.get(url)  # warm: the host's town is looked up once per connection state
    with CaptureQueriesContext(connection) as few:
        assert client_a.get(url).status_code == 200
    with town_a:
        for _index in range(6):
            register_prospect(occurrence=occurrence, prospect=make_prospect(), actor=None)
    client_a.get(url)
    with CaptureQueriesContext(connection) as many:
        response = client_a.get(url)
    assert len(response.context["registrations"]) == 8
    assert len(many.captured_queries) == len(few.captured_queries)
