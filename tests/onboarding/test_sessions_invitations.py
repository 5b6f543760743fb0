"""Invitations: the agent invites prospects, the merchant registers in one click from the signed link;
twice is once; a forged, altered or foreign link is a French 404."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.sms import gsm7_length
from accounts.sms.backends import locmem
from onboarding.models import Prospect, ProspectMove, Step
from onboarding.sessions.models import RegisteredBy, SessionInvitation, SessionRegistration
from onboarding.sessions.tokens import make_invitation_token
from tenants.current import town_today
from tenants.models import Town
from tests.onboarding.factories import make_agent, make_prospect
from tests.onboarding.sessions_factories import first_occurrence, make_weekly_series

LINK = re.compile(r"https?://\S+/gestion/accompagnement/reunions/invitation/([^/\s]+)/")


@pytest.fixture
def agenda(town_a: Town, client_a: Client) -> dict[str, object]:
    with town_a:
        agent = make_agent()
        start = town_today() + dt.timedelta(days=7)
        series = make_weekly_series(start_date=start, weekday=start.weekday(), end_date=start + dt.timedelta(weeks=2))
        client_a.force_login(agent)
        return {"agent": agent, "series": series, "occurrence": first_occurrence(series)}


def test_the_agent_invites_a_step_and_the_merchant_registers_once_from_the_link(
    town_a: Town, client_a: Client, agenda, django_capture_on_commit_callbacks
) -> None:
    occurrence = agenda["occurrence"]
    with town_a:
        invited = make_prospect(name="Fromagerie Lemaire", email="fromagerie@example.fr")
        make_prospect(name="Sans contact")
        contacted = make_prospect(name="Déjà contacté", email="autre@example.fr")
        Prospect.objects.filter(pk=contacted.pk).update(step=Step.CONTACTED)
    mail.outbox.clear()
    url = reverse("onboarding:sessions:invite", args=[occurrence.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(url, {"step": Step.TO_CONTACT, "channels": ["email"]}, follow=True)
    assert response.status_code == 200
    assert "1 invitation part. Sans coordonnées pour ce moyen d’envoi : Sans contact." in response.content.decode()
    [message] = mail.outbox
    assert message.to == ["fromagerie@example.fr"]
    assert message.subject.startswith("Ville A vous invite à une réunion d’information le ")
    token = LINK.search(message.body).group(1)

    merchant = Client(HTTP_HOST=town_a.primary_host)
    page = merchant.get(reverse("onboarding:sessions:invitation", args=[token]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Salle du conseil, hôtel de ville" in text
    assert "Je m’inscris pour le" in text
    assert '<meta name="robots" content="noindex">' in text  # a personal page: never in a search engine

    for _attempt in range(2):
        answer = merchant.post(
            reverse("onboarding:sessions:invitation", args=[token]), {"occurrence": occurrence.pk}, follow=True
        )
        assert answer.status_code == 200
    assert "Vous êtes inscrit pour le" in answer.content.decode()
    with town_a:
        [registration] = SessionRegistration.objects.all()
        assert (registration.prospect_id, registration.occurrence_id, registration.registered_by) == (
            invited.pk,
            occurrence.pk,
            RegisteredBy.SELF,
        )
        invited.refresh_from_db()
        assert invited.step == Step.CONTACTED
        assert ProspectMove.objects.filter(prospect=invited).count() == 2  # enrolled, then contacted
        assert SessionInvitation.objects.get().sent_at is not None

    staff_page = client_a.get(reverse("onboarding:sessions:occurrence", args=[occurrence.pk])).content.decode()
    assert "Invitations pour cette date : 1" in staff_page
    assert "E-mail — fromagerie@example.fr" in staff_page

    # Inviting the same step again sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        client_a.post(url, {"prospects": [invited.pk], "channels": ["email"]})
    assert len(mail.outbox) == 1


def test_the_merchant_picks_another_date_of_the_series_and_keeps_one_registration(
    town_a: Town, agenda, client_a: Client
) -> None:
    series, occurrence = agenda["series"], agenda["occurrence"]
    with town_a:
        prospect = make_prospect(email="caviste@example.fr")
        invitation = SessionInvitation.objects.create(
            prospect=prospect, series=series, occurrence=occurrence, channel="email", recipient="caviste@example.fr"
        )
        token = make_invitation_token(invitation.pk)
        later = series.occurrences.order_by("starts_at")[1]
    merchant = Client(HTTP_HOST=town_a.primary_host)
    url = reverse("onboarding:sessions:invitation", args=[token])
    merchant.post(url, {"occurrence": occurrence.pk})
    response = merchant.post(url, {"occurrence": later.pk}, follow=True)
    assert "C’est noté : vous avez changé de date." in response.content.decode()
    with town_a:
        assert list(SessionRegistration.objects.values_list("occurrence_id", flat=True)) == [later.pk]


def test_an_sms_invitation_fits_one_sms_and_keeps_its_link_whole(
    town_a: Town, agenda, client_a: Client, settings, django_capture_on_commit_callbacks
) -> None:
    settings.SMS_BACKEND = "accounts.sms.backends.locmem.SmsBackend"
    locmem.outbox.clear()
    with town_a:
        prospect = make_prospect(name="Épicerie", phone="06 12 34 56 78")
    with django_capture_on_commit_callbacks(execute=True):
        client_a.post(
            reverse("onboarding:sessions:invite", args=[agenda["occurrence"].pk]),
            {"prospects": [prospect.pk], "channels": ["sms", "email"]},
        )
    [sms] = locmem.outbox
    assert sms.to == "+33612345678"
    assert gsm7_length(sms.text) <= 160
    token = LINK.search(sms.text).group(1)
    page = Client(HTTP_HOST=town_a.primary_host).get(reverse("onboarding:sessions:invitation", args=[token]))
    assert page.status_code == 200


@pytest.mark.parametrize("tamper", ["forged", "altered", "other town"])
def test_a_bad_invitation_link_is_a_french_404_and_registers_nobody(
    tamper: str, town_a: Town, town_b: Town, agenda
) -> None:
    with town_a:
        prospect = make_prospect(email="x@example.fr")
        invitation = SessionInvitation.objects.create(
            prospect=prospect,
            series=agenda["series"],
            occurrence=agenda["occurrence"],
            channel="email",
            recipient="x@example.fr",
        )
        token = make_invitation_token(invitation.pk)
    host = town_a.primary_host
    if tamper == "forged":
        token = f"{invitation.pk}:not-a-signature"
    elif tamper == "altered":
        token = f"{invitation.pk + 1}:{token.split(':', 1)[1]}"
    else:
        host = town_b.primary_host  # the same id exists nowhere else; the salt names town A anyway
    client = Client(HTTP_HOST=host)
    url = reverse("onboarding:sessions:invitation", args=[token])
    assert client.get(url).status_code == 404
    response = client.post(url, {"occurrence": agenda["occurrence"].pk})
    assert response.status_code == 404
    assert "Lien d’invitation non valable" in response.content.decode()
    with town_a:
        assert SessionRegistration.objects.count() == 0


def test_a_cancelled_date_refuses_registration_in_french_and_changes_nothing(town_a: Town, agenda) -> None:
    from onboarding.sessions.actions import cancel_occurrence

    occurrence = agenda["occurrence"]
    with town_a:
        prospect = make_prospect(email="y@example.fr")
        invitation = SessionInvitation.objects.create(
            prospect=prospect, series=agenda["series"], occurrence=occurrence, channel="email", recipient="y@example.fr"
        )
        cancel_occurrence(occurrence=occurrence, actor=None)
        token = make_invitation_token(invitation.pk)
    response = Client(HTTP_HOST=town_a.primary_host).post(
        reverse("onboarding:sessions:invitation", args=[token]), {"occurrence": occurrence.pk}
    )
    assert response.status_code == 400
    assert "Cette réunion est annulée : choisissez une autre date." in response.content.decode()
    with town_a:
        assert SessionRegistration.objects.count() == 0
        prospect.refresh_from_db()
        assert prospect.step == Step.TO_CONTACT


def test_a_full_session_refuses_one_more(town_a: Town) -> None:
    from onboarding.sessions.actions import RegistrationRefused, register_prospect

    with town_a:
        start = town_today() + dt.timedelta(days=3)
        series = make_weekly_series(start_date=start, weekday=start.weekday(), capacity=1)
        occurrence = first_occurrence(series)
        register_prospect(occurrence=occurrence, prospect=make_prospect(), actor=None)
        late = make_prospect()
        with pytest.raises(RegistrationRefused, match="complète"):
            register_prospect(occurrence=occurrence, prospect=late, actor=None)
        assert occurrence.registrations.count() == 1


def test_a_junk_date_on_the_invitation_page_is_a_404(town_a: Town, agenda) -> None:
    with town_a:
        prospect = make_prospect(email="z@example.fr")
        invitation = SessionInvitation.objects.create(
            prospect=prospect,
            series=agenda["series"],
            occurrence=agenda["occurrence"],
            channel="email",
            recipient="z@example.fr",
        )
        token = make_invitation_token(invitation.pk)
    url = reverse("onboarding:sessions:invitation", args=[token])
    client = Client(HTTP_HOST=town_a.primary_host)
    assert client.post(url, {"occurrence": "abc"}).status_code == 404
    with town_a:
        other = first_occurrence(
            make_weekly_series(
                start_date=town_today() + dt.timedelta(days=1), weekday=(town_today() + dt.timedelta(days=1)).weekday()
            )
        )
    assert client.post(url, {"occurrence": other.pk}).status_code == 404  # another series' date
    with town_a:
        assert SessionRegistration.objects.count() == 0


def test_an_agent_removes_a_registration_before_the_session(town_a: Town, client_a: Client, agenda) -> None:
    from onboarding.sessions.actions import register_prospect

    occurrence = agenda["occurrence"]
    with town_a:
        registration = register_prospect(occurrence=occurrence, prospect=make_prospect(), actor=None).registration
    response = client_a.post(
        reverse("onboarding:sessions:unregister", args=[occurrence.pk, registration.pk]), follow=True
    )
    assert "L’inscription est retirée." in response.content.decode()
    with town_a:
        assert SessionRegistration.objects.count() == 0
