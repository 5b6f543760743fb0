"""Régie town: a chargeback event from the town's own Stripe account marks the order disputed."""

from __future__ import annotations

import pytest
from django.test import Client

from checkout.models import Dispute, Order, OrderStatus, OutboxEvent, StatusChange
from checkout.payments import start_payment
from payments.gateways.stripe import StripeGateway
from tenants.models import Town
from tests.checkout.conftest import basket_with, order_from
from tests.checkout.stripe_fake import StripeFake, signed_webhook
from tests.checkout.stripe_fixtures import FAKE_WEBHOOK_SECRET, TOWN_ACCOUNT


def post_webhook(event: dict) -> dict:
    payload, header = signed_webhook(event, secret=FAKE_WEBHOOK_SECRET)
    response = Client(HTTP_HOST="test").post(
        "/webhooks/stripe/", data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def paid_order(stripe_town: Town, shops: dict, stripe_fake: StripeFake, django_capture_on_commit_callbacks) -> Order:
    with stripe_town:
        order = order_from(basket_with([(shops["bakery"]["variants"][0], 2)]))
        payment = start_payment(order=order)
    stripe_fake.succeed(payment.intent_id, account=TOWN_ACCOUNT)
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(stripe_fake.last_event("payment_intent.succeeded", account=TOWN_ACCOUNT))
    return order


def test_dispute_event_is_mapped_to_the_intent_with_the_dispute_id_and_its_fee(
    stripe_gateway: StripeGateway, stripe_fake: StripeFake, paid_order: Order
) -> None:
    dispute = stripe_fake.open_dispute(paid_order.payment.intent_id, account=TOWN_ACCOUNT, amount=300)
    payload, header = signed_webhook(
        stripe_fake.last_event("charge.dispute.created", account=TOWN_ACCOUNT), secret=FAKE_WEBHOOK_SECRET
    )

    event = stripe_gateway.parse_webhook(payload=payload, signature_header=header)

    assert (event.object_id, event.dispute_id, event.amount_cents, event.fee_cents, event.status) == (
        paid_order.payment.intent_id,
        dispute["id"],
        300,
        1_500,
        "needs_response",
    )


def test_a_chargeback_marks_the_order_disputed_and_is_announced_with_it_then_delivered_after_commit(
    stripe_town: Town, stripe_fake: StripeFake, paid_order: Order, django_capture_on_commit_callbacks
) -> None:
    with stripe_town:
        changes_before = StatusChange.objects.filter(order=paid_order).count()
    dispute = stripe_fake.open_dispute(paid_order.payment.intent_id, account=TOWN_ACCOUNT)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outcome = post_webhook(stripe_fake.last_event("charge.dispute.created", account=TOWN_ACCOUNT))
    with stripe_town:
        # Written in the dispute's transaction, delivered only after the commit.
        announced = OutboxEvent.objects.filter(kind="dispute_changed")
        assert [(event.payload, event.processed_at) for event in announced] == [
            (
                {
                    "order_id": paid_order.pk,
                    "dispute_id": dispute["id"],
                    "status": "needs_response",
                    "amount_cents": 500,
                    "fee_cents": 1_500,
                },
                None,
            )
        ]
    for callback in callbacks:
        callback()

    assert outcome == {"received": True, "outcome": f"dispute {dispute['id']} needs_response"}
    with stripe_town:
        assert [event.processed_at is not None for event in announced.all()] == [True]
        order = Order.objects.get(pk=paid_order.pk)
        assert order.status == OrderStatus.PAID
        assert StatusChange.objects.filter(order=order).count() == changes_before
        assert [(d.gateway_dispute_id, d.is_open) for d in order.disputes.all()] == [(dispute["id"], True)]
        assert Dispute.objects.get().currency == "EUR"
