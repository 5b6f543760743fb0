"""Checkout's outbox: an event is written only inside its change's transaction; processed events do not pile up."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from checkout.models import OutboxEvent
from checkout.outbox import ORDER_PAID, deliver_pending_events, emit, retry_delay


@pytest.mark.slow
def test_an_event_emitted_outside_a_transaction_is_refused_and_nothing_is_written(committed_town):
    # A real autocommit connection (the other tests run inside the test's transaction).
    with committed_town:
        with pytest.raises(RuntimeError, match="inside the transaction of its change"):
            emit(ORDER_PAID, order_id=1)
        assert not OutboxEvent.objects.exists()


def test_the_sweep_deletes_processed_events_after_thirty_days_and_never_a_pending_one(town_a):
    now = timezone.now()
    event = {"kind": ORDER_PAID, "subscriber": "settlement.ledger", "payload": {"order_id": 1}}
    with town_a:
        with time_machine.travel(now - dt.timedelta(days=31), tick=False):
            processed_long_ago = OutboxEvent.objects.create(**event, processed_at=timezone.now())
            # Still failing: waiting for its next attempt, it stays however old it is.
            pending = OutboxEvent.objects.create(**event, attempts=40, retry_after=now + dt.timedelta(hours=1))
        processed_recently = OutboxEvent.objects.create(**event, processed_at=now - dt.timedelta(days=29))

        assert deliver_pending_events(now=now) == 0

        assert set(OutboxEvent.objects.values_list("pk", flat=True)) == {pending.pk, processed_recently.pk}
        assert not OutboxEvent.objects.filter(pk=processed_long_ago.pk).exists()


def test_a_failing_event_waits_one_two_four_minutes_then_is_retried_every_hour_however_long_it_fails():
    assert [retry_delay(attempts).total_seconds() / 60 for attempts in (1, 2, 3, 6, 7, 8, 1_000, 32_767)] == [
        1,
        2,
        4,
        32,
        60,
        60,
        60,
        60,
    ]
