"""StripeGateway.parse_webhook: only a body signed with our secret, unchanged, and recent, is an event."""

from __future__ import annotations

import json
import time

import pytest

from payments.gateways import GatewayEvent, WebhookSignatureError
from payments.gateways.stripe import StripeGateway
from tests.checkout import stripe_fixtures
from tests.checkout.stripe_fake import StripeFake, signed_webhook
from tests.checkout.stripe_fixtures import FAKE_WEBHOOK_SECRET, TOWN_ACCOUNT

# Fixtures shared with other checkout tests (see stripe_fixtures.py).
stripe_fake = stripe_fixtures.stripe_fake
stripe_fake_server = stripe_fixtures.stripe_fake_server
stripe_gateway = stripe_fixtures.stripe_gateway


@pytest.fixture
def succeeded_event(stripe_gateway: StripeGateway, stripe_fake: StripeFake) -> dict:
    intent = stripe_gateway.create_payment_intent(
        account_id=TOWN_ACCOUNT,
        amount_cents=2_350,
        currency="eur",
        idempotency_key="comptoir:webhook-test",
        metadata={"order_id": "42"},
    )
    stripe_fake.succeed(intent.id, account=TOWN_ACCOUNT)
    return stripe_fake.last_event("payment_intent.succeeded", account=TOWN_ACCOUNT)


def test_valid_event_is_parsed(stripe_gateway: StripeGateway, succeeded_event: dict) -> None:
    payload, header = signed_webhook(succeeded_event, secret=FAKE_WEBHOOK_SECRET)

    event = stripe_gateway.parse_webhook(payload=payload, signature_header=header)

    intent = succeeded_event["data"]["object"]
    assert event == GatewayEvent(
        id=succeeded_event["id"],
        type="payment_intent.succeeded",
        account_id=TOWN_ACCOUNT,
        object_id=intent["id"],
        amount_cents=2_350,
        currency="eur",
        status="succeeded",
        created=succeeded_event["created"],
        metadata={"order_id": "42"},
    )


# Named cases: pytest-xdist's workers must collect the same ids, and the timestamp changes each second.
@pytest.mark.parametrize(
    "header",
    ["", "t=abc,v1=00", "v1=deadbeef", f"t={int(time.time())}", "t=1,v0=abc"],
    ids=["empty", "timestamp-not-a-number", "no-timestamp", "no-signature", "unknown-scheme"],
)
def test_missing_or_malformed_signature_is_refused(
    stripe_gateway: StripeGateway, succeeded_event: dict, header: str
) -> None:
    payload, _header = signed_webhook(succeeded_event, secret=FAKE_WEBHOOK_SECRET)

    with pytest.raises(WebhookSignatureError):
        stripe_gateway.parse_webhook(payload=payload, signature_header=header)


def test_event_signed_with_another_secret_is_refused(stripe_gateway: StripeGateway, succeeded_event: dict) -> None:
    payload, header = signed_webhook(succeeded_event, secret="whsec_someone_else")

    with pytest.raises(WebhookSignatureError):
        stripe_gateway.parse_webhook(payload=payload, signature_header=header)


def test_payload_altered_after_signing_is_refused(stripe_gateway: StripeGateway, succeeded_event: dict) -> None:
    payload, header = signed_webhook(succeeded_event, secret=FAKE_WEBHOOK_SECRET)
    altered = payload.replace(b'"amount": 2350', b'"amount": 2351', 1)
    assert altered != payload

    with pytest.raises(WebhookSignatureError):
        stripe_gateway.parse_webhook(payload=altered, signature_header=header)


def test_re_serialised_json_is_refused_because_only_the_raw_body_is_signed(
    stripe_gateway: StripeGateway, succeeded_event: dict
) -> None:
    payload, header = signed_webhook(succeeded_event, secret=FAKE_WEBHOOK_SECRET)
    re_serialised = json.dumps(json.loads(payload)).encode()

    with pytest.raises(WebhookSignatureError):
        stripe_gateway.parse_webhook(payload=re_serialised, signature_header=header)


def test_event_older_than_five_minutes_is_refused(stripe_gateway: StripeGateway, succeeded_event: dict) -> None:
    payload, header = signed_webhook(succeeded_event, secret=FAKE_WEBHOOK_SECRET, timestamp=int(time.time()) - 301)

    with pytest.raises(WebhookSignatureError, match="tolerance"):
        stripe_gateway.parse_webhook(payload=payload, signature_header=header)


def test_event_just_under_five_minutes_old_is_accepted(stripe_gateway: StripeGateway, succeeded_event: dict) -> None:
    payload, header = signed_webhook(succeeded_event, secret=FAKE_WEBHOOK_SECRET, timestamp=int(time.time()) - 290)

    assert stripe_gateway.parse_webhook(payload=payload, signature_header=header).id == succeeded_event["id"]


