"""StripeGateway through the real `stripe` library against the in-process fake of Stripe's API."""

from __future__ import annotations

import pytest
import stripe
from django.core.exceptions import ImproperlyConfigured
from pytest_django.fixtures import Settings

from payments.gateways import GatewayError, PaymentGateway, idempotency_key
from payments.gateways.base import PaymentIntentResult, PayoutResult, RefundResult, TransferResult
from payments.gateways.stripe import StripeGateway, gateway_error_from_stripe
from tests.checkout import stripe_fixtures
from tests.checkout.stripe_fake import StripeFake
from tests.checkout.stripe_fixtures import FAKE_SECRET_KEY, FAKE_WEBHOOK_SECRET, OTHER_TOWN_ACCOUNT, TOWN_ACCOUNT

METADATA = {"town": "ville-a", "order_id": "42"}

# Fixtures shared with other checkout tests (see stripe_fixtures.py).
stripe_fake = stripe_fixtures.stripe_fake
stripe_fake_server = stripe_fixtures.stripe_fake_server
stripe_gateway = stripe_fixtures.stripe_gateway


def create_intent(
    gateway: StripeGateway, *, amount_cents: int = 2_350, key: str | None = None, account_id: str | None = TOWN_ACCOUNT
) -> PaymentIntentResult:
    return gateway.create_payment_intent(
        account_id=account_id,
        amount_cents=amount_cents,
        currency="EUR",
        idempotency_key=key or idempotency_key("ville-a", "pi", 42, 1),
        metadata=METADATA,
    )


def paid_intent(gateway: StripeGateway, fake: StripeFake, *, amount_cents: int = 2_350) -> PaymentIntentResult:
    intent = create_intent(gateway, amount_cents=amount_cents)
    fake.succeed(intent.id, account=TOWN_ACCOUNT)
    return gateway.retrieve_payment_intent(account_id=TOWN_ACCOUNT, intent_id=intent.id)


def test_stripe_gateway_satisfies_the_protocol(stripe_gateway: StripeGateway) -> None:
    assert isinstance(stripe_gateway, PaymentGateway)
    assert stripe_gateway.kind == "stripe"
    assert stripe_gateway.is_test is True
    assert stripe_gateway.publishable_key == "pk_test_comptoir_fake"


def test_live_key_is_not_test_mode(stripe_fake: StripeFake) -> None:
    gateway = StripeGateway(secret_key="sk_live_x", api_base=stripe_fake.url, webhook_secret="whsec_x")

    assert gateway.is_test is False


def test_missing_secret_key_is_a_configuration_error(settings: Settings) -> None:
    settings.STRIPE_SECRET_KEY = ""

    with pytest.raises(ImproperlyConfigured, match="STRIPE_SECRET_KEY"):
        StripeGateway()


def test_gateway_reads_its_configuration_from_settings(settings: Settings, stripe_fake: StripeFake) -> None:
    settings.STRIPE_SECRET_KEY = FAKE_SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_from_settings"
    settings.STRIPE_WEBHOOK_SECRET = FAKE_WEBHOOK_SECRET
    settings.STRIPE_API_BASE = stripe_fake.url

    gateway = StripeGateway()
    intent = create_intent(gateway)

    assert gateway.publishable_key == "pk_test_from_settings"
    assert stripe_fake.get(intent.id, account=TOWN_ACCOUNT)["amount"] == 2_350


def test_create_payment_intent_is_a_direct_charge_on_the_town_account(
    stripe_gateway: StripeGateway, stripe_fake: StripeFake
) -> None:
    key = idempotency_key("ville-a", "pi", 42, 1)

    intent = create_intent(stripe_gateway, key=key)

    assert intent.id.startswith("pi_")
    assert intent.client_secret.startswith(f"{intent.id}_secret_")
    assert (intent.amount_cents, intent.currency, intent.status) == (2_350, "eur", "requires_payment_method")
    assert intent.metadata == METADATA
    assert intent.latest_charge_id is None
    [request] = stripe_fake.requests
    assert (request.method, request.path) == ("POST", "/v1/payment_intents")
    assert request.stripe_account == TOWN_ACCOUNT
    assert request.idempotency_key == key
    assert request.params == {
        "amount": "2350",
        "currency": "eur",
        "metadata": METADATA,
        "automatic_payment_methods": {"enabled": "true"},
    }


