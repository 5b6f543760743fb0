"""An agent adds a business: typed by hand or picked from the company directory; a SIRET is followed once."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from catalog.models import Category, Merchant, MerchantKind, MerchantStatus
from onboarding.intake import AlreadyFollowed, BusinessDetails, add_prospect
from onboarding.models import NafRule, Prospect, ProspectSource, Step
from tenants.models import Town
from tests.onboarding.directory_standin import (
    BROKEN_SIRET,
    SLOW_SIRET,
    _no_company_directory,  # noqa: F401 — autouse
    directory_fixture,  # noqa: F401 — the fixture "directory"
)
from tests.onboarding.factories import make_agent, make_prospect

URL = "/gestion/accompagnement/commerces/nouveau/"
DOWN = "L’annuaire des entreprises ne répond pas : saisissez les informations à la main."
TYPED = {
    "name": "Le Petit Atelier",
    "siret": "",
    "naf_code": "",
    "address_line": "8 rue des Prêtres",
    "postcode": "62100",
    "city": "Calais",
    "insee_code": "62193",
    "latitude": "",
    "longitude": "",
    "contact_name": "Anne Petit",
    "notes": "Vu au marché de Noël.",
}


@pytest.fixture
def agent_client(town_a: Town, client_a: Client) -> Client:
    with town_a:
        client_a.force_login(make_agent())
    return client_a


def _text(page: bytes) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.decode())))


@pytest.mark.usefixtures("directory")
def test_a_siret_search_shows_the_establishment_with_its_address_and_naf(agent_client: Client) -> None:
    page = _text(agent_client.get(URL, {"siret": "81234567600017"}).content)
    assert "1 établissement trouvé" in page
    assert "Au Fournil de la Place" in page
    assert "45 Rue Royale, 62100 Calais" in page
    assert "NAF 1071C · SIRET 81234567600017" in page


@pytest.mark.usefixtures("directory")
def test_a_name_search_in_a_commune_marks_the_closed_ones(agent_client: Client) -> None:
    page = _text(agent_client.get(URL, {"nom": "fleurs", "commune": "62100"}).content)
    assert "2 établissements trouvés" in page
    assert "L'Atelier Floral" in page
    assert "Fleurs de la Cote d'Opale fermé" in page


def test_a_name_search_by_insee_code_asks_for_the_commune(
    agent_client: Client, directory: list[dict[str, list[str]]], town_a: Town
) -> None:
    town_a.insee_codes = ["62193"]
    town_a.save(update_fields=["insee_codes"])
    page = _text(agent_client.get(URL, {"nom": "fournil", "commune": "62193"}).content)
    assert directory == [{"q": ["fournil"], "page": ["1"], "per_page": ["10"], "code_commune": ["62193"]}]
    assert "2 établissements trouvés" in page


@pytest.mark.usefixtures("directory")
def test_picking_a_candidate_fills_the_form(agent_client: Client) -> None:
    form = agent_client.get(URL, {"choisir": "49876543700021"}).context["form"]
    assert form.initial == {
        "name": "Fromagerie du Beffroi",
        "siret": "49876543700021",
        "naf_code": "47.29Z",
        "address_line": "21 Place d'Armes",
        "postcode": "62100",
        "city": "Calais",
        "insee_code": "62193",
        "latitude": Decimal("50.960280"),
        "longitude": Decimal("1.850960"),
    }


def test_a_siret_with_a_bad_checksum_is_refused_without_asking_the_directory(
    agent_client: Client, directory: list[dict[str, list[str]]]
) -> None:
    response = agent_client.get(URL, {"siret": "81234567600018"})
    assert "Le SIRET « 81234567600018 » n'est pas valide : vérifiez les 14 chiffres." in _text(response.content)
    assert directory == []


@pytest.mark.usefixtures("directory")
def test_a_siret_the_directory_does_not_know_finds_nothing(agent_client: Client) -> None:
    page = _text(agent_client.get(URL, {"siret": "73282932000074"}).content)
    assert "Aucun établissement trouvé" in page
    assert "L’annuaire ne connaît aucun établissement correspondant" in page


@pytest.mark.usefixtures("directory")
@pytest.mark.parametrize("siret", [SLOW_SIRET, BROKEN_SIRET], ids=["timeout", "500"])
def test_a_directory_down_says_so_and_the_form_is_still_there(agent_client: Client, siret: str) -> None:
    response = agent_client.get(URL, {"siret": siret})
    assert response.status_code == 200
    assert DOWN in response.content.decode()
    assert 'name="name"' in response.content.decode()


def test_saving_by_hand_creates_a_draft_merchant_and_its_prospect(agent_client: Client, town_a: Town) -> None:
    response = agent_client.post(URL, TYPED)
    with town_a:
        merchant = Merchant.objects.get(name="Le Petit Atelier")
        prospect = merchant.prospect
        assert (response.status_code, response.url) == (
            302,
            reverse("backoffice:merchant_edit", kwargs={"merchant_slug": "le-petit-atelier"}),
        )
        assert (merchant.status, merchant.kind, merchant.slug, merchant.address_line, merchant.insee_code) == (
            MerchantStatus.DRAFT,
            MerchantKind.SHOP,
            "le-petit-atelier",
            "8 rue des Prêtres",
            "62193",
        )
        assert (prospect.step, prospect.source, prospect.contact_name, prospect.notes, prospect.naf_code) == (
            Step.TO_CONTACT,
            ProspectSource.MANUAL,
            "Anne Petit",
            "Vu au marché de Noël.",
            "",
        )


@pytest.mark.usefixtures("directory")
def test_saving_a_directory_pick_files_it_by_its_naf_code_and_the_town_rule(agent_client: Client, town_a: Town) -> None:
    with town_a:
        bakeries = Category.objects.create(name="Boulangeries du centre", slug="boulangeries-du-centre")
        NafRule.objects.create(code="1071", kind=MerchantKind.SHOP, category=bakeries)
    filled = agent_client.get(URL, {"choisir": "81234567600017"}).context["form"].initial
    data = {**TYPED, **{key: "" if value is None else str(value) for key, value in filled.items()}}
    response = agent_client.post(URL, data)
    assert response.status_code == 302
    with town_a:
        merchant = Merchant.objects.get(siret="81234567600017")
        assert (merchant.name, merchant.kind, merchant.latitude, merchant.longitude, merchant.city) == (
            "Au Fournil de la Place",
            MerchantKind.SHOP,
            Decimal("50.958930"),
            Decimal("1.851950"),
            "Calais",
        )
        assert list(merchant.categories.values_list("slug", flat=True)) == ["boulangeries-du-centre"]
        assert merchant.prospect.naf_code == "1071C"


@pytest.mark.usefixtures("directory")
def test_an_agent_may_save_a_siret_the_directory_does_not_know_with_a_warning(
    agent_client: Client, town_a: Town
) -> None:
    response = agent_client.post(URL, {**TYPED, "siret": "732 829 320 00074"}, follow=True)
    assert "Le SIRET 73282932000074 est inconnu de l’annuaire des entreprises : vérifiez-le." in _text(response.content)
    with town_a:
        assert Merchant.objects.filter(siret="73282932000074").count() == 1


def test_a_siret_already_followed_creates_nothing_and_links_to_the_business(agent_client: Client, town_a: Town) -> None:
    with town_a:
        known = make_prospect(name="Fromagerie du Beffroi", siret="49876543700021").merchant
        before = (Merchant.objects.count(), Prospect.objects.count())
    response = agent_client.post(URL, {**TYPED, "siret": "49876543700021"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Ce commerce est déjà suivi" in page
    assert f'href="{reverse("backoffice:merchant_edit", kwargs={"merchant_slug": known.slug})}"' in page
    with town_a:
        assert (Merchant.objects.count(), Prospect.objects.count()) == before


def test_the_action_refuses_a_second_merchant_for_one_siret(town_a: Town) -> None:
    with town_a:
        first = add_prospect(details=BusinessDetails(name="A", siret="81234567600017"), actor=None)
        with pytest.raises(AlreadyFollowed) as refused:
            add_prospect(details=BusinessDetails(name="B", siret="81234567600017"), actor=None)
        assert refused.value.merchant == first.merchant
        assert Merchant.objects.filter(siret="81234567600017").count() == 1


def test_a_bad_checksum_is_refused_when_saving_and_nothing_is_created(agent_client: Client, town_a: Town) -> None:
    with town_a:
        before = Merchant.objects.count()
    response = agent_client.post(URL, {**TYPED, "siret": "81234567600018"})
    assert response.status_code == 200
    assert response.context["form"].errors["siret"] == [
        "Le SIRET « 81234567600018 » n'est pas valide : vérifiez les 14 chiffres."
    ]
    with town_a:
        assert Merchant.objects.count() == before


def test_without_the_directory_the_page_says_to_type_by_hand(agent_client: Client) -> None:
    page = _text(agent_client.get(URL).content)
    assert (
        "La recherche dans l’annuaire des entreprises n’est pas activée : saisissez les informations à la main." in page
    )


def test_residents_cannot_add_a_business(town_a: Town, client_a: Client) -> None:
    from accounts.models import Role, User

    with town_a:
        client_a.force_login(User.objects.create_user("habitant@ville-a.test", "pw-2026-habitant", role=Role.RESIDENT))
        before = Merchant.objects.count()
    assert client_a.post(URL, TYPED).status_code == 403
    with town_a:
        assert Merchant.objects.count() == before


@pytest.mark.slow
def test_agents_saving_one_siret_at_once_make_one_merchant(committed_town: Town) -> None:
    from django.db import connection

    from tests.conftest import run_concurrently

    def save(index: int) -> str:
        connection.set_tenant(committed_town)  # a thread has its own connection, in public until told
        try:
            add_prospect(details=BusinessDetails(name=f"Agent {index}", siret="81234567600017"), actor=None)
        except AlreadyFollowed:
            return "already followed"
        return "created"

    outcomes = run_concurrently(4, save)

    assert sorted(map(str, outcomes)) == ["already followed"] * 3 + ["created"]
    with committed_town:
        assert Merchant.objects.filter(siret="81234567600017").count() == 1
        assert Prospect.objects.count() == 1
