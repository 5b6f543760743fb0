"""Demo delivery rounds for `make run` (Calais): the association's hub and fleet, its couriers and
coordinator with logins, the day's delivery orders, and the day planned into rounds.

Everything goes through the real actions: orders are placed and paid through checkout (they become
deliveries through checkout's events), the day is planned by ``logistics.planner.plan_rounds``.
Seeded once: the fleet while the town has no hub, the orders and the plan while the day has no
delivery. The day is today (or the next delivery day on a Sunday), planned as at 7:30 that morning
so that a newcomer sees the whole day's rounds whatever the hour of `make run`.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Role, User
from catalog.models import Merchant, MerchantStatus, Variant
from checkout.actions import (
    GATEWAY,
    Actor,
    FulfilmentChoice,
    accept_merchant_order,
    mark_merchant_order_ready,
    mark_order_paid,
    place_order,
)
from checkout.basket import sellable_variants
from checkout.outbox import deliver_event, pending_events
from delivery.models import DeliverySlot, LocalAddress
from delivery.provider import DELIVERY_WEEKDAYS
from demo.payouts import random_basket, random_contact
from demo.people import demo_address
from logistics.models import Delivery, Hub, Shift, Vehicle, VehicleType
from logistics.planner import plan_rounds
from tenants.current import town_zone
from tenants.models import Town

# The association's premises, by the Place d'Armes (a plausible spot, not a real address).
HUB = ("Dépôt de l'association Cycl'Opale", "5 Place d'Armes 62100 Calais", 50.95790, 1.85230)
COURIERS = [
    ("livreur1", "Karim", "Benali", "bike"),
    ("livreur2", "Julie", "Lefebvre", "bike"),
    ("livreur3", "Thomas", "Caron", "bike"),
    ("livreur4", "Nadia", "Roussel", "car"),
    ("livreur5", "Marc", "Delattre", "car"),
]
COORDINATOR = ("coordination", "Sophie", "Vasseur")


@dataclass
class DemoRounds:
    day: dt.date
    couriers: int = 0
    orders: int = 0
    served: int = 0
    unassigned: int = 0


def delivery_day(today: dt.date) -> dt.date:
    day = today
    while day.weekday() not in DELIVERY_WEEKDAYS:
        day += dt.timedelta(days=1)
    return day


def seed_demo_rounds(*, town: Town, password: str, today: dt.date, orders: int = 40, seed: int = 2026) -> DemoRounds:
    """Inside the town (Calais): fleet, couriers and the planned day, each seeded once."""
    rng = random.Random(seed + today.toordinal())  # noqa: S311 - reproducible demo data, not secrets
    result = DemoRounds(day=delivery_day(today))
    if not Hub.objects.exists():
        result.couriers = _fleet(town, password)
    _shifts(result.day)
    if not Delivery.objects.filter(date=result.day).exists():
        result.orders = _delivery_orders(rng=rng, day=result.day, count=orders)
        import time_machine  # demo only (`make run` installs the dev extras), as demo.payouts

        morning = dt.datetime.combine(result.day, dt.time(7, 30), tzinfo=town_zone())
        with time_machine.travel(morning, tick=False):
            plan = plan_rounds(date=result.day, trigger="demo", seconds=3)
        result.served, result.unassigned = plan.served, len(plan.unassigned)
    return result


def _fleet(town: Town, password: str) -> int:
    password_hash = make_password(password)
    with transaction.atomic():
        name, address, latitude, longitude = HUB
        hub = Hub.objects.create(name=name, address=address, latitude=latitude, longitude=longitude)
        bike = VehicleType.objects.create(
            name="Vélo cargo",
            is_bike=True,
            centre_only=True,
            speed_kmh=14,
            capacity_parcels=10,
            capacity_kg=100,
            capacity_litres=300,
            position=0,
        )
        car = VehicleType.objects.create(
            name="Voiture", speed_kmh=30, capacity_parcels=40, capacity_kg=500, capacity_litres=2000, position=1
        )
        vehicles = {"bike": 0, "car": 0}
        for local, first, last, kind in COURIERS:
            vehicles[kind] += 1
            vehicle_type = bike if kind == "bike" else car
            Vehicle.objects.create(name=f"{vehicle_type.name} {vehicles[kind]}", vehicle_type=vehicle_type, hub=hub)
            _user(demo_address(town, local), password_hash, Role.COURIER, first, last)
        local, first, last = COORDINATOR
        _user(demo_address(town, local), password_hash, Role.DELIVERY_COORDINATOR, first, last)
    return len(COURIERS)


def _user(email: str, password_hash: str, role: Role, first: str, last: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=None, role=role, first_name=first, last_name=last)
        user.password = password_hash
        user.save(update_fields=["password"])
    return user


def _shifts(day: dt.date) -> None:
    """Each courier on their vehicle that day: bikes 9 h–18 h with a lunch break, cars 13 h–19 h."""
    couriers = list(User.objects.filter(role=Role.COURIER, is_active=True).order_by("pk"))
    vehicles = list(Vehicle.objects.filter(is_active=True).select_related("vehicle_type").order_by("pk"))
    for courier, vehicle in zip(couriers, vehicles, strict=False):
        if Shift.objects.filter(date=day, courier=courier).exists():
            continue
        if vehicle.vehicle_type.is_bike:
            hours = {"starts_at": dt.time(9), "ends_at": dt.time(18), "break_starts_at": dt.time(12, 30)}
            Shift.objects.create(date=day, courier=courier, vehicle=vehicle, break_minutes=45, **hours)
        else:
            Shift.objects.create(date=day, courier=courier, vehicle=vehicle, starts_at=dt.time(13), ends_at=dt.time(19))


def _delivery_orders(*, rng: random.Random, day: dt.date, count: int) -> int:
    """``count`` paid delivery orders for ``day``, placed at 7 h that morning, to the town's addresses."""
    import time_machine

    by_merchant: dict[int, list[Variant]] = {}
    # Shops open that day (a resident could order from the others too: their deliveries would wait).
    deliverers = Merchant.objects.filter(
        status=MerchantStatus.LIVE,
        sells_online=True,
        delivery_eligible=True,
        latitude__isnull=False,
        opening_periods__weekday=day.weekday(),
    ).distinct()
    for variant in sellable_variants().filter(merchant__in=deliverers).exclude(stock=0).order_by("merchant_id", "pk"):
        if len(by_merchant.setdefault(variant.merchant_id, [])) < 4:
            by_merchant[variant.merchant_id].append(variant)
    shops = list(by_merchant.values())
    # Addresses served by a zone (Guînes, in the address table, is outside every zone).
    addresses = list(LocalAddress.objects.exclude(city="Guînes").order_by("pk").values_list("label", flat=True))
    slots = list(DeliverySlot.objects.filter(is_active=True).order_by("start_time").values_list("pk", flat=True))
    if not shops or not addresses:
        return 0
    placed = 0
    moment = dt.datetime.combine(day, dt.time(7), tzinfo=town_zone())
    for index in range(count):
        with time_machine.travel(moment + dt.timedelta(minutes=index), tick=False), transaction.atomic():
            basket, merchant_ids = random_basket(rng, shops, quantities=(2, 3))
            if not merchant_ids:
                continue
            contact = random_contact(rng, email=f"livraison{index}@exemple.fr")
            try:
                order = place_order(
                    basket=basket,
                    contact=contact,
                    fulfilments={merchant_id: FulfilmentChoice(kind="delivery") for merchant_id in merchant_ids},
                    address_text=rng.choice(addresses),
                    delivery_slot_id=rng.choice(slots) if slots else None,
                    terms_accepted=True,
                    actor=Actor(kind="resident"),
                    now=moment,
                )
            except ValidationError:
                basket.delete()  # below a zone's minimum, a slot full: a real resident would change the basket
                continue
            mark_order_paid(order_id=order.pk, amount_cents=order.total_cents, currency="EUR", actor=GATEWAY)
            # Most shops have accepted their part by the morning; some have it ready already.
            for merchant_order in order.merchant_orders.all():
                if rng.random() < 0.8:
                    staff = Actor(kind="merchant")
                    accept_merchant_order(merchant_order_id=merchant_order.pk, actor=staff)
                    if rng.random() < 0.5:
                        mark_merchant_order_ready(merchant_order_id=merchant_order.pk, actor=staff)
            placed += 1
    # Inside an outer transaction (the tests) nothing commits: hand the pending events over here.
    for event in pending_events():
        deliver_event(event_id=event.pk)
    return placed
