"""Concurrency with real PostgreSQL, threads and a barrier, in a town whose writes really commit."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client

from catalog.models import Variant
from checkout.actions import Actor, mark_order_paid
from checkout.models import Notification, Order, OrderStatus, Refund, StatusChange
from checkout.payments import confirm_payment_from_return, refund_merchant_order, start_payment
from payments.models import WebhookEvent
from tenants.models import Town
from tests.checkout.conftest import (
    FAKE_PUBLISHABLE_KEY,
    FAKE_SECRET_KEY,
    FAKE_WEBHOOK_SECRET,
    basket_with,
    make_shop,
    order_from,
)
from tests.checkout.stripe_fake import signed_webhook
from tests.conftest import run_concurrently

# Each test provisions a town whose writes really commit, then races threads in it.
pytestmark = pytest.mark.slow

ACCOUNT = "acct_concurrence"


@pytest.fixture
def paying_town(committed_town, settings, stripe_fake):
    settings.STRIPE_SECRET_KEY = FAKE_SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = FAKE_PUBLISHABLE_KEY
    settings.STRIPE_WEBHOOK_SECRET = FAKE_WEBHOOK_SECRET
    settings.STRIPE_API_BASE = stripe_fake.url
    committed_town.payment_gateway, committed_town.stripe_account_id = "stripe", ACCOUNT
    committed_town.save()
    return committed_town


def in_town(town: Town, work):
    def run(index: int):
        connection.set_tenant(town)
        return work(index)

    return run


def test_twenty_checkouts_on_the_last_five_units_sell_exactly_five(committed_town):
    with committed_town:
        shop = make_shop("Cave", products=[("Champagne", 3500, 5)])
        variant = shop["variants"][0]
        baskets = [basket_with([(variant, 1)]) for _ in range(20)]

    results = run_concurrently(20, in_town(committed_town, lambda i: order_from(baskets[i])))

    sold = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(sold) == 5, results
    assert len(refused) == 15, results
    with committed_town:
        assert Variant.objects.get(pk=variant.pk).stock == 0
        assert Order.objects.count() == 5


def test_baskets_taking_lines_in_opposite_orders_never_deadlock(committed_town):
    with committed_town:
        shop = make_shop("Bazar", products=[("Bougie", 500, 1000), ("Savon", 300, 1000), ("Tasse", 800, 1000)])
        first, second, third = shop["variants"]
        baskets = [
            basket_with([(first, 1), (second, 1), (third, 1)] if i % 2 else [(third, 1), (second, 1), (first, 1)])
            for i in range(12)
        ]

    results = run_concurrently(12, in_town(committed_town, lambda i: order_from(baskets[i])))

    assert all(isinstance(r, Order) for r in results), results
    with committed_town:
        assert (
            list(Variant.objects.filter(pk__in=[first.pk, second.pk, third.pk]).values_list("stock", flat=True))
            == [988] * 3
        )


def test_eight_checkouts_at_once_from_one_ip_hold_at_most_three_unpaid_orders(committed_town):
    """Stock held by bots (README, "Abuse limits"): the per-IP count cannot be raced past."""
    with committed_town:
        shop = make_shop("Pâtisserie", products=[("Galette des rois", 2400, 33)])
        variant = shop["variants"][0]
        baskets = [basket_with([(variant, 1)]) for _ in range(8)]

    results = run_concurrently(8, in_town(committed_town, lambda i: order_from(baskets[i], client_ip="198.51.100.7")))

    held = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert (len(held), len(refused)) == (3, 5), results
    assert {error.code for error in refused} == {"unpaid_limit"}
    with committed_town:
        assert Order.objects.filter(status=OrderStatus.PENDING_PAYMENT).count() == 3
        assert Variant.objects.get(pk=variant.pk).stock == 30


def test_the_same_basket_checked_out_five_times_at_once_gives_one_order(committed_town):
    with committed_town:
        shop = make_shop("Pâtisserie", products=[("Galette des rois", 2400, 33)])
        variant = shop["variants"][0]
        basket = basket_with([(variant, 10)])

    results = run_concurrently(5, in_town(committed_town, lambda i: order_from(basket)))

    assert sum(isinstance(r, Order) for r in results) == 1, results
    assert sum(isinstance(r, ValidationError) for r in results) == 4, results
    with committed_town:
        assert Variant.objects.get(pk=variant.pk).stock == 23
        assert Order.objects.count() == 1
        assert Order.objects.get().status == OrderStatus.PENDING_PAYMENT  # not cancelled by a second submit


def _paid_intent(town: Town, stripe_fake):
    with town:
        shop = make_shop("Fleuriste", products=[("Bouquet", 2500, 10)])
        order = order_from(basket_with([(shop["variants"][0], 1)]))
        payment = start_payment(order=order)
    stripe_fake.succeed(payment.intent_id, account=ACCOUNT)
    return order, payment


def test_browser_return_and_webhook_racing_give_one_paid_order(paying_town, stripe_fake):
    order, _payment = _paid_intent(paying_town, stripe_fake)
    event = stripe_fake.last_event("payment_intent.succeeded", account=ACCOUNT)
    payload, header = signed_webhook(event, secret=FAKE_WEBHOOK_SECRET)

    def work(index: int):
        if index % 2:
            return (
                Client(HTTP_HOST="test")
                .post("/webhooks/stripe/", data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
                .status_code
            )
        connection.set_tenant(paying_town)
        return confirm_payment_from_return(order=Order.objects.get(pk=order.pk)).status

    results = run_concurrently(4, work)

    assert sorted(map(str, results)) == ["200", "200", "paid", "paid"], results
    with paying_town:
        assert StatusChange.objects.filter(order_id=order.pk, to_status=OrderStatus.PAID).count() == 1
        assert (
            Notification.objects.filter(
                order_id=order.pk, kind="order_paid", merchant_order=None, channel="email"
            ).count()
            == 1
        )


def test_the_same_webhook_five_times_at_once_acts_once(paying_town, stripe_fake):
    order, _payment = _paid_intent(paying_town, stripe_fake)
    event = stripe_fake.last_event("payment_intent.succeeded", account=ACCOUNT)
    payload, header = signed_webhook(event, secret=FAKE_WEBHOOK_SECRET)

    def deliver(index: int):
        response = Client(HTTP_HOST="test").post(
            "/webhooks/stripe/", data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
        )
        return response.status_code, json.loads(response.content)["outcome"]

    results = run_concurrently(5, deliver)

    assert [status for status, _outcome in results] == [200] * 5
    assert sum(outcome == "duplicate" for _status, outcome in results) == 4, results
    with paying_town:
        assert WebhookEvent.objects.count() == 1
        assert StatusChange.objects.filter(order_id=order.pk, to_status=OrderStatus.PAID).count() == 1
        assert (
            Notification.objects.filter(
                order_id=order.pk, kind="order_paid", merchant_order=None, channel="email"
            ).count()
            == 1
        )


def test_two_concurrent_refund_clicks_give_one_refund(paying_town, stripe_fake):
    order, _payment = _paid_intent(paying_town, stripe_fake)
    with paying_town:
        mark_order_paid(order_id=order.pk, amount_cents=2500, currency="EUR", actor=Actor(kind="gateway"))
        merchant_order_id = order.merchant_orders.get().pk

    def click(index: int):
        connection.set_tenant(paying_town)
        return refund_merchant_order(
            merchant_order_id=merchant_order_id,
            amount_cents=2500,
            reason="Client absent",
            request_key="form-7f3a",
            actor=Actor(kind="town_agent", user_id=1),
        ).pk

    results = run_concurrently(2, click)

    assert results[0] == results[1], results
    with paying_town:
        assert Refund.objects.count() == 1
        assert Order.objects.get(pk=order.pk).refunded_cents == 2500
    refunds = [r for r in stripe_fake.requests if r.method == "POST" and r.path == "/v1/refunds"]
    assert len(refunds) == 1
