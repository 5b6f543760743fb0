"""Same-day delivery at checkout: zone by address, one fee per delivery, capacity that holds under load."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from catalog.models import Variant
from checkout.actions import FulfilmentChoice, expire_unpaid_orders, refuse_line
from checkout.basket import add_to_basket
from checkout.models import Fulfilment, MerchantOrderStatus, Order, OrderLine, fulfilment_label
from checkout.tokens import status_path
from delivery.models import DeliveryDay
from settlement.ledger.accounts import DELIVERY_FEES, PSP_CLEARING, SUSPENSE
from settlement.ledger.invariants import check_invariants
from settlement.ledger.queries import balance
from tests.checkout.conftest import (
    MERCHANT,
    basket_with,
    make_shop,
    merchant_user,
    order_from,
    pay_with_demo_gateway,
)
from tests.conftest import run_concurrently
from tests.delivery.factories import CargoBikeZoneFactory, CarZoneFactory, LocalAddressFactory

# A Friday morning in Calais, before the 12:00 cut-off.
FRIDAY_MORNING = dt.datetime(2026, 11, 27, 8, 30, tzinfo=dt.UTC)


def deliver_all(basket) -> dict[int, FulfilmentChoice]:
    merchant_ids = set(basket.lines.values_list("variant__merchant_id", flat=True))
    return {merchant_id: FulfilmentChoice(kind=Fulfilment.DELIVERY) for merchant_id in merchant_ids}


@pytest.fixture
def zones(town_a):
    with town_a:
        CargoBikeZoneFactory()
        CarZoneFactory()
        LocalAddressFactory()  # 12 Rue Royale, in the centre
        LocalAddressFactory(
            housenumber="3",
            street="Rue de l'Église",
            city="Guînes",
            insee_code="62397",
            postcode="62340",
            latitude=50.8689,
            longitude=1.8706,
        )
        LocalAddressFactory(
            housenumber="8",
            street="Rue du Temple",
            city="Coquelles",
            insee_code="62239",
            postcode="62231",
            latitude=50.9299,
            longitude=1.8006,
        )


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_two_merchants_delivered_together_pay_one_fee(town_a, shops, zones):
    eclair, honey = shops["bakery"]["variants"][0], shops["grocer"]["variants"][0]
    with town_a:
        bakery = shops["bakery"]["merchant"]
        bakery.delivery_eligible = True
        bakery.save()
        basket = basket_with([(eclair, 4), (honey, 1)])

        order = order_from(basket, fulfilments=deliver_all(basket), address_text="12 Rue Royale 62100 Calais")

        assert order.delivery_fee_cents == 350  # the cargo-bike centre zone, once for both shops
        assert order.total_cents == 4 * 250 + 890 + 350
        assert (order.delivery_zone_name, order.delivery_vehicle, order.delivery_date) == (
            "Centre-ville (vélo cargo)",
            "cargo_bike",
            dt.date(2026, 11, 27),
        )
        assert order.delivery_insee_code == "62193"
        assert DeliveryDay.objects.get(zone_id=order.delivery_zone_id, date=order.delivery_date).booked == 1


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_the_wider_area_is_served_by_car_by_insee_code(town_a, shops, zones):
    honey, jam = shops["grocer"]["variants"]
    with town_a:
        basket = basket_with([(honey, 2), (jam, 2)])
        order = order_from(basket, fulfilments=deliver_all(basket), address_text="8 Rue du Temple 62231 Coquelles")
        assert (order.delivery_vehicle, order.delivery_fee_cents) == ("car", 600)


@time_machine.travel(FRIDAY_MORNING, tick=False)
@pytest.mark.parametrize(
    ("address", "items", "message"),
    [
        ("3 Rue de l'Église 62340 Guînes", 2, "hors"),
        ("12 Rue Royale 62100 Calais", 1, "au moins 15,00"),
        ("99 avenue de Nulle Part", 2, "introuvable"),
    ],
)
def test_delivery_refusals_leave_stock_capacity_and_basket_untouched(town_a, shops, zones, address, items, message):
    honey = shops["grocer"]["variants"][0]
    with town_a:
        if items == 1:
            honey.product.price_cents = 500  # below the 15 € minimum of the centre
            honey.product.save()
        basket = basket_with([(honey, items)])
        with pytest.raises(ValidationError) as error:
            order_from(basket, fulfilments=deliver_all(basket), address_text=address)
        assert message in " ".join(error.value.messages).lower()
        assert Variant.objects.get(pk=honey.pk).stock == 5
        assert not DeliveryDay.objects.filter(booked__gt=0).exists()
        assert basket.lines.count() == 1
        assert not Order.objects.exists()


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_an_unpaid_delivery_gives_its_slot_back(town_a, shops, zones):
    honey = shops["grocer"]["variants"][0]
    with town_a:
        basket = basket_with([(honey, 2)])
        order = order_from(basket, fulfilments=deliver_all(basket), address_text="12 Rue Royale 62100 Calais")
        expire_unpaid_orders(now=order.expires_at + dt.timedelta(seconds=1))
        assert DeliveryDay.objects.get(zone_id=order.delivery_zone_id).booked == 0


@pytest.mark.slow
def test_capacity_three_with_ten_concurrent_checkouts_sells_exactly_three_deliveries(committed_town):
    with committed_town:
        CargoBikeZoneFactory(daily_capacity=3, cutoff_time=dt.time(23, 59))
        LocalAddressFactory()
        shop = make_shop("Primeur", products=[("Panier de légumes", 2000, 100)], delivery_eligible=True)
        baskets = [basket_with([(shop["variants"][0], 1)]) for _ in range(10)]

    def checkout(index: int):
        from django.db import connection

        connection.set_tenant(committed_town)
        return order_from(
            baskets[index], fulfilments=deliver_all(baskets[index]), address_text="12 Rue Royale 62100 Calais"
        )

    with time_machine.travel(dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC), tick=False):
        results = run_concurrently(10, checkout)

    placed = [r for r in results if isinstance(r, Order)]
    assert len(placed) == 3, results
    assert all(isinstance(r, ValidationError) for r in results if not isinstance(r, Order)), results
    with committed_town:
        assert DeliveryDay.objects.get().booked == 3
        assert Variant.objects.get(pk=shop["variants"][0].pk).stock == 97  # refused checkouts took nothing


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_a_second_checkout_of_the_same_basket_gives_the_first_ones_slot_back_before_taking_one(town_a, shops):
    """Stock held by bots (README, "Abuse limits"): starting another checkout releases the earlier one,
    delivery capacity included, before the new one reserves; with one delivery left, it still fits."""
    honey = shops["grocer"]["variants"][0]
    with town_a:
        CargoBikeZoneFactory(daily_capacity=1)
        LocalAddressFactory()
        basket = basket_with([(honey, 2)])
        first = order_from(basket, fulfilments=deliver_all(basket), address_text="12 Rue Royale 62100 Calais")
        add_to_basket(basket=basket, variant_id=honey.pk, quantity=2)  # the same client, again

        second = order_from(basket, fulfilments=deliver_all(basket), address_text="12 Rue Royale 62100 Calais")

        first.refresh_from_db()
        assert (first.status, second.status) == ("cancelled", "pending_payment")
        assert DeliveryDay.objects.get(zone_id=second.delivery_zone_id, date=second.delivery_date).booked == 1
        assert Variant.objects.get(pk=honey.pk).stock == 3


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_refusing_every_line_of_a_delivered_order_refunds_the_delivery_fee_too(
    town_a,
    shops,
    zones,
    django_capture_on_commit_callbacks,
):
    """When the shop can supply nothing, refusing every line refunds the delivery fee too (a staff refund
    cannot: it is capped at the merchant's share) and frees the courier's slot; the ledger takes the fee back
    from the account its payment credited."""
    honey, jam = shops["grocer"]["variants"]
    with town_a:
        basket = basket_with([(honey, 1), (jam, 1)])
        order = order_from(basket, fulfilments=deliver_all(basket), address_text="12 Rue Royale 62100 Calais")
        assert order.delivery_fee_cents == 350
        day = DeliveryDay.objects.get(zone_id=order.delivery_zone_id, date=order.delivery_date)
        assert day.booked == 1
        with django_capture_on_commit_callbacks(execute=True):  # the ledger posts after commit
            pay_with_demo_gateway(town_a, order)

        for line in OrderLine.objects.filter(merchant_order__order=order):
            with django_capture_on_commit_callbacks(execute=True):
                refuse_line(line_id=line.pk, actor=MERCHANT)
        with django_capture_on_commit_callbacks(execute=True):  # a late retry of the last refusal
            refuse_line(line_id=line.pk, actor=MERCHANT)

        order.refresh_from_db()
        assert order.merchant_orders.get().status == MerchantOrderStatus.REFUNDED
        assert order.refunded_cents == order.total_cents == 890 + 620 + 350
        fee_refund = order.refunds.get(is_delivery_fee=True)
        assert (fee_refund.amount_cents, fee_refund.merchant_order_id) == (350, None)
        day.refresh_from_db()
        assert day.booked == 0  # the courier's slot is free again
        # The ledger takes the fee back from the account its payment credited, not from suspense.
        assert balance(DELIVERY_FEES) == 0
        assert balance(SUSPENSE) == 0
        assert balance(PSP_CLEARING) == 0
        assert check_invariants() == []


# --- the day a delivery is due, said wherever the delivery is named ---------------------------------

# A Friday afternoon in Calais, past the 12:00 cut-off: delivered on the next delivery day, Saturday.
FRIDAY_AFTERNOON = dt.datetime(2026, 11, 27, 14, 0, tzinfo=dt.UTC)


@time_machine.travel(FRIDAY_AFTERNOON, tick=False)
def test_a_delivery_placed_after_the_cutoff_says_its_day_on_the_pages_the_receipt_and_the_shops_screen(
    client_a, town_a, shops, zones, django_capture_on_commit_callbacks
):
    """Not "le jour même": the resident's pages, the receipt and the shop all name the day it is due, and
    its slot (the first of the day with room, none being picked)."""
    honey = shops["grocer"]["variants"][0]
    with town_a:
        basket = basket_with([(honey, 2)])
        order = order_from(basket, fulfilments=deliver_all(basket), address_text="12 Rue Royale 62100 Calais")
        with django_capture_on_commit_callbacks(execute=True):
            pay_with_demo_gateway(town_a, order)
        merchant_order = order.merchant_orders.get()
        status_page = client_a.get(status_path(order)).content.decode()
        client_a.force_login(merchant_user(shops["grocer"]["merchant"], "epicier@exemple.fr"))
    shop_screen = client_a.get(f"/gestion/mes-commandes/{merchant_order.pk}/").content.decode()
    shop_list = client_a.get("/gestion/mes-commandes/").content.decode()
    receipt = next(message for message in mail.outbox if message.to == ["jeanne@exemple.fr"])

    due = "Livraison à domicile le samedi 28 novembre, entre 10 h et 12 h"
    assert order.delivery_date == dt.date(2026, 11, 28)
    assert f"<strong>{due}</strong>" in status_page
    assert f"{due}, au 12 Rue Royale, 62100 Calais." in receipt.body
    assert f"<strong>{due}</strong>, au 12 Rue Royale, 62100 Calais." in receipt.alternatives[0][0]
    assert due in shop_screen
    assert due in shop_list
    for text in (status_page, receipt.body, receipt.alternatives[0][0], shop_screen, shop_list):
        assert "jour même" not in text


def test_the_delivery_is_named_by_its_day_and_slot_and_a_collection_as_before():
    assert (
        fulfilment_label(Fulfilment.DELIVERY, dt.date(2026, 12, 8), dt.time(14), dt.time(16, 30))
        == "Livraison à domicile le mardi 8 décembre, entre 14 h et 16 h 30"
    )
    assert fulfilment_label(Fulfilment.DELIVERY, dt.date(2026, 12, 8)) == "Livraison à domicile le mardi 8 décembre"
    assert fulfilment_label(Fulfilment.DELIVERY, dt.date(2026, 12, 1)) == "Livraison à domicile le mardi 1er décembre"
    assert fulfilment_label(Fulfilment.COLLECT, None) == "Retrait en boutique"
