"""One order paid after planning goes into the live plan without reordering anything."""

from __future__ import annotations

from dataclasses import replace

import pytest

from logistics.planning.checker import check_plan
from logistics.planning.problem import DROP, END, NO_CAPACITY, PICKUP, START, Plan, Problem, Visit
from logistics.planning.solvers import PlanRejected, PyVrpSolver, insert_job
from logistics.planning.travel import StraightLine
from tests.logistics.planning_days import RESIDENTS, SHOPS, job, shifts, small_day

TRAVEL = StraightLine()


def others(visits: tuple[Visit, ...], key: str) -> list[tuple[str, str, str]]:
    return [(visit.kind, visit.job, visit.pickup) for visit in visits if visit.job != key]


def live_plan() -> tuple[Plan, Problem]:
    day = small_day(shifts=shifts(bikes=2, cars=1))
    problem = replace(day, jobs=day.jobs[:-1])
    return PyVrpSolver().solve(problem, TRAVEL, time_limit=1, seed=3), day


def test_insertion_adds_the_job_and_leaves_every_other_visit_in_order() -> None:
    plan, day = live_plan()
    problem = replace(day, jobs=day.jobs[:-1])
    late = day.jobs[-1]

    updated = insert_job(problem, plan, late, TRAVEL)

    assert "delivery-8" not in updated.unassigned
    before = {route.shift: route.visits for route in plan.routes}
    touched = [route for route in updated.routes if any(visit.job == "delivery-8" for visit in route.visits)]
    assert len(touched) == 1
    for route in updated.routes:
        if route is touched[0]:
            assert others(route.visits, "delivery-8") == others(before.get(route.shift, route.visits), "delivery-8")
            kinds = [visit.kind for visit in route.visits if visit.job == "delivery-8"]
            assert kinds == [PICKUP, DROP]
        else:
            assert route.visits == before[route.shift]  # times included
    assert check_plan(replace(problem, jobs=day.jobs), updated, TRAVEL) == []
    assert updated.solver == "insertion"


def test_insertion_never_touches_visits_already_done() -> None:
    plan, day = live_plan()
    problem = replace(day, jobs=day.jobs[:-1])
    busiest = max(plan.routes, key=lambda route: len(route.visits))
    now = busiest.visits[3].departure

    updated = insert_job(problem, plan, day.jobs[-1], TRAVEL, now=now)

    for route in updated.routes:
        old = next((r for r in plan.routes if r.shift == route.shift), None)
        if old is not None:
            done = [visit for visit in old.visits if visit.departure <= now]
            assert route.visits[: len(done)] == tuple(done)


def test_a_job_that_fits_nowhere_is_unassigned_with_its_reason() -> None:
    plan, day = live_plan()
    problem = replace(day, jobs=day.jobs[:-1])
    huge = job(99, RESIDENTS[0], (SHOPS[0],), parcels=50)

    updated = insert_job(problem, plan, huge, TRAVEL)

    assert updated.unassigned == {"delivery-99": NO_CAPACITY}
    assert [route.visits for route in updated.routes] == [route.visits for route in plan.routes]


def test_insertion_into_a_broken_plan_is_rejected() -> None:
    plan, day = live_plan()
    problem = replace(day, jobs=day.jobs[:-1])
    route = plan.routes[0]
    broken = replace(route, visits=(route.visits[0], *route.visits[2:]))  # a pickup lost
    plan = replace(plan, routes=[broken, *plan.routes[1:]])

    with pytest.raises(PlanRejected):
        insert_job(problem, plan, day.jobs[-1], TRAVEL)


def test_insertion_can_open_a_route_on_an_idle_shift() -> None:
    # The car's round is over by now; the bike has no route yet and the new delivery is in the centre.
    day = small_day()
    car_only = replace(day, jobs=day.jobs[:2], shifts=(day.shifts[1],))
    plan = PyVrpSolver().solve(car_only, TRAVEL, time_limit=0.5, seed=1)
    now = plan.routes[0].visits[-1].arrival
    late = job(9, RESIDENTS[3], (SHOPS[2],), window=(now, now + 3600))

    updated = insert_job(replace(car_only, shifts=day.shifts), plan, late, TRAVEL, now=now)

    bike = next(route for route in updated.routes if route.shift == "bike-0")
    assert [visit.kind for visit in bike.visits] == [START, PICKUP, DROP, END]
    assert bike.visits[0].departure >= now
    assert next(route for route in updated.routes if route.shift == "car-0") == plan.routes[0]
