"""Plans a town's delivery day: deliveries and shifts → a checked plan → rounds and stops.

One action behind the command (``manage.py plan_rounds <town> [--date]``), the dispatcher's button
and the beat task after each cut-off: ``plan_rounds``. ``insert_delivery`` puts one delivery (an
order paid after planning, a delivery moved to another courier, a parcel to deliver again) into the
live plan without reshuffling the other rounds.

How the day is read (docs/architecture.md §9):

- Jobs: the day's deliveries still open (to plan, planned, unassigned) and located. A delivery's
  pickups are its shop parts still at the shop; a part back at the hub (failed attempt) is loaded
  there. Pickup window: the shop's opening period of that day that starts last before the drop
  window ends, cut at the drop window's end (a shop closed at lunch is visited in its afternoon
  period for an afternoon slot); on the planned day itself, never before now.
- Shifts: one per stretch of each courier's shift (two around a break), on the shift's vehicle, from
  and back to the vehicle's hub. The hub counts as inside the centre (bikes start there).
- Rounds under way keep the stops already done; a locked round is kept whole; a locked stop keeps
  itself and every stop before it on its round (the solver plans after it). What is kept is passed
  to the solver as ``Problem.frozen``.
- Every plan goes through the independent checker (inside the solver adapters): a rejected plan is
  never published; it is saved as ``PlanStatus.REJECTED`` with the checker's problems and logged,
  and the dispatcher sees it on the board.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from catalog.models import Closure, Merchant, OpeningPeriod
from checkout.models import MerchantOrderStatus
from logistics.deliveries import in_centre
from logistics.models import (
    OPEN_DELIVERY_STATUSES,
    Board,
    Delivery,
    DeliveryPart,
    DeliveryStatus,
    LogisticsSettings,
    PartStatus,
    Plan,
    PlanStatus,
    Round,
    Shift,
    Stop,
    StopKind,
    StopStatus,
)
from logistics.notify import arrival_windows_changed
from logistics.planning import checker
from logistics.planning import problem as p
from logistics.planning.solvers import PlanRejected, PyVrpSolver, Solver, VroomSolver, insert_job
from logistics.planning.travel import Matrix, OsrmTable, StraightLine, TravelTimes, TravelTimesUnavailable
from tenants.current import town_now

logger = logging.getLogger(__name__)

DIMENSIONS = ("parcels", "grams", "millilitres")
# The resident's arrival window around the planned arrival: 10 minutes before, 20 after, on 5 minutes.
ETA_BEFORE = dt.timedelta(minutes=10)
ETA_AFTER = dt.timedelta(minutes=20)


# --- travel times and solver ----------------------------------------------------------------------
class _FallbackTravel:
    """OSRM when it answers, else the straight line (logged): a routing server down never stops planning."""

    def __init__(self, primary: TravelTimes, fallback: TravelTimes) -> None:
        self.primary, self.fallback = primary, fallback

    def matrix(self, locations: Sequence[p.Location], kind: p.VehicleKind) -> tuple[Matrix, Matrix]:
        try:
            return self.primary.matrix(locations, kind)
        except TravelTimesUnavailable as error:
            logger.warning("logistics: OSRM unavailable (%s); straight-line travel times instead", error)
            return self.fallback.matrix(locations, kind)


def travel_times(config: LogisticsSettings, bike_kinds: frozenset[str] = frozenset()) -> TravelTimes:
    straight = StraightLine(detour_factor=float(config.detour_factor))
    if not settings.ROUTING_OSRM_URL:
        return straight
    osrm = OsrmTable(
        settings.ROUTING_OSRM_URL,
        profile_by_kind={kind: settings.ROUTING_OSRM_BIKE_PROFILE for kind in bike_kinds},
        timeout=settings.ROUTING_OSRM_TIMEOUT,
        default_profile=settings.ROUTING_OSRM_PROFILE,
    )
    return _FallbackTravel(osrm, straight)


def solver() -> Solver:
    return VroomSolver() if settings.ROUTING_SOLVER == "vroom" else PyVrpSolver()


# --- the day as a problem -------------------------------------------------------------------------
def _seconds(value: dt.time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


def _clock(seconds: int) -> dt.time:
    seconds = max(0, min(seconds, 24 * 3600 - 1))
    return dt.time(seconds // 3600, seconds // 60 % 60, seconds % 60)


def shift_key(round_shift_id: int, stretch: int) -> str:
    return f"shift-{round_shift_id}-{stretch}"


def job_key(delivery_id: int) -> str:
    return f"delivery-{delivery_id}"


def pickup_key(part_id: int) -> str:
    return f"part-{part_id}"


def _id(key: str) -> int:
    """The row id in a job or pickup key: ``delivery-12`` and ``delivery-12-try40`` → 12, ``part-7`` → 7."""
    return int(key.split("-")[1])


def earlier_attempt_key(delivery_id: int, failed_stop_id: int) -> str:
    """The job of an attempt that failed at the door: its stops stay on its round, done, under this key;
    the delivery's next attempt is the job ``job_key(delivery_id)`` (from the hub)."""
    return f"delivery-{delivery_id}-try{failed_stop_id}"


