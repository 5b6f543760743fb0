"""What Comptoir needs from a payment provider, independent of any provider (docs/architecture.md §4).

Amounts are integer cents. Every state-changing call takes *our* idempotency key, derived from our own
row ids, so a retry after a crash replays the provider's stored answer instead of charging twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class PaymentIntentResult:
    id: str
    client_secret: str
    amount_cents: int
    currency: str
    status: str
    metadata: dict[str, str]
    # Connect mode needs the charge as `source_transaction` of each merchant transfer.
    latest_charge_id: str | None = None
    # The provider's fee on the charge, from its balance transaction; None while unknown (or when
    # the gateway has no fees, like the test gateway). The balance transaction id keys its posting.
    fee_cents: int | None = None
    balance_transaction_id: str | None = None


@dataclass(frozen=True)
class RefundResult:
    id: str
    amount_cents: int
    status: str


@dataclass(frozen=True)
class TransferResult:
    id: str
    amount_cents: int


@dataclass(frozen=True)
class ReversalResult:
    id: str
    transfer_id: str
    amount_cents: int


@dataclass(frozen=True)
class PayoutResult:
    id: str
    amount_cents: int
    status: str


@dataclass(frozen=True)
class GatewayEvent:
    """A verified provider notification. It says *that* something happened; callers re-retrieve the
    PaymentIntent before acting, because events arrive late, twice, or out of order."""

    id: str
    type: str
    account_id: str | None
    # The PaymentIntent id whenever the object belongs to one (charges, refunds, disputes), so that
    # every payment-related event leads back to the order's intent; otherwise the object's own id.
    object_id: str
    amount_cents: int | None
    currency: str | None
    status: str | None
    created: int
    metadata: dict[str, str] = field(default_factory=dict)
    # Why a payout failed (`account_closed`, `no_account`, ...), for payout.failed events.
    failure_code: str | None = None
    # Disputes (`charge.dispute.*`): the dispute's own id (object_id is its PaymentIntent) and the
    # fees its balance transactions took (the provider's dispute fee).
    dispute_id: str | None = None
    fee_cents: int | None = None


class GatewayError(Exception):
    """A provider refusal or failure, with a French message that may be shown to the resident and a
    stable machine code (`card_declined`, `idempotency_error`, `network_error`, ...)."""

    def __init__(self, message: str, code: str, *, decline_code: str | None = None, is_retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.decline_code = decline_code
        # True when the outcome is unknown (network, 5xx, rate limit): retry later with the SAME key.
        self.is_retryable = is_retryable

    def __repr__(self) -> str:
        return f"GatewayError(code={self.code!r}, message={self.message!r})"


class WebhookSignatureError(Exception):
    """The notification cannot be proven to come from the provider: answer 400, store nothing."""


@runtime_checkable
class PaymentGateway(Protocol):
    kind: str
    is_test: bool
    publishable_key: str

    def create_payment_intent(
        self,
        *,
        account_id: str | None,
        amount_cents: int,
        currency: str,
        idempotency_key: str,
        metadata: dict[str, str],
        transfer_group: str | None = None,
    ) -> PaymentIntentResult: ...

    def retrieve_payment_intent(self, *, account_id: str | None, intent_id: str) -> PaymentIntentResult: ...

    def cancel_payment_intent(
        self, *, account_id: str | None, intent_id: str, idempotency_key: str
    ) -> PaymentIntentResult: ...

    def refund(
        self,
        *,
        account_id: str | None,
        intent_id: str,
        amount_cents: int,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> RefundResult: ...

    def create_transfer(
        self,
        *,
        amount_cents: int,
        currency: str,
        destination_account_id: str,
        source_transaction: str | None,
        transfer_group: str | None,
        idempotency_key: str,
    ) -> TransferResult: ...

    def reverse_transfer(self, *, transfer_id: str, amount_cents: int, idempotency_key: str) -> ReversalResult: ...

    def create_payout(
        self,
        *,
        account_id: str | None,
        amount_cents: int,
        currency: str,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> PayoutResult: ...

    def parse_webhook(self, *, payload: bytes, signature_header: str) -> GatewayEvent: ...


WEBHOOK_TOLERANCE_SECONDS = 300


def event_from_payload(data: dict) -> GatewayEvent:
    """Map a Stripe-shaped event dict (also produced by the test gateway) to a GatewayEvent.

    For `charge.refunded` the amount is the charge's cumulative `amount_refunded`, the figure a refund
    handler reconciles against; for other events it is the object's `amount`.
    """
    obj = data["data"]["object"]
    object_id = obj["id"] if obj.get("object") == "payment_intent" else (obj.get("payment_intent") or obj["id"])
    amount = obj.get("amount_refunded") if data["type"] == "charge.refunded" else obj.get("amount")
    is_dispute = obj.get("object") == "dispute"
    dispute_fees = [int(txn.get("fee") or 0) for txn in obj.get("balance_transactions") or [] if isinstance(txn, dict)]
    return GatewayEvent(
        id=str(data["id"]),
        type=str(data["type"]),
        account_id=data.get("account"),
        object_id=str(object_id),
        amount_cents=int(amount) if amount is not None else None,
        currency=obj.get("currency"),
        status=obj.get("status"),
        created=int(data["created"]),
        metadata={str(key): str(value) for key, value in (obj.get("metadata") or {}).items()},
        failure_code=obj.get("failure_code"),
        dispute_id=str(obj["id"]) if is_dispute else None,
        fee_cents=sum(dispute_fees) if is_dispute else None,
    )
