"""Periodic order work, run by beat in every town (config.beat.TownScheduler)."""

from __future__ import annotations

from celery import shared_task

from tenants.tasks import TownTask


@shared_task(name="checkout.expire_unpaid_orders", base=TownTask)
def expire_unpaid_orders_task() -> int:
    """Releases stock and delivery capacity of orders left unpaid past the timeout."""
    from checkout.actions import expire_unpaid_orders

    return expire_unpaid_orders()