def _earlier_attempts(stops: Sequence[Stop]) -> dict[int, str]:
    """Stop id → earlier-attempt job key, for the stops (of one round, in order) of attempts that failed."""
    keys: dict[int, str] = {}
    last_failed: dict[int, tuple[int, int]] = {}  # delivery id -> (position, failed drop's stop id)
    for index, stop in enumerate(stops):
        if stop.kind == StopKind.DROP and stop.status == StopStatus.FAILED and stop.delivery_id:
            last_failed[stop.delivery_id] = (index, stop.pk)
    for index, stop in enumerate(stops):
        failed = last_failed.get(stop.delivery_id or 0)
        if failed is not None and index <= failed[0] and stop.delivery_id:
            keys[stop.pk] = earlier_attempt_key(stop.delivery_id, failed[1])
    return keys


@dataclass
class Day:
    """The planned day as the solver sees it, and what the builder found it could not plan."""

    date: dt.date
    problem: p.Problem
    travel: TravelTimes
    config: LogisticsSettings
    shifts: dict[str, tuple[Shift, int]]  # key -> (shift, stretch)
    kept: set[int] = field(default_factory=set)  # ids of deliveries on frozen stops
    not_plannable: dict[int, str] = field(default_factory=dict)  # delivery id -> reason


def _kind_key(vehicle_type_id: int) -> str:
    return f"type-{vehicle_type_id}"


DAY_END = 24 * 3600 - 1


def _kinds_and_shifts(
    date: dt.date, only_shift: tuple[int, int] | None
) -> tuple[dict[str, p.VehicleKind], list[p.Shift], dict[str, tuple[Shift, int]], set[str]]:
    shifts = Shift.objects.filter(date=date, vehicle__is_active=True, courier__is_active=True).select_related(
        "vehicle__vehicle_type", "vehicle__hub", "courier"
    )
    kinds: dict[str, p.VehicleKind] = {}
    plan_shifts: list[p.Shift] = []
    by_key: dict[str, tuple[Shift, int]] = {}
    bikes: set[str] = set()
    for shift in shifts:
        vehicle_type = shift.vehicle.vehicle_type
        kind = _kind_key(vehicle_type.pk)
        kinds[kind] = p.VehicleKind(
            key=kind,
            speed_kmh=float(vehicle_type.speed_kmh),
            capacity=(
                vehicle_type.capacity_parcels,
                vehicle_type.capacity_kg * 1000,
                vehicle_type.capacity_litres * 1000,
            ),
            centre_only=vehicle_type.centre_only,
        )
        if vehicle_type.is_bike:
            bikes.add(kind)
        hub = p.Location(shift.vehicle.hub.latitude, shift.vehicle.hub.longitude, in_centre=True)
        for stretch, (start, end) in enumerate(shift.stretches()):
            if only_shift is not None and (shift.pk, stretch) != only_shift:
                continue
            key = shift_key(shift.pk, stretch)
            by_key[key] = (shift, stretch)
            plan_shifts.append(
                p.Shift(
                    key=key,
                    kind=kind,
                    hub=hub,
                    start=_seconds(start),
                    end=_seconds(end),
                    courier=shift.courier.get_full_name() or shift.courier.email,
                )
            )
    return kinds, plan_shifts, by_key, bikes


