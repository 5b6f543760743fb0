"""A planned round for the courier app's tests: a paid order from two shops, picked up then delivered.

The round is built by hand (hub, vehicle, shift, round, stops) as the planner would publish it: the
courier app only reads rounds and records what happens at their stops.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from accounts.models import Role, User
from catalog.models import Product
from checkout.models import Order
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
from tests.checkout.conftest import basket_with, order_from, pay_with_demo_gateway
from tests.checkout.test_delivery import FRIDAY_MORNING, deliver_all

PASSWORD = "mot-de-passe-du-livreur"
TODAY = dt.date(2026, 11, 27)  # FRIDAY_MORNING in Calais
__all__ = ["FRIDAY_MORNING", "PASSWORD", "TODAY", "PlannedRound", "make_courier", "plan_round", "round_for_order"]


@dataclass
class PlannedRound:
    courier: User
    order: Order
    delivery: Delivery
    parts: list[DeliveryPart]
    round: Round
    pickups: list[Stop]
    drop: Stop
    reload: Stop


def make_courier(email: str, **fields: object) -> User:
    return User.objects.create_user(email=email, password=PASSWORD, role=Role.COURIER, **fields)


def plan_round(town: object, shops: dict, capture: object, *, courier: User | None = None) -> PlannedRound:
    """Inside the town's schema: a paid order from both shops, on a planned round of ``courier``."""
    eclair, honey = shops["bakery"]["variants"][0], shops["grocer"]["variants"][0]
    Product.objects.filter(variants=honey).update(is_chilled=True)
    basket = basket_with([(eclair, 4), (honey, 2)])
    order = order_from(
        basket,
        fulfilments=deliver_all(basket),
        address_text="12 Rue Royale 62100 Calais",
        delivery_instructions="Interphone 3B",
    )
    with capture(execute=True):
        pay_with_demo_gateway(town, order)
    delivery = Delivery.objects.get(order=order)
    parts = list(delivery.parts.order_by("pk"))
    courier = courier or make_courier("livreur@ville-a.fr", phone="0611223344")
    hub = Hub.objects.create(
        name="Dépôt de l'association", address="5 Quai de la Colonne, 62100 Calais", latitude=50.96, longitude=1.85
    )
    bike = VehicleType.objects.create(name="Vélo cargo", is_bike=True, centre_only=True)
    vehicle = Vehicle.objects.create(name="Vélo 1", vehicle_type=bike, hub=hub)
    shift = Shift.objects.create(
        date=TODAY, courier=courier, vehicle=vehicle, starts_at=dt.time(9, 0), ends_at=dt.time(12, 0)
    )
    round_ = Round.objects.create(
        date=TODAY, shift=shift, courier=courier, vehicle=vehicle, starts_at=dt.time(9, 0), ends_at=dt.time(12, 0)
    )
    pickups = [
        Stop.objects.create(
            round=round_,
            position=index + 1,
            kind=StopKind.PICKUP,
            delivery=delivery,
            part=part,
            arrives_at=dt.time(9, 10 + 10 * index),
            starts_at=dt.time(9, 10 + 10 * index),
            departs_at=dt.time(9, 13 + 10 * index),
        )
        for index, part in enumerate(parts)
    ]
    drop = Stop.objects.create(
        round=round_,
        position=len(parts) + 1,
        kind=StopKind.DROP,
        delivery=delivery,
        arrives_at=dt.time(9, 45),
        starts_at=dt.time(9, 45),
        departs_at=dt.time(9, 49),
    )
    reload = Stop.objects.create(
        round=round_,
        position=len(parts) + 2,
        kind=StopKind.RELOAD,
        arrives_at=dt.time(10, 5),
        starts_at=dt.time(10, 5),
        departs_at=dt.time(10, 10),
    )
    delivery.status = DeliveryStatus.PLANNED
    delivery.eta_start, delivery.eta_end = dt.time(9, 30), dt.time(10, 0)
    delivery.save()
    return PlannedRound(courier, order, delivery, parts, round_, pickups, drop, reload)


def round_for_order(order: Order, *, courier: User, today: dt.date, codes: tuple[str, ...]) -> PlannedRound:
    """A round of ``courier`` for an order written straight to the database (no checkout, no zone):
    one pickup per shop part, with the given collect codes, then the drop (door code 246810)."""
    delivery = Delivery.objects.create(
        order=order,
        status=DeliveryStatus.PLANNED,
        date=today,
        window_start=dt.time(0, 0),
        window_end=dt.time(23, 59),
        latitude=50.95,
        longitude=1.85,
        door_code="246810",
        chilled=True,
        parcels=len(codes),
    )
    parts = [
        DeliveryPart.objects.create(delivery=delivery, merchant_order=merchant_order, collect_code=code)
        for merchant_order, code in zip(order.merchant_orders.order_by("pk"), codes, strict=True)
    ]
    hub = Hub.objects.create(
        name="Dépôt du quai", address="5 Quai de la Colonne, 62100 Calais", latitude=50.96, longitude=1.85
    )
    vehicle_type = VehicleType.objects.create(name="Vélo cargo", is_bike=True)
    vehicle = Vehicle.objects.create(name="Vélo du quai", vehicle_type=vehicle_type, hub=hub)
    shift = Shift.objects.create(
        date=today, courier=courier, vehicle=vehicle, starts_at=dt.time(0, 0), ends_at=dt.time(23, 59)
    )
    round_ = Round.objects.create(
        date=today, shift=shift, courier=courier, vehicle=vehicle, starts_at=dt.time(0, 0), ends_at=dt.time(23, 59)
    )
    times = {"arrives_at": dt.time(9, 0), "starts_at": dt.time(9, 0), "departs_at": dt.time(9, 5)}
    pickups = [
        Stop.objects.create(
            round=round_, position=index + 1, kind=StopKind.PICKUP, delivery=delivery, part=part, **times
        )
        for index, part in enumerate(parts)
    ]
    drop = Stop.objects.create(round=round_, position=len(parts) + 1, kind=StopKind.DROP, delivery=delivery, **times)
    reload = Stop.objects.create(round=round_, position=len(parts) + 2, kind=StopKind.RELOAD, **times)
    return PlannedRound(courier, order, delivery, parts, round_, pickups, drop, reload)
