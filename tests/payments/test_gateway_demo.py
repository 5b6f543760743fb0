"""DemoGateway (demonstration towns) and the gateway choice per town."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from pytest_django.fixtures import Settings

from payments.gateways import (
    GatewayError,
    PaymentGateway,
    WebhookSignatureError,
    gateway_account_id,
    get_gateway,
    idempotency_key,
)
from payments.gateways.demo import DemoGateway
from payments.gateways.stripe import StripeGateway
from tenants.models import CollectorMode, PaymentGatewayKind, Town
from tests.checkout.stripe_fake import signed_webhook

ACCOUNT = "testacct_ville_a"


@pytest.fixture
def test_gateway(settings: Settings) -> Iterator[DemoGateway]:
    settings.ALLOW_TEST_GATEWAY = True
    cache.clear()
    yield DemoGateway()
    cache.clear()


def create(gateway: DemoGateway, *, key: str = "comptoir:pi-1", amount_cents: int = 2_350) -> str:
    return gateway.create_payment_intent(
        account_id=ACCOUNT, amount_cents=amount_cents, currency="EUR", idempotency_key=key, metadata={"order_id": "1"}
    ).id


def test_refused_when_test_gateway_is_not_allowed(settings: Settings) -> None:
    settings.ALLOW_TEST_GATEWAY = False

    with pytest.raises(ImproperlyConfigured, match="ALLOW_TEST_GATEWAY"):
        DemoGateway()


def test_refused_when_the_setting_is_absent(settings: Settings) -> None:
    del settings.ALLOW_TEST_GATEWAY

    with pytest.raises(ImproperlyConfigured):
        DemoGateway()


def test_is_a_labelled_test_gateway(test_gateway: DemoGateway) -> None:
    assert isinstance(test_gateway, PaymentGateway)
    assert (test_gateway.kind, test_gateway.is_test) == ("test", True)


def test_same_key_gives_the_same_intent(test_gateway: DemoGateway) -> None:
    first = create(test_gateway)

    again = create(test_gateway)

    assert again == first
    assert first.startswith("testpi_")
    assert len(first) == len("testpi_") + 24
    assert create(test_gateway, key="comptoir:pi-2") != first


def test_same_key_with_another_amount_is_refused(test_gateway: DemoGateway) -> None:
    create(test_gateway, amount_cents=2_350)

    with pytest.raises(GatewayError) as raised:
        create(test_gateway, amount_cents=100)

    assert raised.value.code == "idempotency_error"


def test_confirmed_payment_emits_a_verifiable_event(test_gateway: DemoGateway) -> None:
    intent_id = create(test_gateway)
    assert test_gateway.retrieve_payment_intent(account_id=ACCOUNT, intent_id=intent_id).status == (
        "requires_payment_method"
    )

    payload, header = test_gateway.confirm_payment(account_id=ACCOUNT, intent_id=intent_id)
    event = test_gateway.parse_webhook(payload=payload, signature_header=header)

    assert (event.type, event.object_id, event.amount_cents, event.account_id, event.metadata) == (
        "payment_intent.succeeded",
        intent_id,
        2_350,
        ACCOUNT,
        {"order_id": "1"},
    )
    retrieved = test_gateway.retrieve_payment_intent(account_id=ACCOUNT, intent_id=intent_id)
    assert (retrieved.status, retrieved.amount_cents) == ("succeeded", 2_350)


def test_failed_payment_leaves_the_intent_payable(test_gateway: DemoGateway) -> None:
    intent_id = create(test_gateway)

    payload, header = test_gateway.confirm_payment(account_id=ACCOUNT, intent_id=intent_id, is_successful=False)

    assert test_gateway.parse_webhook(payload=payload, signature_header=header).type == "payment_intent.payment_failed"
    assert test_gateway.retrieve_payment_intent(account_id=ACCOUNT, intent_id=intent_id).status == (
        "requires_payment_method"
    )


def test_altered_event_is_refused(test_gateway: DemoGateway) -> None:
    payload, header = test_gateway.confirm_payment(account_id=ACCOUNT, intent_id=create(test_gateway))

    with pytest.raises(WebhookSignatureError):
        test_gateway.parse_webhook(payload=payload.replace(b"2350", b"2351"), signature_header=header)


def test_event_older_than_five_minutes_is_refused(test_gateway: DemoGateway) -> None:
    with time_machine.travel(1_800_000_000, tick=False):
        payload, header = test_gateway.confirm_payment(account_id=ACCOUNT, intent_id=create(test_gateway))

    with time_machine.travel(1_800_000_301, tick=False), pytest.raises(WebhookSignatureError, match="tolerance"):
        test_gateway.parse_webhook(payload=payload, signature_header=header)


def test_unsigned_or_stripe_signed_events_are_refused(test_gateway: DemoGateway) -> None:
    payload, _header = test_gateway.confirm_payment(account_id=ACCOUNT, intent_id=create(test_gateway))
    _payload, stripe_header = signed_webhook({"id": "evt_1"}, secret="whsec_x")

    for header in ("", stripe_header, "forged:1:abc"):
        with pytest.raises(WebhookSignatureError):
            test_gateway.parse_webhook(payload=payload, signature_header=header)


def test_an_event_signed_in_one_town_is_refused_by_another(
    test_gateway: DemoGateway, town_a: Town, town_b: Town
) -> None:
    with town_a:
        payload, header = test_gateway.confirm_payment(account_id=ACCOUNT, intent_id=create(test_gateway))
        assert test_gateway.parse_webhook(payload=payload, signature_header=header).type == "payment_intent.succeeded"

    with town_b, pytest.raises(WebhookSignatureError, match="bad signature"):
        test_gateway.parse_webhook(payload=payload, signature_header=header)


def test_intent_state_signed_in_one_town_is_refused_by_another(
    test_gateway: DemoGateway, town_a: Town, town_b: Town
) -> None:
    """Even copied into the other town's cache, a town's signed demo state does not verify there."""
    with town_a:
        intent_id = create(test_gateway)
        signed_state = cache.get(test_gateway._cache_key(ACCOUNT, intent_id))
    with town_b:
        cache.set(test_gateway._cache_key(ACCOUNT, intent_id), signed_state)

        with pytest.raises(GatewayError) as raised:
            test_gateway.retrieve_payment_intent(account_id=ACCOUNT, intent_id=intent_id)

    assert raised.value.code == "resource_missing"


def test_another_account_cannot_see_the_intent(test_gateway: DemoGateway) -> None:
    intent_id = create(test_gateway)

    with pytest.raises(GatewayError) as raised:
        test_gateway.retrieve_payment_intent(account_id="testacct_ville_b", intent_id=intent_id)

    assert raised.value.code == "resource_missing"


def test_refunds_are_bounded_by_the_paid_amount(test_gateway: DemoGateway) -> None:
    intent_id = create(test_gateway)
    test_gateway.confirm_payment(account_id=ACCOUNT, intent_id=intent_id)

    refund = test_gateway.refund(
        account_id=ACCOUNT, intent_id=intent_id, amount_cents=2_000, idempotency_key="comptoir:re-1", metadata={}
    )
    replay = test_gateway.refund(
        account_id=ACCOUNT, intent_id=intent_id, amount_cents=2_000, idempotency_key="comptoir:re-1", metadata={}
    )
    with pytest.raises(GatewayError) as raised:
        test_gateway.refund(
            account_id=ACCOUNT, intent_id=intent_id, amount_cents=351, idempotency_key="comptoir:re-2", metadata={}
        )

    assert replay == refund
    assert (refund.amount_cents, refund.status) == (2_000, "succeeded")
    assert raised.value.code == "amount_too_large"
    payload, header = test_gateway.signed_event(account_id=ACCOUNT, intent_id=intent_id, event_type="charge.refunded")
    event = test_gateway.parse_webhook(payload=payload, signature_header=header)
    assert (event.object_id, event.amount_cents) == (intent_id, 2_000)


def test_cancel_then_confirm_is_refused(test_gateway: DemoGateway) -> None:
    intent_id = create(test_gateway)

    canceled = test_gateway.cancel_payment_intent(account_id=ACCOUNT, intent_id=intent_id, idempotency_key="k")

    assert canceled.status == "canceled"
    with pytest.raises(GatewayError) as raised:
        test_gateway.confirm_payment(account_id=ACCOUNT, intent_id=intent_id)
    assert raised.value.code == "payment_intent_unexpected_state"


def test_transfers_and_payouts_are_deterministic(test_gateway: DemoGateway) -> None:
    transfer = test_gateway.create_transfer(
        amount_cents=500,
        currency="eur",
        destination_account_id="acct_m",
        source_transaction=None,
        transfer_group=None,
        idempotency_key="comptoir:tr",
    )
    payout = test_gateway.create_payout(
        account_id=ACCOUNT, amount_cents=700, currency="eur", idempotency_key="comptoir:po", metadata={}
    )

    assert transfer.id.startswith("testtr_")
    assert (payout.amount_cents, payout.status) == (700, "paid")
    assert (
        payout.id
        == test_gateway.create_payout(
            account_id=ACCOUNT, amount_cents=700, currency="eur", idempotency_key="comptoir:po", metadata={}
        ).id
    )


def town(**fields: object) -> Town:
    defaults: dict[str, object] = {
        "slug": "ville-x",
        "schema_name": "ville_x",
        "payment_gateway": PaymentGatewayKind.STRIPE,
        "collector_mode": CollectorMode.REGIE,
        "stripe_account_id": "acct_ville_x",
    }
    return Town(**(defaults | fields))


def test_get_gateway_follows_the_town_setting(settings: Settings) -> None:
    settings.ALLOW_TEST_GATEWAY = True
    settings.STRIPE_SECRET_KEY = "sk_test_x"

    assert isinstance(get_gateway(town()), StripeGateway)
    assert isinstance(get_gateway(town(payment_gateway=PaymentGatewayKind.TEST)), DemoGateway)
    with pytest.raises(ImproperlyConfigured):
        get_gateway(town(payment_gateway="paypal"))


def test_account_is_the_town_in_regie_and_the_platform_in_connect_mode() -> None:
    assert gateway_account_id(town()) == "acct_ville_x"
    assert gateway_account_id(town(collector_mode=CollectorMode.CONNECT)) is None
    assert gateway_account_id(town(payment_gateway=PaymentGatewayKind.TEST)) == "testacct_ville_x"
    with pytest.raises(ImproperlyConfigured):
        gateway_account_id(town(stripe_account_id=None))


def test_idempotency_key_is_deterministic_bounded_and_unambiguous() -> None:
    key = idempotency_key("ville-a", "pi", 42, 1)

    assert key == idempotency_key("ville-a", "pi", 42, 1)
    assert key.startswith("comptoir:")
    assert len(key) <= 255
    assert idempotency_key("a:b", "c") != idempotency_key("a", "b:c")
    assert idempotency_key("ville-a", "pi", 42, 2) != key