def test_connect_mode_charges_the_platform_with_a_transfer_group(
    stripe_gateway: StripeGateway, stripe_fake: StripeFake
) -> None:
    intent = stripe_gateway.create_payment_intent(
        account_id=None,
        amount_cents=10_000,
        currency="eur",
        idempotency_key=idempotency_key("ville-a", "pi", 7, 1),
        metadata=METADATA,
        transfer_group="ORDER-7",
    )

    [request] = stripe_fake.requests
    assert request.stripe_account is None
    assert "Stripe-Account" not in request.headers
    assert request.params["transfer_group"] == "ORDER-7"
    assert stripe_fake.get(intent.id)["transfer_group"] == "ORDER-7"


def test_retrieve_reports_the_payment_once_the_resident_has_paid(
    stripe_gateway: StripeGateway, stripe_fake: StripeFake
) -> None:
    intent = create_intent(stripe_gateway)
    stripe_fake.succeed(intent.id, account=TOWN_ACCOUNT)

    retrieved = stripe_gateway.retrieve_payment_intent(account_id=TOWN_ACCOUNT, intent_id=intent.id)

    charge = stripe_fake.charge_for(intent.id, account=TOWN_ACCOUNT)
    assert (retrieved.id, retrieved.status, retrieved.amount_cents) == (intent.id, "succeeded", 2_350)
    assert retrieved.latest_charge_id == charge["id"]
    assert retrieved.metadata == METADATA


def test_three_d_secure_keeps_the_intent_unpaid_until_completed(
    stripe_gateway: StripeGateway, stripe_fake: StripeFake
) -> None:
    intent = create_intent(stripe_gateway)
    stripe_fake.require_action(intent.id, account=TOWN_ACCOUNT)
    assert stripe_gateway.retrieve_payment_intent(account_id=TOWN_ACCOUNT, intent_id=intent.id).status == (
        "requires_action"
    )

    stripe_fake.complete_action(intent.id, account=TOWN_ACCOUNT)

    assert stripe_gateway.retrieve_payment_intent(account_id=TOWN_ACCOUNT, intent_id=intent.id).status == "succeeded"


def test_same_key_and_parameters_replay_the_same_intent(stripe_gateway: StripeGateway, stripe_fake: StripeFake) -> None:
    first = create_intent(stripe_gateway)

    second = create_intent(stripe_gateway)

    assert second == first
    assert [request.is_replay for request in stripe_fake.requests] == [False, True]
    assert len(stripe_fake.events(account=TOWN_ACCOUNT, type="payment_intent.created")) == 1


def test_same_key_with_another_amount_is_refused(stripe_gateway: StripeGateway, stripe_fake: StripeFake) -> None:
    first = create_intent(stripe_gateway, amount_cents=2_350)

    with pytest.raises(GatewayError) as raised:
        create_intent(stripe_gateway, amount_cents=9_999)

    assert raised.value.code == "idempotency_error"
    assert raised.value.message == "Cette opération a déjà été demandée avec d'autres paramètres."
    assert stripe_fake.get(first.id, account=TOWN_ACCOUNT)["amount"] == 2_350
    assert len(stripe_fake.events(account=TOWN_ACCOUNT, type="payment_intent.created")) == 1


def test_another_town_account_cannot_see_the_intent(stripe_gateway: StripeGateway) -> None:
    intent = create_intent(stripe_gateway)

    with pytest.raises(GatewayError) as raised:
        stripe_gateway.retrieve_payment_intent(account_id=OTHER_TOWN_ACCOUNT, intent_id=intent.id)

    assert raised.value.code == "resource_missing"
    assert raised.value.message == "Ce paiement est introuvable chez le prestataire de paiement."


def test_idempotency_keys_are_scoped_per_account(stripe_gateway: StripeGateway) -> None:
    key = idempotency_key("same", "key")
    in_town_a = create_intent(stripe_gateway, key=key, account_id=TOWN_ACCOUNT)

    in_town_b = create_intent(stripe_gateway, key=key, account_id=OTHER_TOWN_ACCOUNT)

    assert in_town_a.id != in_town_b.id


def test_amount_below_the_card_minimum_is_refused(stripe_gateway: StripeGateway, stripe_fake: StripeFake) -> None:
    with pytest.raises(GatewayError) as raised:
        create_intent(stripe_gateway, amount_cents=49)

    assert raised.value.code == "amount_too_small"
    assert stripe_fake.events(account=TOWN_ACCOUNT) == []


