"""Connect mode test data: towns collecting through the operator's platform (the Stripe fake), merchants
with connected accounts, and orders paid on the platform through the real webhook path."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from checkout.actions import Actor, accept_merchant_order, hand_over, mark_merchant_order_ready
from checkout.models import MerchantOrder, Order
from checkout.payments import start_payment
from settlement.ledger.models import SettlementPolicy
from settlement.payouts.models import MerchantPayoutAccount
from tenants.models import Town
from tests.checkout.conftest import basket_with, make_shop, order_from
from tests.checkout.stripe_fake import StripeFake, signed_webhook
from tests.checkout.stripe_fixtures import (
    FAKE_PUBLISHABLE_KEY,
    FAKE_SECRET_KEY,
    FAKE_WEBHOOK_SECRET,
)
from tests.settlement.payout_factories import accept_current_agreement

STAFF = Actor(kind="town_agent", user_id=1)
BAKERY_ACCOUNT = "acct_boulangerie"
GROCER_ACCOUNT = "acct_epicerie"


def use_the_fake(settings: object, stripe_fake: StripeFake) -> None:
    settings.STRIPE_SECRET_KEY = FAKE_SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = FAKE_PUBLISHABLE_KEY
    settings.STRIPE_WEBHOOK_SECRET = FAKE_WEBHOOK_SECRET
    settings.STRIPE_API_BASE = stripe_fake.url


def make_connect(town: Town) -> Town:
    town.payment_gateway, town.collector_mode, town.stripe_account_id = "stripe", "connect", None
    town.save()  # save(), not update(): it invalidates the cached host → town lookup
    return town


@pytest.fixture
def connect_town(town_a: Town, settings: object, stripe_fake: StripeFake) -> Town:
    """Town A collects in Connect mode: PaymentIntents on the platform (the fake), no hold."""
    use_the_fake(settings, stripe_fake)
    make_connect(town_a)
    with town_a:
        SettlementPolicy.objects.update_or_create(pk=1, defaults={"hold_days": 0, "commission_basis_points": 500})
    return town_a


def connected_shop(name: str, account: str | None, products: list[tuple[str, int, int | None]]) -> dict:
    shop = make_shop(name, products=products)
    if account:
        MerchantPayoutAccount.objects.create(
            merchant=shop["merchant"], holder_name=name, iban="", street="", postcode="", town="",
            stripe_account_id=account,
        )  # fmt: skip
        # The town's partnership agreement gates Connect payouts too.
        accept_current_agreement(shop["merchant"])
    return shop


def post_webhook(event: dict) -> dict:
    payload, header = signed_webhook(event, secret=FAKE_WEBHOOK_SECRET)
    response = Client(HTTP_HOST="test").post(
        "/webhooks/stripe/", data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
    assert response.status_code == 200
    return response.json()


def pay_on_the_platform(
    town: Town, stripe_fake: StripeFake, callbacks: Callable, items: list[tuple[object, int]]
) -> Order:
    """An order placed in the town and paid on the platform; the webhook makes it paid and posts the capture."""
    with town:
        order = order_from(basket_with(items))
        payment = start_payment(order=order)
    stripe_fake.succeed(payment.intent_id)
    with callbacks(execute=True):
        outcome = post_webhook(stripe_fake.last_event("payment_intent.succeeded"))
    assert outcome["outcome"].endswith("paid"), outcome
    return order


@pytest.fixture
def paid_order(connect_town: Town, stripe_fake: StripeFake, django_capture_on_commit_callbacks: Callable) -> tuple:
    """Éclairs 2 × 2,50 € at the bakery, honey 8,90 € at the grocer, paid on the platform:
    (order, bakery merchant, grocer merchant)."""
    with connect_town:
        bakery = connected_shop("Boulangerie", BAKERY_ACCOUNT, [("Éclair", 250, None)])
        grocer = connected_shop("Épicerie", GROCER_ACCOUNT, [("Miel", 890, None)])
    order = pay_on_the_platform(
        connect_town,
        stripe_fake,
        django_capture_on_commit_callbacks,
        [(bakery["variants"][0], 2), (grocer["variants"][0], 1)],
    )
    return order, bakery["merchant"], grocer["merchant"]


def hand_over_all(order: Order, callbacks: Callable) -> None:
    """Every merchant order accepted, ready and collected; with no hold, each is released after commit."""
    for merchant_order in MerchantOrder.objects.filter(order=order).order_by("pk"):
        accept_merchant_order(merchant_order_id=merchant_order.pk, actor=STAFF)
        mark_merchant_order_ready(merchant_order_id=merchant_order.pk, actor=STAFF)
        with callbacks(execute=True):
            hand_over(merchant_order_id=merchant_order.pk, pickup_code=merchant_order.pickup_code, actor=STAFF)
