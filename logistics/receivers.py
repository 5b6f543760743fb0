"""Checkout's events that concern deliveries (docs/architecture.md §1, the outbox)."""

from __future__ import annotations

from typing import Any

from checkout import outbox
from logistics.deliveries import sync_delivery

SUBSCRIBER = "logistics"


def on_order_paid(*, order_id: int, **_: Any) -> None:
    sync_delivery(order_id)


def on_order_refunded(*, order_id: int, **_: Any) -> None:
    sync_delivery(order_id)


def subscribe_to_checkout() -> None:
    """Called once from LogisticsConfig.ready()."""
    outbox.subscribe(outbox.ORDER_PAID, subscriber=SUBSCRIBER, handler=on_order_paid)
    outbox.subscribe(outbox.ORDER_REFUNDED, subscriber=SUBSCRIBER, handler=on_order_refunded)
