"""Our own model of a plan under construction (no Django, no solver): routes as steps, their
schedule by our own simulation, triage of jobs that cannot be served, repair of an engine's routes
and cheapest feasible insertion. The solver adapters (``solvers.py``) and ``insert_job`` share it;
the checker (``checker.py``) deliberately does not.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from logistics.planning.problem import (
    DROP,
    END,
    NO_CAPACITY,
    NO_TIME,
    NOT_PLANNED,
    OUT_OF_REACH,
    PICKUP,
    RELOAD,
    RIDE_TOO_LONG,
    START,
    Job,
    Location,
    Pickup,
    Plan,
    Problem,
    Route,
    Shift,
    VehicleKind,
    Visit,
)
from logistics.planning.travel import Matrix, TravelTimes

Step = tuple[str, str, str]  # (visit kind, job key, pickup key)
HUB_KINDS = (START, RELOAD, END)


# ---- our own model of the problem: locations, matrices, schedules -------------------------------


class PlanningContext:
    """The problem with its places indexed and its travel matrices, one pair per vehicle kind."""

    def __init__(self, problem: Problem, travel: TravelTimes) -> None:
        self.problem = problem
        self.travel = travel
        self.jobs = {job.key: job for job in problem.jobs}
        self.shifts = {shift.key: shift for shift in problem.shifts}
        self.pickups: dict[tuple[str, str], Pickup] = {
            (job.key, pickup.key): pickup for job in problem.jobs for pickup in job.pickups
        }
        places: dict[Location, int] = {}
        for shift in problem.shifts:
            places.setdefault(shift.hub, len(places))
        for job in problem.jobs:
            for pickup in job.pickups:
                places.setdefault(pickup.location, len(places))
            places.setdefault(job.drop, len(places))
        self.index = places
        self.locations = list(places)
        self._matrices: dict[str, tuple[Matrix, Matrix]] = {}
        self._lists: dict[str, tuple[list[list[int]], list[list[int]]]] = {}

    def matrices(self, kind: VehicleKind) -> tuple[Matrix, Matrix]:
        if kind.key not in self._matrices:
            distances, durations = self.travel.matrix(self.locations, kind)
            self._matrices[kind.key] = (np.asarray(distances, dtype=np.int64), np.asarray(durations, dtype=np.int64))
        return self._matrices[kind.key]

    def lists(self, kind: VehicleKind) -> tuple[list[list[int]], list[list[int]]]:
        """The matrices as nested lists: much faster than numpy for one element at a time."""
        if kind.key not in self._lists:
            distances, durations = self.matrices(kind)
            self._lists[kind.key] = (distances.tolist(), durations.tolist())
        return self._lists[kind.key]

    def kind_of(self, shift: Shift) -> VehicleKind:
        return self.problem.kinds[shift.kind]

    def place(self, shift: Shift, step: Step) -> int:
        kind, job, pickup = step
        if kind in HUB_KINDS:
            return self.index[shift.hub]
        if kind == PICKUP:
            return self.index[self.pickups[(job, pickup)].location]
        return self.index[self.jobs[job].drop]

    def job_places(self, job: Job) -> list[Location]:
        return [pickup.location for pickup in job.pickups] + [job.drop]

    def may_visit(self, kind: VehicleKind, job: Job) -> bool:
        return not kind.centre_only or all(location.in_centre for location in self.job_places(job))


@dataclass
class RouteSchedule:
    visits: list[Visit]
    distance: int
    duration: int
    faults: list[tuple[str, str]]  # (job key, reason code) in route order; empty when the route holds


def steps_of(visits: Sequence[Visit]) -> list[Step]:
    return [(visit.kind, visit.job, visit.pickup) for visit in visits]


def schedule_route(
    ctx: PlanningContext, shift: Shift, steps: Sequence[Step], fixed: Sequence[Visit] = ()
) -> RouteSchedule:
    """Times, loads and faults of a route (steps), the first ``len(fixed)`` visits kept as given."""
    problem = ctx.problem
    kind = ctx.kind_of(shift)
    distances, durations = ctx.lists(kind)
    places = [ctx.place(shift, step) for step in steps]
    dimensions = len(problem.dimensions)
    faults: list[tuple[str, str]] = []

    # Jobs without pickups are loaded at the hub at the start of the trip that drops them.
    hub_load_by_trip: dict[int, list[int]] = {}
    hub_jobs_by_trip: dict[int, list[str]] = {}
    trip = 0
    for i, (step_kind, job_key, _) in enumerate(steps):
        if step_kind in (START, RELOAD):
            trip = i
            hub_load_by_trip[i] = [0] * dimensions
            hub_jobs_by_trip[i] = []
        elif step_kind == DROP and not ctx.jobs[job_key].pickups:
            hub_load_by_trip[trip] = [
                a + b for a, b in zip(hub_load_by_trip[trip], ctx.jobs[job_key].load, strict=True)
            ]
            hub_jobs_by_trip[trip].append(job_key)

    visits: list[Visit] = []
    distance = 0
    load = [0] * dimensions
    on_board: dict[str, list[int]] = {}  # job -> load of its pickups done, not yet dropped
    first_pickup: dict[str, int] = {}
    picked: dict[str, set[str]] = {}
    last_job = ""
    capacity = kind.capacity
    for i, (step_kind, job_key, pickup_key) in enumerate(steps):
        if i > 0:
            distance += distances[places[i - 1]][places[i]]
        if i < len(fixed):
            visit = fixed[i]
        elif step_kind == START:
            visit = Visit(START, arrival=shift.start, start=shift.start, departure=shift.start)
        else:
            previous = visits[-1]
            arrival = previous.departure + durations[places[i - 1]][places[i]]
            if step_kind in (RELOAD, END):
                early, late = shift.start, shift.end
                service = problem.reload_service if step_kind == RELOAD else 0
            elif step_kind == PICKUP:
                pickup = ctx.pickups[(job_key, pickup_key)]
                early, late = pickup.window
                service = pickup.service
            else:
                job = ctx.jobs[job_key]
                early, late = job.drop_window
                service = job.drop_service
            if arrival < early and previous.kind in (START, RELOAD) and i - 1 >= len(fixed):
                # Leave the hub later rather than wait at the trip's first stop.
                wait = early - arrival
                visits[-1] = replace(previous, departure=previous.departure + wait)
                arrival += wait
            start = max(arrival, early)
            if start > late:
                faults.append((job_key or last_job, NOT_PLANNED))
            if kind.centre_only and job_key and not ctx.locations[places[i]].in_centre:
                faults.append((job_key, OUT_OF_REACH))
            departure = start if step_kind == END else start + service
            visit = Visit(step_kind, job_key, pickup_key, arrival, start, departure)
        visits.append(visit)
        if job_key:
            last_job = job_key

        if step_kind in (START, RELOAD):
            load = [0] * dimensions
            for carried in on_board.values():
                load = [a + b for a, b in zip(load, carried, strict=True)]
            load = [a + b for a, b in zip(load, hub_load_by_trip[i], strict=True)]
            if any(a > c for a, c in zip(load, capacity, strict=True)) and hub_jobs_by_trip[i]:
                faults.append((hub_jobs_by_trip[i][-1], NOT_PLANNED))
        elif step_kind == PICKUP:
            pickup = ctx.pickups[(job_key, pickup_key)]
            picked.setdefault(job_key, set()).add(pickup_key)
            first_pickup.setdefault(job_key, visit.start)
            on_board[job_key] = [
                a + b for a, b in zip(on_board.get(job_key, [0] * dimensions), pickup.load, strict=True)
            ]
            load = [a + b for a, b in zip(load, pickup.load, strict=True)]
            if any(a > c for a, c in zip(load, capacity, strict=True)):
                faults.append((job_key, NOT_PLANNED))
        elif step_kind == DROP:
            job = ctx.jobs[job_key]
            if len(picked.get(job_key, ())) != len(job.pickups):
                faults.append((job_key, NOT_PLANNED))
            on_board.pop(job_key, None)
            load = [a - b for a, b in zip(load, job.load, strict=True)]
            if (
                job.chilled
                and problem.max_ride_seconds is not None
                and job_key in first_pickup
                and visit.start - first_pickup[job_key] > problem.max_ride_seconds
            ):
                faults.append((job_key, RIDE_TOO_LONG))
    for job_key in on_board:
        faults.append((job_key, NOT_PLANNED))
    duration = visits[-1].arrival - visits[0].departure if visits else 0
    return RouteSchedule(visits, distance, duration, faults)


def without_empty_trips(steps: list[Step], locked: int) -> list[Step]:
    """Without empty trips: past the locked prefix, a reload right after a hub visit goes."""
    tidy: list[Step] = []
    for i, step in enumerate(steps):
        if i >= locked and tidy and tidy[-1][0] in (START, RELOAD):
            if step[0] == RELOAD:
                continue
            if step[0] == END and tidy[-1][0] == RELOAD and len(tidy) > locked:
                tidy.pop()
        tidy.append(step)
    return tidy


# ---- triage: can a job be served at all? ---------------------------------------------------------


def alone_reason(ctx: PlanningContext, job: Job) -> str | None:
    """Why ``job`` cannot be served even alone, None when some shift can serve it alone."""
    kinds = [ctx.kind_of(shift) for shift in ctx.problem.shifts]
    reachable = [kind for kind in kinds if ctx.may_visit(kind, job)]
    if not reachable:
        return OUT_OF_REACH
    peak = list(job.load)
    if not any(all(a <= c for a, c in zip(peak, kind.capacity, strict=True)) for kind in reachable):
        return NO_CAPACITY
    orders = list(itertools.islice(itertools.permutations(job.pickups), 24))
    only_ride = False
    for shift in ctx.problem.shifts:
        kind = ctx.kind_of(shift)
        if not ctx.may_visit(kind, job) or not all(a <= c for a, c in zip(peak, kind.capacity, strict=True)):
            continue
        for order in orders:
            steps: list[Step] = [(START, "", "")]
            steps += [(PICKUP, job.key, pickup.key) for pickup in order]
            steps += [(DROP, job.key, ""), (END, "", "")]
            faults = schedule_route(ctx, shift, steps).faults
            if not faults:
                return None
            if all(reason == RIDE_TOO_LONG for _, reason in faults):
                only_ride = True
    return RIDE_TOO_LONG if only_ride else NO_TIME


# ---- the live plan as steps, repair and insertion ----------------------------------------------


@dataclass
class RoutesInProgress:
    """Routes under construction: steps per shift, and how many leading visits are fixed."""

    steps: dict[str, list[Step]]
    fixed: dict[str, list[Visit]]

    def locked(self, shift_key: str) -> int:
        return max(1, len(self.fixed.get(shift_key, ())))


def without_job(steps: list[Step], job_key: str) -> list[Step]:
    return [step for step in steps if step[1] != job_key]


def repair_routes(ctx: PlanningContext, routes: RoutesInProgress, removed: dict[str, str]) -> None:
    """Takes jobs out of each route until our schedule finds no fault in it (reasons in ``removed``)."""
    for shift_key, steps in routes.steps.items():
        shift = ctx.shifts[shift_key]
        fixed = routes.fixed.get(shift_key, [])
        fixed_jobs = {visit.job for visit in fixed}
        while True:
            steps = without_empty_trips(steps, routes.locked(shift_key))
            faults = [
                (job, reason)
                for job, reason in schedule_route(ctx, shift, steps, fixed).faults
                if job not in fixed_jobs
            ]
            if not faults:
                break
            job_key, reason = faults[0]
            if reason == OUT_OF_REACH:
                reason = NOT_PLANNED  # reachable by another kind (triage said so): left out here
            # A ride-time fault outranks the others for the same job: it is the one to report.
            if any(job == job_key and r == RIDE_TOO_LONG for job, r in faults):
                reason = RIDE_TOO_LONG
            removed[job_key] = reason if removed.get(job_key) != RIDE_TOO_LONG else RIDE_TOO_LONG
            steps = without_job(steps, job_key)
        routes.steps[shift_key] = steps


NEW_TRIP = -1


def insertion_candidates(
    ctx: PlanningContext, routes: RoutesInProgress, job: Job
) -> list[tuple[int, int, int, int, str]]:
    """Every way to insert ``job`` — (added metres, shift order, p, q, shift key): the pickups as one
    block before step ``p``, the drop before step ``q`` (``q == p``: right after the block;
    ``NEW_TRIP``: a new trip from the hub at the end of the shift) — cheapest first. Positions the
    current schedule already passes after a window's close are skipped."""
    drop_late = job.drop_window[1]
    pickup_late = min((pickup.window[1] for pickup in job.pickups), default=drop_late)
    candidates: list[tuple[int, int, int, int, str]] = []
    for order, shift in enumerate(ctx.problem.shifts):
        kind = ctx.kind_of(shift)
        if not ctx.may_visit(kind, job) or any(a > c for a, c in zip(job.load, kind.capacity, strict=True)):
            continue
        steps = routes.steps.get(shift.key) or [(START, "", ""), (END, "", "")]
        if steps[-1][0] != END:
            continue
        locked = routes.locked(shift.key)
        if locked >= len(steps):
            continue
        fixed = routes.fixed.get(shift.key, [])
        # When each step is left at the soonest: a hub departure delayed to save waiting could be earlier.
        leaving = [
            visit.departure
            if visit.kind not in (START, RELOAD) or i < len(fixed)
            else visit.start + (ctx.problem.reload_service if visit.kind == RELOAD else 0)
            for i, visit in enumerate(schedule_route(ctx, shift, steps, fixed).visits)
        ]
        distances, _ = ctx.lists(kind)
        places = [ctx.place(shift, step) for step in steps]
        block_places = [ctx.index[pickup.location] for pickup in job.pickups]
        drop_place = ctx.index[job.drop]
        inner = sum(distances[a][b] for a, b in itertools.pairwise(block_places))
        drop_costs = [
            distances[places[q - 1]][drop_place]
            + distances[drop_place][places[q]]
            - distances[places[q - 1]][places[q]]
            for q in range(1, len(steps))
        ]
        for p in range(locked, len(steps)):
            if leaving[p - 1] > (pickup_late if block_places else drop_late):
                break  # the route leaves step p - 1 after the window closed: no later position either
            before, after = places[p - 1], places[p]
            if not block_places:
                candidates.append((drop_costs[p - 1], order, p, p, shift.key))
                continue
            lead = distances[before][block_places[0]] + inner
            together = (
                lead + distances[block_places[-1]][drop_place] + distances[drop_place][after] - distances[before][after]
            )
            candidates.append((together, order, p, p, shift.key))
            alone = lead + distances[block_places[-1]][after] - distances[before][after]
            for q in range(p + 1, len(steps)):
                if leaving[q - 1] > drop_late:
                    break
                candidates.append((alone + drop_costs[q - 1], order, p, q, shift.key))
        if steps[-2][0] not in (START, RELOAD) and len(steps) - 1 >= locked and leaving[-2] <= drop_late:
            hub = places[-1]
            trip = [hub, *block_places, drop_place, hub]
            cost = sum(distances[a][b] for a, b in itertools.pairwise(trip))
            candidates.append((cost, order, len(steps) - 1, NEW_TRIP, shift.key))
    candidates.sort(key=lambda candidate: candidate[:2])
    return candidates


