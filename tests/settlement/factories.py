"""Ledger test data: paid orders written straight to the tables (use inside a town: ``with town_a:``).

Exact-amount rule tests need orders of 50,00 €, 30,00 € and 20,00 € without going through baskets
and stock; the integration tests in test_events.py build theirs through checkout's real actions.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from django.db.models import F
from django.utils import timezone

from catalog.models import Merchant
from checkout.models import MerchantOrder, MerchantOrderStatus, Order, OrderStatus, PaymentMethod, Refund
from tests.catalog.factories import MerchantFactory


def merchants(count: int) -> list[Merchant]:
    return [MerchantFactory(name=f"Commerçant {i}") for i in range(count)]


def paid_order(shares: Sequence[tuple[Merchant, int]], *, delivery_fee_cents: int = 0) -> Order:
    """A card order already paid: one merchant order per (merchant, items total in cents)."""
    now = timezone.now()
    items = sum(amount for _merchant, amount in shares)
    order = Order.objects.create(
        status=OrderStatus.PAID,
        payment_method=PaymentMethod.CARD,
        first_name="Jeanne",
        last_name="Martin",
        email="jeanne@exemple.fr",
        phone="0612345678",
        terms_accepted_at=now,
        items_total_cents=items,
        delivery_fee_cents=delivery_fee_cents,
        total_cents=items + delivery_fee_cents,
        paid_at=now,
    )
    for merchant, amount in shares:
        MerchantOrder.objects.create(
            order=order,
            merchant=merchant,
            merchant_name=merchant.name,
            status=MerchantOrderStatus.PAID,
            fulfilment="collect",
            pickup_code="123456",
            items_total_cents=amount,
            paid_at=now,
        )
    return order


def refund(merchant_order: MerchantOrder | None, amount_cents: int, *, order: Order | None = None) -> Refund:
    """A refund as checkout records it (the gateway already paid it back)."""
    order = order or merchant_order.order
    created = Refund.objects.create(
        order=order,
        merchant_order=merchant_order,
        amount_cents=amount_cents,
        reason="Remboursement",
        idempotency_key=str(uuid.uuid4()),
    )
    Order.objects.filter(pk=order.pk).update(refunded_cents=F("refunded_cents") + amount_cents)
    if merchant_order is not None:
        MerchantOrder.objects.filter(pk=merchant_order.pk).update(refunded_cents=F("refunded_cents") + amount_cents)
    return created


def hand_over(merchant_order: MerchantOrder, at: dt.datetime) -> None:
    MerchantOrder.objects.filter(pk=merchant_order.pk).update(status=MerchantOrderStatus.COLLECTED, handed_over_at=at)