class _Jobs:
    """Turns deliveries into jobs, with the shops' hours of the day."""

    def __init__(self, date: dt.date, deliveries: list[Delivery], config: LogisticsSettings) -> None:
        self.date, self.config = date, config
        merchant_ids = {part.merchant_order.merchant_id for delivery in deliveries for part in delivery.parts.all()}
        self.periods: dict[int, list[OpeningPeriod]] = {}
        for period in OpeningPeriod.objects.filter(merchant_id__in=merchant_ids, weekday=date.weekday()):
            self.periods.setdefault(period.merchant_id, []).append(period)
        self.closed = set(
            Closure.objects.filter(merchant_id__in=merchant_ids, starts_on__lte=date, ends_on__gte=date).values_list(
                "merchant_id", flat=True
            )
        )
        self.centre: dict[int, bool] = {}

    def _location(self, merchant: Merchant) -> p.Location:
        latitude, longitude = float(merchant.latitude or 0), float(merchant.longitude or 0)
        if merchant.pk not in self.centre:
            self.centre[merchant.pk] = in_centre(latitude, longitude)
        return p.Location(latitude, longitude, in_centre=self.centre[merchant.pk])

    def _shop_window(self, merchant_id: int, drop_end: int) -> tuple[int, int] | None:
        if merchant_id in self.closed:
            return None
        usable = [period for period in self.periods.get(merchant_id, ()) if _seconds(period.opens_at) < drop_end]
        if not usable:
            return None
        period = max(usable, key=lambda period: period.opens_at)
        return _seconds(period.opens_at), min(_seconds(period.closes_at), drop_end)

    def job(
        self, delivery: Delivery, *, earliest: int, ready_from: int, frozen_pickups: set[str] | None = None
    ) -> p.Job | str:
        """The delivery as a job, or why it cannot be planned.

        ``frozen_pickups``: the delivery is on a round under way (its visits are kept as done): every
        window is the whole day — the courier goes on with it, late or not — and its pickups are those
        already made plus those still at the shops.
        """
        kept = frozen_pickups is not None
        if not delivery.is_located:
            return "not_located"
        if kept:
            drop_window = (0, DAY_END)
        else:
            drop_window = (max(_seconds(delivery.window_start), earliest), _seconds(delivery.window_end))
            if drop_window[0] >= drop_window[1]:
                return p.NO_TIME
        pickups: list[p.Pickup] = []
        for part in delivery.parts.all():
            key = pickup_key(part.pk)
            if not (part.status in (PartStatus.WAITING, PartStatus.READY) or (kept and key in (frozen_pickups or ()))):
                continue  # refused, or already with a courier or at the hub
            merchant = part.merchant_order.merchant
            if merchant.latitude is None or merchant.longitude is None:
                return "shop_not_located"
            window = (0, DAY_END)
            if not kept:
                hours = self._shop_window(merchant.pk, drop_window[1])
                if hours is None:
                    return "shop_closed"
                # The shop marks its part ready on its order screen (checkout): from then on it may be collected.
                ready = part.status == PartStatus.READY or part.merchant_order.status == MerchantOrderStatus.READY
                opens = max(hours[0], earliest if ready else ready_from)
                window = (opens, hours[1])
                if window[0] >= window[1]:
                    return p.NO_TIME
            pickups.append(
                p.Pickup(
                    key=key,
                    location=self._location(merchant),
                    window=window,
                    service=self.config.pickup_minutes * 60,
                    load=(part.parcels, part.grams, part.millilitres),
                )
            )
        return p.Job(
            key=job_key(delivery.pk),
            drop=p.Location(delivery.latitude or 0.0, delivery.longitude or 0.0, in_centre=delivery.in_centre),
            drop_window=drop_window,
            drop_service=self.config.drop_minutes * 60,
            load=(delivery.parcels, delivery.grams, delivery.millilitres),
            pickups=tuple(pickups),
            chilled=delivery.chilled,
            required=False,
            priority=1 + delivery.attempts,  # a parcel to deliver again goes first
        )


