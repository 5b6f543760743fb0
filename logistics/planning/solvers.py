"""Solvers of the delivery-planning problem: PyVRP (default), pyvroom, and one-job insertion (no Django).

Design note
-----------
``Solver.solve(problem, travel, time_limit=…, seed=…)`` returns a ``Plan`` the independent checker
(``checker.check_plan``) accepts, or raises ``PlanRejected``: an adapter never returns a plan the
checker rejects. Every adapter runs the same pipeline:

1. **Triage.** Each job is first tried alone (``alone_reason``): no vehicle kind of the day may
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
   may drop them when they do not fit. PyVRP drops prized jobs too readily on a tight day, so for
   days up to ``all_jobs_first_up_to`` stops it first searches (≤ 40 % of the budget, until a
   feasible plan) with every job required: if one is found it is improved for the rest of the
   budget; if not, the prized search starts from that complete plan (bike routes stripped of
   what lies outside the centre). Bigger days go straight to prizes (PyVRP's first local search
   over an over-full 300-order day alone outlasts a 20 s budget). PyVRP's late-acceptance history
   is kept at its default (300) for up to 150 stops and shortened to 50 beyond: a delivery day of
   long routes gets only a few hundred iterations, and with the long history the search barely
   converges (80 orders: 242 km → 233 km). Stopping: the time budget, and optionally an iteration
   count or a number of iterations without improvement — a run stopped by an iteration criterion is
   deterministic for a given seed; one stopped by the clock may differ between runs (the clock
   only decides how far the search went). The engine gets 80 % of ``time_limit``, repair and
   reinsertion run until 95 %, the plan's assembly and the checker take the rest.
   pyvroom: the same mapping (shipments, jobs, one vehicle per shift, per-kind profiles) without
   multi-trip (VROOM has no reloads): a shift is one trip.
3. **Repair (our code, ``rounds.py``).** The solver's routes become our own steps; a multi-shop
   job keeps one drop, after its last pickup. A job whose parts landed on different routes (or partly unplanned) is
   taken out. Each route is then scheduled by our own simulation (earliest times; the courier leaves
   the hub late enough not to wait at the trip's first stop); the first job that breaks a window,
   the capacity, the shift's end or the chilled ride time is taken out, until the route holds.
   PyVRP and VROOM have no ride-time constraint: the engines see a chilled job's windows narrowed
   by what the limit implies (``_solver_windows``: no pickup before the drop's opening minus the
   limit, no drop after the last pickup's closing plus the limit), which removes most violations
   without excluding any valid plan; chilled jobs that still ride too long are taken out here. A
   chilled job without pickups (from the hub) has no ride time to keep: the limit runs from the
   first pickup.
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
    PICKUP,
    RELOAD,
    START,
    Job,
    Pickup,
    Plan,
    Problem,
    Route,
    Shift,
    VehicleKind,
    Visit,
)
from logistics.planning.rounds import (
    PlanningContext,
    RoutesInProgress,
    Step,
    alone_reason,
    build_plan,
    finish_routes,
    frozen_prefixes,
    insert_cheapest,
    schedule_route,
    steps_of,
)
from logistics.planning.travel import Matrix, TravelTimes

# Distance and duration of an edge a vehicle kind may not take (below PyVRP's MAX_VALUE, 2**44, with
# room for sums of a few of them).
UNREACHABLE = 1 << 36

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
        deadline = started + time_limit * 0.95  # the rest builds the plan and runs the checker
        ctx = PlanningContext(problem, travel)
        routes, held = frozen_prefixes(ctx)
        unassigned: dict[str, str] = {}
        pending: list[Job] = []
        for job in problem.jobs:
            if job.key in held:
                continue
            reason = alone_reason(ctx, job)
            if reason is None:
                pending.append(job)
            else:
                unassigned[job.key] = reason
        solved: dict[str, list[Step]] = {}
        if pending:
            budget = max(0.0, time_limit * self.share_of_time - (time.perf_counter() - started))
            solved = self._routes(ctx, routes, pending, budget, seed)
        finish_routes(ctx, routes, solved, pending, unassigned, deadline)
        plan = build_plan(ctx, routes, unassigned, self.name, started, seed)
        return _checked(problem, plan, travel)

    def _routes(
        self, ctx: PlanningContext, routes: RoutesInProgress, jobs: list[Job], time_limit: float, seed: int
    ) -> dict[str, list[Step]]:
        """Shift key -> the steps the engine plans after the shift's fixed prefix (no START, no END)."""
        raise NotImplementedError


@dataclass
class _Vehicle:
    shift: Shift
    place: int  # where it starts: the end of the fixed prefix
    start: int  # when


