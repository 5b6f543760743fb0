"""Payout runs (docs/money.md §6): lines at the cut-off snapshot, blocked merchants, one batch per period."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import Role
from settlement.ledger.invariants import check_invariants
from settlement.ledger.models import JournalEntry
from settlement.ledger.queries import balance, merchant_balances
from settlement.payouts.guards import PayoutError
from settlement.payouts.models import PayoutBatch, PayoutBatchState, PayoutBlock, PayoutLine
from settlement.payouts.runs import PAYOUT_BATCH, run_payout
from tests.settlement.payout_factories import make_available, payable_merchant, set_treasury, town_user

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(autouse=True)
def in_town_a(town_a):
    with town_a:
        yield town_a


def at(day: int, hour: int = 0, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=PARIS)


def blocks_of(batch: PayoutBatch) -> list[tuple[str, str, int]]:
    return [
        (block.merchant.name, block.reason, block.amount_cents) for block in batch.blocks.select_related("merchant")
    ]


def lines_of(batch: PayoutBatch) -> list[tuple[str, int, str]]:
    return [(line.merchant.name, line.amount_cents, line.status) for line in batch.lines.select_related("merchant")]


def test_a_run_pays_each_payable_merchant_its_available_balance_and_lists_the_others(town_a):
    # Given merchants in every situation the run must tell apart
    agent = town_user()
    paid_a, paid_b = payable_merchant("Boulangerie"), payable_merchant("Fromagerie")
    no_iban = payable_merchant("Sans IBAN", account=False)
    no_agreement = payable_merchant("Sans convention", agreement=False)
    blocked = payable_merchant("Bloqué", blocked=True)
    small = payable_merchant("Petit")
    negative = payable_merchant("Négatif")
    zero = payable_merchant("Zéro")
    make_available(paid_a, 4750)
    make_available(paid_b, 12_345)
    make_available(no_iban, 1000)
    make_available(no_agreement, 2000)
    make_available(blocked, 3000)
    make_available(small, 99)  # the default minimum is 1,00 €
    make_available(negative, 500)
    make_available(negative, -1500)
    make_available(zero, 800)
    make_available(zero, -800)

    # When the run happens after the cut-off
    run = run_payout(cut_off=timezone.now(), actor=agent)

    # Then one line per payable merchant, at the exact amount, and the rest listed with a reason
    batch = run.batch
    assert run.created is True
    assert batch.state == PayoutBatchState.DRAFT
    assert lines_of(batch) == [("Boulangerie", 4750, "pending"), ("Fromagerie", 12_345, "pending")]
    assert (batch.total_cents, batch.line_count) == (17_095, 2)
    assert sorted(blocks_of(batch)) == [
        ("Bloqué", "blocked", 3000),
        ("Négatif", "negative", -1000),
        ("Petit", "below_minimum", 99),
        ("Sans IBAN", "no_account", 1000),
        ("Sans convention", "no_agreement", 2000),
    ]
    line = batch.lines.get(merchant=paid_a)
    assert line.iban == paid_a.payout_account.iban
    assert line.holder_name == "Boulangerie"
    assert line.end_to_end_id == f"PL{line.pk}"
    # and the money moved from available to payout_in_transit in one entry
    entry = JournalEntry.objects.get(source=PAYOUT_BATCH, external_id=str(batch.pk))
    assert batch.entry == entry
    assert sorted(entry.postings.values_list("amount_cents", flat=True)) == [-17_095, 4750, 12_345]
    assert merchant_balances(paid_a.pk) == (0, 0)
    assert merchant_balances(paid_b.pk) == (0, 0)
    assert merchant_balances(no_iban.pk) == (0, 1000)
    assert merchant_balances(negative.pk) == (0, -1000)
    assert balance("payout_in_transit") == -17_095
    assert check_invariants() == []


def test_the_same_period_run_twice_returns_the_first_batch_and_posts_nothing_more(town_a):
    agent = town_user()
    shop = payable_merchant()
    make_available(shop, 2500)
    cut_off = timezone.now()
    first = run_payout(cut_off=cut_off, actor=agent)
    make_available(shop, 700)  # after the cut-off: for the next period

    second = run_payout(cut_off=cut_off, actor=town_user())

    assert second.created is False
    assert second.batch.pk == first.batch.pk
    assert PayoutBatch.objects.count() == 1
    assert PayoutLine.objects.get().amount_cents == 2500
    assert JournalEntry.objects.filter(source=PAYOUT_BATCH).count() == 1
    assert merchant_balances(shop.pk) == (0, 700)


def test_the_unique_period_constraint_refuses_a_second_live_batch(town_a):
    PayoutBatch.objects.create(period_key="2026-12-01", cut_off=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        PayoutBatch.objects.create(period_key="2026-12-01", cut_off=timezone.now())


def test_amounts_are_taken_at_the_cut_off_snapshot(town_a):
    # Given money made available before the cut-off, then a sale released and a refund after it
    shop, other = payable_merchant("Avant"), payable_merchant("Remboursé")
    make_available(shop, 5000)
    make_available(other, 3000)
    cut_off = timezone.now()
    make_available(shop, 1200)  # released after the cut-off: next period
    make_available(other, -1000)  # refunded after the cut-off: netted now, never paid twice

    batch = run_payout(cut_off=cut_off, actor=town_user()).batch

    assert lines_of(batch) == [("Avant", 5000, "pending"), ("Remboursé", 2000, "pending")]
    assert merchant_balances(shop.pk) == (0, 1200)
    assert merchant_balances(other.pk) == (0, 0)


def test_a_refund_after_payout_is_carried_forward_and_netted_at_the_next_run(town_a):
    shop = payable_merchant("Caviste")
    with time_machine.travel(at(10, 12), tick=False):
        make_available(shop, 6000)
    with time_machine.travel(at(16, 8), tick=False):
        first = run_payout(cut_off=at(16), actor=town_user()).batch
        assert lines_of(first) == [("Caviste", 6000, "pending")]
        # A refund of 20,00 € after the payout: the merchant now owes the town 20,00 €
        make_available(shop, -2000)
    with time_machine.travel(at(1, 8, month=4), tick=False):
        second = run_payout(cut_off=at(1, month=4), actor=town_user()).batch
        assert second.state == PayoutBatchState.EMPTY
        assert blocks_of(second) == [("Caviste", "negative", -2000)]
        make_available(shop, 5000)
    # New sales of 50,00 € are netted: the next transfer is 30,00 €, never a negative line
    with time_machine.travel(at(16, 8, month=4), tick=False):
        third = run_payout(cut_off=at(16, month=4), actor=None).batch
    assert third.period_key == "2026-04-16"
    assert lines_of(third) == [("Caviste", 3000, "pending")]
    assert merchant_balances(shop.pk) == (0, 0)
    assert check_invariants() == []


def test_a_batch_prepared_late_is_not_paid_again_by_the_next_period(town_a):
    # Given the 1 April run only made after the 16 April cut-off (the scheduler was down)
    shop = payable_merchant("Épicerie")
    with time_machine.travel(at(20, 12), tick=False):
        make_available(shop, 4000)
    with time_machine.travel(at(17, 9, month=4), tick=False):
        late = run_payout(cut_off=at(1, month=4), actor=None).batch
        # When the 16 April period runs after it
        next_batch = run_payout(cut_off=at(16, month=4), actor=None).batch
    # Then the money is paid once
    assert lines_of(late) == [("Épicerie", 4000, "pending")]
    assert next_batch.state == PayoutBatchState.EMPTY


def test_a_cut_off_in_the_future_is_refused(town_a):
    with pytest.raises(PayoutError, match="futur"):
        run_payout(cut_off=timezone.now() + dt.timedelta(minutes=5), actor=town_user())
    assert PayoutBatch.objects.count() == 0


def test_a_merchant_staff_user_cannot_run_a_payout(town_a):
    with pytest.raises(PayoutError):
        run_payout(cut_off=timezone.now(), actor=town_user(Role.MERCHANT_STAFF))
    assert PayoutBatch.objects.count() == 0


def test_nothing_to_pay_makes_an_empty_batch_that_still_counts_as_run(town_a):
    run = run_payout(cut_off=timezone.now(), actor=town_user())
    assert run.batch.state == PayoutBatchState.EMPTY
    assert (run.batch.total_cents, run.batch.line_count, run.batch.entry) == (0, 0, None)
    assert PayoutBlock.objects.count() == 0
    assert connection.schema_name == "v_ville_a"


def test_a_negative_balance_is_carried_forward_and_a_zero_or_negative_line_cannot_exist(town_a):
    with town_a:
        set_treasury()
        owing, paid = payable_merchant("Doit de l'argent"), payable_merchant("Payé")
        make_available(owing, -1250)
        make_available(paid, 1000)
        batch = run_payout(cut_off=timezone.now(), actor=town_user()).batch
        assert list(batch.lines.values_list("merchant_id", "amount_cents")) == [(paid.pk, 1000)]
        assert list(batch.blocks.values_list("merchant_id", "reason", "amount_cents")) == [
            (owing.pk, "negative", -1250)
        ]
        line = batch.lines.get()
        for amount in (0, -1):
            with pytest.raises(IntegrityError), transaction.atomic():
                PayoutLine.objects.filter(pk=line.pk).update(amount_cents=amount)
