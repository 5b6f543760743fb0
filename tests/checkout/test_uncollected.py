"""Pay-in-store orders nobody comes for: three days after the pickup window, the goods go back on sale."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from catalog.models import Variant
from checkout.actions import SYSTEM, expire_uncollected_orders, hand_over
from checkout.models import MerchantOrderStatus, Notification, Order, OrderStatus, PaymentMethod
from tests.checkout.conftest import basket_with, order_from


@pytest.fixture
def in_store_order(town_a, shops):
    with town_a:
        town_a.pay_in_store_enabled = True
        town_a.save(update_fields=["pay_in_store_enabled"])
        eclair, honey = shops["bakery"]["variants"][0], shops["grocer"]["variants"][0]
        order = order_from(basket_with([(eclair, 2), (honey, 1)]), payment_method=PaymentMethod.IN_STORE)
        assert order.status == OrderStatus.PLACED
        yield order


def _latest_deadline(order: Order) -> dt.datetime:
    return max(part.pickup_ends_at or order.created_at for part in order.merchant_orders.all())


def test_nothing_happens_before_three_days_after_the_pickup_window(town_a, in_store_order):
    with town_a, time_machine.travel(_latest_deadline(in_store_order) + dt.timedelta(days=3) - dt.timedelta(minutes=1)):
        assert expire_uncollected_orders() == 0
        in_store_order.refresh_from_db()
        assert in_store_order.status == OrderStatus.PLACED


def test_an_order_nobody_came_for_is_cancelled_its_stock_back_on_sale_and_everyone_told(town_a, shops, in_store_order):
    eclair, honey = shops["bakery"]["variants"][0], shops["grocer"]["variants"][0]
    with town_a:
        assert (Variant.objects.get(pk=eclair.pk).stock, Variant.objects.get(pk=honey.pk).stock) == (18, 4)
        later = _latest_deadline(in_store_order) + dt.timedelta(days=3, minutes=1)
        with time_machine.travel(later):
            assert expire_uncollected_orders() == 2
            assert expire_uncollected_orders() == 0  # the next beat finds nothing left

        in_store_order.refresh_from_db()
        assert in_store_order.status == OrderStatus.CANCELLED
        assert set(in_store_order.merchant_orders.values_list("status", flat=True)) == {MerchantOrderStatus.CANCELLED}
        assert (Variant.objects.get(pk=eclair.pk).stock, Variant.objects.get(pk=honey.pk).stock) == (20, 5)
        told = Notification.objects.filter(order=in_store_order, kind="order_cancelled")
        assert told.filter(merchant_order=None, recipient=in_store_order.email).exists()  # the resident
        assert "Non retirée" in in_store_order.status_changes.last().note


def test_a_collected_part_stays_and_only_the_forgotten_one_is_cancelled(town_a, shops, in_store_order):
    with town_a:
        bakery_part = in_store_order.merchant_orders.get(merchant=shops["bakery"]["merchant"])
        bakery_part.status = MerchantOrderStatus.READY
        bakery_part.save(update_fields=["status"])
        hand_over(merchant_order_id=bakery_part.pk, pickup_code=bakery_part.pickup_code, actor=SYSTEM)

        with time_machine.travel(_latest_deadline(in_store_order) + dt.timedelta(days=4)):
            assert expire_uncollected_orders() == 1

        in_store_order.refresh_from_db()
        assert in_store_order.status == OrderStatus.PLACED  # part of it was collected and paid in store
        statuses = dict(in_store_order.merchant_orders.values_list("merchant__name", "status"))
        assert statuses == {"Boulangerie Dupont": "collected", "Épicerie du Port": "cancelled"}
        assert not Notification.objects.filter(order=in_store_order, kind="order_cancelled").exists()


def test_card_orders_are_never_touched(town_a, shops):
    with town_a:
        order = order_from(basket_with([(shops["bakery"]["variants"][0], 1)]))
        Order.objects.filter(pk=order.pk).update(status=OrderStatus.PAID)
        order.merchant_orders.update(status=MerchantOrderStatus.ACCEPTED)

        with time_machine.travel(_latest_deadline(order) + dt.timedelta(days=30)):
            assert expire_uncollected_orders() == 0
