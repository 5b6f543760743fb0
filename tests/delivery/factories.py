"""Delivery factories (use inside a town: ``with town_a:``)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import factory

from delivery.geocoding import Address
from delivery.models import DeliveryZone, LocalAddress, Vehicle

CALAIS = "62193"
COQUELLES = "62239"
GUINES = "62397"


CALAIS_CENTRE = (50.951, 1.858)  # latitude, longitude
EARTH_METRES_PER_DEGREE = 111_320


def centre_polygon(radius_metres: float = 1500, sides: int = 24) -> dict[str, Any]:
    """A GeoJSON Polygon approximating a circle around Calais' centre, [longitude, latitude] points."""
    latitude, longitude = CALAIS_CENTRE
    degrees_latitude = radius_metres / EARTH_METRES_PER_DEGREE
    degrees_longitude = degrees_latitude / math.cos(math.radians(latitude))
    ring = [
        [
            round(longitude + degrees_longitude * math.sin(2 * math.pi * step / sides), 6),
            round(latitude + degrees_latitude * math.cos(2 * math.pi * step / sides), 6),
        ]
        for step in range(sides)
    ]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


class CargoBikeZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeliveryZone

    name = "Centre-ville (vélo cargo)"
    vehicle = Vehicle.CARGO_BIKE
    geometry = factory.LazyFunction(centre_polygon)
    insee_codes: list[str] = []
    fee_cents = 350
    minimum_basket_cents = 1500
    cutoff_time = dt.time(12, 0)
    daily_capacity = 80
    position = 0


class CarZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeliveryZone

    name = "Agglomération (voiture)"
    vehicle = Vehicle.CAR
    geometry = None
    insee_codes = factory.LazyFunction(lambda: [CALAIS, COQUELLES, "62548", "62774", "62244"])
    fee_cents = 600
    minimum_basket_cents = 2500
    cutoff_time = dt.time(12, 0)
    daily_capacity = 40
    position = 1


class LocalAddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LocalAddress

    housenumber = "12"
    street = "Rue Royale"
    postcode = "62100"
    city = "Calais"
    insee_code = CALAIS
    latitude = 50.9566
    longitude = 1.8513
    label = factory.LazyAttribute(lambda row: f"{row.housenumber} {row.street} {row.postcode} {row.city}".lstrip())


def address(
    label: str = "12 Rue Royale 62100 Calais",
    *,
    latitude: float = 50.9566,
    longitude: float = 1.8513,
    insee_code: str = CALAIS,
    postcode: str = "62100",
    city: str = "Calais",
) -> Address:
    street = label.removesuffix(f" {postcode} {city}")
    return Address(
        label=label,
        street=street,
        postcode=postcode,
        city=city,
        insee_code=insee_code,
        latitude=latitude,
        longitude=longitude,
    )


# Places used across the tests (plausible coordinates, as in demo/data/delivery.toml).
RUE_ROYALE = address()
BEAU_MARAIS = address("31 Rue du Beau-Marais 62100 Calais", latitude=50.9640, longitude=1.8800)
CITE_EUROPE = address(
    "1001 Boulevard du Kent 62231 Coquelles",
    latitude=50.9290,
    longitude=1.8110,
    insee_code=COQUELLES,
    postcode="62231",
    city="Coquelles",
)
GUINES_PLACE_FOCH = address(
    "1 Place Foch 62340 Guînes", latitude=50.8695, longitude=1.8710, insee_code=GUINES, postcode="62340", city="Guînes"
)
