"""The checkout form under forged or clumsy input: every refusal is shown next to its field, the phone
number is one a network can dial, and prices, quantities and fees come from the database, never the post."""

from __future__ import annotations

import pytest

from catalog.models import Variant
from checkout.models import Order, OrderLine
from tests.checkout.conftest import checkout_data, place_through_pages


def test_forged_money_fields_in_the_checkout_post_are_ignored(client_a, town_a, shops):
    data = {
        "unit_price_cents": "1",
        "total_cents": "1",
        "price": "0,01",
        "vat_rate": "0",
        "currency": "USD",
        "quantity": "500",
        "delivery_fee_cents": "-100",
    }
    place_through_pages(client_a, shops, **data)

    with town_a:
        order = Order.objects.get()
        line = OrderLine.objects.get()
        assert (order.total_cents, order.currency, order.delivery_fee_cents) == (250, "EUR", 0)
        assert (line.unit_price_cents, line.quantity, line.vat_rate) == (250, 1, 550)


@pytest.mark.parametrize("value", ["delivery", "teleportation"])
def test_a_forged_fulfilment_is_refused_with_its_reason_shown(client_a, town_a, shops, value):
    client_a.post("/panier/ajouter/", {"variant": shops["bakery"]["variants"][0].pk, "quantity": "1"})

    page = client_a.post("/commande/", checkout_data(shops, **{f"fulfilment_{shops['bakery']['merchant'].pk}": value}))

    assert page.status_code == 200
    assert "Sélectionnez un choix valide" in page.content.decode()
    with town_a:
        assert not Order.objects.exists()
        assert Variant.objects.get(pk=shops["bakery"]["variants"][0].pk).stock == 20


@pytest.mark.parametrize("phone", ["06١٢٣٤٥٦٧٨", "0６12345678", "06²2345678"])
def test_a_phone_number_with_non_latin_digits_is_refused(client_a, town_a, shops, phone):
    """A phone number written with digits of another script (Arabic-Indic, full-width, superscript: all
    ``str.isdigit()``) is refused: the merchant's tel: link, the courier's call and the SMS would go to a
    number no network can dial."""
    client_a.post("/panier/ajouter/", {"variant": shops["bakery"]["variants"][0].pk, "quantity": "1"})

    page = client_a.post("/commande/", checkout_data(shops, phone=phone))

    assert page.status_code == 200
    assert "Numéro de téléphone invalide" in page.content.decode()
    with town_a:
        assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("pickup", "2020-01-01_0000_2359", "Sélectionnez un choix valide"),
        ("payment_method", "in_store", "Sélectionnez un choix valide"),
        # No delivery zone in this town: delivery is not offered, and a forged one is refused.
        ("grocer_delivery", "delivery", "Sélectionnez un choix valide"),
    ],
)
def test_every_refusal_of_the_checkout_form_is_shown_to_the_resident(client_a, town_a, shops, field, value, message):
    """Every refusal is shown next to its field, the pickup window select and the payment method radios as
    much as the contact fields; delivery is not offered in a town without delivery zones, and a forged one is
    refused. A pickup window that closed while the resident was typing must not give "Corrigez les champs
    signalés ci-dessous." with nothing signalled."""
    bakery, grocer = shops["bakery"], shops["grocer"]
    client_a.post("/panier/ajouter/", {"variant": bakery["variants"][0].pk, "quantity": "1"})
    extra = {field: value}
    if field == "pickup":
        extra = {f"pickup_{bakery['merchant'].pk}": value}
    elif field == "grocer_delivery":
        client_a.post("/panier/ajouter/", {"variant": grocer["variants"][0].pk, "quantity": "1"})
        extra = {f"fulfilment_{grocer['merchant'].pk}": value}

    page = client_a.post("/commande/", checkout_data(shops, **extra))

    assert page.status_code == 200
    assert message in page.content.decode()
    with town_a:
        assert not Order.objects.exists()
