"""The ledger's invariants (docs/money.md §5), checked nightly and by ``manage.py check_ledger``.

The database already refuses unbalanced entries and edits; these checks catch what it cannot see
(a stored balance changed by hand, a capture never posted) and prove the guards still hold.
Problems are reported in English, one sentence each, for the operators' alerts.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db import connection
from django.db.models import CharField, Exists, OuterRef
from django.db.models.functions import Cast
from django.utils import timezone

from checkout.outbox import ORDER_PAID as ORDER_PAID_EVENT
from checkout.outbox import pending_events
from settlement.ledger.accounts import PSP_CLEARING
from settlement.ledger.models import JournalEntry, Posting
from settlement.ledger.receivers import LEDGER
from settlement.ledger.rules import ORDER_PAID, paid_orders
from settlement.payouts.models import ConnectTransfer, ConnectTransferStatus, PayoutLine

# More checks (payout runs, SEPA batches) register here as the settlement app grows.
EXTRA_CHECKS: list[Callable[[], list[str]]] = []


def _unbalanced_entries() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.id, e.source, e.external_id, COALESCE(SUM(p.amount_cents), 0), COUNT(p.id) "
            "FROM settlement_journalentry e LEFT JOIN settlement_posting p ON p.entry_id = e.id "
            "GROUP BY e.id HAVING COALESCE(SUM(p.amount_cents), 0) <> 0 OR COUNT(p.id) < 2 ORDER BY e.id"
        )
        return [
            f"entry {pk} ({source}:{external_id}) does not balance: sum {total}, {count} postings"
            for pk, source, external_id, total, count in cursor.fetchall()
        ]


def _ledger_total() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(SUM(balance_cents), 0) FROM settlement_account")
        (total,) = cursor.fetchone()
    return [] if total == 0 else [f"the sum of all account balances is {total}, not 0"]


def _stored_balances() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.code, a.balance_cents, COALESCE(SUM(p.amount_cents), 0) AS posted "
            "FROM settlement_account a LEFT JOIN settlement_posting p ON p.account_id = a.id "
            "GROUP BY a.id HAVING a.balance_cents <> COALESCE(SUM(p.amount_cents), 0) ORDER BY a.code"
        )
        return [
            f"account {code}: stored balance {stored} differs from its postings {posted}"
            for code, stored, posted in cursor.fetchall()
        ]


def _captures() -> list[str]:
    problems = []
    captured = JournalEntry.objects.filter(source=ORDER_PAID, external_id=Cast(OuterRef("pk"), CharField()))
    # A capture whose event still waits in checkout's outbox is on its way (reported by
    # _events_waiting_too_long if it stays there), not missing.
    waiting = {
        payload.get("order_id")
        for payload in pending_events(subscriber=LEDGER).filter(kind=ORDER_PAID_EVENT).values_list("payload", flat=True)
    }
    for order_id in paid_orders().exclude(Exists(captured)).order_by("pk").values_list("pk", flat=True):
        if order_id not in waiting:
            problems.append(f"paid order {order_id} has no capture entry")
    totals = dict(paid_orders().values_list("pk", "total_cents"))
    debits = Posting.objects.filter(entry__source=ORDER_PAID, account__code=PSP_CLEARING).values_list(
        "entry__external_id", "amount_cents"
    )
    for external_id, amount in debits:
        expected = totals.get(int(external_id))
        if expected is None:
            problems.append(f"capture entry for order {external_id}, which is not a paid card order")
        elif amount != expected:
            problems.append(f"capture of order {external_id} is {amount}, the order total is {expected}")
    return problems


def _payout_lines() -> list[str]:
    # The payout run lives in this app but arrives later: checked as soon as its model exists.
    try:
        payout_line = apps.get_model("settlement", "PayoutLine")
    except LookupError:
        return []
    problems = [
        f"payout line {pk} has amount {amount} ≤ 0"
        for pk, amount in payout_line.objects.filter(amount_cents__lte=0).values_list("pk", "amount_cents")
    ]
    return problems + _payout_batches()


def _payout_batches() -> list[str]:
    """Each batch's total is the sum of its lines; once no line is pending (or the batch was
    cancelled) its movements through payout_in_transit net to zero (docs/money.md §5, invariant 5)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT b.id, b.total_cents, COALESCE(SUM(l.amount_cents), 0), COUNT(l.id), b.line_count "
            "FROM settlement_payoutbatch b LEFT JOIN settlement_payoutline l ON l.batch_id = b.id "
            "GROUP BY b.id HAVING b.total_cents <> COALESCE(SUM(l.amount_cents), 0) OR b.line_count <> COUNT(l.id) "
            "ORDER BY b.id"
        )
        problems = [
            f"payout batch {pk}: total {total} ({line_count} lines) differs from its lines {lines_total} ({count})"
            for pk, total, lines_total, count, line_count in cursor.fetchall()
        ]
        cursor.execute(
            """
            WITH resolved AS (
                SELECT b.id, b.entry_id FROM settlement_payoutbatch b
                WHERE b.state = 'cancelled' OR (b.entry_id IS NOT NULL AND NOT EXISTS (
                    SELECT 1 FROM settlement_payoutline l WHERE l.batch_id = b.id AND l.status = 'pending'))
            ), entries AS (
                SELECT r.id AS batch_id, e.id AS entry_id FROM resolved r
                JOIN settlement_journalentry e ON e.id = r.entry_id OR e.reverses_id = r.entry_id
                UNION ALL
                SELECT r.id, e.id FROM resolved r
                JOIN settlement_payoutline l ON l.batch_id = r.id
                JOIN settlement_journalentry e
                  ON e.source IN ('payout_executed', 'payout_returned') AND e.external_id = l.id::text
            )
            SELECT entries.batch_id, SUM(p.amount_cents) FROM entries
            JOIN settlement_posting p ON p.entry_id = entries.entry_id
            JOIN settlement_account a ON a.id = p.account_id AND a.code = 'payout_in_transit'
            GROUP BY entries.batch_id HAVING SUM(p.amount_cents) <> 0 ORDER BY entries.batch_id
            """
        )
        problems += [
            f"payout batch {pk}: payout_in_transit left at {amount} although no line is pending"
            for pk, amount in cursor.fetchall()
        ]
    return problems


