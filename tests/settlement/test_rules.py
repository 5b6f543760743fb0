"""Posting rules (docs/money.md §4) with exact amounts: basket 100,00 € = A 50 + B 30 + C 20."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from settlement.ledger.accounts import LedgerError
from settlement.ledger.actions import post_entry
from settlement.ledger.models import JournalEntry, Release, SettlementPolicy
from settlement.ledger.queries import balance, merchant_balances
from settlement.ledger.rules import (
    commission_split,
    get_policy,
    post_dispute_lost,
    post_dispute_opened,
    post_dispute_won,
    post_missing_entries,
    post_payment_captured,
    post_psp_fee,
    post_refund,
    release_due_merchant_orders,
    release_merchant_order,
)
from tests.settlement.factories import hand_over, merchants, paid_order, refund

NOW = dt.datetime(2025, 3, 10, 9, 0, tzinfo=dt.UTC)


def lines_of(entry: JournalEntry) -> list[tuple[str, int]]:
    return list(entry.postings.values_list("account__code", "amount_cents"))


@pytest.fixture
def basket(town_a):
    """Paid order of 100,00 € plus 4,90 € delivery: A 50, B 30, C 20."""
    with town_a:
        shop_a, shop_b, shop_c = merchants(3)
        order = paid_order([(shop_a, 5000), (shop_b, 3000), (shop_c, 2000)], delivery_fee_cents=490)
        parts = {mo.merchant_id: mo for mo in order.merchant_orders.all()}
        yield {"order": order, "a": shop_a, "b": shop_b, "c": shop_c, "mo": parts}


def test_capture_debits_clearing_and_holds_each_merchants_share(basket):
    a, b, c = basket["a"].pk, basket["b"].pk, basket["c"].pk

    entry = post_payment_captured(order_id=basket["order"].pk)

    assert (entry.source, entry.external_id) == ("order_paid", str(basket["order"].pk))
    assert lines_of(entry) == [
        ("psp_clearing", 10490),
        (f"merchant:{a}:held", -5000),
        (f"merchant:{b}:held", -3000),
        (f"merchant:{c}:held", -2000),
        ("delivery_fees", -490),
    ]
    assert merchant_balances(a) == (5000, 0)
    assert balance("psp_clearing") == 10490
    assert balance("delivery_fees") == 490


def test_capture_credits_the_delivery_partner_when_the_town_says_so(basket):
    SettlementPolicy.objects.update_or_create(pk=1, defaults={"delivery_fee_recipient": "partner"})

    entry = post_payment_captured(order_id=basket["order"].pk)

    assert lines_of(entry)[-1] == ("delivery_partner_payable", -490)
    assert balance("delivery_partner_payable") == 490
    assert balance("delivery_fees") == 0


def test_capture_of_an_unpaid_order_is_refused(basket):
    basket["order"].__class__.objects.filter(pk=basket["order"].pk).update(status="pending_payment", paid_at=None)

    with pytest.raises(LedgerError, match="not a paid card order"):
        post_payment_captured(order_id=basket["order"].pk)

    assert JournalEntry.objects.count() == 0


def test_psp_fee_is_an_expense_taken_from_clearing(basket):
    post_payment_captured(order_id=basket["order"].pk)

    entry = post_psp_fee(order_id=basket["order"].pk, fee_cents=165, external_id="txn_1")
    replay = post_psp_fee(order_id=basket["order"].pk, fee_cents=165, external_id="txn_1")

    assert lines_of(entry) == [("psp_fees", 165), ("psp_clearing", -165)]
    assert replay is None
    assert balance("psp_clearing") == 10325
    assert balance("psp_fees") == 165


def test_default_policy_holds_two_days_without_commission(town_a):
    with town_a:
        policy = get_policy()

        assert (policy.hold_days, policy.commission_basis_points, policy.delivery_fee_recipient) == (2, 0, "town")
        assert (policy.payout_schedule, policy.minimum_payout_cents) == ("twice_monthly", 100)


def test_release_waits_for_the_hold_then_moves_held_to_available(basket):
    a = basket["a"].pk
    post_payment_captured(order_id=basket["order"].pk)
    hand_over(basket["mo"][a], NOW)

    assert release_due_merchant_orders(NOW + dt.timedelta(days=2) - dt.timedelta(seconds=1)) == 0
    assert release_due_merchant_orders(NOW + dt.timedelta(days=2)) == 1
    assert release_due_merchant_orders(NOW + dt.timedelta(days=3)) == 0  # released once

    release = Release.objects.get()
    assert (release.merchant_order_id, release.amount_cents, release.commission_cents) == (basket["mo"][a].pk, 5000, 0)
    assert lines_of(release.entry) == [(f"merchant:{a}:held", 5000), (f"merchant:{a}:available", -5000)]
    assert merchant_balances(a) == (0, 5000)
    assert merchant_balances(basket["b"].pk) == (3000, 0)  # not handed over: still held


def test_release_takes_the_commission_split_by_largest_remainder(basket):
    SettlementPolicy.objects.update_or_create(pk=1, defaults={"commission_basis_points": 500})
    b = basket["b"].pk
    post_payment_captured(order_id=basket["order"].pk)
    refund(basket["mo"][b], 1)  # 29,99 € left: 5 % = 149,95 c
    post_refund(refund_id=basket["mo"][b].refunds.get().pk)
    hand_over(basket["mo"][b], NOW)

    release = release_merchant_order(merchant_order_id=basket["mo"][b].pk, now=NOW + dt.timedelta(days=2))

    assert (release.amount_cents, release.commission_cents) == (2999, 150)
    assert lines_of(release.entry) == [
        (f"merchant:{b}:held", 2999),
        (f"merchant:{b}:available", -2849),
        ("commission", -150),
    ]
    assert merchant_balances(b) == (0, 2849)
    assert balance("commission") == 150


@pytest.mark.parametrize(
    ("amount", "basis_points", "expected"),
    [(5000, 500, (250, 4750)), (1, 500, (0, 1)), (19, 500, (1, 18)), (1, 10_000, (1, 0)), (999, 0, (0, 999))],
)
def test_commission_and_merchant_part_add_up_exactly(amount, basis_points, expected):
    assert commission_split(amount, basis_points) == expected
    assert sum(commission_split(amount, basis_points)) == amount


def test_release_waits_for_the_capture(basket):
    a = basket["a"].pk
    hand_over(basket["mo"][a], NOW)

    assert release_merchant_order(merchant_order_id=basket["mo"][a].pk, now=NOW + dt.timedelta(days=5)) is None
    assert Release.objects.count() == 0


def test_a_share_refunded_in_full_before_release_releases_nothing(basket):
    c = basket["c"].pk
    post_payment_captured(order_id=basket["order"].pk)
    post_refund(refund_id=refund(basket["mo"][c], 2000).pk)
    hand_over(basket["mo"][c], NOW)

    release = release_merchant_order(merchant_order_id=basket["mo"][c].pk, now=NOW + dt.timedelta(days=2))

    assert (release.amount_cents, release.entry) == (0, None)
    assert merchant_balances(c) == (0, 0)


def test_refund_before_release_comes_out_of_held(basket):
    b = basket["b"].pk
    post_payment_captured(order_id=basket["order"].pk)

    entry = post_refund(refund_id=refund(basket["mo"][b], 2000).pk)

    assert lines_of(entry) == [(f"merchant:{b}:held", 2000), ("psp_clearing", -2000)]
    assert merchant_balances(b) == (1000, 0)
    assert balance("psp_clearing") == 8490


def test_refund_after_release_comes_out_of_available(basket):
    b = basket["b"].pk
    post_payment_captured(order_id=basket["order"].pk)
    hand_over(basket["mo"][b], NOW)
    release_merchant_order(merchant_order_id=basket["mo"][b].pk, now=NOW + dt.timedelta(days=2))

    entry = post_refund(refund_id=refund(basket["mo"][b], 2000).pk)

    assert lines_of(entry) == [(f"merchant:{b}:available", 2000), ("psp_clearing", -2000)]
    assert merchant_balances(b) == (0, 1000)


def test_refund_after_payout_leaves_available_negative_to_net_next_time(basket):
    b = basket["b"].pk
    post_payment_captured(order_id=basket["order"].pk)
    hand_over(basket["mo"][b], NOW)
    release_merchant_order(merchant_order_id=basket["mo"][b].pk, now=NOW + dt.timedelta(days=2))
    # What a payout run posts for B's 30,00 € (docs/money.md §4, "payout batch prepared").
    post_entry(
        source="payout_line",
        external_id="1",
        description="Reversement",
        lines=[(f"merchant:{b}:available", 3000), ("payout_in_transit", -3000)],
    )

    post_refund(refund_id=refund(basket["mo"][b], 2000).pk)

    assert merchant_balances(b) == (0, -2000)


def test_refund_naming_no_merchant_is_parked_in_suspense(basket):
    entry = post_refund(refund_id=refund(None, 490, order=basket["order"]).pk)

    assert lines_of(entry) == [("suspense", 490), ("psp_clearing", -490)]


def test_a_refund_posts_once(basket):
    b = basket["b"].pk
    post_payment_captured(order_id=basket["order"].pk)
    created = refund(basket["mo"][b], 500)

    assert post_refund(refund_id=created.pk) is not None
    assert post_refund(refund_id=created.pk) is None
    assert merchant_balances(b) == (2500, 0)


def test_dispute_opened_then_won_gives_the_merchant_its_money_back_and_the_fee_stays_lost(basket):
    b = basket["b"].pk
    post_payment_captured(order_id=basket["order"].pk)

    opened = post_dispute_opened(dispute_id="dp_1", merchant_id=b, amount_cents=3000, fee_cents=1500)
    assert lines_of(opened) == [(f"merchant:{b}:available", 3000), ("psp_clearing", -4500), ("psp_fees", 1500)]
    assert merchant_balances(b) == (3000, -3000)

    won = post_dispute_won(dispute_id="dp_1", merchant_id=b, amount_cents=3000)
    assert lines_of(won) == [("psp_clearing", 3000), (f"merchant:{b}:available", -3000)]
    assert merchant_balances(b) == (3000, 0)
    assert balance("psp_clearing") == 10490 - 1500
    assert balance("psp_fees") == 1500


def test_dispute_lost_is_borne_by_the_merchant_or_taken_over_by_the_town(basket):
    b = basket["b"].pk
    post_dispute_opened(dispute_id="dp_1", merchant_id=b, amount_cents=3000)

    assert post_dispute_lost(dispute_id="dp_1", merchant_id=b, amount_cents=3000, is_borne_by_town=False) is None
    assert merchant_balances(b) == (0, -3000)

    lost = post_dispute_lost(dispute_id="dp_2", merchant_id=b, amount_cents=3000, is_borne_by_town=True)
    assert lines_of(lost) == [("dispute_losses", 3000), (f"merchant:{b}:available", -3000)]
    assert merchant_balances(b) == (0, 0)
    assert balance("dispute_losses") == 3000


def test_lost_events_are_caught_up_once(basket):
    b = basket["b"].pk
    refund(basket["mo"][b], 700)

    assert post_missing_entries() == 2
    assert post_missing_entries() == 0
    assert merchant_balances(b) == (2300, 0)
    assert balance("psp_clearing") == 10490 - 700


def test_now_defaults_to_the_clock(basket):
    a = basket["a"].pk
    post_payment_captured(order_id=basket["order"].pk)
    hand_over(basket["mo"][a], timezone.now() - dt.timedelta(days=3))

    assert release_due_merchant_orders() == 1