def with_job(steps: list[Step], job: Job, p: int, q: int) -> list[Step]:
    block: list[Step] = [(PICKUP, job.key, pickup.key) for pickup in job.pickups]
    drop: Step = (DROP, job.key, "")
    if q == NEW_TRIP:
        return [*steps[:-1], (RELOAD, "", ""), *block, drop, steps[-1]]
    return [*steps[:p], *block, *steps[p:q], drop, *steps[q:]]


def insert_cheapest(ctx: PlanningContext, routes: RoutesInProgress, job: Job, max_tries: int = 400) -> str | None:
    """Inserts ``job`` where it costs least and the route holds; None when done, else the reason."""
    ride_fault = False
    for _, _, p, q, shift_key in insertion_candidates(ctx, routes, job)[:max_tries]:
        base = routes.steps.get(shift_key) or [(START, "", ""), (END, "", "")]
        steps = with_job(base, job, p, q)
        faults = schedule_route(ctx, ctx.shifts[shift_key], steps, routes.fixed.get(shift_key, [])).faults
        if not faults:
            routes.steps[shift_key] = steps
            return None
        ride_fault = ride_fault or any(reason == RIDE_TOO_LONG and key == job.key for key, reason in faults)
    return RIDE_TOO_LONG if ride_fault else NOT_PLANNED