def build_day(date: dt.date, *, only_shift: tuple[int, int] | None = None, live: bool = False) -> Day:
    """Reads the day: fleet on shift, rounds kept as they are, deliveries to plan.

    ``live``: the day as it is planned now (for an insertion): deliveries already on rounds keep
    windows their saved times satisfy (no "not before now" cut); the others are to plan from now.
    """
    config = LogisticsSettings.current()
    now = town_now()
    if date < now.date():
        earliest = DAY_END  # a day gone by: nothing can be planned any more
    elif date == now.date():
        earliest = _seconds(now.time())
    else:
        earliest = 0
    # A part the shop has not marked ready yet is planned half an hour from now at the soonest.
    ready_from = earliest + 1800 if date == now.date() else earliest

    kinds, plan_shifts, by_key, bikes = _kinds_and_shifts(date, only_shift)
    frozen, kept = _frozen_visits(date, by_key)
    # Pickups already made by the current attempts (an earlier attempt's job key carries "-try").
    frozen_pickups = {
        visit.pickup for visits in frozen.values() for visit in visits if visit.pickup and "-try" not in visit.job
    }
    routed = deliveries_on_rounds(date) if live else set()
    deliveries = list(
        Delivery.objects.filter(date=date)
        .filter(Q(status__in=OPEN_DELIVERY_STATUSES) | Q(pk__in=kept | routed))
        .exclude(status=DeliveryStatus.CANCELLED)
        .select_related("order")
        .prefetch_related("parts__merchant_order__merchant")
    )
    builder = _Jobs(date, deliveries, config)
    jobs: list[p.Job] = []
    not_plannable: dict[int, str] = {}
    for delivery in deliveries:
        if delivery.pk in kept:
            made = builder.job(delivery, earliest=0, ready_from=0, frozen_pickups=frozen_pickups)
        elif delivery.pk in routed:
            made = builder.job(delivery, earliest=0, ready_from=0)
        else:
            made = builder.job(delivery, earliest=earliest, ready_from=ready_from)
        if isinstance(made, str):
            not_plannable[delivery.pk] = made
        else:
            jobs.append(made)
    jobs += _earlier_attempt_jobs(frozen, builder, config)
    problem = p.Problem(
        dimensions=DIMENSIONS,
        kinds=kinds,
        shifts=tuple(plan_shifts),
        jobs=tuple(jobs),
        max_ride_seconds=config.max_ride_minutes * 60,
        reload_service=config.reload_minutes * 60,
        frozen=frozen,
    )
    return Day(
        date=date,
        problem=problem,
        travel=travel_times(config, frozenset(bikes)),
        config=config,
        shifts=by_key,
        kept=kept,
        not_plannable=not_plannable,
    )


def deliveries_on_rounds(date: dt.date, *, only: tuple[int, int] | None = None) -> set[int]:
    """Deliveries whose current attempt has stops on the day's rounds (on one shift stretch when ``only``)."""
    rounds = Round.objects.filter(date=date).prefetch_related("stops")
    if only is not None:
        rounds = rounds.filter(shift_id=only[0], stretch=only[1])
    found: set[int] = set()
    for round_ in rounds:
        stops = list(round_.stops.all())
        earlier = _earlier_attempts(stops)
        found |= {stop.delivery_id for stop in stops if stop.delivery_id and stop.pk not in earlier}
    return found


def _earlier_attempt_jobs(
    frozen: dict[str, tuple[p.Visit, ...]], builder: _Jobs, config: LogisticsSettings
) -> list[p.Job]:
    """Jobs of attempts that failed at the door, as their stops (all done) stay on their rounds.

    Their times are not checked (frozen visits happened when they happened); they only let the checker
    account for every visit of a round under way.
    """
    visits: dict[str, list[p.Visit]] = {}
    for route in frozen.values():
        for visit in route:
            if "-try" in visit.job:
                visits.setdefault(visit.job, []).append(visit)
    if not visits:
        return []
    deliveries = Delivery.objects.in_bulk([_id(key) for key in visits])
    parts = DeliveryPart.objects.select_related("merchant_order__merchant").in_bulk(
        [_id(visit.pickup) for job in visits.values() for visit in job if visit.pickup]
    )
    jobs = []
    for key, job_visits in visits.items():
        delivery = deliveries[_id(key)]
        pickups = tuple(
            p.Pickup(
                key=visit.pickup,
                location=builder._location(parts[_id(visit.pickup)].merchant_order.merchant),
                window=(0, DAY_END),
                service=config.pickup_minutes * 60,
                load=(part.parcels, part.grams, part.millilitres),
            )
            for visit in job_visits
            if visit.pickup
            for part in (parts[_id(visit.pickup)],)
        )
        load = tuple(sum(values) for values in zip(*(pickup.load for pickup in pickups), strict=True)) or (
            delivery.parcels,
            delivery.grams,
            delivery.millilitres,
        )
        jobs.append(
            p.Job(
                key=key,
                drop=p.Location(delivery.latitude or 0.0, delivery.longitude or 0.0, in_centre=delivery.in_centre),
                drop_window=(0, DAY_END),
                drop_service=config.drop_minutes * 60,
                load=load,
                pickups=pickups,
            )
        )
    return jobs


