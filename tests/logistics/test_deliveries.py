"""Each paid order delivered by the town becomes one delivery: a pickup per shop, one drop-off."""

from __future__ import annotations

import datetime as dt

import time_machine

from catalog.models import Product
from checkout.actions import refuse_line
from checkout.models import OrderLine
from logistics.deliveries import locate_delivery, sync_delivery
from logistics.models import Delivery, DeliveryStatus, PartStatus
from tests.checkout.conftest import MERCHANT, basket_with, order_from, pay_with_demo_gateway
from tests.checkout.test_delivery import FRIDAY_MORNING, deliver_all


def _paid_delivery(town, shops, items, capture):
    basket = basket_with(items)
    order = order_from(basket, fulfilments=deliver_all(basket), address_text="12 Rue Royale 62100 Calais")
    with capture(execute=True):  # checkout's events are delivered after commit
        pay_with_demo_gateway(town, order)
    return order


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_a_paid_order_from_two_shops_becomes_one_delivery_with_a_pickup_at_each(
    town_a, delivering_shops, zones, django_capture_on_commit_callbacks
):
    eclair, honey = delivering_shops["bakery"]["variants"][0], delivering_shops["grocer"]["variants"][0]
    with town_a:
        Product.objects.filter(variants=honey).update(weight_grams=400, volume_ml=350, is_chilled=True)
        order = _paid_delivery(town_a, delivering_shops, [(eclair, 4), (honey, 2)], django_capture_on_commit_callbacks)

        delivery = Delivery.objects.get(order=order)
        assert delivery.status == DeliveryStatus.TO_PLAN
        assert delivery.date == dt.date(2026, 11, 27)
        # The slot the resident chose (at 9:30, the first one starting an hour later at least).
        assert (delivery.window_start, delivery.window_end) == (dt.time(14), dt.time(16))
        assert (order.delivery_window_start, order.delivery_window_end) == (dt.time(14), dt.time(16))
        assert delivery.in_centre  # 12 Rue Royale is inside the cargo-bike zone
        assert (delivery.latitude, delivery.longitude) == (order.delivery_latitude, order.delivery_longitude)
        assert len(delivery.door_code) == 6
        assert delivery.door_code.isdigit()
        parts = {part.merchant_order.merchant_name: part for part in delivery.parts.select_related("merchant_order")}
        assert len(parts) == 2
        honey_part = next(part for part in parts.values() if part.chilled)
        # Two jars of 400 g and 350 ml as the product says; the éclairs take the town's defaults (500 g, 1 l).
        assert (honey_part.grams, honey_part.millilitres, honey_part.parcels) == (800, 700, 1)
        eclair_part = next(part for part in parts.values() if not part.chilled)
        assert (eclair_part.grams, eclair_part.millilitres) == (4 * 500, 4 * 1000)
        assert delivery.chilled  # one chilled part makes the whole delivery chilled
        assert delivery.grams == 800 + 2000
        assert {part.collect_code for part in parts.values()} != {""}


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_the_same_paid_event_twice_keeps_one_delivery(
    town_a, delivering_shops, zones, django_capture_on_commit_callbacks
):
    honey = delivering_shops["grocer"]["variants"][0]
    with town_a:
        order = _paid_delivery(town_a, delivering_shops, [(honey, 2)], django_capture_on_commit_callbacks)
        first = Delivery.objects.get(order=order)
        sync_delivery(order.pk)
        sync_delivery(order.pk)
        assert Delivery.objects.filter(order=order).count() == 1
        assert Delivery.objects.get(order=order).door_code == first.door_code
        assert first.parts.count() == 1


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_a_refused_shop_part_leaves_the_delivery_and_a_fully_refused_order_drops_out(
    town_a, delivering_shops, zones, django_capture_on_commit_callbacks
):
    eclair, honey = delivering_shops["bakery"]["variants"][0], delivering_shops["grocer"]["variants"][0]
    with town_a:
        order = _paid_delivery(town_a, delivering_shops, [(eclair, 3), (honey, 1)], django_capture_on_commit_callbacks)
        delivery = Delivery.objects.get(order=order)
        honey_line = OrderLine.objects.get(merchant_order__order=order, variant=honey)
        with django_capture_on_commit_callbacks(execute=True):
            refuse_line(line_id=honey_line.pk, actor=MERCHANT)

        delivery.refresh_from_db()
        statuses = dict(delivery.parts.values_list("merchant_order__merchant_id", "status"))
        assert statuses[honey_line.merchant_order.merchant_id] == PartStatus.REFUSED
        assert delivery.status == DeliveryStatus.TO_PLAN
        assert delivery.grams == 3 * 500  # only the éclairs are left to carry

        for line in OrderLine.objects.filter(merchant_order__order=order, is_refused=False):
            with django_capture_on_commit_callbacks(execute=True):
                refuse_line(line_id=line.pk, actor=MERCHANT)
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.CANCELLED


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_a_collected_order_makes_no_delivery(town_a, delivering_shops, zones, django_capture_on_commit_callbacks):
    honey = delivering_shops["grocer"]["variants"][0]
    with town_a:
        basket = basket_with([(honey, 1)])
        order = order_from(basket)
        with django_capture_on_commit_callbacks(execute=True):
            pay_with_demo_gateway(town_a, order)
        assert not Delivery.objects.filter(order=order).exists()


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_an_order_taken_while_the_geocoder_was_down_waits_for_an_agent_to_place_it(
    town_a, delivering_shops, zones, address_service_down, django_capture_on_commit_callbacks
):
    honey = delivering_shops["grocer"]["variants"][0]
    with town_a:
        order = _paid_delivery(town_a, delivering_shops, [(honey, 2)], django_capture_on_commit_callbacks)
        delivery = Delivery.objects.get(order=order)
        assert delivery.needs_address_check
        assert not delivery.is_located

        located = locate_delivery(delivery=delivery, latitude=50.9530, longitude=1.8550)

        assert located.is_located
        assert not located.needs_address_check
        assert located.in_centre
