"""Background work of checkout, run in the town that queued it: notifications, events for the apps above.

Beat entries (settings.CELERY_BEAT_SCHEDULE, run per town by tenant-schemas-celery's scheduler):
``"send-pending-notifications": {"task": "checkout.send_pending_notifications", "schedule": 60.0}``,
``"deliver-pending-events": {"task": "checkout.deliver_pending_events", "schedule": 60.0}``,
``"send-waiting-orders-summaries": {"task": "checkout.send_waiting_orders_summaries", "schedule":
crontab(minute="0,30")}`` (acts between 8 h and noon in the town's clock).
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from tenants.tasks import TownTask


@shared_task(name="checkout.send_notification", base=TownTask, bind=True, acks_late=True)
def send_notification_task(self: Any, notification_id: int) -> str:
    """Send one notification; on failure retry with exponential backoff until it is marked failed."""
    from checkout.notifications import deliver_notification

    outcome = deliver_notification(notification_id=notification_id)
    # Eager mode (no broker: development, tests) cannot wait; the attempts follow one another at
    # once, and still stop at MAX_ATTEMPTS because the count lives in the database row.
    while outcome.retry_in is not None and self.request.is_eager:
        outcome = deliver_notification(notification_id=notification_id)
    if outcome.retry_in is not None:
        # The attempt count is in the row, not in Celery's retries: a resend starts again at zero.
        raise self.retry(countdown=outcome.retry_in, max_retries=None)
    return outcome.status


@shared_task(name="checkout.send_pending_notifications", base=TownTask)
def send_pending_notifications_task() -> int:
    """Hand over the notifications left pending (broker down when queued, worker lost mid-retries)."""
    from checkout.notifications import hand_over_to_workers, notification_ids_to_sweep

    notification_ids = notification_ids_to_sweep()
    hand_over_to_workers(notification_ids)
    return len(notification_ids)


@shared_task(name="checkout.expire_unpaid_orders", base=TownTask)
def expire_unpaid_orders_task() -> int:
    """Releases stock and delivery capacity of orders left unpaid past the timeout, and the stock of
    pay-in-store orders not collected in time."""
    from checkout.actions import expire_uncollected_orders, expire_unpaid_orders

    # Pay-in-store orders nobody came for, checked on the same beat (a cheap indexed query).
    expire_uncollected_orders()
    return expire_unpaid_orders()


@shared_task(name="checkout.deliver_event", base=TownTask, acks_late=True)
def deliver_event_task(event_id: int) -> str:
    """Processes one outbox event with its subscriber's handler, once (a redelivery is a no-op)."""
    from checkout.outbox import deliver_event

    return deliver_event(event_id=event_id)


@shared_task(name="checkout.deliver_pending_events", base=TownTask)
def deliver_pending_events_task() -> int:
    """Hands over again the outbox events left pending (process killed after commit, broker down, failure)."""
    from checkout.outbox import deliver_pending_events

    return deliver_pending_events()


@shared_task(name="checkout.send_waiting_orders_summaries", base=TownTask)
def send_waiting_orders_summaries_task() -> int:
    """Once the town's morning comes, records and sends today's summaries of orders waiting for
    acceptance (once per merchant and day); later runs of the day retry the unsent ones."""
    from checkout.notifications.waiting import queue_waiting_orders_summaries

    return queue_waiting_orders_summaries()


@shared_task(name="checkout.send_waiting_orders_summary", base=TownTask, acks_late=True)
def send_waiting_orders_summary_task(summary_id: int) -> str:
    """Sends one merchant's summary, each channel at most once (a redelivery is a no-op)."""
    from checkout.notifications.waiting import deliver_waiting_orders_summary

    return deliver_waiting_orders_summary(summary_id=summary_id).status
