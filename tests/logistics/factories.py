"""A delivery partner's day, written straight through the ORM (use inside a town: ``with town_a:``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from accounts.models import Role, User
from catalog.models import Merchant, OpeningPeriod
from checkout.models import Fulfilment
from delivery.models import DeliveryZone
from logistics.deliveries import sync_delivery
from logistics.models import Delivery, Hub, Shift, Vehicle, VehicleType
from tests.catalog.factories import MerchantFactory
from tests.checkout.notification_factories import Line, make_order
from tests.delivery.factories import CALAIS_CENTRE, CargoBikeZoneFactory, CarZoneFactory

# A Tuesday in Calais, 7:00 in the morning (UTC+1): the day is planned before the rounds start.
TUESDAY = dt.date(2026, 12, 8)
TUESDAY_MORNING = dt.datetime(2026, 12, 8, 6, 0, tzinfo=dt.UTC)

# Points around Calais' centre (latitude, longitude): inside the cargo-bike zone (1.5 km), and beyond.
IN_CENTRE = [(50.9530, 1.8550), (50.9490, 1.8620), (50.9560, 1.8600), (50.9470, 1.8540), (50.9515, 1.8650)]
FAR_OUT = [(50.9300, 1.8006), (50.9700, 1.9100)]


def delivery_zones() -> None:
    if not DeliveryZone.objects.exists():
        CargoBikeZoneFactory()
        CarZoneFactory()


def shop(name: str, latitude: float, longitude: float, *, opens: str = "08:00", closes: str = "19:00") -> Merchant:
    merchant = MerchantFactory(
        name=name, latitude=Decimal(str(latitude)), longitude=Decimal(str(longitude)), delivery_eligible=True
    )
    for weekday in range(7):
        OpeningPeriod.objects.create(
            merchant=merchant,
            weekday=weekday,
            opens_at=dt.time.fromisoformat(opens),
            closes_at=dt.time.fromisoformat(closes),
        )
    return merchant


def courier(email: str) -> User:
    return User.objects.create_user(email=email, first_name=email.split("@")[0].title(), role=Role.COURIER)


def fleet(
    *,
    bikes: int = 1,
    cars: int = 1,
    date: dt.date = TUESDAY,
    start: str = "09:00",
    end: str = "18:00",
    car_start: str | None = None,
) -> Hub:
    """Bikes and cars on shift all day (cars from ``car_start`` when given)."""
    hub = Hub.objects.create(
        name="Dépôt de l'association",
        address="Place d'Armes, Calais",
        latitude=CALAIS_CENTRE[0],
        longitude=CALAIS_CENTRE[1],
    )
    bike = VehicleType.objects.create(
        name="Vélo cargo",
        is_bike=True,
        centre_only=True,
        speed_kmh=14,
        capacity_parcels=8,
        capacity_kg=80,
        capacity_litres=250,
    )
    car = VehicleType.objects.create(
        name="Voiture", speed_kmh=30, capacity_parcels=30, capacity_kg=400, capacity_litres=1500
    )
    for kind, count in ((bike, bikes), (car, cars)):
        for number in range(count):
            vehicle = Vehicle.objects.create(name=f"{kind.name} {number + 1}", vehicle_type=kind, hub=hub)
            Shift.objects.create(
                date=date,
                courier=courier(f"livreur-{kind.pk}-{number}@ville-a.fr"),
                vehicle=vehicle,
                starts_at=dt.time.fromisoformat(car_start if car_start and not kind.is_bike else start),
                ends_at=dt.time.fromisoformat(end),
            )
    return hub


def delivery(
    shops: list[Merchant],
    point: tuple[float, float],
    *,
    window: tuple[str, str] = ("10:00", "12:00"),
    date: dt.date = TUESDAY,
    items: int = 2,
) -> Delivery:
    """A paid order delivered by the town from these shops to this point, made a delivery."""
    order = make_order(
        [(merchant, [Line("Article", 500, Decimal(items))]) for merchant in shops], fulfilment=Fulfilment.DELIVERY
    )
    order.delivery_date = date
    order.delivery_latitude, order.delivery_longitude = point
    order.delivery_window_start = dt.time.fromisoformat(window[0])
    order.delivery_window_end = dt.time.fromisoformat(window[1])
    order.save(
        update_fields=[
            "delivery_date",
            "delivery_latitude",
            "delivery_longitude",
            "delivery_window_start",
            "delivery_window_end",
        ]
    )
    made = sync_delivery(order.pk)
    assert made is not None
    return made
