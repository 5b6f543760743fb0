"""Contract tests: the behaviours the fake imitates, checked against real Stripe test mode.

Run only with STRIPE_TEST_SECRET_KEY=sk_test_… (optionally STRIPE_TEST_CONNECTED_ACCOUNT=acct_… for
direct charges on a connected account, as in régie mode). When one of these fails, fix the fake too.
"""

from __future__ import annotations

import os
import uuid

import pytest
import stripe

from payments.gateways import GatewayError, idempotency_key
from payments.gateways.stripe import StripeGateway, gateway_error_from_stripe

SECRET_KEY = os.environ.get("STRIPE_TEST_SECRET_KEY", "")
ACCOUNT = os.environ.get("STRIPE_TEST_CONNECTED_ACCOUNT") or None

# Deselected (not skipped) without the key: see tests/checkout/conftest_stripe.py.
pytestmark = [pytest.mark.stripe_contract]


@pytest.fixture
def gateway() -> StripeGateway:
    return StripeGateway(secret_key=SECRET_KEY, webhook_secret="whsec_unused", max_network_retries=2)


@pytest.fixture
def client() -> stripe.StripeClient:
    return stripe.StripeClient(SECRET_KEY)


def unique_key(*parts: object) -> str:
    return idempotency_key("contract", uuid.uuid4().hex, *parts)


def options() -> stripe.RequestOptions:
    return {"stripe_account": ACCOUNT} if ACCOUNT else {}


def test_created_intent_has_the_shape_the_fake_gives(gateway: StripeGateway) -> None:
    intent = gateway.create_payment_intent(
        account_id=ACCOUNT, amount_cents=1_250, currency="EUR", idempotency_key=unique_key(), metadata={"order_id": "1"}
    )

    assert intent.id.startswith("pi_")
    assert intent.client_secret.startswith(f"{intent.id}_secret_")
    assert (intent.amount_cents, intent.currency, intent.status) == (1_250, "eur", "requires_payment_method")
    assert intent.metadata == {"order_id": "1"}
    assert gateway.retrieve_payment_intent(account_id=ACCOUNT, intent_id=intent.id) == intent


def test_same_key_replays_and_other_parameters_are_refused(gateway: StripeGateway) -> None:
    key = unique_key()
    first = gateway.create_payment_intent(
        account_id=ACCOUNT, amount_cents=1_250, currency="eur", idempotency_key=key, metadata={}
    )

    again = gateway.create_payment_intent(
        account_id=ACCOUNT, amount_cents=1_250, currency="eur", idempotency_key=key, metadata={}
    )
    with pytest.raises(GatewayError) as raised:
        gateway.create_payment_intent(
            account_id=ACCOUNT, amount_cents=9_999, currency="eur", idempotency_key=key, metadata={}
        )

    assert again.id == first.id
    assert raised.value.code == "idempotency_error"


def test_amount_below_the_minimum_is_amount_too_small(gateway: StripeGateway) -> None:
    with pytest.raises(GatewayError) as raised:
        gateway.create_payment_intent(
            account_id=ACCOUNT, amount_cents=49, currency="eur", idempotency_key=unique_key(), metadata={}
        )

    assert raised.value.code == "amount_too_small"


def test_paid_intent_refunds_and_over_refund(gateway: StripeGateway, client: stripe.StripeClient) -> None:
    intent = gateway.create_payment_intent(
        account_id=ACCOUNT, amount_cents=5_000, currency="eur", idempotency_key=unique_key(), metadata={}
    )
    client.v1.payment_intents.confirm(
        intent.id, {"payment_method": "pm_card_visa", "return_url": "https://example.com/retour"}, options()
    )
    paid = gateway.retrieve_payment_intent(account_id=ACCOUNT, intent_id=intent.id)
    assert paid.status == "succeeded"
    assert paid.latest_charge_id is not None
    assert paid.latest_charge_id.startswith("ch_")

    refund = gateway.refund(
        account_id=ACCOUNT, intent_id=intent.id, amount_cents=2_000, idempotency_key=unique_key(), metadata={}
    )
    with pytest.raises(GatewayError) as raised:
        gateway.refund(
            account_id=ACCOUNT, intent_id=intent.id, amount_cents=3_001, idempotency_key=unique_key(), metadata={}
        )

    assert (refund.amount_cents, refund.status) == (2_000, "succeeded")
    assert raised.value.code == "amount_too_large"


def test_declined_card_is_card_declined(gateway: StripeGateway, client: stripe.StripeClient) -> None:
    intent = gateway.create_payment_intent(
        account_id=ACCOUNT, amount_cents=1_250, currency="eur", idempotency_key=unique_key(), metadata={}
    )

    with pytest.raises(stripe.CardError) as raised:
        client.v1.payment_intents.confirm(
            intent.id,
            {"payment_method": "pm_card_chargeDeclined", "return_url": "https://example.com/retour"},
            options(),
        )

    error = gateway_error_from_stripe(raised.value)
    assert (error.code, error.decline_code) == ("card_declined", "generic_decline")
    assert gateway.retrieve_payment_intent(account_id=ACCOUNT, intent_id=intent.id).status == "requires_payment_method"


def test_paid_intent_cannot_be_canceled(gateway: StripeGateway, client: stripe.StripeClient) -> None:
    intent = gateway.create_payment_intent(
        account_id=ACCOUNT, amount_cents=1_250, currency="eur", idempotency_key=unique_key(), metadata={}
    )
    client.v1.payment_intents.confirm(
        intent.id, {"payment_method": "pm_card_visa", "return_url": "https://example.com/retour"}, options()
    )

    with pytest.raises(GatewayError) as raised:
        gateway.cancel_payment_intent(account_id=ACCOUNT, intent_id=intent.id, idempotency_key=unique_key())

    assert raised.value.code == "payment_intent_unexpected_state"


def test_unknown_intent_is_resource_missing(gateway: StripeGateway) -> None:
    with pytest.raises(GatewayError) as raised:
        gateway.retrieve_payment_intent(account_id=ACCOUNT, intent_id="pi_doesnotexist000000000000")

    assert raised.value.code == "resource_missing"
