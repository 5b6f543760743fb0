"""Solvers of the delivery-planning problem: PyVRP (default), pyvroom, and one-job insertion (no Django).

Design note
-----------
``Solver.solve(problem, travel, time_limit=…, seed=…)`` returns a ``Plan`` the independent checker
(``checker.check_plan``) accepts, or raises ``PlanRejected``: an adapter never returns a plan the
checker rejects. Every adapter runs the same pipeline:

1. **Triage.** Each job is first tried alone (``_alone_reason``): no vehicle kind of the day may
   reach all its places → ``OUT_OF_REACH``; bigger than every reachable vehicle → ``NO_CAPACITY``;
   no shift can serve it alone within its windows → ``NO_TIME`` (or ``RIDE_TOO_LONG`` when only the
   chilled ride time fails). Such jobs never reach the solver.
2. **Solve.** PyVRP: each pickup of a job becomes a ``Shipment`` to the job's drop (a multi-shop
   job is several shipments sharing the drop location, each carrying the drop's service time: an
   overestimate the solver sees, our schedule counts the drop once); a job without pickups is a
   ``Client`` with a delivery load (loaded at the hub). One routing profile per vehicle kind, with
   that kind's matrices; for a centre-only kind every edge to or from a place outside the centre
   costs ``UNREACHABLE`` (huge distance and duration). One vehicle type per group of alike shifts
   (kind, hub, hours; PyVRP searches much faster with few types), start and end at the hub, the
   hub as reload depot (multi-trip; ``multi_trip=False`` for one trip a shift). Required jobs are
   required; optional ones carry a prize (scaled by priority, far above any detour) so the solver
   drops them only when they do not fit. Stopping: the time budget, and optionally an iteration
   count or a number of iterations without improvement — a run stopped by an iteration criterion is
   deterministic for a given seed; one stopped by the clock may differ between runs.
   pyvroom: the same mapping (shipments, jobs, one vehicle per shift, per-kind profiles) without
   multi-trip (VROOM has no reloads): a shift is one trip.
3. **Repair (our code).** The solver's routes become our own steps; a multi-shop job keeps one drop,
   after its last pickup. A job whose parts landed on different routes (or partly unplanned) is
   taken out. Each route is then scheduled by our own simulation (earliest times; the courier leaves
   the hub late enough not to wait at the trip's first stop); the first job that breaks a window,
   the capacity, the shift's end or the chilled ride time is taken out, until the route holds.
   PyVRP and VROOM have no ride-time constraint: the engines see a chilled job's windows narrowed
   by what the limit implies (``_solver_windows``: no pickup before the drop's opening minus the
   limit, no drop after the last pickup's closing plus the limit), which removes most violations
   without excluding any valid plan; chilled jobs that still ride too long are taken out here.
4. **Reinsertion (our code).** Jobs taken out (and jobs the solver left out) are re-inserted by
   cheapest feasible insertion (pickups as one block, the drop at or after it, or a new trip at the
   end of a shift), required first then by priority, while the time budget lasts. What is still out
   is unassigned: ``RIDE_TOO_LONG`` when taken out for the ride time, else ``NOT_PLANNED``.
5. **Check.** ``check_plan``; any violation raises ``PlanRejected(violations)``.

Frozen rounds (``Problem.frozen``, rounds under way) — an approximation: the frozen visits of a
shift are kept verbatim; a job partly in them (picked up, not yet dropped) gets its remaining
pickups and drop appended right after them, in the job's order; the solver then plans the rest of
the shift as a vehicle starting from the last place of that prefix at the time it leaves it (a
depot made there when it is not the hub), with the hub as end and reload depot. A shift whose
frozen visits end with END is left as it is. Jobs of frozen visits are never re-planned. The load
still on board at the end of the prefix is not told to the solver (our repair accounts for it).

``insert_job`` adds one job (an order paid after planning) into a live plan by the same cheapest
feasible insertion, never touching visits already frozen or done (departed by ``now``), and never
reordering other visits; if nothing fits, the job is unassigned with its reason.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Protocol

import numpy as np

from logistics.planning.checker import Violation, check_plan
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

# Distance and duration of an edge a vehicle kind may not take (below PyVRP's MAX_VALUE, 2**44, with
# room for sums of a few of them).
UNREACHABLE = 1 << 36

Step = tuple[str, str, str]  # (visit kind, job key, pickup key)
HUB_KINDS = (START, RELOAD, END)
OUTSIDE_SKILL = 1  # VROOM: what a vehicle needs to serve a job with a place outside the centre


class PlanRejected(Exception):
    """The checker rejected the plan an adapter built: it must not be published."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = list(violations)
        shown = "; ".join(str(violation) for violation in self.violations[:5])
        more = f" (+{len(self.violations) - 5} more)" if len(self.violations) > 5 else ""
        super().__init__(f"plan rejected by the checker: {shown}{more}")


