"""The independent plan checker: every plan is checked here before it is published (no Django).

Our own code, deliberately not the solver's: it recomputes every arrival from the travel matrix and
walks each route with its own loads, so a solver bug or an adapter's mapping slip cannot publish an
impossible round. ``check_plan`` returns the violations found, empty when the plan is valid.

Time conventions: a visit's ``arrival`` is at least the previous visit's ``departure`` plus the
travel time (arriving later is allowed: the courier left later or dawdled); service ``start`` is at
least the arrival and lies within the window; ``departure`` is at least ``start`` plus the service
time (the reload time at the hub). Visits in ``Problem.frozen`` were done or committed: they must
be kept as given, their times are not recomputed, their loads count.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from logistics.planning.problem import (
    DROP,
    END,
    PICKUP,
    RELOAD,
    START,
    Job,
    Location,
    Plan,
    Problem,
    Shift,
    Visit,
)
from logistics.planning.travel import Matrix, TravelTimes

# Violation codes
UNKNOWN_SHIFT = "unknown_shift"
SHIFT_USED_TWICE = "shift_used_twice"
ROUTE_SHAPE = "route_shape"  # not START … END, unknown visit kind, unknown job or pickup
SHIFT_HOURS = "shift_hours"  # leaves before the shift starts or returns after it ends
TRAVEL_TIME = "travel_time"  # arrives sooner than the travel time allows
EARLY_SERVICE = "early_service"  # service starts before the arrival or the window opens
LATE_SERVICE = "late_service"  # service starts after the window closes
SHORT_SERVICE = "short_service"  # leaves before the service time is over
CAPACITY = "capacity"
PAIRING = "pairing"  # pickups and drop of a job not on one route, pickups first, each once
SERVED_TWICE = "served_twice"
NOT_ACCOUNTED = "not_accounted"  # neither served nor unassigned, or both, or unknown
ACCESS = "access"  # a centre-only vehicle outside the centre
RIDE_TIME = "ride_time"
FROZEN = "frozen"
ROUTE_TOTALS = "route_totals"  # the route's distance or duration is not the sum of its legs


@dataclass(frozen=True)
class Violation:
    code: str
    shift: str
    job: str
    message: str  # English, for logs

    def __str__(self) -> str:
        return f"{self.code} [{self.shift or '-'} {self.job or '-'}]: {self.message}"


def problem_locations(problem: Problem) -> list[Location]:
    """Every location of the problem once: hubs, then pickups and drops in job order."""
    seen: dict[Location, None] = {}
    for shift in problem.shifts:
        seen.setdefault(shift.hub)
    for job in problem.jobs:
        for pickup in job.pickups:
            seen.setdefault(pickup.location)
        seen.setdefault(job.drop)
    return list(seen)


def check_plan(problem: Problem, plan: Plan, travel: TravelTimes) -> list[Violation]:
    """Every way ``plan`` breaks ``problem``'s rules, empty when it is valid."""
    violations: list[Violation] = []
    jobs = {job.key: job for job in problem.jobs}
    shifts = {shift.key: shift for shift in problem.shifts}
    locations = problem_locations(problem)
    index = {location: i for i, location in enumerate(locations)}
    matrices: dict[str, tuple[Matrix, Matrix]] = {}

    served: dict[str, str] = {}  # job key -> shift key of its drop
    used_shifts: set[str] = set()
    for route in plan.routes:
        shift = shifts.get(route.shift)
        if shift is None:
            violations.append(Violation(UNKNOWN_SHIFT, route.shift, "", f"route on unknown shift {route.shift!r}"))
            continue
        if shift.key in used_shifts:
            violations.append(Violation(SHIFT_USED_TWICE, shift.key, "", "two routes on the same shift"))
            continue
        used_shifts.add(shift.key)
        kind = problem.kinds.get(shift.kind)
        if kind is None:
            violations.append(Violation(UNKNOWN_SHIFT, shift.key, "", f"unknown vehicle kind {shift.kind!r}"))
            continue
        if kind.key not in matrices:
            matrices[kind.key] = travel.matrix(locations, kind)
        distances, durations = matrices[kind.key]
        violations += _check_route(
            problem, shift, kind.capacity, kind.centre_only, route.visits, jobs, index, distances, durations, served
        )
        visits = route.visits
        legs = [(_location_of(shift, jobs, a), _location_of(shift, jobs, b)) for a, b in itertools.pairwise(visits)]
        if all(a is not None and b is not None for a, b in legs):
            distance = sum(int(distances[index[a], index[b]]) for a, b in legs if a is not None and b is not None)
            if distance != route.distance:
                violations.append(
                    Violation(
                        ROUTE_TOTALS, shift.key, "", f"route distance {route.distance} m, legs sum to {distance} m"
                    )
                )
            if visits and route.duration != visits[-1].arrival - visits[0].departure:
                violations.append(
                    Violation(
                        ROUTE_TOTALS,
                        shift.key,
                        "",
                        f"route duration {route.duration} s, start to end is {visits[-1].arrival - visits[0].departure} s",
                    )
                )

    for shift_key, frozen in problem.frozen.items():
        if frozen and shift_key not in used_shifts:
            violations.append(Violation(FROZEN, shift_key, "", "the shift's frozen visits are missing from the plan"))

    for key in plan.unassigned:
        if key not in jobs:
            violations.append(Violation(NOT_ACCOUNTED, "", key, "unassigned job is not in the problem"))
        elif key in served:
            violations.append(Violation(NOT_ACCOUNTED, served[key], key, "job is both served and unassigned"))
    for key in jobs:
        if key not in served and key not in plan.unassigned:
            violations.append(Violation(NOT_ACCOUNTED, "", key, "job is neither served nor unassigned"))
    return violations


