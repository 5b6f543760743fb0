"""The demo command: zones and local addresses of Calais and Luzy, seeded once, never overwritten."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from delivery.actions import save_zone
from delivery.geocoding import address_of
from delivery.geometry import parse_zone_geometry
from delivery.models import DeliveryZone, LocalAddress
from delivery.provider import DeliveryUnavailable, provider
from demo.delivery import CALAIS_ADDRESSES, seed_demo_logistics
from tenants.models import Town

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)


def test_seeding_calais_twice_gives_the_same_zones_and_addresses(town_a):
    with town_a:
        first = seed_demo_logistics(town_slug="calais")
        second = seed_demo_logistics(town_slug="calais")
        zones = list(
            DeliveryZone.objects.order_by("position").values_list(
                "name", "vehicle", "fee_cents", "minimum_basket_cents", "daily_capacity"
            )
        )
        addresses = LocalAddress.objects.count()
    assert (first.zones_created, first.addresses_created) == (2, len(CALAIS_ADDRESSES))
    assert (second.zones_created, second.zones_kept, second.addresses_created) == (0, 2, 0)
    assert zones == [
        ("Centre-ville (vélo cargo)", "cargo_bike", 350, 1500, 80),
        ("Agglomération (voiture)", "car", 600, 2500, 40),
    ]
    assert 38 <= addresses <= 45


def test_a_rerun_keeps_what_the_town_changed_in_its_zones(town_a):
    with town_a:
        seed_demo_logistics(town_slug="calais")
        centre = DeliveryZone.objects.get(vehicle="cargo_bike")
        centre.fee_cents, centre.daily_capacity, centre.is_active = 490, 12, False
        save_zone(zone=centre)
        DeliveryZone.objects.filter(vehicle="car").delete()

        again = seed_demo_logistics(town_slug="calais")

        zones = list(
            DeliveryZone.objects.values_list("name", "fee_cents", "minimum_basket_cents", "daily_capacity", "is_active")
        )
    assert (again.zones_created, again.zones_kept) == (0, 1)
    assert zones == [("Centre-ville (vélo cargo)", 490, 1500, 12, False)]


def test_the_demo_polygon_passes_the_editors_validation(town_a):
    with town_a:
        seed_demo_logistics(town_slug="calais")
        centre = DeliveryZone.objects.get(vehicle="cargo_bike")
    assert parse_zone_geometry(json.dumps(centre.geometry))["type"] == "Polygon"


def test_demo_addresses_cover_centre_area_and_outside(town_a):
    with town_a:
        seed_demo_logistics(town_slug="calais")
        served: dict[str, int] = {}
        for row in LocalAddress.objects.all():
            try:
                offer = provider.offer_for(address=address_of(row), items_total_cents=5000, now=NOW)
            except DeliveryUnavailable as refusal:
                key = refusal.code
            else:
                key = offer.vehicle
            served[key] = served.get(key, 0) + 1
            if row.city == "Guînes":
                assert key == "out_of_zone"
    assert served["cargo_bike"] >= 20
    assert served["car"] >= 8
    assert served["out_of_zone"] == 1


def test_the_command_seeds_calais_once(town_a):
    Town.objects.filter(pk=town_a.pk).update(slug="calais")  # rolled back with the test
    first, second = StringIO(), StringIO()
    call_command("seed_demo_logistics", "calais", stdout=first)
    call_command("seed_demo_logistics", "calais", stdout=second)
    assert (
        f"2 zone(s) créée(s), 0 déjà en place laissée(s) telle(s) quelle(s), {len(CALAIS_ADDRESSES)} adresse(s)"
        in first.getvalue()
    )
    assert "0 zone(s) créée(s), 2 déjà en place laissée(s) telle(s) quelle(s), 0 adresse(s) ajoutée(s)" in (
        second.getvalue()
    )
    with town_a:
        assert DeliveryZone.objects.count() == 2


def test_seeding_luzy_gives_a_car_zone_by_commune(town_b):
    with town_b:
        seed_demo_logistics(town_slug="luzy")
        assert list(DeliveryZone.objects.values_list("name", "vehicle", "insee_codes")) == [
            ("Luzy (voiture)", "car", ["58149"])
        ]
        assert LocalAddress.objects.filter(insee_code="58149").count() == 3


def test_the_command_refuses_a_town_without_demo_data(db):
    with pytest.raises(CommandError, match="Pas de livraison de démonstration pour « ville-a »"):
        call_command("seed_demo_logistics", "ville-a", stdout=StringIO())