def _vehicles(ctx: PlanningContext, routes: RoutesInProgress) -> list[_Vehicle]:
    vehicles = []
    for shift in ctx.problem.shifts:
        steps = routes.steps[shift.key]
        fixed = routes.fixed.get(shift.key)
        if not fixed:
            vehicles.append(_Vehicle(shift, ctx.index[shift.hub], shift.start))
        elif fixed[-1].kind != END and fixed[-1].departure < shift.end:
            vehicles.append(_Vehicle(shift, ctx.place(shift, steps[len(fixed) - 1]), fixed[-1].departure))
    return [vehicle for vehicle in vehicles if vehicle.start < vehicle.shift.end]


def _prizes(ctx: PlanningContext, jobs: list[Job], kinds: list[VehicleKind]) -> int:
    """A prize unit far above any detour: four times the longest reachable edge, plus one."""
    longest = 0
    for kind in kinds:
        distances, _ = ctx.matrices(kind)
        reachable = distances[distances < UNREACHABLE]
        if reachable.size:
            longest = max(longest, int(reachable.max()))
    return 4 * longest + 1


def _kind_matrices(ctx: PlanningContext, kind: VehicleKind) -> tuple[Matrix, Matrix]:
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


def _pyvrp_place(data: object, activity: object) -> int:
    """The location index of a PyVRP activity (client, pickup or delivery)."""
    if activity.is_client():  # type: ignore[attr-defined]
        return int(data.client(activity.idx).location)  # type: ignore[attr-defined]
    shipment = data.shipment(activity.idx)  # type: ignore[attr-defined]
    step = shipment.pickup if activity.is_pickup() else shipment.delivery  # type: ignore[attr-defined]
    return int(step.location)


