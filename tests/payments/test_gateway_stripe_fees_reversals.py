"""The Stripe gateway against the fake: the charge's fee on a retrieved intent, transfer reversals."""

from __future__ import annotations

import pytest

from payments.gateways import GatewayError, idempotency_key
from payments.gateways.base import ReversalResult
from payments.gateways.demo import DemoGateway
from payments.gateways.stripe import StripeGateway
from tests.checkout import stripe_fixtures
from tests.checkout.stripe_fake import StripeFake, card_fee_cents
from tests.checkout.stripe_fixtures import TOWN_ACCOUNT

stripe_fake = stripe_fixtures.stripe_fake
stripe_fake_server = stripe_fixtures.stripe_fake_server
stripe_gateway = stripe_fixtures.stripe_gateway

PLATFORM_CONNECTED = "acct_boulangerie"


def create_intent(gateway: StripeGateway, *, amount_cents: int, account_id: str | None = TOWN_ACCOUNT) -> str:
    return gateway.create_payment_intent(
        account_id=account_id,
        amount_cents=amount_cents,
        currency="EUR",
        idempotency_key=idempotency_key("ville-a", "pi", amount_cents),
        metadata={"town": "ville_a"},
    ).id


def test_the_fake_charges_european_cards_one_point_four_percent_plus_25_cents() -> None:
    assert [card_fee_cents(amount) for amount in (50, 1_390, 2_350, 10_000)] == [26, 44, 58, 165]


def test_a_retrieved_paid_intent_carries_the_fee_of_its_charge_balance_transaction(
    stripe_gateway: StripeGateway, stripe_fake: StripeFake
) -> None:
    intent_id = create_intent(stripe_gateway, amount_cents=2_350)
    assert stripe_gateway.retrieve_payment_intent(account_id=TOWN_ACCOUNT, intent_id=intent_id).fee_cents is None

    stripe_fake.succeed(intent_id, account=TOWN_ACCOUNT)
    intent = stripe_gateway.retrieve_payment_intent(account_id=TOWN_ACCOUNT, intent_id=intent_id)

    charge = stripe_fake.charge_for(intent_id, account=TOWN_ACCOUNT)
    assert (intent.latest_charge_id, intent.fee_cents, intent.balance_transaction_id) == (
        charge["id"],
        58,  # 1.4 % of 23,50 € = 32.9 → 33, + 25
        charge["balance_transaction"],
    )
    retrieve = stripe_fake.requests[-1]
    assert (retrieve.method, retrieve.params) == ("GET", {"expand": ["latest_charge.balance_transaction"]})


def test_the_test_gateway_reports_no_fee() -> None:
    gateway = DemoGateway()
    intent = gateway.create_payment_intent(
        account_id="testacct_a", amount_cents=1_000, currency="eur", idempotency_key="k-fee", metadata={}
    )
    assert gateway.retrieve_payment_intent(account_id="testacct_a", intent_id=intent.id).fee_cents is None


@pytest.fixture
def transfer_id(stripe_gateway: StripeGateway, stripe_fake: StripeFake) -> str:
    """475 cents transferred from a platform charge of 1 390 to the bakery's connected account."""
    intent_id = create_intent(stripe_gateway, amount_cents=1_390, account_id=None)
    stripe_fake.succeed(intent_id)
    return stripe_gateway.create_transfer(
        amount_cents=475,
        currency="eur",
        destination_account_id=PLATFORM_CONNECTED,
        source_transaction=stripe_fake.charge_for(intent_id)["id"],
        transfer_group="order-ville_a-1",
        idempotency_key="comptoir:tr-1",
    ).id


def test_a_reversal_takes_money_back_from_the_connected_account_once_per_key(
    stripe_gateway: StripeGateway, stripe_fake: StripeFake, transfer_id: str
) -> None:
    first = stripe_gateway.reverse_transfer(transfer_id=transfer_id, amount_cents=200, idempotency_key="comptoir:r-1")
    replay = stripe_gateway.reverse_transfer(transfer_id=transfer_id, amount_cents=200, idempotency_key="comptoir:r-1")

    assert isinstance(first, ReversalResult)
    assert (first.transfer_id, first.amount_cents) == (transfer_id, 200)
    assert replay == first
    assert stripe_fake.get(transfer_id)["amount_reversed"] == 200
    assert stripe_fake.balance(account=PLATFORM_CONNECTED) == (0, 275)
    reversal_posts = [r for r in stripe_fake.requests if r.path == f"/v1/transfers/{transfer_id}/reversals"]
    assert [(r.params, r.idempotency_key, r.is_replay) for r in reversal_posts] == [
        ({"amount": "200"}, "comptoir:r-1", False),
        ({"amount": "200"}, "comptoir:r-1", True),
    ]


def test_a_reversal_above_what_is_left_of_the_transfer_is_refused(
    stripe_gateway: StripeGateway, stripe_fake: StripeFake, transfer_id: str
) -> None:
    stripe_gateway.reverse_transfer(transfer_id=transfer_id, amount_cents=400, idempotency_key="comptoir:r-1")

    with pytest.raises(GatewayError) as refused:
        stripe_gateway.reverse_transfer(transfer_id=transfer_id, amount_cents=76, idempotency_key="comptoir:r-2")

    assert (refused.value.code, refused.value.is_retryable) == ("amount_too_large", False)
    assert stripe_fake.get(transfer_id)["amount_reversed"] == 400
    assert stripe_fake.balance(account=PLATFORM_CONNECTED) == (0, 75)


def test_a_reversal_is_refused_when_the_connected_account_was_paid_out(
    stripe_gateway: StripeGateway, stripe_fake: StripeFake, transfer_id: str
) -> None:
    stripe_fake.empty_balance(account=PLATFORM_CONNECTED)

    with pytest.raises(GatewayError) as refused:
        stripe_gateway.reverse_transfer(transfer_id=transfer_id, amount_cents=200, idempotency_key="comptoir:r-1")

    assert (refused.value.code, refused.value.is_retryable) == ("balance_insufficient", False)
    assert stripe_fake.get(transfer_id)["amount_reversed"] == 0
