"""Delivery slots: the town's default windows, which are offered when, their capacity held by the
database, both-or-neither reservations with the zone's day, and two residents racing for a last place."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from delivery.actions import save_slot, seed_default_slots
from delivery.models import DeliveryDay, DeliverySlot, DeliverySlotDay
from delivery.provider import SLOT_LEAD, DeliveryUnavailable, provider
from tenants.current import town_today
from tests.conftest import run_concurrently
from tests.delivery.factories import RUE_ROYALE, CargoBikeZoneFactory, CarZoneFactory

PARIS = ZoneInfo("Europe/Paris")
TUESDAY = dt.date(2026, 3, 10)


def paris(hour: int, minute: int = 0, day: dt.date = TUESDAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=PARIS)


def slot_at(hour: int) -> DeliverySlot:
    return DeliverySlot.objects.get(start_time=dt.time(hour))


def windows(slots) -> list[tuple[str, int]]:
    return [(slot.label, slot.remaining) for slot in slots]


def test_every_town_starts_with_three_slots_of_thirty_deliveries(town_a, town_b):
    for town in (town_a, town_b):
        with town:
            slots = list(DeliverySlot.objects.values_list("start_time", "end_time", "capacity", "is_active"))
        assert slots == [
            (dt.time(10), dt.time(12), 30, True),
            (dt.time(14), dt.time(16), 30, True),
            (dt.time(16), dt.time(18), 30, True),
        ]


def test_a_town_provisioned_without_slots_gets_the_defaults_once(town_a):
    """The receiver of ``town_provisioned``, for a schema not cloned from the template."""
    with town_a:
        DeliverySlot.objects.all().delete()
        seed_default_slots()
        seed_default_slots()
        slots = list(DeliverySlot.objects.values_list("start_time", "end_time", "capacity", "position"))
    assert slots == [
        (dt.time(10), dt.time(12), 30, 0),
        (dt.time(14), dt.time(16), 30, 1),
        (dt.time(16), dt.time(18), 30, 2),
    ]


def test_a_slot_of_today_is_offered_only_if_it_starts_an_hour_after_the_order(town_a):
    assert dt.timedelta(hours=1) == SLOT_LEAD
    with town_a:
        at_half_past_eleven = provider.slots_for(delivery_date=TUESDAY, now=paris(11, 30))
        at_one = provider.slots_for(delivery_date=TUESDAY, now=paris(13, 0))
        at_one_past_one = provider.slots_for(delivery_date=TUESDAY, now=paris(13, 1))
        tomorrow = provider.slots_for(delivery_date=TUESDAY + dt.timedelta(days=1), now=paris(17, 30))
    assert windows(at_half_past_eleven) == [("14 h – 16 h", 30), ("16 h – 18 h", 30)]
    assert windows(at_one) == [("14 h – 16 h", 30), ("16 h – 18 h", 30)]  # 14 h is exactly one hour on
    assert windows(at_one_past_one) == [("16 h – 18 h", 30)]
    assert windows(tomorrow) == [("10 h – 12 h", 30), ("14 h – 16 h", 30), ("16 h – 18 h", 30)]


def test_an_order_before_the_cutoff_gets_the_afternoon_slots_of_the_day(town_a):
    with town_a:
        CargoBikeZoneFactory(cutoff_time=dt.time(12, 0))
        offer = provider.offer_for(address=RUE_ROYALE, items_total_cents=2000, now=paris(11, 30))
    assert offer.delivery_date == TUESDAY
    assert windows(offer.slots) == [("14 h – 16 h", 30), ("16 h – 18 h", 30)]
    assert offer.first_available_slot.label == "14 h – 16 h"


def test_with_no_slot_of_the_day_left_the_delivery_goes_to_the_next_delivery_day(town_a):
    with town_a:
        CargoBikeZoneFactory(cutoff_time=dt.time(23, 0))  # still before the cut-off, but 16 h has passed
        offer = provider.offer_for(address=RUE_ROYALE, items_total_cents=2000, now=paris(17, 30))
    assert offer.delivery_date == TUESDAY + dt.timedelta(days=1)
    assert offer.cutoff == paris(23, 0, day=TUESDAY + dt.timedelta(days=1))
    assert [slot.label for slot in offer.slots] == ["10 h – 12 h", "14 h – 16 h", "16 h – 18 h"]


def test_inactive_slots_are_not_offered_and_a_town_without_slots_delivers_by_the_day(town_a):
    with town_a:
        CargoBikeZoneFactory(cutoff_time=dt.time(12, 0))
        DeliverySlot.objects.filter(start_time=dt.time(14)).update(is_active=False)
        some = provider.offer_for(address=RUE_ROYALE, items_total_cents=2000, now=paris(9, 0))
        DeliverySlot.objects.update(is_active=False)
        none = provider.offer_for(address=RUE_ROYALE, items_total_cents=2000, now=paris(9, 0))
        assert provider.choose_slot(none, None) is None
    assert [slot.label for slot in some.slots] == ["10 h – 12 h", "16 h – 18 h"]
    assert (none.delivery_date, none.slots) == (TUESDAY, ())


def test_a_full_slot_is_offered_with_no_room_and_the_first_with_room_is_chosen(town_a):
    with town_a:
        CargoBikeZoneFactory()
        DeliverySlotDay.objects.create(slot=slot_at(14), date=TUESDAY, capacity=30, booked=30)
        DeliverySlotDay.objects.create(slot=slot_at(16), date=TUESDAY, capacity=30, booked=12)
        offer = provider.offer_for(address=RUE_ROYALE, items_total_cents=2000, now=paris(11, 0))
        chosen = provider.choose_slot(offer, None)
        with pytest.raises(DeliveryUnavailable) as refusal:
            provider.choose_slot(offer, slot_at(14).pk)
    assert windows(offer.slots) == [("14 h – 16 h", 0), ("16 h – 18 h", 18)]
    assert offer.slots[0].is_full
    assert chosen.label == "16 h – 18 h"
    assert refusal.value.code == "slot_full"
    assert refusal.value.message == (
        "Le créneau de livraison 14 h – 16 h du mardi 10 mars vient d'être complet : choisissez un autre "
        "créneau. Votre commande n'a pas été passée."
    )


def test_a_day_whose_every_slot_is_full_is_refused_in_french(town_a):
    with town_a:
        CargoBikeZoneFactory()
        for hour in (14, 16):
            DeliverySlotDay.objects.create(slot=slot_at(hour), date=TUESDAY, capacity=30, booked=30)
        offer = provider.offer_for(address=RUE_ROYALE, items_total_cents=2000, now=paris(11, 0))
        with pytest.raises(DeliveryUnavailable) as refusal:
            provider.choose_slot(offer, None)
    assert refusal.value.code == "slot_full"
    assert refusal.value.message.startswith("Tous les créneaux de livraison du mardi 10 mars sont complets")


def test_a_slot_not_offered_that_day_is_refused(town_a):
    with town_a:
        CargoBikeZoneFactory()
        offer = provider.offer_for(address=RUE_ROYALE, items_total_cents=2000, now=paris(11, 0))
        with pytest.raises(DeliveryUnavailable) as refusal:
            provider.choose_slot(offer, slot_at(10).pk)  # 10 h – 12 h has begun
    assert refusal.value.code == "slot_closed"


def test_a_reservation_takes_one_place_in_the_zones_day_and_one_in_the_slot(town_a):
    with town_a:
        zone = CargoBikeZoneFactory(daily_capacity=5)
        slot = slot_at(14)
        provider.reserve(zone_id=zone.pk, delivery_date=TUESDAY, slot_id=slot.pk)
        assert DeliveryDay.objects.get(zone=zone, date=TUESDAY).booked == 1
        slot_day = DeliverySlotDay.objects.get(slot=slot, date=TUESDAY)
        assert (slot_day.booked, slot_day.capacity) == (1, 30)
        provider.release(zone_id=zone.pk, delivery_date=TUESDAY, slot_id=slot.pk)
        assert DeliveryDay.objects.get(zone=zone, date=TUESDAY).booked == 0
        assert DeliverySlotDay.objects.get(slot=slot, date=TUESDAY).booked == 0
        provider.release(zone_id=zone.pk, delivery_date=TUESDAY, slot_id=slot.pk)  # never below zero
        assert DeliverySlotDay.objects.get(slot=slot, date=TUESDAY).booked == 0


def test_a_full_slot_refuses_and_leaves_the_zones_day_untouched(town_a):
    with town_a:
        zone = CargoBikeZoneFactory(daily_capacity=5)
        slot = slot_at(14)
        slot.capacity = 1
        save_slot(slot=slot)
        provider.reserve(zone_id=zone.pk, delivery_date=TUESDAY, slot_id=slot.pk)
        with transaction.atomic():
            with pytest.raises(DeliveryUnavailable) as refusal:
                provider.reserve(zone_id=zone.pk, delivery_date=TUESDAY, slot_id=slot.pk)
            assert DeliveryDay.objects.get(zone=zone, date=TUESDAY).booked == 1  # the caller's transaction goes on
        assert DeliverySlotDay.objects.get(slot=slot, date=TUESDAY).booked == 1
    assert refusal.value.code == "slot_full"


def test_a_full_zone_day_refuses_even_with_room_in_the_slot(town_a):
    with town_a:
        zone = CargoBikeZoneFactory(daily_capacity=1)
        provider.reserve(zone_id=zone.pk, delivery_date=TUESDAY, slot_id=slot_at(14).pk)
        with pytest.raises(DeliveryUnavailable) as refusal:
            provider.reserve(zone_id=zone.pk, delivery_date=TUESDAY, slot_id=slot_at(16).pk)
        assert not DeliverySlotDay.objects.filter(slot=slot_at(16), booked__gt=0).exists()
    assert refusal.value.code == "capacity_full"


def test_a_deactivated_slot_takes_no_reservation(town_a):
    with town_a:
        zone = CargoBikeZoneFactory()
        slot = slot_at(14)
        DeliverySlot.objects.filter(pk=slot.pk).update(is_active=False)
        with pytest.raises(DeliveryUnavailable) as refusal:
            provider.reserve(zone_id=zone.pk, delivery_date=TUESDAY, slot_id=slot.pk)
        assert not DeliveryDay.objects.filter(booked__gt=0).exists()
    assert refusal.value.code == "slot_closed"


def test_database_refuses_overbooking_a_slot_and_a_slot_ending_before_it_starts(town_a):
    with town_a:
        slot_day = DeliverySlotDay.objects.create(slot=slot_at(14), date=TUESDAY, capacity=1, booked=1)
        for statement, value in (
            ("UPDATE delivery_deliveryslotday SET booked = booked + 1 WHERE id = %s", slot_day.pk),
            ("UPDATE delivery_deliveryslotday SET booked = -1 WHERE id = %s", slot_day.pk),
            ("UPDATE delivery_deliveryslot SET end_time = start_time WHERE id = %s", slot_day.slot_id),
        ):
            with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement, [value])


def test_a_new_slot_capacity_applies_to_coming_days_but_keeps_bookings(town_a):
    with town_a:
        slot = slot_at(14)
        today = town_today()
        past, tomorrow = today - dt.timedelta(days=1), today + dt.timedelta(days=1)
        DeliverySlotDay.objects.create(slot=slot, date=past, capacity=30, booked=30)
        DeliverySlotDay.objects.create(slot=slot, date=today, capacity=30, booked=12)
        DeliverySlotDay.objects.create(slot=slot, date=tomorrow, capacity=30, booked=0)
        slot.capacity = 10
        save_slot(slot=slot)
        capacities = dict(DeliverySlotDay.objects.filter(slot=slot).values_list("date", "capacity"))
    assert capacities == {past: 30, today: 12, tomorrow: 10}


def test_overlapping_active_slots_are_refused_in_french_and_nothing_is_saved(town_a):
    with town_a:
        with pytest.raises(ValidationError) as refusal:
            save_slot(slot=DeliverySlot(start_time=dt.time(15), end_time=dt.time(17), capacity=10))
        assert DeliverySlot.objects.count() == 3
        # Back to back is no overlap; an inactive slot may overlap (prepared to replace another).
        save_slot(slot=DeliverySlot(start_time=dt.time(18), end_time=dt.time(20), capacity=10))
        save_slot(slot=DeliverySlot(start_time=dt.time(15), end_time=dt.time(17), capacity=10, is_active=False))
        assert DeliverySlot.objects.count() == 5
    assert refusal.value.messages == [
        "Ce créneau chevauche le créneau 14 h – 16 h : les créneaux actifs ne peuvent pas se recouvrir."
    ]


def test_a_slot_ending_before_it_starts_is_refused_in_french(town_a):
    with town_a, pytest.raises(ValidationError) as refusal:
        save_slot(slot=DeliverySlot(start_time=dt.time(20), end_time=dt.time(19), capacity=10))
    assert refusal.value.message_dict == {"end_time": ["L'heure de fin doit être après l'heure de début."]}


# --- the address service is down -------------------------------------------------------------------


def test_without_a_location_the_offer_is_the_most_expensive_zones_with_the_lowest_minimum(town_a):
    with town_a:
        CargoBikeZoneFactory(fee_cents=350, minimum_basket_cents=1500)
        car = CarZoneFactory(fee_cents=600, minimum_basket_cents=2500)
        offer = provider.offer_without_location(items_total_cents=1500, now=paris(11, 0))
        with pytest.raises(DeliveryUnavailable) as refusal:
            provider.offer_without_location(items_total_cents=1499, now=paris(11, 0))
    assert (offer.zone_id, offer.fee_cents, offer.delivery_date) == (car.pk, 600, TUESDAY)
    assert [slot.label for slot in offer.slots] == ["14 h – 16 h", "16 h – 18 h"]
    assert refusal.value.code == "below_minimum"


# --- concurrency, with real transactions ---------------------------------------------------------


@pytest.mark.slow
def test_two_residents_racing_for_the_last_place_of_a_slot_one_gets_it(committed_town):
    with committed_town:
        zone = CargoBikeZoneFactory(daily_capacity=10)
        slot = DeliverySlot.objects.get(start_time=dt.time(14))
        DeliverySlotDay.objects.create(slot=slot, date=TUESDAY, capacity=5, booked=4)  # one place left

    def checkout(index: int) -> str:
        connection.set_tenant(committed_town)  # a thread has its own connection, in public until told
        with transaction.atomic():
            try:
                provider.reserve(zone_id=zone.pk, delivery_date=TUESDAY, slot_id=slot.pk)
            except DeliveryUnavailable as refusal:
                return refusal.code
            return "reserved"

    outcomes = run_concurrently(2, checkout)

    assert sorted(map(str, outcomes)) == ["reserved", "slot_full"]
    with committed_town:
        assert DeliverySlotDay.objects.get(slot=slot, date=TUESDAY).booked == 5
        assert DeliveryDay.objects.get(zone=zone, date=TUESDAY).booked == 1  # the loser's zone place given back


@pytest.mark.slow
def test_ten_residents_for_three_places_in_a_slot_get_exactly_three(committed_town):
    with committed_town:
        zone = CargoBikeZoneFactory(daily_capacity=50)
        slot = DeliverySlot.objects.get(start_time=dt.time(16))
        slot.capacity = 3
        save_slot(slot=slot)

    def checkout(index: int) -> str:
        connection.set_tenant(committed_town)
        with transaction.atomic():
            try:
                provider.reserve(zone_id=zone.pk, delivery_date=TUESDAY, slot_id=slot.pk)
            except DeliveryUnavailable as refusal:
                return refusal.code
            return "reserved"

    outcomes = run_concurrently(10, checkout)

    assert sorted(map(str, outcomes)) == ["reserved"] * 3 + ["slot_full"] * 7
    with committed_town:
        slot_day = DeliverySlotDay.objects.get(slot=slot, date=TUESDAY)
        assert (slot_day.booked, slot_day.capacity) == (3, 3)
        assert DeliveryDay.objects.get(zone=zone, date=TUESDAY).booked == 3
