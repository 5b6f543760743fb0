"""Checkout's events for the apps above it, delivered at least once and processed once (an outbox).

A lower app never imports a higher one (docs/architecture.md §1): when a state change here calls for work
there (an order is paid → post it to the ledger), the action calls ``emit`` inside its own
transaction. ``emit`` writes one ``OutboxEvent`` row per app subscribed to that kind, so the event
commits — or rolls back — with the change that caused it. After commit each row is handed to a
worker (``checkout.deliver_event``), which runs the subscriber's handler and marks the row processed
in one transaction. If the process dies between the commit and that transaction (killed, broker
down, handler error), the row stays pending and the ``checkout.deliver_pending_events`` sweep
(beat, every minute in every town) hands it over again. Handlers must be idempotent: an event may
be delivered twice (only one delivery commits, the row being locked while it is processed).

Higher apps subscribe from their ``AppConfig.ready()`` with ``subscribe(kind, subscriber=…,
handler=…)``: a registry in code, never a setting naming a class. The handler receives the payload
as keyword arguments (ids and amounts, never model instances: it re-reads what it needs). The events:

- ``order_paid(order_id)``: the card payment is confirmed.
- ``order_placed(order_id)``: a pay-in-store order is confirmed.
- ``order_refunded(order_id, refund_id, amount_cents)``: money went back to the resident.
- ``merchant_order_handed_over(merchant_order_id)``: collected or delivered (hold policy starts).
- ``payment_fee_known(order_id, fee_cents, balance_transaction_id)``: the provider's fee on a paid
  order's charge (emitted on each confirmation of the payment; the balance transaction id is unique).
- ``dispute_changed(order_id, dispute_id, status, amount_cents, fee_cents)``: a chargeback was
  opened or decided (``dispute_id`` is the provider's; emitted once per new status of the dispute).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_tenants.utils import schema_context

from checkout.models import OutboxEvent
from tenants.connection import connection

logger = logging.getLogger(__name__)

ORDER_PAID = "order_paid"
ORDER_PLACED = "order_placed"
ORDER_REFUNDED = "order_refunded"
MERCHANT_ORDER_HANDED_OVER = "merchant_order_handed_over"
PAYMENT_FEE_KNOWN = "payment_fee_known"
DISPUTE_CHANGED = "dispute_changed"
KINDS = frozenset(
    {ORDER_PAID, ORDER_PLACED, ORDER_REFUNDED, MERCHANT_ORDER_HANDED_OVER, PAYMENT_FEE_KNOWN, DISPUTE_CHANGED}
)

# The sweep leaves a fresh event to the hand-over queued at its commit, and an event it handed
# over itself to the worker it went to, for this long before handing it over again.
SWEEP_FRESH_AFTER = dt.timedelta(minutes=1)
SWEEP_REDELIVER_AFTER = dt.timedelta(minutes=5)
SWEEP_BATCH = 500
# After the n-th failed attempt an event waits 1, 2, 4… minutes, at most an hour, and is retried
# until it succeeds: it stays visible as waiting (manage.py check_ledger) meanwhile.
FIRST_RETRY_DELAY = dt.timedelta(minutes=1)
LONGEST_RETRY_DELAY = dt.timedelta(hours=1)
# Processed events are kept this long (to answer "was it delivered?"), then deleted by the sweep.
KEEP_PROCESSED = dt.timedelta(days=30)

Handler = Callable[..., object]
_handlers: dict[str, dict[str, Handler]] = {}


def subscribe(kind: str, *, subscriber: str, handler: Handler) -> None:
    """Registers ``handler(**payload)`` for one kind of event; called once per process by the higher app.

    ``subscriber`` names the app's delivery (it is stored on each event row); subscribing the same
    name again replaces the handler.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown checkout event {kind!r}")
    _handlers.setdefault(kind, {})[subscriber] = handler