def _visit_of(stop: Stop, earlier: dict[int, str]) -> p.Visit:
    kind = {StopKind.PICKUP: p.PICKUP, StopKind.DROP: p.DROP, StopKind.RELOAD: p.RELOAD}[StopKind(stop.kind)]
    arrival, departure = _seconds(stop.arrives_at), _seconds(stop.departs_at)
    job = earlier.get(stop.pk) or (job_key(stop.delivery_id) if stop.delivery_id else "")
    return p.Visit(
        kind=kind,
        job=job,
        pickup=pickup_key(stop.part_id) if stop.part_id else "",
        arrival=arrival,
        start=stop_start(stop),
        departure=departure,
    )


def stop_start(stop: Stop) -> int:
    """Service start of a saved stop: it begins at ``starts_at`` (arrival, or the window's opening)."""
    return _seconds(stop.starts_at)


def _frozen_visits(
    date: dt.date, shifts: dict[str, tuple[Shift, int]]
) -> tuple[dict[str, tuple[p.Visit, ...]], set[int]]:
    """Rounds the solver must keep: done stops of rounds under way, locked rounds whole, stops up to a lock."""
    frozen: dict[str, tuple[p.Visit, ...]] = {}
    kept: set[int] = set()
    rounds = Round.objects.filter(date=date).prefetch_related("stops")
    for round_ in rounds:
        key = shift_key(round_.shift_id, round_.stretch)
        if key not in shifts:
            continue
        stops = list(round_.stops.all())
        if round_.is_locked:
            keep = len(stops)
        else:
            done = [i for i, stop in enumerate(stops) if stop.status != StopStatus.TODO]
            locked = [i for i, stop in enumerate(stops) if stop.is_locked]
            keep = max([i + 1 for i in done + locked], default=0)
        if keep == 0 and not round_.is_locked:
            continue
        visits = [
            p.Visit(
                kind=p.START,
                arrival=_seconds(round_.starts_at),
                start=_seconds(round_.starts_at),
                departure=_seconds(round_.starts_at),
            )
        ]
        earlier = _earlier_attempts(stops)
        visits += [_visit_of(stop, earlier) for stop in stops[:keep]]
        if round_.is_locked:
            end = _seconds(round_.ends_at)
            visits.append(p.Visit(kind=p.END, arrival=end, start=end, departure=end))
        frozen[key] = tuple(visits)
        kept |= {stop.delivery_id for stop in stops[:keep] if stop.delivery_id and stop.pk not in earlier}
    return frozen, kept


# --- saving a plan --------------------------------------------------------------------------------
def _eta_window(arrival: int, window: tuple[dt.time, dt.time], date: dt.date) -> tuple[dt.time, dt.time]:
    moment = dt.datetime.combine(date, _clock(arrival))
    start = moment - ETA_BEFORE
    start -= dt.timedelta(minutes=start.minute % 5, seconds=start.second)
    end = start + ETA_BEFORE + ETA_AFTER
    low, high = dt.datetime.combine(date, window[0]), dt.datetime.combine(date, window[1])
    start, end = max(start, low), min(end, high)
    return start.time(), end.time()


def _save_routes(day: Day, plan: p.Plan, *, replace: set[str]) -> list[int]:
    """Writes the routes of ``replace`` (shift keys) as rounds and stops; returns the deliveries planned."""
    planned: list[int] = []
    deliveries = {d.pk: d for d in Delivery.objects.filter(date=day.date, pk__in=_plan_delivery_ids(plan))}
    routes = {route.shift: route for route in plan.routes}
    for key in replace:
        shift, stretch = day.shifts[key]
        round_ = Round.objects.filter(shift=shift, stretch=stretch).first()
        route = routes.get(key)
        kept = len(day.problem.frozen.get(key, ())) - 1  # the START visit is not a stop
        if key in day.problem.frozen and day.problem.frozen[key][-1].kind == p.END:
            continue  # a locked round is left as it is
        if round_ is not None:
            round_.stops.filter(position__gte=max(kept, 0)).delete()
        stops = [visit for visit in (route.visits if route else ()) if visit.kind in (p.PICKUP, p.DROP, p.RELOAD)]
        stops = stops[max(kept, 0) :]
        if not stops and (round_ is None or not round_.stops.exists()):
            if round_ is not None and round_.started_at is None:
                round_.delete()
            continue
        start_end = [v for v in (route.visits if route else ()) if v.kind in (p.START, p.END)]
        if round_ is None:
            round_ = Round(shift=shift, stretch=stretch, date=day.date, courier=shift.courier, vehicle=shift.vehicle)
        stretch_start, stretch_end = shift.stretches()[stretch]
        round_.starts_at = _clock(start_end[0].departure) if start_end else stretch_start
        round_.ends_at = _clock(start_end[-1].arrival) if len(start_end) > 1 else stretch_end
        round_.courier, round_.vehicle = shift.courier, shift.vehicle
        round_.distance_m = route.distance if route else 0
        round_.save()
        position = max(kept, 0)
        for visit in stops:
            delivery_id = _id(visit.job) if visit.job else None
            part_id = _id(visit.pickup) if visit.pickup else None
            Stop.objects.create(
                round=round_,
                position=position,
                kind={p.PICKUP: StopKind.PICKUP, p.DROP: StopKind.DROP, p.RELOAD: StopKind.RELOAD}[visit.kind],
                delivery_id=delivery_id,
                part_id=part_id,
                arrives_at=_clock(visit.arrival),
                starts_at=_clock(visit.start),
                departs_at=_clock(visit.departure),
            )
            position += 1
            if visit.kind == p.PICKUP and part_id:
                DeliveryPart.objects.filter(pk=part_id).update(pickup_eta=_clock(visit.start))
            if visit.kind == p.DROP and delivery_id in deliveries:
                delivery = deliveries[delivery_id]
                delivery.eta_start, delivery.eta_end = _eta_window(
                    visit.start, (delivery.window_start, delivery.window_end), day.date
                )
                delivery.status, delivery.unassigned_reason = DeliveryStatus.PLANNED, ""
                delivery.save(update_fields=["eta_start", "eta_end", "status", "unassigned_reason", "updated_at"])
                planned.append(delivery_id)
    return planned


