"""plan_rounds: the day's deliveries and shifts become checked rounds; insertions leave other rounds alone."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import CommandError, call_command

from logistics.models import (
    Board,
    Delivery,
    DeliveryStatus,
    PartStatus,
    Plan,
    PlanStatus,
    Round,
    Stop,
    StopKind,
    StopStatus,
)
from logistics.planner import MoveRefused, insert_delivery, plan_rounds
from logistics.planning import checker
from tests.logistics.factories import (
    FAR_OUT,
    IN_CENTRE,
    TUESDAY,
    TUESDAY_MORNING,
    delivery,
    delivery_zones,
    fleet,
    shop,
)

pytestmark = pytest.mark.usefixtures("_tuesday_morning")


@pytest.fixture
def _tuesday_morning():
    with time_machine.travel(TUESDAY_MORNING, tick=False):
        yield


def _day(town, *, bikes=1, cars=1):
    """Morning deliveries in the centre (the car starts at 13:00: a bike takes them), afternoon ones beyond."""
    with town:
        delivery_zones()
        fleet(bikes=bikes, cars=cars, car_start="13:00")
        bakery = shop("Boulangerie du Beffroi", 50.9520, 1.8560)
        grocer = shop("Épicerie du Courgain", 50.9545, 1.8530)
        centre = [delivery([bakery], point) for point in IN_CENTRE[:3]]
        both = delivery([bakery, grocer], IN_CENTRE[3], window=("14:00", "16:00"))
        far = [delivery([grocer], point, window=("14:00", "16:00")) for point in FAR_OUT]
        return {"bakery": bakery, "grocer": grocer, "centre": centre, "both": both, "far": far}


def _stops(round_):
    return list(round_.stops.order_by("position"))


def test_planning_the_day_puts_every_delivery_on_a_round_pickups_first_and_far_ones_by_car(town_a):
    day = _day(town_a)
    with town_a:
        plan = plan_rounds(date=TUESDAY, seconds=1)

        assert plan.status == PlanStatus.PUBLISHED
        assert plan.served == 6
        assert plan.unassigned == {}
        for made in Delivery.objects.all():
            assert made.status == DeliveryStatus.PLANNED
            # The resident's arrival window lies inside the slot they chose, 30 minutes at most.
            assert made.window_start <= made.eta_start < made.eta_end <= made.window_end
            assert (dt.datetime.combine(TUESDAY, made.eta_end) - dt.datetime.combine(TUESDAY, made.eta_start)) <= (
                dt.timedelta(minutes=30)
            )
        for round_ in Round.objects.all():
            seen_pickups: set[int] = set()
            for stop in _stops(round_):
                if stop.kind == StopKind.PICKUP:
                    seen_pickups.add(stop.delivery_id)
                elif stop.kind == StopKind.DROP:
                    assert stop.delivery_id in seen_pickups  # collected on this round before the door
        far_rounds = {stop.round.vehicle.vehicle_type.centre_only for d in day["far"] for stop in d.stops.all()}
        assert far_rounds == {False}  # beyond the centre: by car
        # The multi-shop order: one drop, after a pickup at each shop, on one round.
        both_stops = list(day["both"].stops.all())
        assert len({stop.round_id for stop in both_stops}) == 1
        assert sorted(stop.kind for stop in both_stops) == ["drop", "pickup", "pickup"]
        assert all(part.pickup_eta is not None for part in day["both"].parts.all())
        assert Board.objects.get(date=TUESDAY).version == 1


def test_a_delivery_no_vehicle_of_the_day_may_reach_is_listed_with_its_reason_and_the_rest_planned(town_a):
    day = _day(town_a, bikes=1, cars=0)
    with town_a:
        plan = plan_rounds(date=TUESDAY, seconds=1)

        assert plan.status == PlanStatus.PUBLISHED
        assert plan.unassigned == {str(d.pk): "out_of_reach" for d in day["far"]}
        for far in day["far"]:
            far.refresh_from_db()
            assert (far.status, far.unassigned_reason) == (DeliveryStatus.UNASSIGNED, "out_of_reach")
        assert Delivery.objects.filter(status=DeliveryStatus.PLANNED).count() == 4


def test_an_address_the_geocoder_could_not_place_waits_for_an_agent_instead_of_failing_the_plan(town_a):
    day = _day(town_a)
    with town_a:
        lost = day["centre"][0]
        Delivery.objects.filter(pk=lost.pk).update(latitude=None, longitude=None, needs_address_check=True)
        plan = plan_rounds(date=TUESDAY, seconds=1)
        assert plan.status == PlanStatus.PUBLISHED
        assert plan.unassigned == {str(lost.pk): "not_located"}
        assert plan.served == 5


def test_a_shop_closed_that_day_leaves_its_deliveries_unassigned(town_a):
    day = _day(town_a)
    with town_a:
        day["grocer"].closures.create(starts_on=TUESDAY, ends_on=TUESDAY, reason="Inventaire")
        plan = plan_rounds(date=TUESDAY, seconds=1)
        assert set(plan.unassigned.values()) == {"shop_closed"}
        assert set(plan.unassigned) == {str(day["both"].pk), *(str(d.pk) for d in day["far"])}


def test_replanning_keeps_a_locked_round_and_the_stops_already_done(town_a):
    _day(town_a)
    with town_a:
        plan_rounds(date=TUESDAY, seconds=1)
        locked = Round.objects.get(vehicle__vehicle_type__centre_only=False)
        other = Round.objects.get(vehicle__vehicle_type__centre_only=True)
        Round.objects.filter(pk=locked.pk).update(is_locked=True)
        kept = [(s.pk, s.kind, s.delivery_id, s.arrives_at) for s in _stops(locked)]
        first = _stops(other)[0]
        Stop.objects.filter(pk=first.pk).update(status=StopStatus.DONE)
        Round.objects.filter(pk=other.pk).update(started_at=TUESDAY_MORNING)

        again = plan_rounds(date=TUESDAY, seconds=1)

        assert again.status == PlanStatus.PUBLISHED, again.problems
        assert [(s.pk, s.kind, s.delivery_id, s.arrives_at) for s in _stops(locked)] == kept
        assert _stops(other)[0].pk == first.pk  # the stop done stays first, as it was
        assert Board.objects.get(date=TUESDAY).version == 2


def test_an_order_paid_after_planning_is_inserted_without_reshuffling_the_other_rounds(town_a):
    day = _day(town_a)
    with town_a:
        plan_rounds(date=TUESDAY, seconds=1)
        before = {r.pk: [(s.kind, s.delivery_id) for s in _stops(r)] for r in Round.objects.all()}

        late = delivery([day["bakery"]], IN_CENTRE[4], window=("14:00", "16:00"))
        result = insert_delivery(delivery_id=late.pk)

        assert result.status == PlanStatus.PUBLISHED, result.problems
        late.refresh_from_db()
        assert late.status == DeliveryStatus.PLANNED
        after = {r.pk: [(s.kind, s.delivery_id) for s in _stops(r)] for r in Round.objects.all()}
        for round_id, stops in before.items():
            # Every round keeps its stops in the same order; the new delivery's stops are added to one.
            assert [stop for stop in after[round_id] if stop[1] != late.pk] == stops
        assert sum(1 for stops in after.values() for stop in stops if stop[1] == late.pk) == 2


def test_moving_a_delivery_to_another_courier_puts_all_its_stops_on_that_round(town_a):
    day = _day(town_a)
    with town_a:
        plan_rounds(date=TUESDAY, seconds=1)
        moved = day["both"]  # 14:00-16:00 in the centre: the bike and the car may both take it
        source = moved.stops.first().round
        target = Round.objects.exclude(pk=source.pk).get()

        result = insert_delivery(delivery_id=moved.pk, round_id=target.pk)

        assert result.status == PlanStatus.PUBLISHED, result.problems
        assert {stop.round_id for stop in moved.stops.all()} == {target.pk}
        assert list(source.stops.values_list("position", flat=True)) == list(range(source.stops.count()))


def test_a_plan_the_checker_rejects_is_never_published_and_is_kept_with_its_problems(town_a, monkeypatch, caplog):
    _day(town_a)
    with town_a:
        monkeypatch.setattr(
            "logistics.planning.solvers.check_plan",
            lambda *args: [checker.Violation(checker.CAPACITY, "shift-1-0", "delivery-1", "over capacity")],
        )
        plan = plan_rounds(date=TUESDAY, seconds=1)

        assert plan.status == PlanStatus.REJECTED
        assert plan.problems
        assert "over capacity" in plan.problems[0]
        assert not Round.objects.exists()
        assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.TO_PLAN}
        assert "rejected by the checker" in caplog.text
        assert Plan.objects.filter(status=PlanStatus.PUBLISHED).count() == 0


def test_the_plan_rounds_command_plans_a_towns_day_and_prints_the_rounds(town_a, capsys):
    _day(town_a)
    call_command("plan_rounds", "ville-a", "--date", TUESDAY.isoformat(), "--seconds", "1")
    out = capsys.readouterr().out
    assert "6 livraison(s) planifiée(s), 0 non planifiée(s)" in out
    with pytest.raises(CommandError, match="Aucune ville"):
        call_command("plan_rounds", "nulle-part")
    with pytest.raises(CommandError, match="Date invalide"):
        call_command("plan_rounds", "ville-a", "--date", "08/12/2026")


def test_moving_a_delivery_onto_a_round_it_does_not_fit_is_refused_and_changes_nothing(town_a):
    day = _day(town_a)
    with town_a:
        plan_rounds(date=TUESDAY, seconds=1)
        morning = day["centre"][0]  # 10:00-12:00: the car only starts at 13:00
        car_round = Round.objects.get(vehicle__vehicle_type__centre_only=False)
        before = {r.pk: [(s.kind, s.delivery_id) for s in _stops(r)] for r in Round.objects.all()}
        version = Board.objects.get(date=TUESDAY).version

        with pytest.raises(MoveRefused) as refused:
            insert_delivery(delivery_id=morning.pk, round_id=car_round.pk)

        assert refused.value.reason == "no_time"
        assert {r.pk: [(s.kind, s.delivery_id) for s in _stops(r)] for r in Round.objects.all()} == before
        morning.refresh_from_db()
        assert morning.status == DeliveryStatus.PLANNED
        assert Board.objects.get(date=TUESDAY).version == version


def test_the_beat_task_plans_today_once_after_the_last_cutoff(town_a):
    from logistics.tasks import plan_after_cutoffs_task

    _day(town_a)
    with town_a:
        # 7:00 in Calais: the zones' noon cut-off has not passed.
        assert plan_after_cutoffs_task.delay().get() == "nothing to do"
        with time_machine.travel(dt.datetime(2026, 12, 8, 11, 5, tzinfo=dt.UTC), tick=False):  # 12:05 in Calais
            assert plan_after_cutoffs_task.delay().get().startswith("published")
            assert plan_after_cutoffs_task.delay().get() == "nothing to do"
        assert Plan.objects.filter(trigger="beat").count() == 1


def test_the_same_day_planned_twice_with_the_same_seed_gives_the_same_rounds(town_a):
    _day(town_a)
    with town_a:
        plan_rounds(date=TUESDAY, seconds=5)
        first = [
            (r.vehicle_id, [(s.kind, s.delivery_id, s.arrives_at) for s in _stops(r)]) for r in Round.objects.all()
        ]
        plan_rounds(date=TUESDAY, seconds=5)
        again = [
            (r.vehicle_id, [(s.kind, s.delivery_id, s.arrives_at) for s in _stops(r)]) for r in Round.objects.all()
        ]
        assert again == first
        assert Plan.objects.filter(status=PlanStatus.PUBLISHED).count() == 2


def test_replanning_after_a_failed_attempt_keeps_it_on_its_round_and_plans_the_next_one_from_the_hub(town_a):
    day = _day(town_a)
    with town_a:
        plan_rounds(date=TUESDAY, seconds=1)
        failed = day["centre"][0]
        stops = list(failed.stops.order_by("position"))
        round_ = stops[0].round
        # The courier collected the parcel, nobody answered at the door: back to the hub, a new slot chosen.
        for stop in round_.stops.order_by("position"):
            done = stop.delivery_id == failed.pk and stop.kind == StopKind.DROP
            Stop.objects.filter(pk=stop.pk).update(status=StopStatus.FAILED if done else StopStatus.DONE)
            if done:
                break
        Round.objects.filter(pk=round_.pk).update(started_at=TUESDAY_MORNING)
        failed.parts.update(status=PartStatus.AT_HUB)
        Delivery.objects.filter(pk=failed.pk).update(
            status=DeliveryStatus.TO_PLAN, attempts=1, window_start=dt.time(14), window_end=dt.time(16)
        )

        again = plan_rounds(date=TUESDAY, seconds=1)

        assert again.status == PlanStatus.PUBLISHED, again.problems
        failed.refresh_from_db()
        assert failed.status == DeliveryStatus.PLANNED
        assert failed.stops.filter(status=StopStatus.FAILED).count() == 1  # the first attempt, as it happened
        todo = list(failed.stops.filter(status=StopStatus.TODO))
        assert [stop.kind for stop in todo] == ["drop"]  # from the hub: no pickup at the shop again
