"""Orders built straight through the ORM for notification, ticket and desk tests (inside a town).

Independent of ``checkout.actions``: each row is written as the actions would leave it after payment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from catalog.models import Merchant
from checkout.models import (
    Fulfilment,
    MerchantOrder,
    MerchantOrderStatus,
    Order,
    OrderLine,
    OrderStatus,
    PaymentMethod,
)
from checkout.money import line_total_cents
from tests.catalog.factories import MerchantFactory


@dataclass(frozen=True)
class Line:
    title: str
    unit_price_cents: int
    quantity: Decimal = Decimal(1)
    unit: str = "piece"
    vat_rate: int = 550
    is_perishable: bool = False


def make_order(
    parts: Sequence[tuple[Merchant, Sequence[Line]]] | None = None,
    *,
    payment_method: str = PaymentMethod.CARD,
    delivery_fee_cents: int = 0,
    first_name: str = "Jeanne",
    email: str = "jeanne@exemple.fr",
    phone: str = "06 12 34 56 78",
    paid_at: dt.datetime | None = None,
    fulfilment: str = Fulfilment.COLLECT,
    pickup_code: str = "482913",
) -> Order:
    """A paid (or placed, pay in store) order, one MerchantOrder per (merchant, lines) part."""
    if parts is None:
        parts = [(MerchantFactory(name="Boulangerie Dupont"), [Line("Pain de campagne", 380, Decimal(2))])]
    now = timezone.now()
    paid_at = paid_at or now
    is_card = payment_method == PaymentMethod.CARD
    order = Order.objects.create(
        status=OrderStatus.PAID if is_card else OrderStatus.PLACED,
        payment_method=payment_method,
        first_name=first_name,
        last_name="Martin",
        email=email,
        phone=phone,
        terms_accepted_at=now,
        paid_at=paid_at if is_card else None,
        delivery_fee_cents=delivery_fee_cents,
        total_cents=delivery_fee_cents,
        **(
            {
                "delivery_zone_id": 1,
                "delivery_zone_name": "Centre",
                "delivery_address_label": "12 rue Royale",
                "delivery_postcode": "62100",
                "delivery_city": "Calais",
                "delivery_date": timezone.localdate(now),
            }
            if fulfilment == Fulfilment.DELIVERY
            else {}
        ),
    )
    items_total = 0
    for index, (merchant, lines) in enumerate(parts):
        part = MerchantOrder.objects.create(
            order=order,
            merchant=merchant,
            merchant_name=merchant.name,
            status=MerchantOrderStatus.PAID if is_card else MerchantOrderStatus.PLACED,
            fulfilment=fulfilment,
            pickup_starts_at=now + dt.timedelta(hours=2),
            pickup_ends_at=now + dt.timedelta(hours=3),
            pickup_code=pickup_code if index == 0 else f"{int(pickup_code) + index:06d}",
            paid_at=paid_at if is_card else None,
        )
        part_total = 0
        for line in lines:
            total = line_total_cents(unit_price_cents=line.unit_price_cents, quantity=line.quantity)
            OrderLine.objects.create(
                merchant_order=part,
                product_title=line.title,
                sku=f"SKU-{line.title[:20]}",
                unit=line.unit,
                quantity=line.quantity,
                unit_price_cents=line.unit_price_cents,
                vat_rate=line.vat_rate,
                total_cents=total,
                is_perishable=line.is_perishable,
            )
            part_total += total
        part.items_total_cents = part_total
        part.save(update_fields=["items_total_cents"])
        items_total += part_total
    order.items_total_cents = items_total
    order.total_cents = items_total + delivery_fee_cents
    order.save(update_fields=["items_total_cents", "total_cents"])
    return order
