"""The company directory adapter against a local stand-in replaying the API's answers."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from onboarding.directory import (
    DirectoryUnavailable,
    Establishment,
    find_establishment,
    is_enabled,
    search_establishments,
)
from tests.onboarding.directory_standin import (
    BROKEN_SIRET,
    BUSY_SIRET,
    GARBLED_SIRET,
    SLOW_SIRET,
    _no_company_directory,  # noqa: F401 — autouse
    directory_fixture,  # noqa: F401 — the fixture "directory"
)

FOURNIL = Establishment(
    name="Au Fournil de la Place",
    legal_name="Le Fournil Calaisien",
    siren="812345676",
    siret="81234567600017",
    address_line="45 Rue Royale",
    postcode="62100",
    city="Calais",
    insee_code="62193",
    naf_code="1071C",
    latitude=Decimal("50.958930"),
    longitude=Decimal("1.851950"),
    is_active=True,
    is_head_office=True,
)
DOWN = "L’annuaire des entreprises ne répond pas : saisissez les informations à la main."


@pytest.mark.usefixtures("directory")
def test_a_siret_gives_its_establishment_with_address_naf_and_coordinates() -> None:
    assert find_establishment("812 345 676 00017") == FOURNIL
    assert FOURNIL.postal_address == "45 Rue Royale, 62100 Calais"


def test_the_request_asks_for_the_siret(directory: list[dict[str, list[str]]]) -> None:
    find_establishment("81234567600017")
    assert directory == [{"q": ["81234567600017"], "page": ["1"], "per_page": ["10"]}]


@pytest.mark.usefixtures("directory")
def test_a_shop_of_a_chain_is_the_establishment_not_the_head_office() -> None:
    shop = find_establishment("49876543700021")
    assert shop is not None
    assert (shop.name, shop.legal_name, shop.address_line, shop.postcode, shop.city, shop.insee_code) == (
        "Fromagerie du Beffroi",
        "Fromageries du Nord",
        "21 Place d'Armes",
        "62100",
        "Calais",
        "62193",
    )
    assert (shop.naf_code, shop.is_active, shop.is_head_office) == ("4729Z", True, False)


@pytest.mark.usefixtures("directory")
def test_a_closed_business_is_found_and_marked_closed() -> None:
    closed = find_establishment("52311478300013")
    assert closed is not None
    assert (closed.name, closed.is_active) == ("Fleurs de la Cote d'Opale", False)


@pytest.mark.usefixtures("directory")
def test_a_siret_the_directory_does_not_know_is_none() -> None:
    assert find_establishment("73282932000074") is None


def test_a_name_in_a_postcode_lists_each_business_closed_ones_included(
    directory: list[dict[str, list[str]]],
) -> None:
    found = search_establishments("Fleurs", postcode="62100")
    assert [(e.name, e.siret, e.address_line, e.naf_code, e.is_active) for e in found] == [
        ("L'Atelier Floral", "79045612300013", "67 Boulevard Lafayette", "4776Z", True),
        ("Fleurs de la Cote d'Opale", "52311478300013", "3 Rue des Thermes", "4776Z", False),
    ]
    assert directory == [{"q": ["Fleurs"], "page": ["1"], "per_page": ["10"], "code_postal": ["62100"]}]


@pytest.mark.usefixtures("directory")
def test_a_name_in_an_insee_commune_lists_every_shop_of_the_business_there() -> None:
    found = search_establishments("fournil", insee_code="62193")
    assert [(e.name, e.siret, e.address_line) for e in found] == [
        ("Au Fournil de la Place", "81234567600017", "45 Rue Royale"),
        ("Le Fournil Jacquard", "81234567600025", "12 Boulevard Jacquard"),
    ]


def test_a_name_too_short_asks_nothing(directory: list[dict[str, list[str]]]) -> None:
    assert search_establishments(" ab ", postcode="62100") == []
    assert directory == []


def test_answers_are_cached_briefly(directory: list[dict[str, list[str]]]) -> None:
    assert find_establishment("81234567600017") == find_establishment("81234567600017") == FOURNIL
    assert len(directory) == 1


@pytest.mark.usefixtures("directory")
@pytest.mark.parametrize("siret", [BROKEN_SIRET, BUSY_SIRET, GARBLED_SIRET], ids=["500", "429", "garbled-json"])
def test_a_failing_directory_is_unavailable_with_a_french_message(siret: str) -> None:
    with pytest.raises(DirectoryUnavailable) as failure:
        find_establishment(siret)
    assert failure.value.message == DOWN


@pytest.mark.usefixtures("directory")
def test_a_slow_directory_is_given_up_after_the_timeout() -> None:
    started = time.monotonic()
    with pytest.raises(DirectoryUnavailable):
        find_establishment(SLOW_SIRET)
    assert time.monotonic() - started < 0.8


def test_failures_are_not_cached(directory: list[dict[str, list[str]]]) -> None:
    for _attempt in range(2):
        with pytest.raises(DirectoryUnavailable):
            find_establishment(BROKEN_SIRET)
    assert len(directory) == 2


def test_a_directory_nobody_listens_on_is_unavailable(settings) -> None:
    settings.COMPANY_DIRECTORY_URL = "http://127.0.0.1:9"
    with pytest.raises(DirectoryUnavailable):
        find_establishment("81234567600017")


def test_an_empty_url_switches_the_lookup_off() -> None:
    assert not is_enabled()
    with pytest.raises(DirectoryUnavailable) as failure:
        find_establishment("81234567600017")
    assert failure.value.message == (
        "La recherche dans l’annuaire des entreprises n’est pas activée : saisissez les informations à la main."
    )
