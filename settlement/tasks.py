"""Ledger work run in each town: releases, catch-up postings, checks, payouts and Connect transfers.

Postings after checkout's events run in checkout's outbox delivery (settlement.ledger.receivers).

Beat entries (settings.CELERY_BEAT_SCHEDULE, sent to every town by config.beat.TownScheduler)::

    "settlement-release-due-merchant-orders": {
        "task": "settlement.release_due_merchant_orders", "schedule": 900.0},
    "settlement-check-ledger": {
        "task": "settlement.check_ledger", "schedule": crontab(hour=3, minute=30)},
    "settlement-run-scheduled-payouts": {
        "task": "settlement.run_scheduled_payouts", "schedule": crontab(minute="5,35")},
    "send-pending-connect-transfers": {
        "task": "settlement.send_pending_connect_transfers", "schedule": 900.0},
    "send-pending-connect-payouts": {
        "task": "settlement.send_pending_connect_payouts", "schedule": 1800.0},
"""

from __future__ import annotations

import logging

from celery import shared_task

from tenants.connection import connection
from tenants.tasks import TownTask

logger = logging.getLogger(__name__)


@shared_task(name="settlement.release_due_merchant_orders", base=TownTask)
def release_due_merchant_orders_task() -> int:
    """Catches up lost postings, then releases every merchant order whose hold has run."""
    from settlement.ledger.rules import post_missing_entries, release_due_merchant_orders

    post_missing_entries()
    return release_due_merchant_orders()


@shared_task(name="settlement.check_ledger", base=TownTask)
def check_ledger_task() -> int:
    """Nightly invariant check: each problem is logged as an error (alerting); returns how many."""
    from settlement.ledger.invariants import check_invariants

    problems = check_invariants()
    for problem in problems:
        logger.error("ledger invariant broken in %s: %s", connection.schema_name, problem)
    return len(problems)


@shared_task(name="settlement.run_scheduled_payouts", base=TownTask)
def run_scheduled_payouts_task() -> int | None:
    """Prepares the draft batch once the town's cut-off has passed; returns its id when one was made.

    Beat sends it every half hour: a missed tick only delays the draft, and the period key makes
    every other tick (and any concurrent one) a no-op.
    """
    from settlement.payouts.runs import run_scheduled_payout

    run = run_scheduled_payout()
    if run is None or not run.created:
        return None
    logger.info("payout batch %s prepared in %s", run.batch.reference, connection.schema_name)
    return run.batch.pk


@shared_task(name="settlement.send_connect_transfer", base=TownTask, acks_late=True)
def send_connect_transfer_task(connect_transfer_id: int) -> str:
    """Makes one released merchant order's Stripe transfer (Connect towns); a redelivery is a no-op."""
    from settlement.payouts.transfers import send_transfer

    return send_transfer(connect_transfer_id=connect_transfer_id).status


@shared_task(name="settlement.send_pending_connect_transfers", base=TownTask)
def send_pending_connect_transfers_task() -> int:
    """Retries, with their own keys, the transfers not made yet (failed, or queued and lost)."""
    from settlement.payouts.transfers import send_pending_reversals, send_pending_transfers

    return send_pending_transfers() + send_pending_reversals()


@shared_task(name="settlement.send_connect_reversal", base=TownTask, acks_late=True)
def send_connect_reversal_task(reversal_id: int) -> str:
    """Takes a refund made after the transfer back from the merchant's connected account (once)."""
    from settlement.payouts.transfers import send_reversal

    return send_reversal(reversal_id=reversal_id).status


@shared_task(name="settlement.send_pending_connect_payouts", base=TownTask)
def send_pending_connect_payouts_task() -> int:
    """Makes the Stripe payouts of exported lines still without one (postponed, or never sent)."""
    from settlement.payouts.stripe_payouts import send_pending_payouts

    return send_pending_payouts()
