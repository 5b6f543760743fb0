"""Small delivery days for the planning engine's tests: a hub in a town centre, shops around it,
residents inside and outside the centre (about 1 km ≈ 0.009° of latitude, 0.0143° of longitude)."""

from __future__ import annotations

from logistics.planning.problem import Job, Location, Pickup, Problem, Shift, VehicleKind

DIMENSIONS = ("parcels", "grams", "millilitres")
HOUR = 3600
NINE, NOON = 9 * HOUR, 12 * HOUR

BIKE = VehicleKind("cargo_bike", speed_kmh=15, capacity=(8, 80_000, 120_000), centre_only=True)
CAR = VehicleKind("car", speed_kmh=30, capacity=(30, 400_000, 600_000))
KINDS = {BIKE.key: BIKE, CAR.key: CAR}

HUB = Location(50.9500, 1.8500)


def place(north_km: float, east_km: float) -> Location:
    """A place ``north_km`` / ``east_km`` from the hub, in the centre when within 1.5 km."""
    return Location(
        HUB.lat + north_km * 0.009, HUB.lon + east_km * 0.0143, in_centre=(north_km**2 + east_km**2) ** 0.5 <= 1.5
    )


SHOPS = [place(0.3, 0.2), place(-0.4, 0.5), place(0.6, -0.3), place(-0.2, -0.6)]
RESIDENTS = [
    place(0.8, 0.9),
    place(-0.9, 0.4),
    place(1.0, -0.5),
    place(-0.7, -0.8),
    place(3.0, 2.0),
    place(-2.5, 3.0),
    place(0.2, 1.1),
    place(-1.1, -0.2),
]


def job(
    number: int,
    resident: Location,
    shops: tuple[Location, ...] = (),
    *,
    parcels: int = 1,
    window: tuple[int, int] = (NINE, NOON),
    chilled: bool = False,
    required: bool = False,
) -> Job:
    """Delivery ``number``: one parcel of 2 kg / 3 l per shop (or ``parcels`` from the hub)."""
    pickups = tuple(
        Pickup(
            f"part-{number}-{i}", shop, window=(NINE, NOON), service=120, load=(parcels, 2000 * parcels, 3000 * parcels)
        )
        for i, shop in enumerate(shops)
    )
    count = parcels * max(1, len(shops))
    return Job(
        f"delivery-{number}",
        drop=resident,
        drop_window=window,
        drop_service=180,
        load=(count, 2000 * count, 3000 * count),
        pickups=pickups,
        chilled=chilled,
        required=required,
    )


def shifts(bikes: int = 1, cars: int = 1, start: int = NINE, end: int = NOON) -> tuple[Shift, ...]:
    return tuple(Shift(f"bike-{i}", BIKE.key, HUB, start, end) for i in range(bikes)) + tuple(
        Shift(f"car-{i}", CAR.key, HUB, start, end) for i in range(cars)
    )


def small_day(**overrides: object) -> Problem:
    """Eight deliveries: six from shops (one from two shops), two from the hub; two outside the centre."""
    jobs = (
        job(1, RESIDENTS[0], (SHOPS[0],)),
        job(2, RESIDENTS[1], (SHOPS[1],)),
        job(3, RESIDENTS[2], (SHOPS[2], SHOPS[3])),
        job(4, RESIDENTS[3], (SHOPS[3],)),
        job(5, RESIDENTS[4], (SHOPS[0],)),
        job(6, RESIDENTS[5], ()),
        job(7, RESIDENTS[6], ()),
        job(8, RESIDENTS[7], (SHOPS[1],)),
    )
    values: dict[str, object] = {"dimensions": DIMENSIONS, "kinds": KINDS, "shifts": shifts(), "jobs": jobs}
    values.update(overrides)
    return Problem(**values)  # type: ignore[arg-type]