def build_plan(
    ctx: PlanningContext, routes: RoutesInProgress, unassigned: dict[str, str], solver: str, started: float, seed: int
) -> Plan:
    plan_routes: list[Route] = []
    for shift in ctx.problem.shifts:
        steps = routes.steps.get(shift.key)
        if not steps:
            continue
        fixed = routes.fixed.get(shift.key, [])
        steps = without_empty_trips(steps, routes.locked(shift.key))
        if len(steps) <= 2 and not fixed:
            continue  # an unused shift
        schedule = schedule_route(ctx, shift, steps, fixed)
        plan_routes.append(Route(shift.key, tuple(schedule.visits), schedule.distance, schedule.duration))
    ordered = {job.key: unassigned[job.key] for job in ctx.problem.jobs if job.key in unassigned}
    return Plan(plan_routes, ordered, solver, round(time.perf_counter() - started, 3), seed)


def frozen_prefixes(ctx: PlanningContext) -> tuple[RoutesInProgress, set[str]]:
    """Each shift's fixed prefix (frozen visits, then the rest of the jobs they started), and the
    jobs they hold."""
    routes = RoutesInProgress(steps={}, fixed={})
    held: set[str] = set()
    for shift in ctx.problem.shifts:
        frozen = list(ctx.problem.frozen.get(shift.key, ()))
        if not frozen:
            routes.steps[shift.key] = [(START, "", ""), (END, "", "")]
            continue
        steps = steps_of(frozen)
        jobs_in = list(dict.fromkeys(visit.job for visit in frozen if visit.job))
        held.update(jobs_in)
        if steps[-1][0] != END:
            for job_key in jobs_in:
                done = {step for step in steps if step[1] == job_key}
                job = ctx.jobs[job_key]
                if (DROP, job_key, "") in done:
                    continue
                steps += [(PICKUP, job_key, p.key) for p in job.pickups if (PICKUP, job_key, p.key) not in done]
                steps.append((DROP, job_key, ""))
            # The appended visits are fixed too, with the times our schedule gives them.
            schedule = schedule_route(ctx, shift, [*steps, (END, "", "")], frozen)
            frozen = schedule.visits[: len(steps)]
            steps.append((END, "", ""))
        routes.steps[shift.key] = steps
        routes.fixed[shift.key] = frozen
    return routes, held