class Solver(Protocol):
    name: str

    def solve(self, problem: Problem, travel: TravelTimes, *, time_limit: float, seed: int) -> Plan:
        """A plan of ``problem`` the checker accepts, found within about ``time_limit`` seconds."""
        ...


# ---- our own model of the problem: locations, matrices, schedules -------------------------------


class _Context:
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
class _Schedule:
    visits: list[Visit]
    distance: int
    duration: int
    faults: list[tuple[str, str]]  # (job key, reason code) in route order; empty when the route holds


def _steps_of(visits: Sequence[Visit]) -> list[Step]:
    return [(visit.kind, visit.job, visit.pickup) for visit in visits]


def _schedule(ctx: _Context, shift: Shift, steps: Sequence[Step], fixed: Sequence[Visit] = ()) -> _Schedule:
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
    return _Schedule(visits, distance, duration, faults)


def _tidy(steps: list[Step], locked: int) -> list[Step]:
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


def _alone_reason(ctx: _Context, job: Job) -> str | None:
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
            faults = _schedule(ctx, shift, steps).faults
            if not faults:
                return None
            if all(reason == RIDE_TOO_LONG for _, reason in faults):
                only_ride = True
    return RIDE_TOO_LONG if only_ride else NO_TIME


# ---- the live plan as steps, repair and insertion ----------------------------------------------


@dataclass
class _Routes:
    """Routes under construction: steps per shift, and how many leading visits are fixed."""

    steps: dict[str, list[Step]]
    fixed: dict[str, list[Visit]]

    def locked(self, shift_key: str) -> int:
        return max(1, len(self.fixed.get(shift_key, ())))


def _remove_job(steps: list[Step], job_key: str) -> list[Step]:
    return [step for step in steps if step[1] != job_key]


def _repair(ctx: _Context, routes: _Routes, removed: dict[str, str]) -> None:
    """Takes jobs out of each route until our schedule finds no fault in it (reasons in ``removed``)."""
    for shift_key, steps in routes.steps.items():
        shift = ctx.shifts[shift_key]
        fixed = routes.fixed.get(shift_key, [])
        fixed_jobs = {visit.job for visit in fixed}
        while True:
            steps = _tidy(steps, routes.locked(shift_key))
            faults = [
                (job, reason) for job, reason in _schedule(ctx, shift, steps, fixed).faults if job not in fixed_jobs
            ]
            if not faults:
                break
            job_key, reason = faults[0]
            # A ride-time fault outranks the others for the same job: it is the one to report.
            if any(job == job_key and r == RIDE_TOO_LONG for job, r in faults):
                reason = RIDE_TOO_LONG
            removed[job_key] = reason if removed.get(job_key) != RIDE_TOO_LONG else RIDE_TOO_LONG
            steps = _remove_job(steps, job_key)
        routes.steps[shift_key] = steps