def _plan_delivery_ids(plan: p.Plan) -> set[int]:
    ids = {_id(visit.job) for route in plan.routes for visit in route.visits if visit.job}
    return ids | {_id(key) for key in plan.unassigned}


def _mark_unassigned(reasons: dict[int, str]) -> None:
    for delivery_id, reason in reasons.items():
        Delivery.objects.filter(pk=delivery_id, status__in=OPEN_DELIVERY_STATUSES).update(
            status=DeliveryStatus.UNASSIGNED, unassigned_reason=reason, eta_start=None, eta_end=None
        )
        Stop.objects.filter(delivery_id=delivery_id, status=StopStatus.TODO).delete()


def _lock_board(date: dt.date) -> Board:
    Board.objects.get_or_create(date=date)
    return Board.objects.select_for_update().get(date=date)


def _record(
    day: Day, *, status: str, trigger: str, actor_id: int | None, plan: p.Plan | None = None, **extra: Any
) -> Plan:
    unassigned = {str(k): v for k, v in day.not_plannable.items()}
    if plan is not None:
        unassigned |= {str(_id(key)): reason for key, reason in plan.unassigned.items()}
    return Plan.objects.create(
        date=day.date,
        status=status,
        solver=plan.solver if plan else extra.pop("solver", ""),
        seconds=plan.seconds if plan else extra.pop("seconds", 0.0),
        seed=plan.seed if plan else 0,
        distance_m=plan.distance if plan else 0,
        served=len({v.job for route in plan.routes for v in route.visits if v.kind == p.DROP and "-try" not in v.job})
        if plan
        else 0,
        unassigned=unassigned,
        trigger=trigger,
        created_by_id=actor_id,
        **extra,
    )


def plan_rounds(
    *, date: dt.date, actor_id: int | None = None, trigger: str = "command", seconds: float | None = None
) -> Plan:
    """Plans (or re-plans) the day; returns the Plan row: published, or rejected with the checker's problems."""
    config = LogisticsSettings.current()
    with transaction.atomic():
        board = _lock_board(date)
        day = build_day(date)
        started = time.perf_counter()
        try:
            plan = solver().solve(
                day.problem, day.travel, time_limit=float(seconds or config.planning_seconds), seed=config.planning_seed
            )
        except PlanRejected as error:
            problems = [str(violation) for violation in error.violations]
            logger.error("logistics: plan of %s rejected by the checker: %s", date, "; ".join(problems))
            return _record(
                day,
                status=PlanStatus.REJECTED,
                trigger=trigger,
                actor_id=actor_id,
                problems=problems,
                seconds=time.perf_counter() - started,
            )
        replace = set(day.shifts)
        # Rounds of shifts no longer on the day (shift deleted, vehicle out of service) lose their stops.
        Stop.objects.filter(round__date=date, status=StopStatus.TODO).exclude(
            round__in=[r for r in Round.objects.filter(date=date) if shift_key(r.shift_id, r.stretch) in day.shifts]
        ).delete()
        planned = _save_routes(day, plan, replace=replace)
        reasons = dict(day.not_plannable) | {_id(key): reason for key, reason in plan.unassigned.items()}
        _mark_unassigned(reasons)
        board.version += 1
        board.save(update_fields=["version", "updated_at"])
        record = _record(day, status=PlanStatus.PUBLISHED, trigger=trigger, actor_id=actor_id, plan=plan)
        _tell_after_commit([*planned, *reasons])
    return record


