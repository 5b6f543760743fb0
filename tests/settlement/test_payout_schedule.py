"""The payout schedule: cut-offs on the 1st and 16th (or daily) at 00:00 Paris, and the beat task."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from settlement.ledger.models import PayoutSchedule, SettlementPolicy
from settlement.payouts.models import PayoutBatch
from settlement.payouts.runs import latest_cut_off
from settlement.tasks import run_scheduled_payouts_task
from tests.settlement.payout_factories import make_available, payable_merchant, set_treasury

PARIS = ZoneInfo("Europe/Paris")


def cut_off(now: dt.datetime, schedule: str = PayoutSchedule.TWICE_MONTHLY, hour: int = 0) -> dt.datetime:
    policy = SettlementPolicy(payout_schedule=schedule, payout_cut_off_hour=hour)
    return latest_cut_off(now=now, policy=policy, time_zone=PARIS).astimezone(PARIS)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (dt.datetime(2026, 12, 1, 0, 0, tzinfo=PARIS), dt.datetime(2026, 12, 1, 0, 0, tzinfo=PARIS)),
        (dt.datetime(2026, 11, 30, 23, 59, tzinfo=PARIS), dt.datetime(2026, 11, 16, 0, 0, tzinfo=PARIS)),
        (dt.datetime(2026, 12, 15, 12, 0, tzinfo=PARIS), dt.datetime(2026, 12, 1, 0, 0, tzinfo=PARIS)),
        (dt.datetime(2026, 12, 16, 0, 30, tzinfo=PARIS), dt.datetime(2026, 12, 16, 0, 0, tzinfo=PARIS)),
        (dt.datetime(2027, 1, 1, 0, 0, 1, tzinfo=PARIS), dt.datetime(2027, 1, 1, 0, 0, tzinfo=PARIS)),
    ],
)
def test_twice_monthly_cut_offs_are_the_1st_and_16th_at_midnight_paris(now, expected):
    assert cut_off(now) == expected


def test_the_cut_off_stays_at_midnight_paris_across_the_dst_change():
    # 1 April (summer time, UTC+2) and 16 March (winter time, UTC+1)
    assert cut_off(dt.datetime(2026, 4, 2, tzinfo=dt.UTC)).utcoffset() == dt.timedelta(hours=2)
    assert cut_off(dt.datetime(2026, 4, 2, tzinfo=dt.UTC)) == dt.datetime(2026, 3, 31, 22, 0, tzinfo=dt.UTC)
    assert cut_off(dt.datetime(2026, 3, 20, tzinfo=dt.UTC)) == dt.datetime(2026, 3, 15, 23, 0, tzinfo=dt.UTC)


def test_daily_mode_cuts_off_every_day_at_the_chosen_hour():
    assert cut_off(dt.datetime(2026, 12, 20, 5, 0, tzinfo=PARIS), PayoutSchedule.DAILY) == dt.datetime(
        2026, 12, 20, tzinfo=PARIS
    )
    assert cut_off(dt.datetime(2026, 12, 20, 5, 0, tzinfo=PARIS), PayoutSchedule.DAILY, hour=6) == dt.datetime(
        2026, 12, 19, 6, tzinfo=PARIS
    )


def test_the_scheduled_task_makes_the_draft_once_per_cut_off(town_a):
    with town_a:
        shop = payable_merchant()
        with time_machine.travel(dt.datetime(2026, 11, 30, 15, tzinfo=PARIS), tick=False):
            make_available(shop, 2500)
            # Without the treasury account the town's payouts are not switched on
            assert run_scheduled_payouts_task.delay().get() is None
            set_treasury()
        with time_machine.travel(dt.datetime(2026, 12, 1, 0, 5, tzinfo=PARIS), tick=False):
            batch_id = run_scheduled_payouts_task.delay().get()
            assert run_scheduled_payouts_task.delay().get() is None
        batch = PayoutBatch.objects.get()
        assert batch.pk == batch_id
        assert (batch.period_key, batch.total_cents, batch.created_by) == ("2026-12-01", 2500, None)
        with time_machine.travel(dt.datetime(2026, 12, 10, 0, 5, tzinfo=PARIS), tick=False):
            assert run_scheduled_payouts_task.delay().get() is None
        assert PayoutBatch.objects.count() == 1


def test_a_cancelled_period_is_not_recreated_by_the_scheduler(town_a):
    with town_a:
        set_treasury()
        PayoutBatch.objects.create(
            period_key="2026-12-01", cut_off=dt.datetime(2026, 12, 1, tzinfo=PARIS), state="cancelled"
        )
        with time_machine.travel(dt.datetime(2026, 12, 1, 0, 5, tzinfo=PARIS), tick=False):
            assert run_scheduled_payouts_task.delay().get() is None
        assert PayoutBatch.objects.count() == 1
