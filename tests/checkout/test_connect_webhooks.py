"""Connect mode webhooks: platform events carry no account; metadata only names a candidate town,
which must collect in Connect mode and hold a Payment with that intent id."""

from __future__ import annotations

import pytest

from checkout.models import Order, OrderStatus
from checkout.payments import start_payment
from payments.models import WebhookEvent
from tests.checkout.conftest import (
    FAKE_PUBLISHABLE_KEY,
    FAKE_SECRET_KEY,
    FAKE_WEBHOOK_SECRET,
    basket_with,
    order_from,
)
from tests.checkout.test_orders import post_webhook


def _connect(town, *, collector_mode: str = "connect"):
    town.payment_gateway, town.collector_mode, town.stripe_account_id = "stripe", collector_mode, None
    town.save()  # invalidates the cached host → town lookup
    return town


@pytest.fixture
def towns(town_a, town_b, settings, stripe_fake):
    settings.STRIPE_SECRET_KEY = FAKE_SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = FAKE_PUBLISHABLE_KEY
    settings.STRIPE_WEBHOOK_SECRET = FAKE_WEBHOOK_SECRET
    settings.STRIPE_API_BASE = stripe_fake.url
    return _connect(town_a), _connect(town_b)


@pytest.fixture
def intent_of_a(towns, shops, stripe_fake):
    """An order of town A, paid on the platform; returns (order, the intent as Stripe holds it)."""
    town_a, _town_b = towns
    with town_a:
        order = order_from(basket_with([(shops["grocer"]["variants"][0], 1)]))
        payment = start_payment(order=order)
    stripe_fake.succeed(payment.intent_id)
    return order, stripe_fake.get(payment.intent_id)


def test_a_platform_event_is_handled_in_the_connect_town_that_holds_the_intent(towns, intent_of_a, stripe_fake):
    town_a, _town_b = towns
    order, intent = intent_of_a
    assert intent["metadata"]["town"] == town_a.schema_name
    assert intent["transfer_group"] == f"order-{town_a.schema_name}-{order.pk}"

    response = post_webhook(stripe_fake.last_event("payment_intent.succeeded"))

    assert response.json()["outcome"] == f"order {order.pk} paid"
    with town_a:
        assert Order.objects.get().status == OrderStatus.PAID


def test_metadata_naming_town_b_for_town_a_intent_leaves_both_untouched(towns, intent_of_a, stripe_fake):
    town_a, town_b = towns
    _order, intent = intent_of_a
    forged = stripe_fake.make_event(
        "payment_intent.succeeded", {**intent, "metadata": {**intent["metadata"], "town": town_b.schema_name}}
    )

    response = post_webhook(forged)

    assert (response.status_code, response.json()["outcome"]) == (200, "unknown payment")
    with town_b:
        assert WebhookEvent.objects.count() == 0
        assert Order.objects.count() == 0
    with town_a:
        assert WebhookEvent.objects.count() == 0
        assert Order.objects.get().status == OrderStatus.PENDING_PAYMENT


def test_an_intent_the_named_town_never_stored_is_acknowledged_and_ignored(towns, intent_of_a, stripe_fake):
    town_a, _town_b = towns
    _order, intent = intent_of_a
    unknown = stripe_fake.make_event("payment_intent.succeeded", {**intent, "id": "pi_not_ours"})

    response = post_webhook(unknown)

    assert (response.status_code, response.json()["outcome"]) == (200, "unknown payment")
    with town_a:
        assert WebhookEvent.objects.count() == 0
        assert Order.objects.get().status == OrderStatus.PENDING_PAYMENT


def test_a_platform_event_naming_a_regie_town_is_ignored(towns, intent_of_a, stripe_fake):
    town_a, _town_b = towns
    _connect(town_a, collector_mode="regie")

    response = post_webhook(stripe_fake.last_event("payment_intent.succeeded"))

    assert response.json()["outcome"] == "unknown payment"
    with town_a:
        assert WebhookEvent.objects.count() == 0
        assert Order.objects.get().status == OrderStatus.PENDING_PAYMENT
