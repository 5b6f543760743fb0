"""Checkout's events → ledger postings, subscribed to checkout's outbox as ``settlement.ledger``.

Each handler runs in the transaction that marks its event processed (``checkout.outbox``), in the
event's town, so an event is posted exactly once even when the process dies mid-way: the posting
and the "processed" mark commit together, or neither does and the event is delivered again. The
postings are idempotent too (one entry per ``(source, external_id)``); a handler that raises leaves
the event pending, retried by checkout's sweep and reported by ``manage.py check_ledger``.
The periodic ``settlement.release_due_merchant_orders`` task still catches up postings missing for
any other reason (post_missing_entries), and releases what a handover could not release at once.
"""

from __future__ import annotations

from typing import Any

from checkout import outbox
from settlement.ledger.rules import (
    post_order_dispute,
    post_payment_captured,
    post_payment_fee,
    post_refund,
    release_merchant_order,
)

LEDGER = "settlement.ledger"


def post_order_paid(*, order_id: int, **payload: Any) -> None:
    post_payment_captured(order_id=order_id)


def post_order_refunded(*, refund_id: int, **payload: Any) -> None:
    post_refund(refund_id=refund_id)


def release_handed_over(*, merchant_order_id: int, **payload: Any) -> None:
    # Releases at once only when the town holds nothing (hold_days = 0); otherwise the periodic task does.
    release_merchant_order(merchant_order_id=merchant_order_id)


def post_fee_known(*, order_id: int, **payload: Any) -> None:
    post_payment_fee(order_id=order_id)


def post_dispute_changed(*, dispute_id: str, **payload: Any) -> None:
    # Re-reads the dispute: events may be processed out of order, the row's status is the truth.
    post_order_dispute(dispute_id=dispute_id)


def subscribe_to_checkout() -> None:
    """Called once from SettlementConfig.ready()."""
    outbox.subscribe(outbox.ORDER_PAID, subscriber=LEDGER, handler=post_order_paid)
    outbox.subscribe(outbox.ORDER_REFUNDED, subscriber=LEDGER, handler=post_order_refunded)
    outbox.subscribe(outbox.MERCHANT_ORDER_HANDED_OVER, subscriber=LEDGER, handler=release_handed_over)
    outbox.subscribe(outbox.PAYMENT_FEE_KNOWN, subscriber=LEDGER, handler=post_fee_known)
    outbox.subscribe(outbox.DISPUTE_CHANGED, subscriber=LEDGER, handler=post_dispute_changed)
