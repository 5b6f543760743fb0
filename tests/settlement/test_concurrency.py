"""The same event posted from several workers at once posts once (real commits, threads, a barrier)."""

from __future__ import annotations

from django.db import connection

from settlement.invariants import check_invariants
from settlement.ledger import balance, merchant_balances, post_entry
from settlement.models import JournalEntry, Posting
from settlement.rules import post_payment_captured
from tests.conftest import run_concurrently
from tests.settlement.factories import merchants, paid_order


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
