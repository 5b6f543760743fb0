"""Means of payment: how a resident pays an order.

Checkout asks a means of payment to take an order's money, to re-read where that stands, to cancel
what was not paid and to give money back; it never speaks to a gateway itself. Every call that
changes something takes *our* idempotency key, so a retry after a crash replays the first answer.

* ``Card`` — the only means today: one payment per order at the town's gateway (Stripe, or the
  demo gateway), made on the account the town's collector charges (the town's own connected
  account in a régie; the platform in Connect, grouped with the merchants' transfers it funds).
* Town vouchers (docs/architecture.md §3, docs/money.md §10) will be the second: held at checkout, captured when
  the order is paid, voided when it is not, given back by the programme's rules. A voucher means
  implements ``MeansOfPayment`` next to ``Card``, and an order paid partly by voucher and partly by
  card asks each of its means in turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from payments.collectors import Collector, collector_for
from payments.gateways import PaymentGateway, PaymentIntentResult, RefundResult, get_gateway

if TYPE_CHECKING:
    from tenants.models import Town


class MeansOfPayment(Protocol):
    """What checkout asks of a means of payment; amounts in cents, ids and keys are strings."""

    @property
    def kind(self) -> str:
        """Stored with each payment: which provider holds it ("stripe", "test" for the demo gateway)."""
        ...

    def start(
        self, *, order_id: int, amount_cents: int, currency: str, idempotency_key: str, metadata: dict[str, str]
    ) -> PaymentIntentResult:
        """Opens the payment of an order; the same key returns the same payment."""
        ...

    def retrieve(self, *, payment_id: str) -> PaymentIntentResult:
        """Where the payment stands now, as the provider says (never the browser)."""
        ...

    def cancel(self, *, payment_id: str, idempotency_key: str) -> PaymentIntentResult:
        """Cancels a payment not made yet, so that it can no longer succeed."""
        ...

    def refund(
        self, *, payment_id: str, amount_cents: int, idempotency_key: str, metadata: dict[str, str]
    ) -> RefundResult:
        """Gives part of a made payment back."""
        ...


@dataclass(frozen=True)
class Card:
    """The card, through the town's gateway, on the account the town's collector charges."""

    town: Town
    gateway: PaymentGateway
    collector: Collector

    @property
    def kind(self) -> str:
        return self.gateway.kind

    def start(
        self, *, order_id: int, amount_cents: int, currency: str, idempotency_key: str, metadata: dict[str, str]
    ) -> PaymentIntentResult:
        return self.gateway.create_payment_intent(
            account_id=self._account_id(),
            amount_cents=amount_cents,
            currency=currency,
            idempotency_key=idempotency_key,
            metadata=metadata,
            transfer_group=self.collector.transfer_group(schema=self.town.schema_name, order_id=order_id),
        )

    def retrieve(self, *, payment_id: str) -> PaymentIntentResult:
        return self.gateway.retrieve_payment_intent(account_id=self._account_id(), intent_id=payment_id)

    def cancel(self, *, payment_id: str, idempotency_key: str) -> PaymentIntentResult:
        return self.gateway.cancel_payment_intent(
            account_id=self._account_id(), intent_id=payment_id, idempotency_key=idempotency_key
        )

    def refund(
        self, *, payment_id: str, amount_cents: int, idempotency_key: str, metadata: dict[str, str]
    ) -> RefundResult:
        return self.gateway.refund(
            account_id=self._account_id(),
            intent_id=payment_id,
            amount_cents=amount_cents,
            idempotency_key=idempotency_key,
            metadata=metadata,
        )

    def _account_id(self) -> str | None:
        return self.collector.charge_account_id(self.town)


def card_of(town: Town) -> Card:
    """The town's card payments; ImproperlyConfigured when its gateway cannot be used."""
    return Card(town=town, gateway=get_gateway(town), collector=collector_for(town))
