"""The same event posted from several workers at once posts once (real commits, threads, a barrier)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from checkout.actions import GATEWAY, mark_order_paid
from checkout.models import OutboxEvent
from checkout.outbox import deliver_event, deliver_pending_events
from settlement.ledger.actions import post_entry
from settlement.ledger.invariants import check_invariants
from settlement.ledger.models import JournalEntry, Posting
from settlement.ledger.queries import balance, merchant_balances
from settlement.ledger.receivers import LEDGER
from settlement.ledger.rules import post_payment_captured
from tests.checkout.conftest import basket_with, make_shop, order_from
from tests.conftest import run_concurrently
from tests.settlement.factories import merchants, paid_order

# Each test provisions a town whose writes really commit, then races threads in it.
pytestmark = pytest.mark.slow


def in_town(town, work):
    def run(index: int):
        connection.set_tenant(town)
        return work(index)

    return run


def test_a_capture_delivered_to_eight_workers_at_once_posts_once(committed_town):
    with committed_town:
        shop_a, shop_b = merchants(2)
        order = paid_order([(shop_a, 5000), (shop_b, 3000)])

    results = run_concurrently(8, in_town(committed_town, lambda _i: post_payment_captured(order_id=order.pk)))

    assert [type(result).__name__ for result in results].count("JournalEntry") == 1, results
    assert [result for result in results if result is not None and not isinstance(result, JournalEntry)] == []
    with committed_town:
        assert JournalEntry.objects.count() == 1
        assert Posting.objects.count() == 3
        assert merchant_balances(shop_a.pk) == (5000, 0)
        assert balance("psp_clearing") == 8000
        assert check_invariants() == []


def test_different_events_on_the_same_accounts_all_post_without_deadlock(committed_town):
    with committed_town:
        (shop,) = merchants(1)
    held = f"merchant:{shop.pk}:held"

    def post(index: int) -> JournalEntry | None:
        # Half the workers list the accounts in the opposite order: locks are still taken by id.
        lines = [("psp_clearing", 100), (held, -60), ("delivery_fees", -40)]
        return post_entry(
            source="test", external_id=str(index), description="Vente", lines=lines if index % 2 else lines[::-1]
        )

    results = run_concurrently(10, in_town(committed_town, post))

    assert all(isinstance(result, JournalEntry) for result in results), results
    with committed_town:
        assert balance("psp_clearing") == 1000
        assert merchant_balances(shop.pk) == (600, 0)
        assert balance("delivery_fees") == 400
        assert check_invariants() == []


@contextmanager
def killed_right_after_commit() -> Iterator[None]:
    """The block commits, then the process dies: none of its after-commit work (the hand-over) runs."""
    with transaction.atomic():
        yield
        connection.run_on_commit.clear()  # what a kill -9 between COMMIT and the callbacks leaves


def _paid_and_killed_before_the_hand_over(town, paid_at: dt.datetime):
    with town:
        shop = make_shop("Fromagerie", products=[("Comté", 1250, None)])
        order = order_from(basket_with([(shop["variants"][0], 2)]))
        with time_machine.travel(paid_at, tick=False), killed_right_after_commit():
            mark_order_paid(order_id=order.pk, amount_cents=2500, currency="EUR", actor=GATEWAY)
        assert JournalEntry.objects.count() == 0
        assert OutboxEvent.objects.filter(subscriber=LEDGER, processed_at=None).count() == 1
    return order, shop["merchant"]


def test_a_lost_event_delivered_by_eight_workers_at_once_is_processed_once(committed_town):
    _order, merchant = _paid_and_killed_before_the_hand_over(committed_town, timezone.now())
    with committed_town:
        event_id = OutboxEvent.objects.get(subscriber=LEDGER).pk

    results = run_concurrently(8, in_town(committed_town, lambda _i: deliver_event(event_id=event_id)))

    assert results.count("processed") == 1, results
    assert set(results) <= {"processed", "skipped", "already processed"}, results
    with committed_town:
        assert OutboxEvent.objects.get(subscriber=LEDGER).attempts == 1
        assert JournalEntry.objects.count() == 1
        assert merchant_balances(merchant.pk) == (2500, 0)


def test_a_payment_lost_after_commit_and_swept_by_four_workers_at_once_is_posted_once(committed_town):
    paid_at = timezone.now()
    order, merchant = _paid_and_killed_before_the_hand_over(committed_town, paid_at)

    with time_machine.travel(paid_at + dt.timedelta(minutes=2), tick=False):
        results = run_concurrently(4, in_town(committed_town, lambda _i: deliver_pending_events()))

    assert all(isinstance(result, int) for result in results), results
    with committed_town:
        assert [(entry.source, entry.external_id) for entry in JournalEntry.objects.all()] == [
            ("order_paid", str(order.pk))
        ]
        event = OutboxEvent.objects.get(subscriber=LEDGER)
        assert (event.processed_at, event.attempts) == (paid_at + dt.timedelta(minutes=2), 1)
        assert merchant_balances(merchant.pk) == (2500, 0)
        assert check_invariants() == []