def _tell_after_commit(delivery_ids: Sequence[int]) -> None:
    """After commit: checkout's copies of the windows updated, residents told of a new or slipped window."""
    ids = sorted(set(delivery_ids))
    if ids:
        transaction.on_commit(lambda: arrival_windows_changed(ids))


def _place(day: Day, shift: p.Shift, visit: p.Visit, jobs: dict[str, p.Job]) -> p.Location:
    if visit.kind in (p.START, p.END, p.RELOAD):
        return shift.hub
    job = jobs[visit.job]
    if visit.kind == p.PICKUP:
        return next(pickup.location for pickup in job.pickups if pickup.key == visit.pickup)
    return job.drop


def current_plan(day: Day, problem: p.Problem) -> p.Plan:
    """The live plan of the day as saved (rounds and stops), in the engine's terms.

    Distances are recomputed from the day's travel times: a stop taken off a round (a move) leaves
    the saved distance stale, and the checker wants each route's distance to be the sum of its legs.
    """
    jobs = {job.key: job for job in problem.jobs}
    shifts = {shift.key: shift for shift in problem.shifts}
    routes: list[p.Route] = []
    for round_ in Round.objects.filter(date=day.date).prefetch_related("stops"):
        key = shift_key(round_.shift_id, round_.stretch)
        if key not in shifts:
            continue
        start, end = _seconds(round_.starts_at), _seconds(round_.ends_at)
        visits = [p.Visit(kind=p.START, arrival=start, start=start, departure=start)]
        stops = list(round_.stops.all())
        earlier = _earlier_attempts(stops)
        visits += [_visit_of(stop, earlier) for stop in stops]
        visits.append(p.Visit(kind=p.END, arrival=end, start=end, departure=end))
        routes.append(p.Route(shift=key, visits=tuple(visits), distance=0, duration=end - start))
    if routes:
        locations = checker.problem_locations(problem)
        index = {location: i for i, location in enumerate(locations)}
        for i, route in enumerate(routes):
            shift = shifts[route.shift]
            distances, _durations = day.travel.matrix(locations, problem.kinds[shift.kind])
            places = [index[_place(day, shift, visit, jobs)] for visit in route.visits]
            distance = sum(int(distances[a, b]) for a, b in itertools.pairwise(places))
            routes[i] = dataclasses.replace(route, distance=distance)
    return p.Plan(routes=routes, unassigned={}, solver="saved", seconds=0.0)


def _close_gaps(date: dt.date, rounds: set[tuple[int, int]]) -> None:
    """Rounds a delivery left: stops renumbered in order, distance recomputed (the times still hold)."""
    if not rounds:
        return
    day = build_day(date, live=True)
    for shift_id, stretch in rounds:
        round_ = Round.objects.filter(shift_id=shift_id, stretch=stretch).first()
        if round_ is None:
            continue
        stops = list(round_.stops.order_by("position"))
        if not stops and round_.started_at is None:
            round_.delete()
            continue
        for offset in (10_000, 0):  # through free numbers: (round, position) is unique
            for position, stop in enumerate(stops):
                Stop.objects.filter(pk=stop.pk).update(position=offset + position)
        live = current_plan(day, day.problem)
        route = next((r for r in live.routes if r.shift == shift_key(shift_id, stretch)), None)
        if route is not None:
            Round.objects.filter(pk=round_.pk).update(distance_m=route.distance)