class PyVrpSolver(_PipelineSolver):
    """PyVRP's iterated local search (the default engine)."""

    name = "pyvrp 0.14.1"

    def __init__(
        self,
        *,
        max_iterations: int | None = None,
        no_improvement: int | None = 20_000,
        multi_trip: bool = True,
        history_length: int | None = None,
    ) -> None:
        self.history_length = history_length
        self.max_iterations = max_iterations
        self.no_improvement = no_improvement
        self.multi_trip = multi_trip  # False: one trip per shift (the academic benchmarks)
        self.all_jobs_share = 0.4  # of the time, at most, looking for a plan that serves every job
        # Past this many stops PyVRP's first local search over a day that cannot all be served takes
        # longer than the budget (20 s at 300 orders): straight to prizes.
        self.all_jobs_first_up_to = 400

    def _routes(
        self, ctx: PlanningContext, routes: RoutesInProgress, jobs: list[Job], time_limit: float, seed: int
    ) -> dict[str, list[Step]]:
        import pyvrp
        from pyvrp import stop
        from pyvrp.IteratedLocalSearch import IteratedLocalSearchParams
        from pyvrp.solve import SolveParams

        vehicles = _vehicles(ctx, routes)
        if not vehicles:
            return {}
        kinds = list({vehicle.shift.kind: ctx.problem.kinds[vehicle.shift.kind] for vehicle in vehicles}.values())
        # A kind that may go everywhere first: profile 0 is the one PyVRP's neighbourhoods lean on.
        kinds.sort(key=lambda kind: kind.centre_only)
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
                    # PyVRP's depot service opens every trip, the first too; our rounds load at the
                    # hub only between trips: the vehicle may start that long before the shift.
                    tw_early=max(0, start - service),
                    tw_late=end,
                    profile=profile[kind_key],
                    reload_depots=[depot_of[hub]] if self.multi_trip else [],
                    name=",".join(member.shift.key for member in members),
                )
            )
        free = [list(members) for members in groups.values()]
        client_jobs: list[str] = [job.key for job in jobs if not job.pickups]
        shipment_steps: list[Step] = [(PICKUP, job.key, pickup.key) for job in jobs for pickup in job.pickups]

        def data(all_required: bool) -> pyvrp.ProblemData:
            clients: list[pyvrp.Client] = []
            shipments: list[pyvrp.Shipment] = []
            for job in jobs:
                required = job.required or all_required
                prize = 0 if required else unit * max(1, job.priority)
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
                            required=required,
                            name=job.key,
                        )
                    )
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
                            required=required,
                            name=f"{job.key}/{pickup.key}",
                        )
                    )
            return pyvrp.ProblemData(
                locations=[pyvrp.Location(x=location.lon, y=location.lat) for location in ctx.locations],
                clients=clients,
                depots=depots,
                vehicle_types=vehicle_types,
                distance_matrices=[distances for distances, _ in matrices],  # type: ignore[misc]
                duration_matrices=[durations for _, durations in matrices],  # type: ignore[misc]
                shipments=shipments,
            )

        def criteria(seconds: float, *more: stop.StoppingCriterion) -> stop.MultipleCriteria:
            chosen: list[stop.StoppingCriterion] = [stop.MaxRuntime(max(0.0, seconds)), *more]
            if self.max_iterations is not None:
                chosen.append(stop.MaxIterations(self.max_iterations))
            if self.no_improvement is not None:
                chosen.append(stop.NoImprovement(self.no_improvement))
            return stop.MultipleCriteria(chosen)

        stops = sum(2 * len(job.pickups) or 1 for job in jobs)
        # PyVRP's late-acceptance history (300 iterations by default) suits instances it iterates
        # through by the thousand; a delivery day of long routes gets a few hundred iterations in its
        # budget, and with that history the search barely converges (80 orders: 242 km → 233 km).
        history = self.history_length or (300 if stops <= 150 else 50)
        params = SolveParams(ils=IteratedLocalSearchParams(history_length=history))

        def run(
            problem_data: pyvrp.ProblemData, stopping: stop.MultipleCriteria, start: pyvrp.Solution | None = None
        ) -> pyvrp.Solution:
            return pyvrp.solve(
                problem_data, stopping, seed=seed, collect_stats=False, params=params, initial_solution=start
            ).best

        started = time.perf_counter()
        best: pyvrp.Solution
        if all(job.required for job in jobs) or stops > self.all_jobs_first_up_to:
            best = run(data(all(job.required for job in jobs)), criteria(time_limit))
        else:
            # Prizes let PyVRP leave optional jobs out, and it does so too readily when the day is
            # tight. So first look for a plan serving everything (required); if one turns up, improve
            # it; if not, the day is too full: the optional jobs carry their prizes for the rest.
            everything = data(True)
            first = run(everything, criteria(time_limit * self.all_jobs_share, stop.FirstFeasible()))
            left = time_limit - (time.perf_counter() - started)
            if first.is_feasible():
                best = run(everything, criteria(left), first)
            else:
                # Warm start from that complete (infeasible) plan: the search drops what does not fit.
                # Bike routes keep only what is in the centre (both ends of a shipment).
                optional = data(False)
                warm_routes = []
                for route in first.routes():
                    inner = list(route.schedule())[1:-1]
                    if vehicle_types[route.vehicle_type()].profile != 0:  # profile 0 goes everywhere
                        outside = {
                            activity.idx
                            for activity in inner
                            if activity.is_shipment() and not ctx.locations[_pyvrp_place(optional, activity)].in_centre
                        }
                        inner = [a for a in inner if not (a.is_shipment() and a.idx in outside)]
                        inner = [
                            a for a in inner if not a.is_client() or ctx.locations[_pyvrp_place(optional, a)].in_centre
                        ]
                    activities = [pyvrp.Activity(activity.type, activity.idx) for activity in inner]
                    if any(not activity.is_depot() for activity in activities):
                        warm_routes.append(pyvrp.Route(optional, activities, route.vehicle_type()))
                warm = pyvrp.Solution(optional, warm_routes)
                best = run(optional, criteria(left), warm)
        solved: dict[str, list[Step]] = {}
        for route in best.routes():
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
        self, ctx: PlanningContext, routes: RoutesInProgress, jobs: list[Job], time_limit: float, seed: int
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
    ctx = PlanningContext(problem, travel)
    routes = RoutesInProgress(steps={}, fixed={})
    for route in plan.routes:
        frozen = len(problem.frozen.get(route.shift, ()))
        done = 0 if now is None else sum(1 for visit in route.visits if visit.departure <= now)
        routes.steps[route.shift] = steps_of(route.visits)
        routes.fixed[route.shift] = list(route.visits[: max(frozen, done, 1)])
    for shift in problem.shifts:
        if shift.key not in routes.steps:
            start_at = shift.start if now is None else max(shift.start, now)
            if start_at < shift.end:
                routes.steps[shift.key] = [(START, "", ""), (END, "", "")]
                routes.fixed[shift.key] = [Visit(START, arrival=start_at, start=start_at, departure=start_at)]
    unassigned = {key: reason for key, reason in plan.unassigned.items() if key != job.key}
    before = {key: list(steps) for key, steps in routes.steps.items()}
    reason = alone_reason(ctx, job)
    if reason is None:
        reason = insert_cheapest(ctx, routes, job)
    if reason is not None:
        unassigned[job.key] = reason
    plan_routes = []
    for route in plan.routes:
        if routes.steps[route.shift] == before[route.shift]:
            plan_routes.append(route)  # untouched: kept exactly, times included
        else:
            schedule = schedule_route(
                ctx, ctx.shifts[route.shift], routes.steps[route.shift], routes.fixed[route.shift]
            )
            plan_routes.append(Route(route.shift, tuple(schedule.visits), schedule.distance, schedule.duration))
    for shift in problem.shifts:
        if shift.key not in {route.shift for route in plan.routes} and routes.steps.get(shift.key) != before.get(
            shift.key
        ):
            schedule = schedule_route(ctx, shift, routes.steps[shift.key], routes.fixed[shift.key])
            plan_routes.append(Route(shift.key, tuple(schedule.visits), schedule.distance, schedule.duration))
    result = Plan(plan_routes, unassigned, "insertion", round(time.perf_counter() - started, 3), plan.seed)
    return _checked(problem, result, travel)