def _location_of(shift: Shift, jobs: dict[str, Job], visit: Visit) -> Location | None:
    if visit.kind in (START, RELOAD, END):
        return shift.hub
    job = jobs.get(visit.job)
    if job is None:
        return None
    if visit.kind == DROP:
        return job.drop
    if visit.kind == PICKUP:
        for pickup in job.pickups:
            if pickup.key == visit.pickup:
                return pickup.location
    return None


def _check_route(
    problem: Problem,
    shift: Shift,
    capacity: tuple[int, ...],
    centre_only: bool,
    visits: Sequence[Visit],
    jobs: dict[str, Job],
    index: dict[Location, int],
    distances: Matrix,
    durations: Matrix,
    served: dict[str, str],
) -> list[Violation]:
    found: list[Violation] = []

    def report(code: str, job: str, message: str) -> None:
        found.append(Violation(code, shift.key, job, message))

    frozen = problem.frozen.get(shift.key, ())
    if tuple(visits[: len(frozen)]) != tuple(frozen):
        report(FROZEN, "", "the route does not begin with the shift's frozen visits as given")
        frozen = ()

    if len(visits) < 2 or visits[0].kind != START or visits[-1].kind != END:
        report(ROUTE_SHAPE, "", "a route must begin with START and finish with END")
        return found
    if any(visit.kind in (START, END) for visit in visits[1:-1]):
        report(ROUTE_SHAPE, "", "START or END in the middle of the route")
        return found

    if visits[0].departure < shift.start:
        report(SHIFT_HOURS, "", f"leaves the hub at {visits[0].departure}, before the shift starts at {shift.start}")
    if visits[-1].arrival > shift.end:
        report(SHIFT_HOURS, "", f"back at the hub at {visits[-1].arrival}, after the shift ends at {shift.end}")

    # Which visits belong to which trip, to load the hub-loaded jobs at the trip's start.
    trip_starts = [i for i, visit in enumerate(visits) if visit.kind in (START, RELOAD)]
    hub_jobs_by_trip: dict[int, list[Job]] = {start: [] for start in trip_starts}
    current_trip = 0
    for i, visit in enumerate(visits):
        if visit.kind in (START, RELOAD):
            current_trip = i
        elif visit.kind == DROP and visit.job in jobs and not jobs[visit.job].pickups:
            hub_jobs_by_trip[current_trip].append(jobs[visit.job])

    load = [0] * len(problem.dimensions)
    picked: dict[str, dict[str, int]] = {}  # job -> pickup key -> service start
    dropped_here: set[str] = set()
    previous: Location | None = None
    previous_departure = 0
    for position, visit in enumerate(visits):
        is_frozen = position < len(frozen)
        location = _location_of(shift, jobs, visit)
        if location is None:
            report(ROUTE_SHAPE, visit.job, f"visit {position} names an unknown job or pickup ({visit.pickup!r})")
            return found
        job = jobs.get(visit.job)
        if centre_only and not location.in_centre and visit.kind in (PICKUP, DROP):  # its own hub is home
            report(ACCESS, visit.job, f"{shift.kind} may not leave the centre (visit {position}, {visit.kind})")

        # Times.
        window = (shift.start, shift.end)
        service = 0
        if visit.kind == PICKUP and job is not None:
            pickup = next(p for p in job.pickups if p.key == visit.pickup)
            window, service = pickup.window, pickup.service
        elif visit.kind == DROP and job is not None:
            window, service = job.drop_window, job.drop_service
        elif visit.kind == RELOAD:
            service = problem.reload_service
        if not is_frozen:
            if previous is not None:
                earliest = previous_departure + int(durations[index[previous], index[location]])
                if visit.arrival < earliest:
                    report(
                        TRAVEL_TIME,
                        visit.job,
                        f"visit {position} ({visit.kind}) arrives at {visit.arrival}, travel allows {earliest} at the soonest",
                    )
            if visit.kind != START:
                if visit.start < visit.arrival:
                    report(
                        EARLY_SERVICE,
                        visit.job,
                        f"visit {position} starts at {visit.start} before arriving at {visit.arrival}",
                    )
                if visit.kind != END and visit.start < window[0]:
                    report(
                        EARLY_SERVICE,
                        visit.job,
                        f"visit {position} starts at {visit.start}, window opens at {window[0]}",
                    )
                if visit.kind != END and visit.start > window[1]:
                    report(
                        LATE_SERVICE,
                        visit.job,
                        f"visit {position} starts at {visit.start}, window closes at {window[1]}",
                    )
                if visit.kind != END and visit.departure < visit.start + service:
                    report(
                        SHORT_SERVICE,
                        visit.job,
                        f"visit {position} leaves at {visit.departure}, service ends at {visit.start + service}",
                    )
            if visit.kind in (RELOAD, END) and not shift.start <= visit.arrival <= shift.end:
                report(
                    SHIFT_HOURS, "", f"visit {position} ({visit.kind}) at the hub at {visit.arrival}, outside the shift"
                )
        previous = location
        previous_departure = visit.departure

        # Loads and pairing.
        if visit.kind in (START, RELOAD):
            carried = [0] * len(load)
            for key, pickups in picked.items():
                if key not in dropped_here:
                    for pickup in jobs[key].pickups:
                        if pickup.key in pickups:
                            carried = [c + amount for c, amount in zip(carried, pickup.load, strict=True)]
            load = carried
            for hub_job in hub_jobs_by_trip[position]:
                load = [c + amount for c, amount in zip(load, hub_job.load, strict=True)]
        elif visit.kind == PICKUP and job is not None:
            pickup = next(p for p in job.pickups if p.key == visit.pickup)
            if job.key in dropped_here:
                report(PAIRING, job.key, f"pickup {pickup.key} after the job's drop")
            if pickup.key in picked.get(job.key, {}):
                report(SERVED_TWICE, job.key, f"pickup {pickup.key} visited twice")
            if job.key in served and served[job.key] != shift.key:
                report(PAIRING, job.key, f"pickup {pickup.key} on another route than the job's drop")
            picked.setdefault(job.key, {})[pickup.key] = visit.start
            load = [c + amount for c, amount in zip(load, pickup.load, strict=True)]
        elif visit.kind == DROP and job is not None:
            if job.key in served:
                report(SERVED_TWICE, job.key, f"job dropped twice (also on {served[job.key]})")
                continue
            served[job.key] = shift.key
            dropped_here.add(job.key)
            missing = [p.key for p in job.pickups if p.key not in picked.get(job.key, {})]
            if missing:
                report(PAIRING, job.key, f"drop before its pickups {', '.join(missing)} on this route")
            load = [c - amount for c, amount in zip(load, job.load, strict=True)]
            if job.chilled and problem.max_ride_seconds is not None and job.pickups and not missing:
                first = min(picked[job.key].values())
                if visit.start - first > problem.max_ride_seconds:
                    report(
                        RIDE_TIME,
                        job.key,
                        f"chilled job rides {visit.start - first} s, more than {problem.max_ride_seconds} s",
                    )
        if any(amount > limit for amount, limit in zip(load, capacity, strict=True)):
            report(CAPACITY, visit.job, f"load {tuple(load)} exceeds capacity {capacity} after visit {position}")
        if any(amount < 0 for amount in load):
            report(CAPACITY, visit.job, f"negative load {tuple(load)} after visit {position}")
    for key, pickups in picked.items():
        if key not in dropped_here:
            report(PAIRING, key, f"picked up ({', '.join(pickups)}) but never dropped on this route")
    return found
