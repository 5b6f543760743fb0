"""Two dispatchers at the same instant, on the same version of the day: a re-planning and a lock.
Each edit locks the day's Board row, so they run one after the other: one is applied, the other
finds the day moved on and changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from accounts.models import Role, User
from logistics import board
from logistics.models import Board, LogisticsSettings, Plan, Round
from tests.conftest import run_concurrently
from tests.logistics.factories import IN_CENTRE, delivery, delivery_zones, fleet, shop

DAY = dt.date(2026, 12, 15)


@pytest.mark.slow
def test_a_replanning_and_a_lock_sent_together_are_applied_one_at_a_time(committed_town):
    with committed_town:
        LogisticsSettings.objects.create(pk=1, planning_seconds=1)
        delivery_zones()
        fleet(bikes=2, cars=0, date=DAY)
        bakery = shop("Boulangerie du Beffroi", 50.9520, 1.8560)
        for point in IN_CENTRE[:4]:
            delivery([bakery], point, date=DAY)
        dispatcher = User.objects.create_user(email="coordination@test.fr", role=Role.DELIVERY_COORDINATOR)
        board.plan_day(date=DAY, version=0, actor=dispatcher)
        round_id = Round.objects.filter(date=DAY).order_by("pk").values_list("pk", flat=True).first()
        assert Board.objects.get(date=DAY).version == 1

    def edit(index: int) -> object:
        connection.set_tenant(committed_town)
        if index == 0:
            return board.plan_day(date=DAY, version=1, actor=dispatcher)
        return board.set_round_locked(round_id=round_id, is_locked=True, version=1, actor=dispatcher)

    outcomes = run_concurrently(2, edit)

    applied = [outcome for outcome in outcomes if isinstance(outcome, Plan | Round)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, board.BoardConflict | board.DispatchError)]
    assert (len(applied), len(refused)) == (1, 1), outcomes
    with committed_town:
        assert Board.objects.get(date=DAY).version == 2
        if isinstance(applied[0], Plan):  # the re-planning won: the lock was never applied
            assert Plan.objects.filter(date=DAY).count() == 2
            assert not Round.objects.filter(date=DAY, is_locked=True).exists()
        else:  # the lock won: no second plan
            assert Plan.objects.filter(date=DAY).count() == 1
            assert Round.objects.get(pk=round_id).is_locked