def test_declined_card_gives_a_french_message(stripe_gateway: StripeGateway, stripe_fake: StripeFake) -> None:
    intent = create_intent(stripe_gateway)
    client = stripe.StripeClient(FAKE_SECRET_KEY, base_addresses={"api": stripe_fake.url})

    with pytest.raises(stripe.CardError) as raised:
        client.v1.payment_intents.confirm(
            intent.id, {"payment_method": "pm_card_chargeDeclined"}, {"stripe_account": TOWN_ACCOUNT}
        )

    error = gateway_error_from_stripe(raised.value)
    assert (error.code, error.decline_code, error.message) == (
        "card_declined",
        "generic_decline",
        "Votre carte a été refusée.",
    )
    assert error.is_retryable is False
    retrieved = stripe_gateway.retrieve_payment_intent(account_id=TOWN_ACCOUNT, intent_id=intent.id)
    assert retrieved.status == "requires_payment_method"


def test_insufficient_funds_decline_says_so(stripe_gateway: StripeGateway, stripe_fake: StripeFake) -> None:
    intent = create_intent(stripe_gateway)
    client = stripe.StripeClient(FAKE_SECRET_KEY, base_addresses={"api": stripe_fake.url})

    with pytest.raises(stripe.CardError) as raised:
        client.v1.payment_intents.confirm(
            intent.id,
            {"payment_method": "pm_card_chargeDeclinedInsufficientFunds"},
            {"stripe_account": TOWN_ACCOUNT},
        )

    assert gateway_error_from_stripe(raised.value).message == "Votre carte a été refusée : provision insuffisante."


def test_card_error_from_the_api_surfaces_as_a_gateway_error(
    stripe_gateway: StripeGateway, stripe_fake: StripeFake
) -> None:
    stripe_fake.fail_next_request(
        status=402, error_type="card_error", code="card_declined", message="Your card was declined."
    )

    with pytest.raises(GatewayError) as raised:
        create_intent(stripe_gateway)

    assert (raised.value.code, raised.value.message) == ("card_declined", "Votre carte a été refusée.")


def test_server_error_is_retryable_and_uses_the_library_retries(stripe_fake: StripeFake) -> None:
    gateway = StripeGateway(
        secret_key=FAKE_SECRET_KEY, api_base=stripe_fake.url, webhook_secret="whsec_x", max_network_retries=0
    )
    stripe_fake.fail_next_request(status=500)

    with pytest.raises(GatewayError) as raised:
        create_intent(gateway)

    assert (raised.value.code, raised.value.is_retryable) == ("provider_error", True)
    assert len(stripe_fake.requests) == 1


def test_lost_response_is_retried_with_the_same_key_and_charges_once(
    stripe_gateway: StripeGateway, stripe_fake: StripeFake
) -> None:
    stripe_fake.drop_next_response()

    intent = create_intent(stripe_gateway)

    requests = stripe_fake.requests
    assert [request.idempotency_key for request in requests] == [idempotency_key("ville-a", "pi", 42, 1)] * 2
    assert [request.is_replay for request in requests] == [False, True]
    assert [event["data"]["object"]["id"] for event in stripe_fake.events(account=TOWN_ACCOUNT)] == [intent.id]


def test_cancel_an_unpaid_intent(stripe_gateway: StripeGateway) -> None:
    intent = create_intent(stripe_gateway)

    canceled = stripe_gateway.cancel_payment_intent(
        account_id=TOWN_ACCOUNT, intent_id=intent.id, idempotency_key=idempotency_key("ville-a", "cancel", intent.id)
    )

    assert canceled.status == "canceled"


def test_a_paid_intent_cannot_be_canceled(stripe_gateway: StripeGateway, stripe_fake: StripeFake) -> None:
    intent = paid_intent(stripe_gateway, stripe_fake)

    with pytest.raises(GatewayError) as raised:
        stripe_gateway.cancel_payment_intent(
            account_id=TOWN_ACCOUNT, intent_id=intent.id, idempotency_key=idempotency_key("cancel", intent.id)
        )

    assert raised.value.code == "payment_intent_unexpected_state"
    assert stripe_fake.get(intent.id, account=TOWN_ACCOUNT)["status"] == "succeeded"


