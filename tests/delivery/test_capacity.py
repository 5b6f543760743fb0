"""Daily capacity of a zone: reservations inside checkout's transaction, releases, concurrency."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from delivery.actions import save_zone
from delivery.models import DeliveryDay, DeliveryZone
from delivery.provider import DeliveryUnavailable, provider
from tenants.current import town_today
from tests.conftest import run_concurrently
from tests.delivery.factories import CargoBikeZoneFactory

DAY = dt.date(2026, 3, 10)


def booked(zone: DeliveryZone, day: dt.date = DAY) -> int:
    return DeliveryDay.objects.get(zone=zone, date=day).booked


def test_first_reservation_creates_the_day_with_the_zone_capacity(town_a):
    with town_a:
        zone = CargoBikeZoneFactory(daily_capacity=3)
        provider.reserve(zone_id=zone.pk, delivery_date=DAY)
        day = DeliveryDay.objects.get(zone=zone, date=DAY)
    assert (day.booked, day.capacity) == (1, 3)


def test_a_full_day_refuses_in_french_and_books_nothing_more(town_a):
    with town_a:
        zone = CargoBikeZoneFactory(daily_capacity=2)
        provider.reserve(zone_id=zone.pk, delivery_date=DAY)
        provider.reserve(zone_id=zone.pk, delivery_date=DAY)
        with pytest.raises(DeliveryUnavailable) as refusal:
            provider.reserve(zone_id=zone.pk, delivery_date=DAY)
        assert booked(zone) == 2
    assert refusal.value.code == "capacity_full"
    assert refusal.value.message.startswith("Plus de créneau de livraison disponible le mardi 10 mars")


def test_a_full_day_today_says_today(town_a):
    with town_a:
        zone = CargoBikeZoneFactory(daily_capacity=1)
        today = town_today()
        provider.reserve(zone_id=zone.pk, delivery_date=today)
        with pytest.raises(DeliveryUnavailable) as refusal:
            provider.reserve(zone_id=zone.pk, delivery_date=today)
    assert refusal.value.message.startswith("Plus de créneau de livraison disponible aujourd'hui")


def test_a_refusal_leaves_the_callers_transaction_usable(town_a):
    with town_a:
        zone = CargoBikeZoneFactory(daily_capacity=1)
        with transaction.atomic():
            provider.reserve(zone_id=zone.pk, delivery_date=DAY)
            with pytest.raises(DeliveryUnavailable):
                provider.reserve(zone_id=zone.pk, delivery_date=DAY)
            assert booked(zone) == 1


def test_a_reservation_rolls_back_with_the_callers_transaction(town_a):
    with town_a:
        zone = CargoBikeZoneFactory(daily_capacity=5)
        provider.reserve(zone_id=zone.pk, delivery_date=DAY)
        try:
            with transaction.atomic():
                provider.reserve(zone_id=zone.pk, delivery_date=DAY)
                raise RuntimeError("payment failed")
        except RuntimeError:
            pass
        assert booked(zone) == 1


def test_an_inactive_or_unknown_zone_takes_no_reservation(town_a):
    with town_a:
        zone = CargoBikeZoneFactory(is_active=False)
        for zone_id in (zone.pk, zone.pk + 1000):
            with pytest.raises(DeliveryUnavailable) as refusal:
                provider.reserve(zone_id=zone_id, delivery_date=DAY)
            assert refusal.value.code == "zone_closed"
        assert not DeliveryDay.objects.exists()


def test_release_gives_one_unit_back_and_never_goes_below_zero(town_a):
    with town_a:
        zone = CargoBikeZoneFactory(daily_capacity=1)
        provider.reserve(zone_id=zone.pk, delivery_date=DAY)
        provider.release(zone_id=zone.pk, delivery_date=DAY)
        assert booked(zone) == 0
        provider.reserve(zone_id=zone.pk, delivery_date=DAY)  # the unit given back is available again
        provider.release(zone_id=zone.pk, delivery_date=DAY)
        provider.release(zone_id=zone.pk, delivery_date=DAY)
        assert booked(zone) == 0


def test_release_of_a_day_never_booked_is_a_no_op(town_a):
    with town_a:
        zone = CargoBikeZoneFactory()
        provider.release(zone_id=zone.pk, delivery_date=DAY)
        assert not DeliveryDay.objects.exists()


def test_database_refuses_overbooking_and_negative_bookings(town_a):
    with town_a:
        zone = CargoBikeZoneFactory(daily_capacity=1)
        day = DeliveryDay.objects.create(zone=zone, date=DAY, capacity=1, booked=1)
        for value in ("booked + 1", "-1"):
            with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"UPDATE delivery_deliveryday SET booked = {value} WHERE id = %s", [day.pk])


def test_a_new_daily_capacity_applies_to_coming_days_but_keeps_bookings(town_a):
    with town_a:
        zone = CargoBikeZoneFactory(daily_capacity=5)
        today = town_today()
        past = today - dt.timedelta(days=1)
        DeliveryDay.objects.create(zone=zone, date=past, capacity=5, booked=5)
        DeliveryDay.objects.create(zone=zone, date=today, capacity=5, booked=4)
        DeliveryDay.objects.create(zone=zone, date=today + dt.timedelta(days=1), capacity=5, booked=0)
        zone.daily_capacity = 2
        save_zone(zone=zone)
        capacities = dict(DeliveryDay.objects.filter(zone=zone).values_list("date", "capacity"))
    assert capacities == {past: 5, today: 4, today + dt.timedelta(days=1): 2}


# --- concurrency, with real transactions ---------------------------------------------------------
# In a throw-away town whose writes really commit (tests/conftest.py): no flush of the public schema.


@pytest.mark.slow
def test_ten_concurrent_reservations_for_three_places_give_exactly_three(committed_town):
    with committed_town:
        zone = CargoBikeZoneFactory(daily_capacity=3)

    def checkout(index: int) -> str:
        connection.set_tenant(committed_town)  # a thread has its own connection, in public until told
        with transaction.atomic():
            try:
                provider.reserve(zone_id=zone.pk, delivery_date=DAY)
            except DeliveryUnavailable as refusal:
                return refusal.code
            return "reserved"

    outcomes = run_concurrently(10, checkout)

    assert sorted(map(str, outcomes)) == ["capacity_full"] * 7 + ["reserved"] * 3
    with committed_town:
        day = DeliveryDay.objects.get(zone_id=zone.pk, date=DAY)
    assert (day.booked, day.capacity) == (3, 3)


@pytest.mark.slow
def test_concurrent_releases_never_go_below_zero(committed_town):
    with committed_town:
        zone = CargoBikeZoneFactory(daily_capacity=3)
        provider.reserve(zone_id=zone.pk, delivery_date=DAY)

    def cancel(index: int) -> None:
        connection.set_tenant(committed_town)
        provider.release(zone_id=zone.pk, delivery_date=DAY)

    outcomes = run_concurrently(5, cancel)

    assert outcomes == [None] * 5
    with committed_town:
        assert DeliveryDay.objects.get(zone_id=zone.pk, date=DAY).booked == 0
