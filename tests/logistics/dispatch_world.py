"""Helpers of the dispatcher tests: a fleet, couriers, shifts, deliveries and rounds written directly."""

from __future__ import annotations

import datetime as dt
import itertools

from django.test import Client
from django.utils import timezone

from accounts.models import Role, User
from checkout.models import Fulfilment, MerchantOrder, MerchantOrderStatus, Order, OrderStatus
from logistics.models import (
    Delivery,
    DeliveryPart,
    DeliveryStatus,
    Hub,
    Round,
    Shift,
    Stop,
    StopKind,
    Vehicle,
    VehicleType,
)
from tests.catalog.factories import MerchantFactory

DAY = dt.date(2026, 12, 8)  # a Tuesday
_numbers = itertools.count(1)


def sign_in(client: Client, town, *, role: str, email: str = "") -> User:
    """A user of the town with ``role``, logged in on ``client`` (call with no schema active)."""
    with town:
        user = User.objects.create_user(
            email=email or f"{role}-{next(_numbers)}@test.fr", password="mot-de-passe-solide", role=role
        )
        client.force_login(user)
    return user


def courier(name: str) -> User:
    first, _, last = name.partition(" ")
    return User.objects.create_user(
        email=f"{first.lower()}-{next(_numbers)}@livreurs.test", role=Role.COURIER, first_name=first, last_name=last
    )


def fleet() -> dict[str, object]:
    hub = Hub.objects.create(
        name="Dépôt de l'asso", address="1 Place d'Armes 62100 Calais", latitude=50.958, longitude=1.851
    )
    bike = VehicleType.objects.create(name="Vélo cargo", is_bike=True, centre_only=True, speed_kmh=15, position=0)
    car = VehicleType.objects.create(name="Voiture", speed_kmh=30, capacity_parcels=40, position=1)
    return {
        "hub": hub,
        "bike_type": bike,
        "car_type": car,
        "bike": Vehicle.objects.create(name="Vélo 1", vehicle_type=bike, hub=hub),
        "bike2": Vehicle.objects.create(name="Vélo 2", vehicle_type=bike, hub=hub),
        "car": Vehicle.objects.create(name="Kangoo", vehicle_type=car, hub=hub),
    }


def shift(person: User, vehicle: Vehicle, *, date: dt.date = DAY, start: str = "09:00", end: str = "13:00") -> Shift:
    return Shift.objects.create(
        date=date,
        courier=person,
        vehicle=vehicle,
        starts_at=dt.time.fromisoformat(start),
        ends_at=dt.time.fromisoformat(end),
    )


def delivery(
    *,
    date: dt.date = DAY,
    status: str = DeliveryStatus.PLANNED,
    name: str = "Jeanne Martin",
    merchant=None,
    located: bool = True,
    reason: str = "",
    grams: int = 2500,
) -> Delivery:
    """A paid order delivered by the town, from one shop, and its delivery."""
    merchant = merchant or MerchantFactory()
    first, _, last = name.partition(" ")
    number = next(_numbers)
    order = Order.objects.create(
        status=OrderStatus.PAID,
        first_name=first,
        last_name=last,
        email=f"habitant{number}@test.fr",
        phone="0600000000",
        delivery_address_label=f"{number} Rue Royale 62100 Calais",
        delivery_date=date,
        terms_accepted_at=timezone.now(),
    )
    merchant_order = MerchantOrder.objects.create(
        order=order,
        merchant=merchant,
        merchant_name=merchant.name,
        status=MerchantOrderStatus.ACCEPTED,
        fulfilment=Fulfilment.DELIVERY,
        pickup_code="123456",
    )
    made = Delivery.objects.create(
        order=order,
        status=status,
        date=date,
        window_start=dt.time(10),
        window_end=dt.time(12),
        latitude=50.95 + number / 10000 if located else None,
        longitude=1.85 if located else None,
        needs_address_check=not located,
        unassigned_reason=reason,
        parcels=2,
        grams=grams,
    )
    DeliveryPart.objects.create(
        delivery=made, merchant_order=merchant_order, collect_code="ABCDEF", parcels=2, grams=grams
    )
    return made


def planned_round(work: Shift, deliveries: list[Delivery], *, stretch: int = 0) -> Round:
    """A round of ``work`` with a pickup then a drop for each delivery, then back at the hub."""
    made = Round.objects.create(
        date=work.date,
        shift=work,
        stretch=stretch,
        courier=work.courier,
        vehicle=work.vehicle,
        starts_at=work.starts_at,
        ends_at=work.ends_at,
        distance_m=4200,
    )
    clock = dt.datetime.combine(work.date, work.starts_at)
    position = 0
    for each in deliveries:
        for kind, part in ((StopKind.PICKUP, each.parts.first()), (StopKind.DROP, None)):
            clock += dt.timedelta(minutes=10)
            Stop.objects.create(
                round=made,
                position=position,
                kind=kind,
                delivery=each,
                part=part,
                arrives_at=clock.time(),
                starts_at=clock.time(),
                departs_at=(clock + dt.timedelta(minutes=3)).time(),
            )
            position += 1
    clock += dt.timedelta(minutes=10)
    Stop.objects.create(
        round=made,
        position=position,
        kind=StopKind.RELOAD,
        arrives_at=clock.time(),
        starts_at=clock.time(),
        departs_at=clock.time(),
    )
    return made
