"""The town site's « Vendre sur … » page: a business applies; robots, floods and duplicates are handled."""

from __future__ import annotations

import html
import re

import pytest
from django.core import mail
from django.test import Client

from accounts.models import Role, User
from catalog.models import Merchant, MerchantKind, MerchantStatus
from onboarding.models import Application, DirectoryCheck, Prospect, ProspectMove, ProspectSource, Step
from onboarding.pipeline import move_prospect
from onboarding.views_public import APPLICATIONS_PER_HOUR
from tenants.models import Town
from tests.onboarding.directory_standin import (
    SLOW_SIRET,
    _no_company_directory,  # noqa: F401 — autouse
    directory_fixture,  # noqa: F401 — the fixture "directory"
)
from tests.onboarding.factories import make_agent, make_prospect

URL = "/vendre-sur-la-place-de-marche/"
DONE = "/vendre-sur-la-place-de-marche/merci/"
APPLICATION = {
    "siret": "881 209 340 00010",
    "business_name": "Le Channel",
    "contact_name": "Luc Fournier",
    "email": "luc.fournier@lechannel.test",
    "phone": "03 21 34 42 40",
    "kind": MerchantKind.RESTAURANT,
    "message": "Nous aimerions proposer nos plats à emporter.",
    "website": "",
}


def _text(page: bytes) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.decode())))


def _counts() -> tuple[int, int, int, int]:
    return (Merchant.objects.count(), Prospect.objects.count(), Application.objects.count(), len(mail.outbox))


@pytest.fixture
def agent(town_a: Town) -> User:
    with town_a:
        return make_agent("agente@ville-a.test")


