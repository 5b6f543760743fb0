"""The attendance sheet (PDF) and the agents' calendar feed (iCalendar, secret per-user link)."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import parse_qs, urlsplit

import icalendar
import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from onboarding.sessions.actions import cancel_occurrence, feed_token_for, register_prospect, renew_feed_token
from onboarding.sessions.sheet import attendance_sheet_pdf
from tenants.models import Town
from tests.onboarding.factories import make_agent, make_prospect
from tests.onboarding.sessions_factories import first_occurrence, make_weekly_series

UTC = dt.UTC


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_attendance_sheet_lists_the_registered_businesses_with_their_contact(
    town_a: Town, client_a: Client
) -> None:
    with time_machine.travel(dt.datetime(2027, 3, 10, 9, tzinfo=UTC), tick=False), town_a:
        occurrence = first_occurrence(
            make_weekly_series(start_date=dt.date(2027, 3, 15), end_date=dt.date(2027, 3, 15))
        )
        for name, phone in (("Boucherie Martin", "03 21 00 00 01"), ("مخبزة الأمل", "06 11 22 33 44")):
            register_prospect(occurrence=occurrence, prospect=make_prospect(name=name, phone=phone), actor=None)
        register_prospect(
            occurrence=occurrence,
            prospect=make_prospect(name="Atelier de réparation de cycles et trottinettes électriques " * 2),
            actor=None,
        )
        client_a.force_login(make_agent())
        response = client_a.get(reverse("onboarding:sessions:sheet", args=[occurrence.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = _text(response.content)
    for expected in (
        "Ville A",
        "Feuille de présence",
        "Lundi 15 mars, 9 h – 10 h",
        "Salle du conseil",
        "Boucherie Martin",
        "03 21 00 00 01",
        "Commerces inscrits : 3",
        "Signature",
    ):
        assert expected in text
    assert "الأمل" in text or "ﻞﻣﻷا" in text or "لمألا" in text  # the Arabic name is there (extraction order varies)


def test_the_attendance_sheet_renders_with_nobody_registered(town_a: Town) -> None:
    with time_machine.travel(dt.datetime(2027, 3, 10, 9, tzinfo=UTC), tick=False), town_a:
        occurrence = first_occurrence(
            make_weekly_series(start_date=dt.date(2027, 3, 15), end_date=dt.date(2027, 3, 15))
        )
        text = _text(attendance_sheet_pdf(occurrence))
    assert "Commerces inscrits : 0" in text
    assert "Aucun commerce inscrit pour l’instant." in text


@time_machine.travel(dt.datetime(2027, 3, 10, 9, tzinfo=UTC), tick=False)
def test_the_feed_parses_back_with_stable_uids_town_times_and_cancellations(town_a: Town, client_a: Client) -> None:
    with town_a:
        series = make_weekly_series(start_date=dt.date(2027, 3, 22), end_date=dt.date(2027, 3, 29))
        before, after = series.occurrences.order_by("starts_at")
        register_prospect(occurrence=before, prospect=make_prospect(), actor=None)
        cancel_occurrence(occurrence=after, actor=None)
        agent = make_agent()
        token = feed_token_for(user=agent)
        host = town_a.primary_host
    response = Client(HTTP_HOST=host).get(reverse("onboarding:sessions:feed"), {"cle": token})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    events = {str(event["uid"]): event for event in calendar.events}
    assert set(events) == {f"reunion-{before.pk}@{host}", f"reunion-{after.pk}@{host}"}
    first, second = events[f"reunion-{before.pk}@{host}"], events[f"reunion-{after.pk}@{host}"]
    # 9 h in Paris on both sides of the 28 March change: 8 h then 7 h UTC.
    assert first.decoded("dtstart") == dt.datetime(2027, 3, 22, 8, tzinfo=UTC)
    assert second.decoded("dtstart") == dt.datetime(2027, 3, 29, 7, tzinfo=UTC)
    assert first["dtstart"].params["TZID"] == "Europe/Paris"
    assert first.decoded("dtstart").hour == 9
    assert (str(first["status"]), str(second["status"])) == ("CONFIRMED", "CANCELLED")
    assert (first["sequence"], second["sequence"]) == (0, 1)
    assert "Inscrits : 1" in str(first["description"])
    assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]


@pytest.mark.parametrize("case", ["forged", "renewed", "other town", "missing", "deactivated", "now a resident"])
def test_a_bad_feed_token_is_a_404(case: str, town_a: Town, town_b: Town) -> None:
    with town_a:
        agent = make_agent()
        token = feed_token_for(user=agent)
        host = town_a.primary_host
        if case == "renewed":
            renew_feed_token(user=agent)
        elif case == "deactivated":
            agent.is_active = False
            agent.save(update_fields=["is_active"])
        elif case == "now a resident":
            agent.role = "resident"
            agent.save(update_fields=["role"])
        elif case == "forged":
            token = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    if case == "other town":
        host = town_b.primary_host
    params = {} if case == "missing" else {"cle": token}
    assert Client(HTTP_HOST=host).get(reverse("onboarding:sessions:feed"), params).status_code == 404


def test_the_sessions_page_shows_the_personal_feed_link_and_renewing_changes_it(town_a: Town, client_a: Client) -> None:
    with town_a:
        client_a.force_login(make_agent())
    first = client_a.get(reverse("onboarding:sessions:list")).context["feed_url"]
    client_a.post(reverse("onboarding:sessions:feed_renew"))
    second = client_a.get(reverse("onboarding:sessions:list")).context["feed_url"]
    assert first != second
    old, new = (parse_qs(urlsplit(url).query)["cle"][0] for url in (first, second))
    feed = reverse("onboarding:sessions:feed")
    assert client_a.get(feed, {"cle": old}).status_code == 404
    assert client_a.get(feed, {"cle": new}).status_code == 200