def finish_routes(
    ctx: PlanningContext,
    routes: RoutesInProgress,
    solved: dict[str, list[Step]],
    pending: list[Job],
    unassigned: dict[str, str],
    deadline: float,
) -> None:
    """Merges the solver's routes into ``routes``, repairs them, reinserts what fell out."""
    pending_keys = {job.key for job in pending}
    where: dict[str, set[str]] = {}
    for shift_key, tail in solved.items():
        merged: list[Step] = []
        for step in tail:
            if step[0] == DROP and (DROP, step[1], "") in merged:
                merged.remove((DROP, step[1], ""))  # a multi-shop job keeps its last drop
            merged.append(step)
        for step in merged:
            if step[1]:
                where.setdefault(step[1], set()).add(shift_key)
        base = routes.steps[shift_key]
        routes.steps[shift_key] = [*base[:-1], *merged, base[-1]]
    removed: dict[str, str] = {}
    for job_key, shift_keys in where.items():
        job = ctx.jobs[job_key]
        complete = len(shift_keys) == 1 and all(
            (PICKUP, job_key, pickup.key) in routes.steps[next(iter(shift_keys))] for pickup in job.pickups
        )
        if not complete or job_key not in pending_keys:
            for shift_key in shift_keys:
                routes.steps[shift_key] = without_job(routes.steps[shift_key], job_key)
            removed[job_key] = NOT_PLANNED
    repair_routes(ctx, routes, removed)
    served = {step[1] for steps in routes.steps.values() for step in steps if step[0] == DROP}
    out = [job for job in pending if job.key not in served]
    out.sort(key=lambda job: (not job.required, -job.priority))
    for job in out:
        if time.perf_counter() > deadline:
            unassigned[job.key] = removed.get(job.key, NOT_PLANNED)
            continue
        reason = insert_cheapest(ctx, routes, job)
        if reason is not None:
            unassigned[job.key] = RIDE_TOO_LONG if RIDE_TOO_LONG in (reason, removed.get(job.key)) else NOT_PLANNED