def test_event_signed_far_in_the_future_is_refused(stripe_gateway: StripeGateway, succeeded_event: dict) -> None:
    payload, header = signed_webhook(succeeded_event, secret=FAKE_WEBHOOK_SECRET, timestamp=int(time.time()) + 3_600)

    with pytest.raises(WebhookSignatureError, match="tolerance"):
        stripe_gateway.parse_webhook(payload=payload, signature_header=header)


def test_one_matching_signature_among_several_is_enough_during_secret_rotation(
    stripe_gateway: StripeGateway, succeeded_event: dict
) -> None:
    payload, header = signed_webhook(succeeded_event, secret=FAKE_WEBHOOK_SECRET)
    rotated = header.replace(",v1=", ",v1=" + "0" * 64 + ",v1=")

    assert stripe_gateway.parse_webhook(payload=payload, signature_header=rotated).id == succeeded_event["id"]


def test_charge_refunded_leads_back_to_the_payment_intent(
    stripe_gateway: StripeGateway, stripe_fake: StripeFake, succeeded_event: dict
) -> None:
    intent_id = succeeded_event["data"]["object"]["id"]
    stripe_gateway.refund(
        account_id=TOWN_ACCOUNT, intent_id=intent_id, amount_cents=350, idempotency_key="comptoir:r1", metadata={}
    )
    charge_event = stripe_fake.last_event("charge.refunded", account=TOWN_ACCOUNT)
    payload, header = signed_webhook(charge_event, secret=FAKE_WEBHOOK_SECRET)

    event = stripe_gateway.parse_webhook(payload=payload, signature_header=header)

    assert (event.type, event.object_id, event.amount_cents, event.account_id) == (
        "charge.refunded",
        intent_id,
        350,
        TOWN_ACCOUNT,
    )


def test_dispute_leads_back_to_the_payment_intent(
    stripe_gateway: StripeGateway, stripe_fake: StripeFake, succeeded_event: dict
) -> None:
    intent_id = succeeded_event["data"]["object"]["id"]
    dispute = {
        "id": "dp_1",
        "object": "dispute",
        "amount": 2_350,
        "currency": "eur",
        "charge": stripe_fake.charge_for(intent_id, account=TOWN_ACCOUNT)["id"],
        "payment_intent": intent_id,
        "reason": "fraudulent",
        "status": "needs_response",
        "metadata": {},
    }
    payload, header = signed_webhook(
        stripe_fake.make_event("charge.dispute.created", dispute, TOWN_ACCOUNT), secret=FAKE_WEBHOOK_SECRET
    )

    event = stripe_gateway.parse_webhook(payload=payload, signature_header=header)

    assert (event.object_id, event.amount_cents, event.status) == (intent_id, 2_350, "needs_response")


def test_payout_event_keeps_the_payout_id(stripe_gateway: StripeGateway, stripe_fake: StripeFake) -> None:
    stripe_fake.set_available_balance(1_000, account=TOWN_ACCOUNT)
    payout = stripe_gateway.create_payout(
        account_id=TOWN_ACCOUNT, amount_cents=1_000, currency="eur", idempotency_key="comptoir:po", metadata={}
    )
    stripe_fake.settle_payout(payout.id, account=TOWN_ACCOUNT)
    payload, header = signed_webhook(
        stripe_fake.last_event("payout.paid", account=TOWN_ACCOUNT), secret=FAKE_WEBHOOK_SECRET
    )

    event = stripe_gateway.parse_webhook(payload=payload, signature_header=header)

    assert (event.type, event.object_id, event.status, event.amount_cents) == ("payout.paid", payout.id, "paid", 1_000)


def test_platform_event_has_no_account(stripe_gateway: StripeGateway, stripe_fake: StripeFake) -> None:
    event_dict = stripe_fake.make_event("transfer.created", {"id": "tr_1", "object": "transfer", "amount": 5})
    payload, header = signed_webhook(event_dict, secret=FAKE_WEBHOOK_SECRET)

    event = stripe_gateway.parse_webhook(payload=payload, signature_header=header)

    assert (event.account_id, event.object_id, event.metadata) == (None, "tr_1", {})


def test_signed_body_that_is_not_an_event_is_refused(stripe_gateway: StripeGateway) -> None:
    payload, header = signed_webhook({"hello": "world"}, secret=FAKE_WEBHOOK_SECRET)

    with pytest.raises(WebhookSignatureError, match="not a Stripe event"):
        stripe_gateway.parse_webhook(payload=payload, signature_header=header)
