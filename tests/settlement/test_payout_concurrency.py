"""One batch per period whatever happens: concurrent schedulers, and a worker killed mid-run (kill -9).

Real commits (``committed_town``), real threads and a real ``manage.py run_payouts`` process.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from settlement.ledger.invariants import check_invariants
from settlement.ledger.models import JournalEntry
from settlement.ledger.queries import balance, merchant_balances
from settlement.payouts.models import PayoutBatch, PayoutLine
from settlement.payouts.runs import PAYOUT_BATCH, PayoutRun, run_payout
from tests.conftest import database_url_for_subprocess, run_concurrently
from tests.settlement.payout_factories import make_available, payable_merchant

# Each test provisions a town whose writes really commit; one starts and kills a process.
pytestmark = pytest.mark.slow

PROJECT_ROOT = Path(__file__).resolve().parents[2]
AMOUNTS = (4750, 12_345, 999, 100, 80_000)


def in_town(town, work):
    def run(index: int):
        connection.set_tenant(town)
        return work(index)

    return run


def owed_merchants(town) -> list[int]:
    with town:
        shops = [payable_merchant(f"Boutique {index}") for index in range(len(AMOUNTS))]
        for shop, amount in zip(shops, AMOUNTS, strict=True):
            make_available(shop, amount)
        return [shop.pk for shop in shops]


def test_two_schedulers_running_the_same_period_at_once_make_one_batch(committed_town):
    merchant_ids = owed_merchants(committed_town)
    cut_off = timezone.now()

    results = run_concurrently(6, in_town(committed_town, lambda _i: run_payout(cut_off=cut_off, actor=None)))

    assert all(isinstance(result, PayoutRun) for result in results), results
    assert sorted(result.created for result in results) == [False] * 5 + [True]
    assert len({result.batch.pk for result in results}) == 1
    with committed_town:
        assert PayoutBatch.objects.count() == 1
        assert PayoutLine.objects.count() == 5
        assert JournalEntry.objects.filter(source=PAYOUT_BATCH).count() == 1
        assert balance("payout_in_transit") == -sum(AMOUNTS)
        assert all(merchant_balances(pk) == (0, 0) for pk in merchant_ids)
        assert check_invariants() == []


def _read_line(process: subprocess.Popen, timeout: float) -> str:
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if selector.select(timeout=0.5):
            return process.stdout.readline()
        if process.poll() is not None:
            break
    return ""


def test_a_worker_killed_inside_the_run_leaves_no_batch_and_the_rerun_pays_exactly_once(committed_town):
    # Given five merchants owed money, committed so that another process sees them
    merchant_ids = owed_merchants(committed_town)
    cut_off = timezone.now()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": database_url_for_subprocess(),
    }
    command = [sys.executable, "manage.py", "run_payouts", committed_town.slug, "--cut-off", cut_off.isoformat()]

    # When a real run is killed with SIGKILL after writing 3 of its 5 lines, inside its transaction
    worker = subprocess.Popen(
        [*command, "--pause-after-lines", "3"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert _read_line(worker, timeout=60) == "paused after 3 lines\n", worker.stderr.read() if worker.poll() else ""
        worker.send_signal(signal.SIGKILL)
        assert worker.wait(timeout=30) == -signal.SIGKILL
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.stdout.close()
        worker.stderr.close()

    # Then nothing of it remains
    with committed_town:
        assert PayoutBatch.objects.count() == 0
        assert PayoutLine.objects.count() == 0
        assert JournalEntry.objects.filter(source=PAYOUT_BATCH).count() == 0
        assert balance("payout_in_transit") == 0

    # And a rerun (a real process again) completes, exactly once
    rerun = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert " created: 5 lines, 98194 cents, draft" in rerun.stdout
    again = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert " already existed: 5 lines, 98194 cents, draft" in again.stdout
    with committed_town:
        batch = PayoutBatch.objects.get()
        assert sorted(batch.lines.values_list("amount_cents", flat=True)) == sorted(AMOUNTS)
        assert batch.total_cents == sum(AMOUNTS) == 98_194
        assert JournalEntry.objects.filter(source=PAYOUT_BATCH).count() == 1
        assert all(merchant_balances(pk) == (0, 0) for pk in merchant_ids)
        assert check_invariants() == []