def test_partial_refunds_up_to_the_paid_amount(stripe_gateway: StripeGateway, stripe_fake: StripeFake) -> None:
    intent = paid_intent(stripe_gateway, stripe_fake, amount_cents=5_000)

    first = stripe_gateway.refund(
        account_id=TOWN_ACCOUNT,
        intent_id=intent.id,
        amount_cents=2_000,
        idempotency_key=idempotency_key("ville-a", "re", 1),
        metadata={"refund_id": "1"},
    )
    second = stripe_gateway.refund(
        account_id=TOWN_ACCOUNT,
        intent_id=intent.id,
        amount_cents=3_000,
        idempotency_key=idempotency_key("ville-a", "re", 2),
        metadata={"refund_id": "2"},
    )

    assert isinstance(first, RefundResult)
    assert (first.amount_cents, first.status) == (2_000, "succeeded")
    assert (second.amount_cents, second.status) == (3_000, "succeeded")
    charge = stripe_fake.charge_for(intent.id, account=TOWN_ACCOUNT)
    assert (charge["amount_refunded"], charge["refunded"]) == (5_000, True)


def test_refund_above_the_remaining_amount_is_refused(stripe_gateway: StripeGateway, stripe_fake: StripeFake) -> None:
    intent = paid_intent(stripe_gateway, stripe_fake, amount_cents=5_000)
    stripe_gateway.refund(
        account_id=TOWN_ACCOUNT,
        intent_id=intent.id,
        amount_cents=4_000,
        idempotency_key=idempotency_key("re", 1),
        metadata={},
    )

    with pytest.raises(GatewayError) as raised:
        stripe_gateway.refund(
            account_id=TOWN_ACCOUNT,
            intent_id=intent.id,
            amount_cents=1_001,
            idempotency_key=idempotency_key("re", 2),
            metadata={},
        )

    assert raised.value.code == "amount_too_large"
    assert raised.value.message == "Le montant dépasse le maximum autorisé pour cette opération."
    assert stripe_fake.charge_for(intent.id, account=TOWN_ACCOUNT)["amount_refunded"] == 4_000


def test_retried_refund_refunds_once(stripe_gateway: StripeGateway, stripe_fake: StripeFake) -> None:
    intent = paid_intent(stripe_gateway, stripe_fake)
    key = idempotency_key("ville-a", "re", 9)

    first = stripe_gateway.refund(
        account_id=TOWN_ACCOUNT, intent_id=intent.id, amount_cents=350, idempotency_key=key, metadata={}
    )
    again = stripe_gateway.refund(
        account_id=TOWN_ACCOUNT, intent_id=intent.id, amount_cents=350, idempotency_key=key, metadata={}
    )

    assert again == first
    assert stripe_fake.charge_for(intent.id, account=TOWN_ACCOUNT)["amount_refunded"] == 350


def test_refund_of_an_unpaid_intent_is_refused(stripe_gateway: StripeGateway) -> None:
    intent = create_intent(stripe_gateway)

    with pytest.raises(GatewayError) as raised:
        stripe_gateway.refund(
            account_id=TOWN_ACCOUNT,
            intent_id=intent.id,
            amount_cents=100,
            idempotency_key=idempotency_key("re", 3),
            metadata={},
        )

    assert raised.value.code == "charge_not_refundable"


def test_transfer_funded_by_the_order_charge(stripe_gateway: StripeGateway, stripe_fake: StripeFake) -> None:
    intent = stripe_gateway.create_payment_intent(
        account_id=None,
        amount_cents=10_000,
        currency="eur",
        idempotency_key=idempotency_key("ville-a", "pi", 8, 1),
        metadata={},
        transfer_group="ORDER-8",
    )
    stripe_fake.succeed(intent.id)
    charge_id = stripe_gateway.retrieve_payment_intent(account_id=None, intent_id=intent.id).latest_charge_id
    assert charge_id is not None
    stripe_fake.clear_requests()

    transfer = stripe_gateway.create_transfer(
        amount_cents=6_000,
        currency="eur",
        destination_account_id="acct_merchant_a",
        source_transaction=charge_id,
        transfer_group="ORDER-8",
        idempotency_key=idempotency_key("ville-a", "tr", 81),
    )

    assert isinstance(transfer, TransferResult)
    assert transfer.amount_cents == 6_000
    [request] = stripe_fake.requests
    assert request.stripe_account is None
    assert request.params == {
        "amount": "6000",
        "currency": "eur",
        "destination": "acct_merchant_a",
        "source_transaction": charge_id,
        "transfer_group": "ORDER-8",
    }
    assert stripe_fake.balance(account="acct_merchant_a") == (0, 6_000)


