"""Checkout's after-commit events → ledger tasks, queued in the event's town.

A receiver never raises: it runs after checkout's transaction has committed, where an exception
would only turn a paid order into an error page. A posting that could not be queued is caught up
by the periodic ``settlement.release_due_merchant_orders`` task (post_missing_entries) and, failing
that, reported by the nightly check.
"""

from __future__ import annotations

import logging
from typing import Any

from django_tenants.utils import schema_context

logger = logging.getLogger(__name__)


def _queue(task: Any, schema: str, *args: Any) -> None:
    try:
        with schema_context(schema):
            task.apply_async(args=args)
    except Exception:
        logger.exception("settlement: could not queue %s%r in %s", task.name, args, schema)


def on_order_paid(sender: Any, order_id: int, schema: str, **kwargs: Any) -> None:
    from settlement.tasks import post_payment_captured_task

    _queue(post_payment_captured_task, schema, order_id)


def on_order_refunded(sender: Any, order_id: int, refund_id: int, schema: str, **kwargs: Any) -> None:
    from settlement.tasks import post_refund_task

    _queue(post_refund_task, schema, refund_id)


def on_merchant_order_handed_over(sender: Any, merchant_order_id: int, schema: str, **kwargs: Any) -> None:
    from settlement.tasks import release_merchant_order_task

    _queue(release_merchant_order_task, schema, merchant_order_id)


def on_payment_fee_known(sender: Any, order_id: int, schema: str, **kwargs: Any) -> None:
    from settlement.tasks import post_payment_fee_task

    _queue(post_payment_fee_task, schema, order_id)


def on_dispute_changed(sender: Any, order_id: int, dispute_id: str, schema: str, **kwargs: Any) -> None:
    # The task re-reads the dispute: signals may be handled out of order, the row's status is the truth.
    from settlement.tasks import post_order_dispute_task

    _queue(post_order_dispute_task, schema, dispute_id)