def _insertion_candidates(ctx: _Context, routes: _Routes, job: Job) -> list[tuple[int, int, str, list[Step]]]:
    """Every way to insert ``job`` (pickups as one block, drop at or after it), cheapest first."""
    block: list[Step] = [(PICKUP, job.key, pickup.key) for pickup in job.pickups]
    drop: Step = (DROP, job.key, "")
    candidates: list[tuple[int, int, str, list[Step]]] = []
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
            before, after = places[p - 1], places[p]
            if not block:
                candidates.append((drop_costs[p - 1], order, shift.key, [*steps[:p], drop, *steps[p:]]))
                continue
            lead = distances[before][block_places[0]] + inner
            together = (
                lead + distances[block_places[-1]][drop_place] + distances[drop_place][after] - distances[before][after]
            )
            candidates.append((together, order, shift.key, [*steps[:p], *block, drop, *steps[p:]]))
            alone = lead + distances[block_places[-1]][after] - distances[before][after]
            for q in range(p + 1, len(steps)):
                candidates.append(
                    (alone + drop_costs[q - 1], order, shift.key, [*steps[:p], *block, *steps[p:q], drop, *steps[q:]])
                )
        # A new trip at the end of the shift, from the hub.
        if steps[-2][0] not in (START, RELOAD) and len(steps) - 1 >= locked:
            hub = places[-1]
            trip = [hub, *block_places, drop_place, hub]
            cost = sum(distances[a][b] for a, b in itertools.pairwise(trip))
            candidates.append((cost, order, shift.key, [*steps[:-1], (RELOAD, "", ""), *block, drop, steps[-1]]))
    candidates.sort(key=lambda candidate: (candidate[0], candidate[1]))
    return candidates


def _insert(ctx: _Context, routes: _Routes, job: Job, max_tries: int = 400) -> str | None:
    """Inserts ``job`` where it costs least and the route holds; None when done, else the reason."""
    ride_fault = False
    for _, _, shift_key, steps in _insertion_candidates(ctx, routes, job)[:max_tries]:
        faults = _schedule(ctx, ctx.shifts[shift_key], steps, routes.fixed.get(shift_key, [])).faults
        if not faults:
            routes.steps[shift_key] = steps
            return None
        ride_fault = ride_fault or any(reason == RIDE_TOO_LONG and key == job.key for key, reason in faults)
    return RIDE_TOO_LONG if ride_fault else NOT_PLANNED


def _build_plan(
    ctx: _Context, routes: _Routes, unassigned: dict[str, str], solver: str, started: float, seed: int
) -> Plan:
    plan_routes: list[Route] = []
    for shift in ctx.problem.shifts:
        steps = routes.steps.get(shift.key)
        if not steps:
            continue
        fixed = routes.fixed.get(shift.key, [])
        steps = _tidy(steps, routes.locked(shift.key))
        if len(steps) <= 2 and not fixed:
            continue  # an unused shift
        schedule = _schedule(ctx, shift, steps, fixed)
        plan_routes.append(Route(shift.key, tuple(schedule.visits), schedule.distance, schedule.duration))
    ordered = {job.key: unassigned[job.key] for job in ctx.problem.jobs if job.key in unassigned}
    return Plan(plan_routes, ordered, solver, round(time.perf_counter() - started, 3), seed)


def _frozen_prefixes(ctx: _Context) -> tuple[_Routes, set[str]]:
    """Each shift's fixed prefix (frozen visits, then the rest of the jobs they started), and the
    jobs they hold."""
    routes = _Routes(steps={}, fixed={})
    held: set[str] = set()
    for shift in ctx.problem.shifts:
        frozen = list(ctx.problem.frozen.get(shift.key, ()))
        if not frozen:
            routes.steps[shift.key] = [(START, "", ""), (END, "", "")]
            continue
        steps = _steps_of(frozen)
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
            schedule = _schedule(ctx, shift, [*steps, (END, "", "")], frozen)
            frozen = schedule.visits[: len(steps)]
            steps.append((END, "", ""))
        routes.steps[shift.key] = steps
        routes.fixed[shift.key] = frozen
    return routes, held


