"""The operator sets how a town collects: gateway, connected Stripe account, pay-in-store option."""

from __future__ import annotations

import pytest

from tenants.actions import ProvisioningError, update_branding
from tenants.models import Town


def test_a_town_on_stripe_in_regie_needs_its_connected_account(town_a):
    with pytest.raises(ProvisioningError) as error:
        update_branding(town=town_a, payment_gateway="stripe", stripe_account_id="")
    assert "compte Stripe connecté" in str(error.value)
    with pytest.raises(ProvisioningError):
        update_branding(town=town_a, payment_gateway="stripe", stripe_account_id="compte-42")

    update_branding(
        town=town_a, payment_gateway="stripe", stripe_account_id="acct_1Calais42", pay_in_store_enabled=True
    )

    town = Town.objects.get(pk=town_a.pk)
    assert (town.payment_gateway, town.stripe_account_id, town.pay_in_store_enabled) == (
        "stripe",
        "acct_1Calais42",
        True,
    )


def test_production_settings_refuse_the_test_gateway(town_a, settings):
    settings.ALLOW_TEST_GATEWAY = False
    with pytest.raises(ProvisioningError, match="passerelle de test"):
        update_branding(town=town_a, payment_gateway="test")


def test_the_demo_gateway_itself_refuses_to_run_in_production(town_a, settings):
    from django.core.exceptions import ImproperlyConfigured

    from payments.gateways import get_gateway

    settings.ALLOW_TEST_GATEWAY = False
    with pytest.raises(ImproperlyConfigured):
        get_gateway(town_a)


def test_the_console_form_edits_the_payment_settings(operator_client, town_a):
    response = operator_client.post(
        f"/console/villes/{town_a.slug}/",
        {
            "name": town_a.name,
            "kind": town_a.kind,
            "insee_codes": "",
            "primary_color": town_a.primary_color,
            "secondary_color": town_a.secondary_color,
            "payment_gateway": "stripe",
            "stripe_account_id": "acct_1VilleA99",
            "collector_mode": "regie",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Town.objects.get(pk=town_a.pk).stripe_account_id == "acct_1VilleA99"


def test_the_console_form_edits_the_cap_on_units_of_one_product_per_order(operator_client, town_a):
    """Stock held by bots (README, "Abuse limits"): the cap is the town's, 10 unless it says otherwise."""
    form = {
        "name": town_a.name,
        "kind": town_a.kind,
        "insee_codes": "",
        "primary_color": town_a.primary_color,
        "secondary_color": town_a.secondary_color,
        "payment_gateway": "test",
        "collector_mode": "regie",
    }
    assert Town.objects.get(pk=town_a.pk).max_units_per_product == 10
    assert 'name="max_units_per_product"' in operator_client.get(f"/console/villes/{town_a.slug}/").content.decode()

    edited = operator_client.post(f"/console/villes/{town_a.slug}/", {**form, "max_units_per_product": "4"})
    assert edited.status_code == 302, edited.content.decode()[:3000]
    assert Town.objects.get(pk=town_a.pk).max_units_per_product == 4

    left_empty = operator_client.post(f"/console/villes/{town_a.slug}/", {**form, "max_units_per_product": ""})
    assert left_empty.status_code == 302
    assert Town.objects.get(pk=town_a.pk).max_units_per_product == 4

    refused = operator_client.post(f"/console/villes/{town_a.slug}/", {**form, "max_units_per_product": "-1"})
    assert refused.status_code == 200
    assert Town.objects.get(pk=town_a.pk).max_units_per_product == 4
