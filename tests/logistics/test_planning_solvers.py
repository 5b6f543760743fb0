"""The solver adapters on small days: every plan passes the independent checker, and the day's rules
hold (bikes stay in the centre, reload trips, reasons of unassigned jobs, chilled ride time…)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from logistics.planning.checker import check_plan
from logistics.planning.problem import (
    DROP,
    NO_CAPACITY,
    NOT_PLANNED,
    OUT_OF_REACH,
    PICKUP,
    RELOAD,
    RIDE_TOO_LONG,
    Job,
    Location,
    Plan,
    Problem,
    VehicleKind,
)
from logistics.planning.solvers import PlanRejected, PyVrpSolver, VroomSolver
from logistics.planning.travel import Matrix, StraightLine
from tests.logistics.planning_days import BIKE, CAR, NINE, RESIDENTS, SHOPS, job, place, shifts, small_day

TRAVEL = StraightLine()


def served(plan: Plan) -> set[str]:
    return {visit.job for route in plan.routes for visit in route.visits if visit.kind == DROP}


def places_of(problem: Problem, plan: Plan, shift_prefix: str) -> list[Location]:
    jobs = {job.key: job for job in problem.jobs}
    found = []
    for route in plan.routes:
        if not route.shift.startswith(shift_prefix):
            continue
        for visit in route.visits:
            if visit.kind == DROP:
                found.append(jobs[visit.job].drop)
            elif visit.kind == PICKUP:
                found += [p.location for p in jobs[visit.job].pickups if p.key == visit.pickup]
    return found


def test_pyvrp_serves_a_small_feasible_day_and_the_checker_passes() -> None:
    problem = small_day()

    plan = PyVrpSolver().solve(problem, TRAVEL, time_limit=1, seed=1)

    assert served(plan) == {f"delivery-{n}" for n in range(1, 9)}
    assert plan.unassigned == {}
    assert check_plan(problem, plan, TRAVEL) == []
    assert plan.solver == "pyvrp 0.14.1"


def test_vroom_serves_the_same_small_day_and_the_checker_passes() -> None:
    problem = small_day()

    plan = VroomSolver().solve(problem, TRAVEL, time_limit=1, seed=1)

    assert served(plan) == {f"delivery-{n}" for n in range(1, 9)}
    assert check_plan(problem, plan, TRAVEL) == []


def test_bikes_never_leave_the_centre() -> None:
    # A car of three parcels for one hour cannot carry the day alone: the bikes must work, inside the
    # centre only.
    small_car = replace(CAR, capacity=(3, 400_000, 600_000))
    day_shifts = shifts(bikes=2, cars=0) + shifts(bikes=0, cars=1, end=NINE + 3600)
    problem = small_day(kinds={BIKE.key: BIKE, CAR.key: small_car}, shifts=day_shifts)

    plan = PyVrpSolver().solve(problem, TRAVEL, time_limit=1, seed=1)

    bike_places = places_of(problem, plan, "bike-")
    assert bike_places
    assert all(location.in_centre for location in bike_places)
    assert {"delivery-5", "delivery-6"} <= served(plan)  # the two outside the centre, by car
    assert len(served(plan)) + len(plan.unassigned) == 8


def test_capacity_forces_a_reload_trip() -> None:
    # One bike of three parcels, six one-parcel deliveries from the hub in the centre.
    small_bike = replace(BIKE, capacity=(3, 80_000, 120_000))
    jobs = tuple(job(n, RESIDENTS[n % 4], ()) for n in range(6))
    problem = small_day(kinds={BIKE.key: small_bike}, shifts=shifts(bikes=1, cars=0), jobs=jobs, reload_service=300)

    plan = PyVrpSolver().solve(problem, TRAVEL, time_limit=1, seed=1)

    assert len(served(plan)) == 6
    (route,) = plan.routes
    assert [visit.kind for visit in route.visits].count(RELOAD) == 1
    assert check_plan(problem, plan, TRAVEL) == []


def test_an_optional_job_outside_every_zone_is_unassigned_out_of_reach() -> None:
    # Only bikes today, and one resident far outside the centre.
    problem = small_day(
        shifts=shifts(bikes=1, cars=0), jobs=(job(1, RESIDENTS[0], (SHOPS[0],)), job(2, place(5, 5), ()))
    )

    plan = PyVrpSolver().solve(problem, TRAVEL, time_limit=1, seed=1)

    assert plan.unassigned == {"delivery-2": OUT_OF_REACH}
    assert served(plan) == {"delivery-1"}


def test_a_parcel_bigger_than_every_vehicle_is_unassigned_no_capacity() -> None:
    problem = small_day(jobs=(job(1, RESIDENTS[0], (SHOPS[0],)), job(2, RESIDENTS[1], (SHOPS[1],), parcels=40)))

    plan = PyVrpSolver().solve(problem, TRAVEL, time_limit=1, seed=1)

    assert plan.unassigned == {"delivery-2": NO_CAPACITY}
    assert served(plan) == {"delivery-1"}


def test_out_of_time_the_best_plan_so_far_comes_back_with_the_rest_unassigned() -> None:
    # One car for one hour and forty deliveries: not everything fits, and there is no time to search.
    jobs = tuple(job(n, place((n % 7) - 3, (n % 5) - 2), (SHOPS[n % 4],)) for n in range(40))
    problem = small_day(shifts=shifts(bikes=0, cars=1, end=NINE + 3600), jobs=jobs)

    plan = PyVrpSolver().solve(problem, TRAVEL, time_limit=0.0, seed=1)

    assert plan.seconds < 1.5
    assert served(plan)
    assert plan.unassigned
    assert set(plan.unassigned.values()) == {NOT_PLANNED}
    assert served(plan) | set(plan.unassigned) == {j.key for j in jobs}
    assert check_plan(problem, plan, TRAVEL) == []


def test_same_seed_gives_the_same_plan() -> None:
    problem = small_day(shifts=shifts(bikes=2, cars=1))
    solver = PyVrpSolver(max_iterations=300, no_improvement=None)

    first = solver.solve(problem, TRAVEL, time_limit=30, seed=7)
    second = solver.solve(problem, TRAVEL, time_limit=30, seed=7)

    assert first.routes == second.routes
    assert first.unassigned == second.unassigned


def test_chilled_jobs_ride_no_longer_than_allowed() -> None:
    chilled = tuple(job(n, RESIDENTS[n % 8], (SHOPS[n % 4],), chilled=n % 2 == 0) for n in range(10))
    problem = small_day(jobs=chilled, max_ride_seconds=900, shifts=shifts(bikes=1, cars=1))

    plan = PyVrpSolver().solve(problem, TRAVEL, time_limit=1, seed=1)

    for route in plan.routes:
        picked: dict[str, int] = {}
        for visit in route.visits:
            if visit.kind == PICKUP:
                picked.setdefault(visit.job, visit.start)
            if visit.kind == DROP and int(visit.job.split("-")[1]) % 2 == 0:
                assert visit.start - picked[visit.job] <= 900
    assert len(served(plan)) + len(plan.unassigned) == 10
    assert len(served(plan)) >= 8
    assert check_plan(problem, plan, TRAVEL) == []


def test_a_chilled_job_that_rides_too_long_even_alone_is_unassigned() -> None:
    # Shop in the centre, resident 8 km away by car at 30 km/h: about 25 minutes, the limit is 10.
    far = job(1, place(6, 5), (SHOPS[0],), chilled=True)
    problem = small_day(jobs=(far, job(2, RESIDENTS[0], (SHOPS[1],))), max_ride_seconds=600)

    plan = PyVrpSolver().solve(problem, TRAVEL, time_limit=1, seed=1)

    assert plan.unassigned == {"delivery-1": RIDE_TOO_LONG}


def test_a_multi_shop_job_is_on_one_route_with_its_pickups_first() -> None:
    problem = small_day()

    plan = PyVrpSolver().solve(problem, TRAVEL, time_limit=1, seed=1)

    (route,) = [route for route in plan.routes if any(visit.job == "delivery-3" for visit in route.visits)]
    mine = [(visit.kind, visit.pickup) for visit in route.visits if visit.job == "delivery-3"]
    assert sorted(mine[:2]) == [(PICKUP, "part-3-0"), (PICKUP, "part-3-1")]
    assert mine[2:] == [(DROP, "")]


def test_frozen_visits_are_kept_and_their_jobs_finished_on_the_same_shift() -> None:
    problem = small_day()
    first = PyVrpSolver().solve(problem, TRAVEL, time_limit=1, seed=1)
    route = first.routes[0]
    # The courier has left and done the first two visits (a pickup among them, its drop not yet).
    done = route.visits[:3]
    started = {visit.job for visit in done if visit.job}
    problem = replace(problem, frozen={route.shift: done})

    plan = PyVrpSolver().solve(problem, TRAVEL, time_limit=1, seed=2)

    again = next(r for r in plan.routes if r.shift == route.shift)
    assert again.visits[:3] == done
    assert started <= {visit.job for visit in again.visits if visit.kind == DROP}
    assert check_plan(problem, plan, TRAVEL) == []


class _Drifting:
    """Travel times that grow between the solver's question and the checker's: a provider that
    changed its mind (an OSRM server updated mid-planning)."""

    def __init__(self) -> None:
        self.calls = 0

    def matrix(self, locations: list[Location], kind: VehicleKind) -> tuple[Matrix, Matrix]:
        self.calls += 1
        distances, durations = TRAVEL.matrix(locations, kind)
        return (distances, durations) if self.calls <= 2 else (distances, durations * 3)


def test_a_plan_the_checker_rejects_is_never_returned() -> None:
    problem = small_day()

    with pytest.raises(PlanRejected) as rejected:
        PyVrpSolver().solve(problem, _Drifting(), time_limit=0.5, seed=1)

    assert rejected.value.violations
    assert {violation.code for violation in rejected.value.violations} >= {"travel_time"}


def test_jobs_without_any_vehicle_all_come_back_unassigned() -> None:
    problem = small_day(shifts=())

    plan = PyVrpSolver().solve(problem, TRAVEL, time_limit=0.5, seed=1)

    assert plan.routes == []
    assert set(plan.unassigned) == {f"delivery-{n}" for n in range(1, 9)}
    assert set(plan.unassigned.values()) == {OUT_OF_REACH}


def test_a_hub_job_too_heavy_for_the_bike_but_in_the_centre_goes_by_car() -> None:
    heavy = Job(
        "delivery-1", drop=RESIDENTS[0], drop_window=(NINE, NINE + 7200), drop_service=60, load=(2, 100_000, 1000)
    )
    problem = small_day(jobs=(heavy,))

    plan = PyVrpSolver().solve(problem, TRAVEL, time_limit=0.5, seed=1)

    assert [route.shift for route in plan.routes] == ["car-0"]


def test_a_round_frozen_to_its_end_is_kept_and_the_rest_planned_around_it() -> None:
    problem = small_day()
    first = PyVrpSolver().solve(problem, TRAVEL, time_limit=1, seed=1)
    done = first.routes[0]
    problem = replace(problem, frozen={done.shift: done.visits})

    plan = PyVrpSolver().solve(problem, TRAVEL, time_limit=1, seed=1)

    assert next(route for route in plan.routes if route.shift == done.shift).visits == done.visits
    assert served(plan) == served(first)
    assert check_plan(problem, plan, TRAVEL) == []


def test_a_shift_too_short_for_any_delivery_gets_no_route() -> None:
    # The car's shift lasts a minute: nothing can be planned on it.
    problem = small_day(shifts=shifts(bikes=1, cars=1, end=NINE + 1800))
    late_start = replace(problem.shifts[1], end=NINE + 60)
    problem = replace(problem, shifts=(problem.shifts[0], late_start))

    plan = PyVrpSolver().solve(problem, TRAVEL, time_limit=0.5, seed=1)

    assert "car-0" not in [route.shift for route in plan.routes]
    assert served(plan) | set(plan.unassigned) == {f"delivery-{n}" for n in range(1, 9)}


def test_vroom_keeps_frozen_visits_too() -> None:
    problem = small_day()
    first = VroomSolver().solve(problem, TRAVEL, time_limit=1, seed=1)
    route = first.routes[0]
    done = route.visits[:3]
    problem = replace(problem, frozen={route.shift: done})

    plan = VroomSolver().solve(problem, TRAVEL, time_limit=1, seed=1)

    assert next(r for r in plan.routes if r.shift == route.shift).visits[:3] == done
    assert served(plan) | set(plan.unassigned) == {f"delivery-{n}" for n in range(1, 9)}
    assert check_plan(problem, plan, TRAVEL) == []