def test_transfer_without_source_needs_an_available_balance(stripe_gateway: StripeGateway) -> None:
    with pytest.raises(GatewayError) as raised:
        stripe_gateway.create_transfer(
            amount_cents=1_000,
            currency="eur",
            destination_account_id="acct_merchant_a",
            source_transaction=None,
            transfer_group=None,
            idempotency_key=idempotency_key("tr", 1),
        )

    assert raised.value.code == "balance_insufficient"


def test_payout_from_the_available_balance(stripe_gateway: StripeGateway, stripe_fake: StripeFake) -> None:
    paid_intent(stripe_gateway, stripe_fake, amount_cents=5_000)
    stripe_fake.release_pending(account=TOWN_ACCOUNT)

    payout = stripe_gateway.create_payout(
        account_id=TOWN_ACCOUNT,
        amount_cents=4_500,
        currency="eur",
        idempotency_key=idempotency_key("ville-a", "po", 3),
        metadata={"payout_line_id": "3"},
    )

    assert isinstance(payout, PayoutResult)
    assert (payout.amount_cents, payout.status) == (4_500, "pending")
    assert stripe_fake.requests[-1].stripe_account == TOWN_ACCOUNT
    assert stripe_fake.balance(account=TOWN_ACCOUNT) == (500, 0)


def test_payout_above_the_available_balance_is_refused(stripe_gateway: StripeGateway, stripe_fake: StripeFake) -> None:
    paid_intent(stripe_gateway, stripe_fake, amount_cents=5_000)

    with pytest.raises(GatewayError) as raised:
        stripe_gateway.create_payout(
            account_id=TOWN_ACCOUNT,
            amount_cents=100,
            currency="eur",
            idempotency_key=idempotency_key("po", 4),
            metadata={},
        )

    assert raised.value.code == "balance_insufficient"
    assert stripe_fake.balance(account=TOWN_ACCOUNT) == (0, 5_000)


def test_every_write_carries_our_key_and_the_town_account(
    stripe_gateway: StripeGateway, stripe_fake: StripeFake
) -> None:
    intent = paid_intent(stripe_gateway, stripe_fake)
    stripe_gateway.refund(
        account_id=TOWN_ACCOUNT, intent_id=intent.id, amount_cents=100, idempotency_key="comptoir:r", metadata={}
    )
    stripe_gateway.create_payment_intent(
        account_id=TOWN_ACCOUNT, amount_cents=100, currency="eur", idempotency_key="comptoir:p", metadata={}
    )

    posts = [request for request in stripe_fake.requests if request.method == "POST"]
    assert len(posts) == 3
    assert all(request.idempotency_key and request.idempotency_key.startswith("comptoir:") for request in posts)
    assert {request.stripe_account for request in stripe_fake.requests} == {TOWN_ACCOUNT}


def test_unknown_parameters_are_refused_by_the_fake(stripe_fake: StripeFake) -> None:
    client = stripe.StripeClient(FAKE_SECRET_KEY, base_addresses={"api": stripe_fake.url})

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.create({"amount": 100, "currency": "eur", "amuont": 1})  # type: ignore[typeddict-unknown-key]

    assert raised.value.code == "parameter_unknown"


def test_wrong_api_key_is_a_configuration_error(stripe_fake: StripeFake) -> None:
    gateway = StripeGateway(secret_key="sk_test_wrong", api_base=stripe_fake.url, webhook_secret="whsec_x")

    with pytest.raises(GatewayError) as raised:
        create_intent(gateway)

    assert raised.value.code == "configuration_error"


def test_events_signed_with_the_connect_endpoint_secret_are_accepted_too(stripe_gateway, settings):
    from payments.gateways.base import WebhookSignatureError
    from tests.checkout.stripe_fake import signed_webhook

    settings.STRIPE_CONNECT_WEBHOOK_SECRET = "whsec_connect_endpoint"
    event = {
        "id": "evt_connect_1",
        "object": "event",
        "type": "payout.paid",
        "account": "acct_commercant",
        "created": 1_764_000_000,
        "data": {"object": {"id": "po_1", "object": "payout", "amount": 4750, "currency": "eur", "status": "paid"}},
    }
    payload, header = signed_webhook(event, secret="whsec_connect_endpoint")

    parsed = stripe_gateway.parse_webhook(payload=payload, signature_header=header)

    assert (parsed.id, parsed.account_id, parsed.amount_cents) == ("evt_connect_1", "acct_commercant", 4750)
    wrong, wrong_header = signed_webhook(event, secret="whsec_autre_chose")
    with pytest.raises(WebhookSignatureError):
        stripe_gateway.parse_webhook(payload=wrong, signature_header=wrong_header)