def _connect_stuck() -> list[str]:
    """Connect towns: a transfer or a Stripe payout still not made a day later needs a person."""
    day_ago = timezone.now() - dt.timedelta(days=1)
    stuck_transfers = ConnectTransfer.objects.exclude(status=ConnectTransferStatus.TRANSFERRED).filter(
        created_at__lt=day_ago
    )
    problems = [
        f"connect transfer {pk} of merchant order {merchant_order_id} not made after a day: {error}"
        for pk, merchant_order_id, error in stuck_transfers.values_list("pk", "merchant_order_id", "last_error")
    ]
    stuck_lines = PayoutLine.objects.filter(
        status="pending", stripe_payout_id="", batch__exported_at__lt=day_ago
    ).exclude(stripe_account_id="")
    problems += [
        f"payout line {pk} exported a day ago has no Stripe payout: {error}"
        for pk, error in stuck_lines.values_list("pk", "payout_error")
    ]
    return problems


# A SEPA transfer shows on the treasury's statement within a couple of business days; a week later
# something went wrong (file never sent, statement never imported, transfer lost).
IN_TRANSIT_ALERT_DAYS = 7


def _in_transit_too_long() -> list[str]:
    """Transfers of an exported batch still not seen on a bank statement a week after execution."""
    late = timezone.localdate() - dt.timedelta(days=IN_TRANSIT_ALERT_DAYS)
    lines = (
        PayoutLine.objects.filter(status="pending", stripe_account_id="", batch__execution_date__lt=late)
        .values_list("batch_id", "batch__execution_date")
        .order_by("batch_id")
    )
    return [
        f"payout batch {batch_id}: {count} transfer(s) executed on {execution_date} still in transit "
        f"(not seen on a bank statement after {IN_TRANSIT_ALERT_DAYS} days)"
        for (batch_id, execution_date), count in Counter(lines).items()
    ]


# An event of checkout reaches the ledger within seconds of its commit; a lost hand-over is caught
# up by the sweep within two minutes, a failing one retried at 1, 2, 4, 8 minutes. Still waiting after
# a quarter of an hour, it needs a person (no worker or beat running, or a posting that keeps failing).
OUTBOX_ALERT_AFTER = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Backlog:
    """Checkout's events not yet processed by the ledger: how many, and since when the oldest waits."""

    count: int
    oldest_created_at: dt.datetime | None


def ledger_backlog() -> Backlog:
    """The current town's events waiting for the ledger (checkout's outbox)."""
    events = pending_events(subscriber=LEDGER)
    return Backlog(count=events.count(), oldest_created_at=events.values_list("created_at", flat=True).first())


def _events_waiting_too_long() -> list[str]:
    late = pending_events(subscriber=LEDGER).filter(created_at__lt=timezone.now() - OUTBOX_ALERT_AFTER)
    oldest = late.first()
    if oldest is None:
        return []
    minutes = int(OUTBOX_ALERT_AFTER.total_seconds() // 60)
    return [
        f"{late.count()} checkout event(s) waiting for the ledger for more than {minutes} minutes; "
        f"oldest: {oldest.kind} {json.dumps(oldest.payload, sort_keys=True)} since "
        f"{oldest.created_at:%Y-%m-%d %H:%M:%S} UTC, {oldest.attempts} attempt(s), "
        f"last error: {oldest.last_error or 'none'}"
    ]


def check_invariants() -> list[str]:
    """Every invariant problem of the current town's ledger; an empty list means the ledger is sound."""
    checks: list[Callable[[], list[str]]] = [
        _unbalanced_entries,
        _ledger_total,
        _stored_balances,
        _captures,
        _payout_lines,
        _connect_stuck,
        _in_transit_too_long,
        _events_waiting_too_long,
        *EXTRA_CHECKS,
    ]
    return [problem for check in checks for problem in check()]