def emit(kind: str, **payload: Any) -> list[int]:
    """Writes the event for each subscriber in the caller's transaction and hands it over after commit.

    Returns the ids of the rows written (none when no app subscribes to this kind).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown checkout event {kind!r}")
    if not transaction.get_connection().in_atomic_block:
        # Outside a transaction the change would commit without its event: the guarantee is gone.
        raise RuntimeError(f"checkout event {kind} must be emitted inside the transaction of its change")
    subscribers = sorted(_handlers.get(kind, {}))
    if not subscribers:
        return []
    events = OutboxEvent.objects.bulk_create(
        [OutboxEvent(kind=kind, subscriber=subscriber, payload=payload) for subscriber in subscribers]
    )
    event_ids = [event.pk for event in events]
    # robust: whatever happens while handing over, the caller's (committed) change is unaffected.
    transaction.on_commit(partial(hand_over, event_ids, schema=connection.schema_name), robust=True)
    return event_ids


def hand_over(event_ids: Sequence[int], *, schema: str) -> None:
    """Queues one delivery task per event in its town; a broker outage is logged and left to the sweep."""
    from checkout.tasks import deliver_event_task

    for event_id in event_ids:
        try:
            with schema_context(schema):
                deliver_event_task.apply_async(args=(event_id,))
        except Exception as error:  # kombu.OperationalError, a database error in eager mode…
            logger.warning("checkout event %s in %s not handed over (the sweep will): %r", event_id, schema, error)


def retry_delay(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8… minutes after the n-th failed attempt, at most an hour."""
    # The exponent is capped before multiplying: 2 ** 45 minutes no longer fits in a timedelta.
    return min(FIRST_RETRY_DELAY * 2 ** min(max(attempts - 1, 0), 10), LONGEST_RETRY_DELAY)


def deliver_event(*, event_id: int) -> str:
    """Runs the subscriber's handler and marks the event processed in the same transaction (once).

    Returns what happened: ``processed``, ``failed`` (recorded on the row, retried by the sweep),
    ``already processed``, or ``skipped`` (another worker holds the row right now).
    """
    with transaction.atomic():
        # skip_locked: a worker holding the row is processing it; waiting for it would only find it done.
        event = OutboxEvent.objects.select_for_update(skip_locked=True).filter(pk=event_id).first()
        if event is None:
            return "skipped"
        if event.processed_at is not None:
            return "already processed"
        now = timezone.now()
        event.attempts += 1
        try:
            handler = _handlers.get(event.kind, {}).get(event.subscriber)
            if handler is None:
                raise LookupError(f"no handler subscribed as {event.subscriber!r} to {event.kind!r}")
            # A savepoint: a handler's database error must not poison the bookkeeping below.
            with transaction.atomic():
                handler(**event.payload)
        except Exception as error:
            event.last_error = f"{type(error).__name__}: {error}"[:500]
            event.retry_after = now + retry_delay(event.attempts)
            event.save(update_fields=["attempts", "last_error", "retry_after"])
            # The traceback once, at the first failure; later attempts only say they failed again.
            logger.warning(
                "checkout event %s (%s → %s) attempt %s failed: %s",
                event.pk,
                event.kind,
                event.subscriber,
                event.attempts,
                event.last_error,
                exc_info=event.attempts == 1,
            )
            return "failed"
        event.processed_at, event.last_error = now, ""
        event.save(update_fields=["attempts", "processed_at", "last_error"])
        return "processed"


def pending_events(*, subscriber: str | None = None) -> QuerySet[OutboxEvent]:
    """Events not processed yet, oldest first (of one subscriber when named)."""
    events = OutboxEvent.objects.filter(processed_at__isnull=True)
    if subscriber is not None:
        events = events.filter(subscriber=subscriber)
    return events.order_by("created_at", "pk")


def deliver_pending_events(*, now: dt.datetime | None = None) -> int:
    """Hands over again the events still pending (lost hand-over, crashed worker, failed attempt whose
    backoff has run) and deletes old processed ones; returns how many were handed over."""
    now = now or timezone.now()
    due = pending_events().filter(created_at__lte=now - SWEEP_FRESH_AFTER)
    due = due.filter(Q(retry_after__isnull=True) | Q(retry_after__lte=now))
    event_ids = list(due.values_list("pk", flat=True)[:SWEEP_BATCH])
    if event_ids:
        # Not handed over again each minute while a busy worker still has them queued.
        OutboxEvent.objects.filter(pk__in=event_ids, processed_at__isnull=True).update(
            retry_after=now + SWEEP_REDELIVER_AFTER
        )
        hand_over(event_ids, schema=connection.schema_name)
    OutboxEvent.objects.filter(processed_at__lt=now - KEEP_PROCESSED).delete()
    return len(event_ids)