def _finish(
    ctx: _Context,
    routes: _Routes,
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
                routes.steps[shift_key] = _remove_job(routes.steps[shift_key], job_key)
            removed[job_key] = NOT_PLANNED
    _repair(ctx, routes, removed)
    served = {step[1] for steps in routes.steps.values() for step in steps if step[0] == DROP}
    out = [job for job in pending if job.key not in served]
    out.sort(key=lambda job: (not job.required, -job.priority))
    for job in out:
        if time.perf_counter() > deadline:
            unassigned[job.key] = removed.get(job.key, NOT_PLANNED)
            continue
        reason = _insert(ctx, routes, job)
        if reason is not None:
            unassigned[job.key] = RIDE_TOO_LONG if RIDE_TOO_LONG in (reason, removed.get(job.key)) else NOT_PLANNED


def _checked(problem: Problem, plan: Plan, travel: TravelTimes) -> Plan:
    violations = check_plan(problem, plan, travel)
    if violations:
        raise PlanRejected(violations)
    return plan


class _PipelineSolver:
    """Triage, the engine's routes, repair, reinsertion, check: the engines differ in ``_routes``."""

    name = ""
    share_of_time = 0.8  # the rest of the budget is left to repair and reinsertion

    def solve(self, problem: Problem, travel: TravelTimes, *, time_limit: float, seed: int) -> Plan:
        started = time.perf_counter()
        deadline = started + time_limit
        ctx = _Context(problem, travel)
        routes, held = _frozen_prefixes(ctx)
        unassigned: dict[str, str] = {}
        pending: list[Job] = []
        for job in problem.jobs:
            if job.key in held:
                continue
            reason = _alone_reason(ctx, job)
            if reason is None:
                pending.append(job)
            else:
                unassigned[job.key] = reason
        solved: dict[str, list[Step]] = {}
        if pending:
            budget = max(0.0, time_limit * self.share_of_time - (time.perf_counter() - started))
            solved = self._routes(ctx, routes, pending, budget, seed)
        _finish(ctx, routes, solved, pending, unassigned, deadline)
        plan = _build_plan(ctx, routes, unassigned, self.name, started, seed)
        return _checked(problem, plan, travel)

    def _routes(
        self, ctx: _Context, routes: _Routes, jobs: list[Job], time_limit: float, seed: int
    ) -> dict[str, list[Step]]:
        """Shift key -> the steps the engine plans after the shift's fixed prefix (no START, no END)."""
        raise NotImplementedError


@dataclass
class _Vehicle:
    shift: Shift
    place: int  # where it starts: the end of the fixed prefix
    start: int  # when


def _vehicles(ctx: _Context, routes: _Routes) -> list[_Vehicle]:
    vehicles = []
    for shift in ctx.problem.shifts:
        steps = routes.steps[shift.key]
        fixed = routes.fixed.get(shift.key)
        if not fixed:
            vehicles.append(_Vehicle(shift, ctx.index[shift.hub], shift.start))
        elif fixed[-1].kind != END:
            vehicles.append(_Vehicle(shift, ctx.place(shift, steps[len(fixed) - 1]), fixed[-1].departure))
    return vehicles


def _prizes(ctx: _Context, jobs: list[Job], kinds: list[VehicleKind]) -> int:
    """A prize unit far above any detour: four times the longest reachable edge, plus one."""
    longest = 0
    for kind in kinds:
        distances, _ = ctx.matrices(kind)
        reachable = distances[distances < UNREACHABLE]
        if reachable.size:
            longest = max(longest, int(reachable.max()))
    return 4 * longest + 1


def _kind_matrices(ctx: _Context, kind: VehicleKind) -> tuple[Matrix, Matrix]:
    distances, durations = ctx.matrices(kind)
    if not kind.centre_only:
        return distances, durations
    outside = np.array([not location.in_centre for location in ctx.locations])
    hubs = np.zeros(len(ctx.locations), dtype=bool)
    for shift in ctx.problem.shifts:
        hubs[ctx.index[shift.hub]] = True
    blocked = outside & ~hubs
    mask = blocked[:, None] | blocked[None, :]
    np.fill_diagonal(mask, False)
    return np.where(mask, UNREACHABLE, distances), np.where(mask, UNREACHABLE, durations)


def _solver_windows(problem: Problem, job: Job, pickup: Pickup) -> tuple[tuple[int, int], tuple[int, int]]:
    """(pickup window, drop window) told to an engine without a ride-time constraint: for a chilled
    job, windows narrowed by what the ride limit implies (a pickup earlier than the drop's opening
    minus the limit, or a drop later than the pickup's closing plus the limit, would ride too long).
    Never wider than the job's own windows."""
    pickup_window, drop_window = pickup.window, job.drop_window
    limit = problem.max_ride_seconds
    if not job.chilled or limit is None:
        return pickup_window, drop_window
    latest_pickup = max(p.window[1] for p in job.pickups)
    narrowed_pickup = (max(pickup_window[0], drop_window[0] - limit), pickup_window[1])
    narrowed_drop = (drop_window[0], min(drop_window[1], latest_pickup + max(p.service for p in job.pickups) + limit))
    if narrowed_pickup[0] > narrowed_pickup[1] or narrowed_drop[0] > narrowed_drop[1]:
        return pickup_window, drop_window
    return narrowed_pickup, narrowed_drop


class PyVrpSolver(_PipelineSolver):
    """PyVRP's iterated local search (the default engine)."""

    name = "pyvrp 0.14.1"

    def __init__(
        self, *, max_iterations: int | None = None, no_improvement: int | None = 20_000, multi_trip: bool = True
    ) -> None:
        self.max_iterations = max_iterations
        self.no_improvement = no_improvement
        self.multi_trip = multi_trip  # False: one trip per shift (the academic benchmarks)

    def _routes(
        self, ctx: _Context, routes: _Routes, jobs: list[Job], time_limit: float, seed: int
    ) -> dict[str, list[Step]]:
        import pyvrp
        from pyvrp import stop

        vehicles = _vehicles(ctx, routes)
        if not vehicles:
            return {}
        kinds = list({vehicle.shift.kind: ctx.problem.kinds[vehicle.shift.kind] for vehicle in vehicles}.values())
        profile = {kind.key: i for i, kind in enumerate(kinds)}
        matrices = [_kind_matrices(ctx, kind) for kind in kinds]
        unit = _prizes(ctx, jobs, kinds)

        depot_places = list(
            dict.fromkeys([vehicle.place for vehicle in vehicles] + [ctx.index[v.shift.hub] for v in vehicles])
        )
        depot_of = {place: i for i, place in enumerate(depot_places)}
        service = ctx.problem.reload_service
        depots = [pyvrp.Depot(location=place, service_duration=service) for place in depot_places]
        # Shifts alike (kind, hub, start place, hours) share one vehicle type: PyVRP searches much
        # faster with a few types of several vehicles than with many types of one.
        groups: dict[tuple[str, int, int, int, int], list[_Vehicle]] = {}
        for vehicle in vehicles:
            alike = (vehicle.shift.kind, ctx.index[vehicle.shift.hub], vehicle.place, vehicle.start, vehicle.shift.end)
            groups.setdefault(alike, []).append(vehicle)
        vehicle_types = []
        for (kind_key, hub, place, start, end), members in groups.items():
            vehicle_types.append(
                pyvrp.VehicleType(
                    num_available=len(members),
                    capacity=list(ctx.problem.kinds[kind_key].capacity),
                    start_depot=depot_of[place],
                    end_depot=depot_of[hub],
                    tw_early=start,
                    tw_late=end,
                    profile=profile[kind_key],
                    reload_depots=[depot_of[hub]] if self.multi_trip else [],
                    name=",".join(member.shift.key for member in members),
                )
            )
        free = [list(members) for members in groups.values()]
        clients: list[pyvrp.Client] = []
        client_jobs: list[str] = []
        shipments: list[pyvrp.Shipment] = []
        shipment_steps: list[Step] = []
        for job in jobs:
            prize = 0 if job.required else unit * max(1, job.priority)
            if not job.pickups:
                clients.append(
                    pyvrp.Client(
                        location=ctx.index[job.drop],
                        delivery=list(job.load),
                        pickup=[0] * len(job.load),
                        service_duration=job.drop_service,
                        tw_early=job.drop_window[0],
                        tw_late=job.drop_window[1],
                        prize=prize,
                        required=job.required,
                        name=job.key,
                    )
                )
                client_jobs.append(job.key)
                continue
            for pickup in job.pickups:
                pickup_window, drop_window = _solver_windows(ctx.problem, job, pickup)
                shipments.append(
                    pyvrp.Shipment(
                        pickup_location=ctx.index[pickup.location],
                        delivery_location=ctx.index[job.drop],
                        pickup_tw_early=pickup_window[0],
                        pickup_tw_late=pickup_window[1],
                        pickup_service_duration=pickup.service,
                        delivery_tw_early=drop_window[0],
                        delivery_tw_late=drop_window[1],
                        delivery_service_duration=job.drop_service,
                        amount=list(pickup.load),
                        prize=prize // len(job.pickups) + 1 if prize else 0,
                        required=job.required,
                        name=f"{job.key}/{pickup.key}",
                    )
                )
                shipment_steps.append((PICKUP, job.key, pickup.key))
        data = pyvrp.ProblemData(
            locations=[pyvrp.Location(x=location.lon, y=location.lat) for location in ctx.locations],
            clients=clients,
            depots=depots,
            vehicle_types=vehicle_types,
            distance_matrices=[distances for distances, _ in matrices],  # type: ignore[misc]
            duration_matrices=[durations for _, durations in matrices],  # type: ignore[misc]
            shipments=shipments,
        )
        criteria: list[stop.StoppingCriterion] = [stop.MaxRuntime(time_limit)]
        if self.max_iterations is not None:
            criteria.append(stop.MaxIterations(self.max_iterations))
        if self.no_improvement is not None:
            criteria.append(stop.NoImprovement(self.no_improvement))
        result = pyvrp.solve(data, stop.MultipleCriteria(criteria), seed=seed, collect_stats=False, display=False)
        solved: dict[str, list[Step]] = {}
        for route in result.best.routes():
            vehicle = free[route.vehicle_type()].pop(0)
            activities = list(route.schedule())
            steps: list[Step] = []
            for position, activity in enumerate(activities):
                if activity.is_depot():
                    if 0 < position < len(activities) - 1:
                        steps.append((RELOAD, "", ""))
                elif activity.is_client():
                    steps.append((DROP, client_jobs[activity.idx], ""))
                elif activity.is_pickup():
                    steps.append(shipment_steps[activity.idx])
                else:
                    steps.append((DROP, shipment_steps[activity.idx][1], ""))
            solved[vehicle.shift.key] = steps
        return solved


class VroomSolver(_PipelineSolver):
    """VROOM through pyvroom: fast, no multi-trip (a shift is one trip)."""

    name = "vroom 1.15.2"

    def __init__(self, *, exploration_level: int = 5, threads: int = 1) -> None:
        self.exploration_level = exploration_level
        self.threads = threads

    def _routes(
        self, ctx: _Context, routes: _Routes, jobs: list[Job], time_limit: float, seed: int
    ) -> dict[str, list[Step]]:
        import vroom  # type: ignore[import-untyped]

        vehicles = _vehicles(ctx, routes)
        if not vehicles:
            return {}
        problem_instance = vroom.Input()
        kinds = list({vehicle.shift.kind: ctx.problem.kinds[vehicle.shift.kind] for vehicle in vehicles}.values())
        for kind in kinds:
            # Centre-only kinds lack the skill of the jobs outside the centre (below), so the
            # matrices stay plain.
            distances, durations = ctx.matrices(kind)
            problem_instance.set_durations_matrix(profile=kind.key, matrix_input=durations.astype(np.uint32))
            problem_instance.set_distances_matrix(profile=kind.key, matrix_input=distances.astype(np.uint32))
            problem_instance.set_costs_matrix(profile=kind.key, matrix_input=distances.astype(np.uint32))
        for number, vehicle in enumerate(vehicles):
            problem_instance.add_vehicle(
                vroom.Vehicle(
                    id=number,
                    start=vehicle.place,
                    end=ctx.index[vehicle.shift.hub],
                    profile=vehicle.shift.kind,
                    capacity=list(ctx.problem.kinds[vehicle.shift.kind].capacity),
                    time_window=vroom.TimeWindow(vehicle.start, vehicle.shift.end),
                    skills=set() if ctx.problem.kinds[vehicle.shift.kind].centre_only else {OUTSIDE_SKILL},
                )
            )
        steps_by_id: dict[int, Step] = {}
        next_id = 1
        for job in jobs:
            priority = min(100, 10 * job.priority + (50 if job.required else 0))
            skills = set() if all(place.in_centre for place in ctx.job_places(job)) else {OUTSIDE_SKILL}
            if not job.pickups:
                steps_by_id[next_id] = (DROP, job.key, "")
                problem_instance.add_job(
                    vroom.Job(
                        id=next_id,
                        location=ctx.index[job.drop],
                        default_service=job.drop_service,
                        delivery=vroom.Amount(list(job.load)),
                        time_windows=[vroom.TimeWindow(*job.drop_window)],
                        priority=priority,
                        skills=skills,
                    )
                )
                next_id += 1
                continue
            for pickup in job.pickups:
                pickup_window, drop_window = _solver_windows(ctx.problem, job, pickup)
                steps_by_id[next_id] = (PICKUP, job.key, pickup.key)
                steps_by_id[next_id + 1] = (DROP, job.key, "")
                problem_instance.add_shipment(
                    vroom.ShipmentStep(
                        id=next_id,
                        location=ctx.index[pickup.location],
                        default_service=pickup.service,
                        time_windows=[vroom.TimeWindow(*pickup_window)],
                    ),
                    vroom.ShipmentStep(
                        id=next_id + 1,
                        location=ctx.index[job.drop],
                        default_service=job.drop_service,
                        time_windows=[vroom.TimeWindow(*drop_window)],
                    ),
                    amount=vroom.Amount(list(pickup.load)),
                    priority=priority,
                    skills=skills,
                )
                next_id += 2
        solution = problem_instance.solve(
            exploration_level=self.exploration_level,
            nb_threads=self.threads,
            timeout=timedelta(seconds=time_limit),
        )
        solved: dict[str, list[Step]] = {}
        table = solution.routes
        for vehicle_number in sorted(set(table["vehicle_id"])):
            rows = table[table["vehicle_id"] == vehicle_number]
            steps: list[Step] = []
            for step_type, step_id in zip(rows["type"], rows["id"], strict=True):
                if step_type in ("job", "pickup", "delivery"):
                    steps.append(steps_by_id[int(step_id)])
            solved[vehicles[int(vehicle_number)].shift.key] = steps
        return solved


# ---- one more job into a live plan --------------------------------------------------------------


def insert_job(problem: Problem, plan: Plan, job: Job, travel: TravelTimes, *, now: int | None = None) -> Plan:
    """``plan`` with ``job`` added where it costs least and breaks nothing, or listed unassigned with
    its reason. Frozen visits and visits departed by ``now`` are kept as they are; no route's visits
    are reordered, only the job's visits are added. The result passes the checker (else
    ``PlanRejected``)."""
    started = time.perf_counter()
    if job.key not in {known.key for known in problem.jobs}:
        problem = replace(problem, jobs=(*problem.jobs, job))
    ctx = _Context(problem, travel)
    routes = _Routes(steps={}, fixed={})
    for route in plan.routes:
        frozen = len(problem.frozen.get(route.shift, ()))
        done = 0 if now is None else sum(1 for visit in route.visits if visit.departure <= now)
        routes.steps[route.shift] = _steps_of(route.visits)
        routes.fixed[route.shift] = list(route.visits[: max(frozen, done, 1)])
    for shift in problem.shifts:
        if shift.key not in routes.steps:
            start_at = shift.start if now is None else max(shift.start, now)
            if start_at < shift.end:
                routes.steps[shift.key] = [(START, "", ""), (END, "", "")]
                routes.fixed[shift.key] = [Visit(START, arrival=start_at, start=start_at, departure=start_at)]
    unassigned = {key: reason for key, reason in plan.unassigned.items() if key != job.key}
    before = {key: list(steps) for key, steps in routes.steps.items()}
    reason = _alone_reason(ctx, job)
    if reason is None:
        reason = _insert(ctx, routes, job)
    if reason is not None:
        unassigned[job.key] = reason
    plan_routes = []
    for route in plan.routes:
        if routes.steps[route.shift] == before[route.shift]:
            plan_routes.append(route)  # untouched: kept exactly, times included
        else:
            schedule = _schedule(ctx, ctx.shifts[route.shift], routes.steps[route.shift], routes.fixed[route.shift])
            plan_routes.append(Route(route.shift, tuple(schedule.visits), schedule.distance, schedule.duration))
    for shift in problem.shifts:
        if shift.key not in {route.shift for route in plan.routes} and routes.steps.get(shift.key) != before.get(
            shift.key
        ):
            schedule = _schedule(ctx, shift, routes.steps[shift.key], routes.fixed[shift.key])
            plan_routes.append(Route(shift.key, tuple(schedule.visits), schedule.distance, schedule.duration))
    result = Plan(plan_routes, unassigned, "insertion", round(time.perf_counter() - started, 3), plan.seed)
    return _checked(problem, result, travel)
