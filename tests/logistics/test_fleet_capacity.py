"""The shifts page compares what checkout promises (slots, or zones) with what the shifts can carry,
and warns the town in plain French when it promises more (logistics/fleet.py: the estimate)."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.models import Role
from delivery.models import DeliverySlot, DeliverySlotDay, DeliveryZone
from logistics.fleet import deliveries_per_hour
from logistics.models import LogisticsSettings, VehicleType
from tests.logistics import dispatch_world as world

WEEK = "/gestion/livraisons/services/?semaine=2026-12-07"
TUESDAY = world.DAY


@pytest.fixture
def town(town_a):
    """Slots 10-12, 14-16, 16-18 of 30 deliveries, a zone of 200 a day, two bikes and a car 10:00-18:00."""
    with town_a:
        DeliverySlot.objects.all().delete()
        for start in (10, 14, 16):
            DeliverySlot.objects.create(start_time=dt.time(start), end_time=dt.time(start + 2), capacity=30)
        DeliveryZone.objects.create(name="Calais", insee_codes=["62193"], daily_capacity=200)
        vehicles = world.fleet()
        for vehicle in ("bike", "bike2", "car"):
            world.shift(world.courier(f"Livreur {vehicle}"), vehicles[vehicle], start="10:00", end="18:00")
    return vehicles


def _tuesday(response):
    return next(day["capacity"] for day in response.context["days"] if day["date"] == TUESDAY)


def test_deliveries_per_hour_come_from_speed_service_minutes_and_detour():
    config = LogisticsSettings(pickup_minutes=3, drop_minutes=4, detour_factor=1.3)
    bike = VehicleType(speed_kmh=15)
    car = VehicleType(speed_kmh=30)

    # 3 + 4 minutes on site, 2 legs of 1 km × 1.3 at 15 km/h = 10.4 minutes: 17.4 minutes a delivery.
    assert deliveries_per_hour(bike, config) == pytest.approx(60 / 17.4)
    assert deliveries_per_hour(car, config) == pytest.approx(60 / 12.2)


def test_the_town_is_warned_when_its_slots_promise_more_than_the_shifts_carry(client_a, town_a, town):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)

    response = client_a.get(WEEK)

    tuesday = _tuesday(response)
    # Each slot: 2 hours × (2 bikes × 3.45 + 1 car × 4.92) ≈ 23.6 deliveries.
    assert [(window.label, window.promised, window.carried) for window in tuesday.windows] == [
        ("10 h – 12 h", 30, 23),
        ("14 h – 16 h", 30, 23),
        ("16 h – 18 h", 30, 23),
    ]
    assert (tuesday.promised, tuesday.carried) == (90, 69)
    html = response.content.decode()
    assert "Les créneaux promettent 90 livraisons, les services prévus en portent environ 69." in html
    assert "Créneau 10 h – 12 h : 30 promises, environ 23 possibles." in html
    assert 'class="capacity-warning" role="alert"' in html


def test_a_slot_no_courier_covers_is_flagged_even_when_the_day_adds_up(client_a, town_a, town):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)
    with town_a:
        late = DeliverySlot.objects.get(start_time=dt.time(16))
        DeliverySlotDay.objects.create(slot=late, date=TUESDAY, capacity=5)
        morning = DeliverySlot.objects.get(start_time=dt.time(10))
        DeliverySlotDay.objects.create(slot=morning, date=TUESDAY, capacity=40)

    tuesday = _tuesday(client_a.get(WEEK))

    assert [(window.promised, window.is_over_promised) for window in tuesday.windows] == [
        (40, True),
        (30, True),
        (5, False),
    ]
    assert tuesday.is_over_promised


def test_no_warning_when_the_shifts_carry_what_is_promised(client_a, town_a, town):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)
    with town_a:
        for number in range(2):
            car = world.Vehicle.objects.create(name=f"Auto {number}", vehicle_type=town["car_type"], hub=town["hub"])
            world.shift(world.courier(f"Renfort {number}"), car, start="10:00", end="18:00")

    response = client_a.get(WEEK)

    tuesday = _tuesday(response)
    assert (tuesday.promised, tuesday.carried) == (90, 129)
    assert not tuesday.is_over_promised
    assert TUESDAY not in [warning.date for warning in response.context["warnings"]]


def test_without_slots_the_zones_daily_capacity_is_the_promise(client_a, town_a, town):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)
    with town_a:
        DeliverySlot.objects.all().delete()
        DeliveryZone.objects.update(daily_capacity=80)

    response = client_a.get(WEEK)

    tuesday = _tuesday(response)
    # 8 hours × (2 × 3.45 + 4.92) ≈ 94.5: enough for the zone's 80.
    assert (tuesday.promised, tuesday.carried, tuesday.windows) == (80, 94, ())
    wednesday = next(day["capacity"] for day in response.context["days"] if day["date"] == TUESDAY + dt.timedelta(1))
    assert (wednesday.promised, wednesday.carried) == (80, 0)
    assert (
        "Les zones de livraison promettent 80 livraisons ce jour-là, les services prévus en portent environ 0."
        in response.content.decode()
    )


def test_sunday_is_no_delivery_day_and_raises_no_warning(client_a, town_a, town):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)

    response = client_a.get(WEEK)

    sunday = next(day["capacity"] for day in response.context["days"] if day["date"].weekday() == 6)
    assert not sunday.is_delivery_day
    assert not sunday.is_over_promised
    assert "Pas de livraison ce jour-là." in response.content.decode()


def test_the_week_needs_the_same_number_of_queries_for_few_and_many_shifts(
    client_a, town_a, town, django_assert_max_num_queries
):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)
    client_a.get(WEEK)
    with django_assert_max_num_queries(15) as few:
        client_a.get(WEEK)
    with town_a:
        for offset in range(6):
            day = TUESDAY + dt.timedelta(days=offset % 4)
            car = world.Vehicle.objects.create(name=f"Auto {offset}", vehicle_type=town["car_type"], hub=town["hub"])
            world.shift(world.courier(f"Renfort {offset}"), car, date=day, start="10:00", end="18:00")
    with django_assert_max_num_queries(15) as many:
        html = client_a.get(WEEK).content.decode()
    assert html.count("Renfort") == 6
    assert len(many.captured_queries) == len(few.captured_queries)
