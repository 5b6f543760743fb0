"""The delivery-planning problem and its plan, in plain values (no Django, no solver).

This is the contract between the Django side of ``logistics`` (which builds a ``Problem`` from the
day's deliveries, fleet and shifts, and saves a ``Plan`` as rounds) and the engines behind it: the
solver adapters (PyVRP by default, pyvroom), the travel-time providers and the independent plan
checker. Times are whole seconds since local midnight of the planned day; distances whole metres;
loads integer vectors in the order of ``Problem.dimensions`` (parcels, grams, millilitres).

Modelling choices (docs/architecture.md §9):

- A ``Job`` is one order delivered by the town: zero or more pickups (one per shop holding items
  for it) and one drop-off at the resident. A job without pickups starts from the hub (a parcel
  brought back after a failed attempt; every Solomon customer in the benchmark).
- All pickups of a job and its drop-off are on the same route, pickups first.
- A ``Shift`` is one courier on one vehicle for one stretch of the day, from a hub back to it; a
  break splits the courier's day into two shifts (the courier takes it at the hub).
- Vehicles may return to their hub to unload/reload between trips (multi-trip).
- ``centre_only`` vehicle kinds (cargo bikes) may visit only locations flagged ``in_centre``.
- Chilled jobs ("frais") must not ride longer than ``Problem.max_ride_seconds`` from their first
  pickup to their drop-off.
- Jobs that cannot be served are reported in ``Plan.unassigned`` with a reason code, never dropped
  silently and never failing the plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Location:
    """A place: latitude/longitude in degrees (or plain x/y for the academic benchmarks)."""

    lat: float
    lon: float
    in_centre: bool = True


@dataclass(frozen=True)
class VehicleKind:
    key: str  # "cargo_bike", "car", or a town's own
    speed_kmh: float
    capacity: tuple[int, ...]  # same length as Problem.dimensions
    centre_only: bool = False


@dataclass(frozen=True)
class Shift:
    key: str  # stable id, e.g. "shift-12" or "shift-12-b" for the part after the break
    kind: str  # VehicleKind.key
    hub: Location
    start: int  # seconds since midnight
    end: int
    courier: str = ""  # display only


@dataclass(frozen=True)
class Pickup:
    key: str  # e.g. "part-31" (one merchant order)
    location: Location
    window: tuple[int, int]  # (earliest, latest) arrival
    service: int  # seconds on site
    load: tuple[int, ...]


@dataclass(frozen=True)
class Job:
    key: str  # e.g. "delivery-17"
    drop: Location
    drop_window: tuple[int, int]
    drop_service: int
    load: tuple[int, ...]  # what the drop-off unloads: the sum of the pickups' loads (or from the hub)
    pickups: tuple[Pickup, ...] = ()
    chilled: bool = False
    required: bool = False  # False: may be left unassigned (with its reason) when it cannot be served
    priority: int = 1  # weight of serving it; a higher value is kept first when not all can be served


@dataclass(frozen=True)
class Problem:
    dimensions: tuple[str, ...]  # e.g. ("parcels", "grams", "millilitres")
    kinds: dict[str, VehicleKind]
    shifts: tuple[Shift, ...]
    jobs: tuple[Job, ...]
    max_ride_seconds: int | None = None  # for chilled jobs
    reload_service: int = 0  # seconds spent at the hub to unload/reload between trips
    # Rounds already under way: shift key -> the visits already done or committed, in order; a
    # solver keeps these as they are and plans the remaining jobs around them.
    frozen: dict[str, tuple[Visit, ...]] = field(default_factory=dict)


# ---- the plan ----------------------------------------------------------------------------------

START, PICKUP, DROP, RELOAD, END = "start", "pickup", "drop", "reload", "end"


@dataclass(frozen=True)
class Visit:
    kind: str  # START | PICKUP | DROP | RELOAD | END
    job: str = ""  # Job.key (PICKUP, DROP)
    pickup: str = ""  # Pickup.key (PICKUP)
    arrival: int = 0  # seconds since midnight
    start: int = 0  # service start (>= arrival: waiting for the window to open)
    departure: int = 0


@dataclass(frozen=True)
class Route:
    shift: str  # Shift.key
    visits: tuple[Visit, ...]
    distance: int  # metres
    duration: int  # seconds from start to end


# Reason codes of unassigned jobs (the Django side words them in French).
OUT_OF_REACH = "out_of_reach"  # no vehicle kind may reach it (e.g. outside the centre, no car that day)
NO_CAPACITY = "no_capacity"  # bigger than every vehicle
NO_TIME = "no_time"  # fits no shift within its windows
RIDE_TOO_LONG = "ride_too_long"  # chilled and no plan keeps it within the ride time
NOT_PLANNED = "not_planned"  # feasible alone but left out (fleet full, or time budget ran out)


@dataclass
class Plan:
    routes: list[Route]
    unassigned: dict[str, str]  # Job.key -> reason code
    solver: str  # "pyvrp 0.14.1", "vroom 1.15.2", "insertion"
    seconds: float  # wall time spent solving
    seed: int = 0

    @property
    def distance(self) -> int:
        return sum(route.distance for route in self.routes)