class MoveRefused(Exception):
    """The delivery does not fit on the round it was moved to; ``reason`` is a planning reason code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def insert_delivery(*, delivery_id: int, round_id: int | None = None, actor_id: int | None = None) -> Plan:
    """Puts one delivery into the day's live plan (into ``round_id`` when given), the other rounds untouched.

    For a paid order after planning, a delivery the dispatcher moves to another courier, or a parcel
    to deliver again. Its stops still to do leave the round they were on first. A move to a round it
    does not fit on raises ``MoveRefused`` and changes nothing.
    """
    delivery = Delivery.objects.get(pk=delivery_id)
    with transaction.atomic():
        board = _lock_board(delivery.date)
        only = None
        if round_id is not None:
            target = Round.objects.get(pk=round_id, date=delivery.date)
            only = (target.shift_id, target.stretch)
        left = set(
            Round.objects.filter(stops__delivery_id=delivery_id, stops__status=StopStatus.TODO).values_list(
                "shift_id", "stretch"
            )
        )
        Stop.objects.filter(delivery_id=delivery_id, status=StopStatus.TODO).delete()
        Delivery.objects.filter(pk=delivery_id, status__in=OPEN_DELIVERY_STATUSES).update(status=DeliveryStatus.TO_PLAN)
        day = build_day(delivery.date, live=True)
        job = next((job for job in day.problem.jobs if job.key == job_key(delivery_id)), None)
        if job is None:
            if round_id is not None:
                raise MoveRefused(day.not_plannable.get(delivery_id, p.NOT_PLANNED))
            _mark_unassigned({delivery_id: day.not_plannable.get(delivery_id, p.NOT_PLANNED)})
            _tell_after_commit([delivery_id])
            board.version += 1
            board.save(update_fields=["version", "updated_at"])
            return _record(day, status=PlanStatus.PUBLISHED, trigger="insertion", actor_id=actor_id, solver="insertion")
        # Only what is on rounds, and this delivery: the others wait for the next planning.
        on_rounds = deliveries_on_rounds(delivery.date, only=only)
        shifts = tuple(shift for shift in day.problem.shifts if only is None or shift.key == shift_key(*only))
        # Earlier attempts that failed at the door, on the rounds kept in the problem.
        earlier = {
            visit.job for shift in shifts for visit in day.problem.frozen.get(shift.key, ()) if "-try" in visit.job
        }
        problem = dataclasses.replace(
            day.problem,
            jobs=tuple(j for j in day.problem.jobs if _id(j.key) in on_rounds or j.key == job.key or j.key in earlier),
            shifts=shifts,
        )
        live = current_plan(day, problem)
        now = town_now()
        now_seconds = _seconds(now.time()) if delivery.date == now.date() else None
        try:
            plan = insert_job(problem, live, job, day.travel, now=now_seconds)
        except PlanRejected as error:
            problems = [str(violation) for violation in error.violations]
            logger.error("logistics: insertion of delivery %s rejected by the checker: %s", delivery_id, problems)
            return _record(day, status=PlanStatus.REJECTED, trigger="insertion", actor_id=actor_id, problems=problems)
        before = {route.shift: route.visits for route in live.routes}
        changed = {route.shift for route in plan.routes if route.visits != before.get(route.shift)}
        changed |= {shift_key(*pair) for pair in left} & {route.shift for route in plan.routes}
        day.problem = problem
        if round_id is not None and job.key in plan.unassigned:
            # A move that does not fit: nothing changes (the transaction rolls back), the dispatcher is told.
            raise MoveRefused(plan.unassigned[job.key])
        planned = _save_routes(day, plan, replace=changed)
        if job.key in plan.unassigned:
            _mark_unassigned({delivery_id: plan.unassigned[job.key]})
        _close_gaps(delivery.date, {pair for pair in left if shift_key(*pair) not in changed})
        board.version += 1
        board.save(update_fields=["version", "updated_at"])
        record = _record(day, status=PlanStatus.PUBLISHED, trigger="insertion", actor_id=actor_id, plan=plan)
        _tell_after_commit([*planned, delivery_id])
    return record


def _on_rounds(plan: p.Plan) -> set[int]:
    return {_id(visit.job) for route in plan.routes for visit in route.visits if visit.job}


def plan_after_cutoffs() -> Plan | None:
    """Beat: once today's last delivery cut-off has passed, plans the day once (later runs do nothing)."""
    from delivery.models import DeliveryZone

    local = town_now()
    cutoffs = sorted(set(DeliveryZone.objects.filter(is_active=True).values_list("cutoff_time", flat=True)))
    passed = [cutoff for cutoff in cutoffs if cutoff <= local.time()]
    if not passed:
        return None
    since = dt.datetime.combine(local.date(), passed[-1], tzinfo=local.tzinfo)
    if Plan.objects.filter(date=local.date(), created_at__gte=since).exists():
        return None
    if not Delivery.objects.filter(date=local.date(), status__in=OPEN_DELIVERY_STATUSES).exists():
        return None
    return plan_rounds(date=local.date(), trigger="beat")