@pytest.mark.usefixtures("directory", "agent")
def test_an_application_creates_a_draft_merchant_and_its_prospect_from_the_directory(
    client_a: Client, town_a: Town, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(URL, APPLICATION)
    assert (response.status_code, response.url) == (302, DONE)
    with town_a:
        merchant = Merchant.objects.get(siret="88120934000010")
        assert (merchant.name, merchant.status, merchant.kind, merchant.address_line, merchant.postcode) == (
            "Le Channel",
            MerchantStatus.DRAFT,
            MerchantKind.RESTAURANT,
            "3 Boulevard de la Resistance",
            "62100",
        )
        prospect = merchant.prospect
        assert (prospect.step, prospect.source, prospect.naf_code, prospect.contact_name) == (
            Step.TO_CONTACT,
            ProspectSource.APPLICATION,
            "5610A",
            "Luc Fournier",
        )
        assert "Nous aimerions proposer nos plats à emporter." in prospect.notes
        application = Application.objects.get()
        assert (application.directory_check, application.created_prospect, application.email) == (
            DirectoryCheck.VERIFIED,
            True,
            "luc.fournier@lechannel.test",
        )
    thanks, notice = mail.outbox
    assert (thanks.to, thanks.subject) == (
        ["luc.fournier@lechannel.test"],
        "Votre candidature pour vendre sur la place de marché de Ville A",
    )
    assert "Nous avons bien reçu votre candidature" in thanks.body
    assert (notice.to, notice.subject, notice.reply_to) == (
        ["agente@ville-a.test"],
        "Nouvelle candidature : Le Channel",
        ["luc.fournier@lechannel.test"],
    )
    assert "SIRET : 88120934000010\n" in notice.body


def test_the_thanks_page_says_an_email_is_on_its_way(client_a: Client) -> None:
    page = _text(client_a.get(DONE).content)
    assert "Nous vous avons envoyé un e-mail de confirmation." in page


@pytest.mark.usefixtures("directory")
def test_a_bad_checksum_is_refused_in_french_and_the_directory_is_not_asked(
    client_a: Client, town_a: Town, directory: list[dict[str, list[str]]]
) -> None:
    with town_a:
        before = _counts()
    response = client_a.post(URL, {**APPLICATION, "siret": "88120934000011"})
    assert response.status_code == 200
    assert response.context["form"].errors["siret"] == [
        "Le SIRET « 88120934000011 » n'est pas valide : vérifiez les 14 chiffres."
    ]
    assert directory == []
    with town_a:
        assert _counts() == before


@pytest.mark.usefixtures("directory")
def test_a_siret_unknown_to_the_directory_is_refused_in_french(client_a: Client, town_a: Town) -> None:
    with town_a:
        before = _counts()
    response = client_a.post(URL, {**APPLICATION, "siret": "73282932000074"})
    assert response.context["form"].errors["siret"] == [
        "Ce SIRET est inconnu de l’annuaire des entreprises : vérifiez les 14 chiffres (sur un Kbis ou une facture)."
    ]
    with town_a:
        assert _counts() == before


@pytest.mark.usefixtures("directory")
def test_a_closed_establishment_is_refused(client_a: Client, town_a: Town) -> None:
    response = client_a.post(URL, {**APPLICATION, "siret": "52311478300013"})
    assert response.context["form"].errors["siret"] == [
        "Ce SIRET est celui d’un établissement fermé d’après l’annuaire des entreprises."
    ]


@pytest.mark.usefixtures("directory", "agent")
def test_a_slow_directory_still_accepts_the_application_marked_to_check(
    client_a: Client, town_a: Town, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(URL, {**APPLICATION, "siret": SLOW_SIRET, "business_name": "L'Atelier Floral"})
    assert (response.status_code, response.url) == (302, DONE)
    with town_a:
        merchant = Merchant.objects.get(siret=SLOW_SIRET)
        assert (merchant.name, merchant.kind, merchant.address_line) == (
            "L'Atelier Floral",
            MerchantKind.RESTAURANT,
            "",
        )
        assert Application.objects.get().directory_check == DirectoryCheck.TO_CHECK
        assert "SIRET à vérifier, l’annuaire ne répondait pas" in merchant.prospect.notes
    assert "à vérifier : l’annuaire des entreprises ne répondait pas" in mail.outbox[1].body


@pytest.mark.usefixtures("agent")
def test_with_the_directory_switched_off_applications_are_accepted_to_check(
    client_a: Client, town_a: Town, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client_a.post(URL, APPLICATION)
    with town_a:
        assert Application.objects.get().directory_check == DirectoryCheck.TO_CHECK


@pytest.mark.usefixtures("directory", "agent")
def test_a_business_already_followed_gets_a_note_not_a_second_merchant(
    client_a: Client, town_a: Town, django_capture_on_commit_callbacks
) -> None:
    with town_a:
        prospect = make_prospect(name="Le Channel (fiche de la ville)", siret="88120934000010")
        move_prospect(prospect=prospect, to_step=Step.DECLINED, actor=None, reason="Pas intéressé en 2025")
        before = (Merchant.objects.count(), Prospect.objects.count())
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(URL, APPLICATION)
    assert (response.status_code, response.url) == (302, DONE)
    with town_a:
        assert (Merchant.objects.count(), Prospect.objects.count()) == before
        prospect.refresh_from_db()
        assert prospect.step == Step.TO_CONTACT
        assert "Nous aimerions proposer nos plats à emporter." in prospect.notes
        assert list(ProspectMove.objects.filter(prospect=prospect).values_list("to_step", flat=True)) == [
            Step.TO_CONTACT,
            Step.DECLINED,
            Step.TO_CONTACT,
        ]
        assert Application.objects.get().created_prospect is False
    # The applicant cannot tell: the same thanks, the same e-mail.
    assert mail.outbox[0].subject == "Votre candidature pour vendre sur la place de marché de Ville A"
    assert "Ce commerce était déjà suivi" in mail.outbox[1].body


@pytest.mark.usefixtures("directory")
def test_a_filled_trap_field_pretends_success_and_stores_nothing(
    client_a: Client, town_a: Town, directory: list[dict[str, list[str]]], django_capture_on_commit_callbacks
) -> None:
    with town_a:
        before = _counts()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(URL, {**APPLICATION, "website": "https://spam.example"})
    assert (response.status_code, response.url) == (302, DONE)
    assert directory == []
    with town_a:
        assert _counts() == before


def test_the_trap_field_is_hidden_from_people_and_screen_readers(client_a: Client) -> None:
    page = client_a.get(URL).content.decode()
    trap = re.search(r'<div class="form-trap" aria-hidden="true">(.*?)</div>', page, re.S)
    assert trap is not None
    assert 'tabindex="-1"' in trap.group(1)
    assert "Ne pas remplir ce champ" in trap.group(1)
    assert 'name="csrfmiddlewaretoken"' in page


@pytest.mark.usefixtures("directory")
def test_too_many_applications_from_one_client_are_refused(client_a: Client, town_a: Town) -> None:
    invalid = {**APPLICATION, "email": "pas-un-email"}
    for _attempt in range(APPLICATIONS_PER_HOUR):
        assert client_a.post(URL, invalid).status_code == 200
    with town_a:
        before = _counts()
    refused = client_a.post(URL, APPLICATION)
    assert refused.status_code == 429
    assert "Trop de candidatures envoyées depuis cette connexion : réessayez dans une heure." in _text(refused.content)
    with town_a:
        assert _counts() == before


def test_the_form_needs_a_csrf_token(town_a: Town) -> None:
    strict = Client(HTTP_HOST=town_a.primary_host, enforce_csrf_checks=True)
    assert strict.post(URL, APPLICATION).status_code == 403


def test_the_site_footer_links_to_the_page(client_a: Client) -> None:
    assert f'<a href="{URL}">Vendre sur la place de marché de Ville A</a>' in client_a.get(DONE).content.decode()


def test_applications_of_town_a_stay_in_town_a(
    client_a: Client, town_a: Town, town_b: Town, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client_a.post(URL, APPLICATION)
    with town_b:
        assert Application.objects.count() == 0
    with town_a:
        assert Application.objects.count() == 1


def test_agents_of_the_town_are_the_only_ones_notified(
    client_a: Client, town_a: Town, django_capture_on_commit_callbacks
) -> None:
    with town_a:
        make_agent("agent1@ville-a.test")
        User.objects.create_user("admin@ville-a.test", "pw-2026-admin", role=Role.TOWN_ADMIN)
        User.objects.create_user("client@ville-a.test", "pw-2026-client", role=Role.RESIDENT)
        User.objects.create_user("parti@ville-a.test", "pw-2026-parti", role=Role.TOWN_AGENT, is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        client_a.post(URL, APPLICATION)
    assert sorted(mail.outbox[1].to) == ["admin@ville-a.test", "agent1@ville-a.test"]


@pytest.mark.usefixtures("directory")
def test_checking_the_siret_fills_the_name_and_shows_the_address_without_storing_anything(
    client_a: Client, town_a: Town
) -> None:
    with town_a:
        before = _counts()
    response = client_a.post(URL, {**APPLICATION, "business_name": "", "verifier": "1"})
    assert response.status_code == 200
    assert response.context["form"].initial["business_name"] == "Le Channel"
    assert response.context["form"].initial["siret"] == "88120934000010"
    assert (
        "Établissement trouvé dans l’annuaire des entreprises : Le Channel, 3 Boulevard de la Resistance, 62100 Calais."
        in _text(response.content)
    )
    with town_a:
        assert _counts() == before


@pytest.mark.usefixtures("directory")
@pytest.mark.parametrize(
    ("siret", "said"),
    [
        ("88120934000011", "Le SIRET « 88120934000011 » n'est pas valide : vérifiez les 14 chiffres."),
        ("73282932000074", "Ce SIRET est inconnu de l’annuaire des entreprises"),
        (SLOW_SIRET, "L’annuaire des entreprises ne répond pas : saisissez les informations à la main. Vous pouvez"),
    ],
    ids=["checksum", "unknown", "timeout"],
)
def test_checking_a_siret_says_what_is_wrong(client_a: Client, siret: str, said: str) -> None:
    response = client_a.post(URL, {**APPLICATION, "siret": siret, "verifier": "1"})
    assert said in _text(response.content)
    assert response.context["form"].initial["business_name"] == "Le Channel"
