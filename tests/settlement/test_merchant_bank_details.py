"""Merchants' bank details page (scenario 26): IBAN checked down to the RIB key, shown masked, by role."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Role
from settlement.agreements.models import AgreementAcceptance
from settlement.payouts.models import MerchantPayoutAccount
from tests.catalog.factories import MerchantFactory
from tests.catalog.test_backoffice import sign_in
from tests.settlement.payout_factories import accept_current_agreement, french_iban
from tests.settlement.test_iban import with_check_digits

LIST = reverse("payouts:bank_details_list", urlconf="config.urls_town")
VALID = "FR76 3000 6000 0112 3456 7890 189"


def edit_url(slug: str) -> str:
    return reverse("payouts:bank_details_edit", kwargs={"merchant_slug": slug}, urlconf="config.urls_town")


def form_data(**overrides: str) -> dict[str, str]:
    return {
        "holder_name": "Boulangerie du Parc",
        "iban": VALID,
        "bic": "",
        "street": "rue Royale",
        "building_number": "12",
        "postcode": "62100",
        "town": "Calais",
        "country": "FR",
        **overrides,
    }


@pytest.fixture
def bakery(town_a):
    with town_a:
        return MerchantFactory(name="Boulangerie du Parc", slug="boulangerie-du-parc")


def test_a_town_agent_records_the_iban_and_sees_it_masked_and_waiting_for_the_agreement(client_a, town_a, bakery):
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)

    # An agent has no box to accept the agreement: a box ticked anyway records nothing.
    response = client_a.post(edit_url(bakery.slug), form_data(**{"agreement-accept": "on"}))

    assert response.status_code == 302
    with town_a:
        account = MerchantPayoutAccount.objects.get(merchant=bakery)
        assert account.iban == "FR7630006000011234567890189"
        assert (account.holder_name, account.street, account.building_number) == (
            "Boulangerie du Parc",
            "rue Royale",
            "12",
        )
        assert not AgreementAcceptance.objects.filter(merchant=bakery).exists()
    page = client_a.get(LIST).content.decode()
    assert "FR76 •••• •••• •••• •••• •••• 189" in page
    assert "FR7630006000011234567890189" not in page
    assert "La convention de partenariat (version 1) n’a pas été acceptée." in page
    edit_page = client_a.get(edit_url(bakery.slug)).content.decode()
    assert "FR7630006000011234567890189" not in edit_page
    assert "3000 6000 0112" not in edit_page
    assert 'name="agreement-accept"' not in edit_page

    with town_a:
        accept_current_agreement(bakery)
    assert "Prêt pour les reversements." in client_a.get(LIST).content.decode()


def test_a_wrong_rib_key_is_refused_in_french_and_nothing_is_saved(client_a, town_a, bakery):
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)
    wrong_key = with_check_digits("FR", "30006000011234567890188")

    response = client_a.post(edit_url(bakery.slug), form_data(iban=wrong_key))

    assert response.status_code == 200
    assert "La clé RIB de cet IBAN est incorrecte." in response.content.decode()
    with town_a:
        assert not MerchantPayoutAccount.objects.filter(merchant=bakery).exists()


@pytest.mark.parametrize(
    ("iban", "message"),
    [
        ("FR76 3000 6000 0112 3456 7890 18", "un IBAN FR compte 27 caractères"),
        ("FR77 3000 6000 0112 3456 7890 189", "sa clé de contrôle ne correspond pas"),
        ("US64 SVBK US6S 3300 9673 8637", "n’est pas le code d’un pays qui utilise l’IBAN"),
    ],
)
def test_other_invalid_ibans_are_refused_with_their_reason(client_a, town_a, bakery, iban, message):
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)
    response = client_a.post(edit_url(bakery.slug), form_data(iban=iban))
    assert message in response.content.decode()
    with town_a:
        assert not MerchantPayoutAccount.objects.exists()


def test_a_bic_of_another_country_than_the_iban_is_refused(client_a, town_a, bakery):
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)
    response = client_a.post(edit_url(bakery.slug), form_data(bic="DEUTDEFF"))
    assert "Ce BIC ne correspond pas au pays de l’IBAN." in response.content.decode()


def test_merchant_staff_edit_their_own_merchant_only(client_a, town_a, bakery):
    with town_a:
        other = MerchantFactory(name="Fromagerie", slug="fromagerie")
    sign_in(client_a, town_a, role=Role.MERCHANT_STAFF, merchant=bakery)

    assert client_a.get(LIST).status_code == 200
    assert "Fromagerie" not in client_a.get(LIST).content.decode()
    assert client_a.post(edit_url(other.slug), form_data()).status_code == 404
    assert client_a.post(edit_url(bakery.slug), form_data()).status_code == 302
    with town_a:
        assert list(MerchantPayoutAccount.objects.values_list("merchant__slug", flat=True)) == [bakery.slug]


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.COURIER])
def test_residents_and_couriers_get_403(client_a, town_a, bakery, role):
    sign_in(client_a, town_a, role=role)
    assert client_a.get(LIST).status_code == 403
    assert client_a.post(edit_url(bakery.slug), form_data()).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login_page(client_a, bakery):
    response = client_a.get(edit_url(bakery.slug))
    assert response.status_code == 302
    assert response["Location"].startswith("/compte/login/")


def test_changing_the_iban_lifts_a_return_block_but_resaving_the_same_one_does_not(client_a, town_a, bakery):
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)
    with town_a:
        MerchantPayoutAccount.objects.create(
            merchant=bakery,
            holder_name="Boulangerie du Parc",
            iban="FR7630006000011234567890189",
            street="rue Royale",
            postcode="62100",
            town="Calais",
            is_blocked=True,
            blocked_reason="Virement PL4 retourné : Compte clôturé.",
        )
    assert "Virement PL4 retourné" in client_a.get(edit_url(bakery.slug)).content.decode()

    client_a.post(edit_url(bakery.slug), form_data())
    with town_a:
        assert MerchantPayoutAccount.objects.get().is_blocked is True

    client_a.post(edit_url(bakery.slug), form_data(iban=french_iban(42)))
    with town_a:
        account = MerchantPayoutAccount.objects.get()
        assert (account.is_blocked, account.blocked_reason, account.iban) == (False, "", french_iban(42))
