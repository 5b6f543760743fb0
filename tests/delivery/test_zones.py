"""Which zone serves an address, and what delivery costs and when: the offer given to checkout."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from delivery.models import DeliveryZone, Vehicle
from delivery.provider import DeliveryUnavailable, provider
from delivery.queries import active_zones, zone_for_point
from tests.delivery.factories import (
    BEAU_MARAIS,
    CITE_EUROPE,
    GUINES_PLACE_FOCH,
    RUE_ROYALE,
    CargoBikeZoneFactory,
    CarZoneFactory,
)

PARIS = ZoneInfo("Europe/Paris")
TUESDAY_MORNING = dt.datetime(2026, 3, 10, 9, 30, tzinfo=PARIS)


def paris(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


@pytest.fixture
def calais_zones(town_a):
    with town_a:
        return CargoBikeZoneFactory(), CarZoneFactory()


def zone_of(place) -> DeliveryZone | None:
    return zone_for_point(
        list(active_zones()), latitude=place.latitude, longitude=place.longitude, insee_code=place.insee_code
    )


# --- membership ----------------------------------------------------------------------------------


def test_an_address_inside_the_polygon_is_served_by_the_cargo_bike_zone(town_a, calais_zones):
    centre, _area = calais_zones
    with town_a:
        assert zone_of(RUE_ROYALE) == centre


def test_a_polygon_zone_wins_over_an_insee_zone_listed_before_it(town_a, calais_zones):
    centre, area = calais_zones
    with town_a:
        DeliveryZone.objects.filter(pk=area.pk).update(position=0)
        DeliveryZone.objects.filter(pk=centre.pk).update(position=9)
        assert zone_of(RUE_ROYALE) == centre


def test_an_address_of_a_listed_commune_outside_the_polygon_is_served_by_car(town_a, calais_zones):
    _centre, area = calais_zones
    with town_a:
        assert zone_of(BEAU_MARAIS) == area
        assert zone_of(CITE_EUROPE) == area


def test_an_address_in_no_zone_matches_nothing(town_a, calais_zones):
    with town_a:
        assert zone_of(GUINES_PLACE_FOCH) is None


def test_geojson_longitude_comes_first(town_a):
    """A point given as (lon, lat) = (50.95, 1.85) is in the Gulf of Guinea, not Calais."""
    with town_a:
        CargoBikeZoneFactory()
        zones = list(active_zones())
        assert zone_for_point(zones, latitude=50.9566, longitude=1.8513, insee_code="") is not None
        assert zone_for_point(zones, latitude=1.8513, longitude=50.9566, insee_code="") is None


def test_an_inactive_zone_serves_nobody(town_a):
    with town_a:
        CargoBikeZoneFactory(is_active=False)
        assert zone_of(RUE_ROYALE) is None


def test_an_edited_polygon_is_used_at_once_despite_the_cache(town_a):
    with town_a:
        zone = CargoBikeZoneFactory()
        assert zone_of(RUE_ROYALE) == zone
        zone.geometry = {
            "type": "Polygon",
            "coordinates": [[[1.90, 50.90], [1.95, 50.90], [1.95, 50.93], [1.90, 50.93], [1.90, 50.90]]],
        }
        zone.save()
        assert zone_of(RUE_ROYALE) is None


def test_same_zone_id_in_two_towns_does_not_share_a_cached_polygon(town_a, town_b):
    with town_a:
        zone_a = CargoBikeZoneFactory()
        assert zone_of(RUE_ROYALE) == zone_a
    with town_b:
        far_away = {
            "type": "Polygon",
            "coordinates": [[[3.96, 46.78], [3.98, 46.78], [3.98, 46.80], [3.96, 46.80], [3.96, 46.78]]],
        }
        zone_b = CargoBikeZoneFactory(geometry=far_away)
        DeliveryZone.objects.filter(pk=zone_b.pk).update(id=zone_a.pk, updated_at=zone_a.updated_at)
        assert zone_of(RUE_ROYALE) is None


# --- database constraints -------------------------------------------------------------------------


def test_database_refuses_a_zone_without_polygon_or_communes(town_a):
    with town_a, pytest.raises(IntegrityError), transaction.atomic():
        DeliveryZone.objects.create(name="Nulle part", geometry=None, insee_codes=[])


@pytest.mark.parametrize("fields", [{"fee_cents": -1}, {"minimum_basket_cents": -1}, {"daily_capacity": 0}], ids=str)
def test_database_refuses_negative_money_and_empty_capacity(town_a, fields):
    with town_a, pytest.raises(IntegrityError), transaction.atomic():
        CarZoneFactory(**fields)


# --- offers --------------------------------------------------------------------------------------


def test_offer_in_the_centre_before_cutoff_is_same_day_by_cargo_bike(town_a, calais_zones):
    centre, _area = calais_zones
    with town_a:
        offer = provider.offer_for(address=RUE_ROYALE, items_total_cents=1500, now=TUESDAY_MORNING)
    assert offer.zone_id == centre.pk
    assert offer.zone_name == "Centre-ville (vélo cargo)"
    assert offer.vehicle == "cargo_bike"
    assert offer.vehicle_label == "Vélo cargo"
    assert offer.fee_cents == 350
    assert offer.minimum_basket_cents == 1500
    assert offer.delivery_date == dt.date(2026, 3, 10)
    assert offer.cutoff == paris(2026, 3, 10, 12, 0)


def test_offer_outside_the_centre_is_by_car_with_the_car_fee(town_a, calais_zones):
    with town_a:
        offer = provider.offer_for(address=CITE_EUROPE, items_total_cents=2500, now=TUESDAY_MORNING)
    assert (offer.vehicle, offer.vehicle_label, offer.fee_cents) == (Vehicle.CAR, "Voiture", 600)


def test_below_the_zone_minimum_the_message_states_the_minimum_in_french(town_a, calais_zones):
    with town_a, pytest.raises(DeliveryUnavailable) as refusal:
        provider.offer_for(address=CITE_EUROPE, items_total_cents=2499, now=TUESDAY_MORNING)
    assert refusal.value.code == "below_minimum"
    assert refusal.value.message == (
        "La livraison à cette adresse demande un panier d'au moins 25,00\xa0€ (hors frais de livraison)."
    )


def test_an_address_out_of_every_zone_is_refused_in_french(town_a, calais_zones):
    with town_a, pytest.raises(DeliveryUnavailable) as refusal:
        provider.offer_for(address=GUINES_PLACE_FOCH, items_total_cents=10_000, now=TUESDAY_MORNING)
    assert refusal.value.code == "out_of_zone"
    assert refusal.value.message == "Cette adresse est hors de la zone de livraison."


def test_a_town_without_zones_offers_no_delivery(town_a):
    with town_a:
        assert provider.is_available() is False
        with pytest.raises(DeliveryUnavailable) as refusal:
            provider.offer_for(address=RUE_ROYALE, items_total_cents=10_000, now=TUESDAY_MORNING)
    assert refusal.value.code == "no_delivery"
    assert refusal.value.message == "La ville ne propose pas la livraison à domicile."


def test_a_town_whose_zones_are_all_inactive_has_delivery_suspended(town_a):
    with town_a:
        CarZoneFactory(is_active=False)
        assert provider.is_available() is False
        with pytest.raises(DeliveryUnavailable) as refusal:
            provider.offer_for(address=RUE_ROYALE, items_total_cents=10_000, now=TUESDAY_MORNING)
    assert refusal.value.code == "delivery_suspended"


def test_is_available_with_one_active_zone(town_a, town_b, calais_zones):
    with town_a:
        assert provider.is_available() is True
    with town_b:
        assert provider.is_available() is False


# --- cut-off, in the town's time -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("local_now", "expected_date", "expected_cutoff"),
    [
        (paris(2026, 3, 10, 11, 59), dt.date(2026, 3, 10), paris(2026, 3, 10, 12, 0)),  # Tuesday, before
        (paris(2026, 3, 10, 12, 0), dt.date(2026, 3, 11), paris(2026, 3, 11, 12, 0)),  # at the cut-off: too late
        (paris(2026, 3, 14, 13, 0), dt.date(2026, 3, 16), paris(2026, 3, 16, 12, 0)),  # Saturday after → Monday
        (paris(2026, 3, 15, 9, 0), dt.date(2026, 3, 16), paris(2026, 3, 16, 12, 0)),  # Sunday → Monday
    ],
    ids=["before-cutoff", "at-cutoff", "saturday-afternoon", "sunday"],
)
def test_delivery_day_follows_the_cutoff_in_town_time(town_a, calais_zones, local_now, expected_date, expected_cutoff):
    with town_a, time_machine.travel(local_now, tick=False):
        offer = provider.offer_for(address=RUE_ROYALE, items_total_cents=2000, now=timezone.now())
    assert offer.delivery_date == expected_date
    assert offer.cutoff == expected_cutoff


def test_cutoff_is_local_time_not_utc_in_summer(town_a, calais_zones):
    """11:30 in Calais in July is 09:30 UTC: still before a 12:00 cut-off (and 10:30 UTC is after)."""
    with town_a, time_machine.travel(dt.datetime(2026, 7, 7, 9, 30, tzinfo=dt.UTC), tick=False):
        same_day = provider.offer_for(address=RUE_ROYALE, items_total_cents=2000, now=timezone.now())
    with town_a, time_machine.travel(dt.datetime(2026, 7, 7, 10, 30, tzinfo=dt.UTC), tick=False):
        next_day = provider.offer_for(address=RUE_ROYALE, items_total_cents=2000, now=timezone.now())
    assert same_day.delivery_date == dt.date(2026, 7, 7)
    assert next_day.delivery_date == dt.date(2026, 7, 8)
    assert same_day.cutoff == dt.datetime(2026, 7, 7, 10, 0, tzinfo=dt.UTC)


def test_a_zone_cutoff_of_its_own_is_used(town_a):
    with town_a:
        CargoBikeZoneFactory(cutoff_time=dt.time(10, 0))
        offer = provider.offer_for(address=RUE_ROYALE, items_total_cents=2000, now=paris(2026, 3, 10, 10, 30))
    assert offer.delivery_date == dt.date(2026, 3, 11)


def test_a_naive_now_is_refused(town_a, calais_zones):
    with town_a, pytest.raises(ValueError, match="aware"):
        provider.offer_for(address=RUE_ROYALE, items_total_cents=2000, now=dt.datetime(2026, 3, 10, 9, 0))  # noqa: DTZ001
