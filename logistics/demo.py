"""Demo delivery set-up of the demo towns: zones, and a local address table for the offline geocoder.

Coordinates are plausible (placed on the right streets to within a hundred metres or so), not
surveyed: enough to show a centre served by cargo bike, the wider area by car, and a commune
outside every zone (Guînes).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from logistics import actions
from logistics.models import DeliveryZone, LocalAddress, Vehicle

CALAIS_CENTRE = (50.951, 1.858)  # latitude, longitude
CENTRE_RADIUS_METRES = 1500
EARTH_METRES_PER_DEGREE = 111_320


def circle_polygon(*, latitude: float, longitude: float, radius_metres: float, sides: int = 24) -> dict[str, Any]:
    """A GeoJSON Polygon approximating a circle, [longitude, latitude] points, closed ring."""
    degrees_latitude = radius_metres / EARTH_METRES_PER_DEGREE
    degrees_longitude = degrees_latitude / math.cos(math.radians(latitude))
    ring = []
    for step in range(sides):
        angle = 2 * math.pi * step / sides
        ring.append(
            [
                round(longitude + degrees_longitude * math.sin(angle), 6),
                round(latitude + degrees_latitude * math.cos(angle), 6),
            ]
        )
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [ring]}


@dataclass(frozen=True)
class DemoZone:
    name: str
    vehicle: str
    fee_cents: int
    minimum_basket_cents: int
    daily_capacity: int
    position: int
    cutoff_time: dt.time = dt.time(12, 0)
    geometry: dict[str, Any] | None = None
    insee_codes: list[str] = field(default_factory=list)


# (house number, street, postcode, commune, INSEE code, latitude, longitude)
AddressRow = tuple[str, str, str, str, str, float, float]

CALAIS_ADDRESSES: list[AddressRow] = [
    # Calais-Nord and Calais-Sud, inside the cargo-bike centre.
    ("1", "Rue Royale", "62100", "Calais", "62193", 50.95600, 1.85180),
    ("12", "Rue Royale", "62100", "Calais", "62193", 50.95660, 1.85130),
    ("35", "Rue Royale", "62100", "Calais", "62193", 50.95750, 1.85060),
    ("52", "Rue Royale", "62100", "Calais", "62193", 50.95810, 1.85010),
    ("5", "Place d'Armes", "62100", "Calais", "62193", 50.95800, 1.85200),
    ("18", "Rue de la Mer", "62100", "Calais", "62193", 50.95950, 1.85100),
    ("2", "Rue du Temple", "62100", "Calais", "62193", 50.95670, 1.85400),
    ("7", "Rue des Maréchaux", "62100", "Calais", "62193", 50.95720, 1.85300),
    ("14", "Rue de la Paix", "62100", "Calais", "62193", 50.95610, 1.84950),
    ("9", "Rue des Thermes", "62100", "Calais", "62193", 50.95900, 1.84800),
    ("21", "Rue du Havre", "62100", "Calais", "62193", 50.95850, 1.85600),
    ("6", "Rue Richelieu", "62100", "Calais", "62193", 50.95550, 1.85650),
    ("", "Place du Soldat Inconnu", "62100", "Calais", "62193", 50.95250, 1.85320),
    ("3", "Avenue du Président Wilson", "62100", "Calais", "62193", 50.95100, 1.84800),
    ("25", "Boulevard Jacquard", "62100", "Calais", "62193", 50.95100, 1.85600),
    ("54", "Boulevard Jacquard", "62100", "Calais", "62193", 50.94950, 1.85700),
    ("80", "Boulevard Jacquard", "62100", "Calais", "62193", 50.94850, 1.85800),
    ("10", "Boulevard Lafayette", "62100", "Calais", "62193", 50.94780, 1.86200),
    ("60", "Boulevard Lafayette", "62100", "Calais", "62193", 50.94600, 1.86650),
    ("112", "Boulevard Lafayette", "62100", "Calais", "62193", 50.94450, 1.87050),
    ("30", "Boulevard Gambetta", "62100", "Calais", "62193", 50.94750, 1.85000),
    ("5", "Place Crèvecœur", "62100", "Calais", "62193", 50.94780, 1.85900),
    ("22", "Rue Mollien", "62100", "Calais", "62193", 50.94880, 1.86400),
    ("9", "Boulevard Pasteur", "62100", "Calais", "62193", 50.95100, 1.86000),
    ("15", "Rue de Valenciennes", "62100", "Calais", "62193", 50.95200, 1.86100),
    ("3", "Place d'Alsace", "62100", "Calais", "62193", 50.94500, 1.86700),
    ("40", "Boulevard de l'Égalité", "62100", "Calais", "62193", 50.94300, 1.87000),
    # Calais, outside the centre: delivered by car.
    ("8", "Digue Gaston Berthe", "62100", "Calais", "62193", 50.96700, 1.84400),
    ("15", "Avenue Antoine de Saint-Exupéry", "62100", "Calais", "62193", 50.96300, 1.88200),
    ("31", "Rue du Beau-Marais", "62100", "Calais", "62193", 50.96400, 1.88000),
    ("2", "Avenue Pierre de Coubertin", "62100", "Calais", "62193", 50.94700, 1.82600),
    ("120", "Route de Saint-Omer", "62100", "Calais", "62193", 50.93200, 1.86200),
    # The communes around Calais: delivered by car.
    ("1001", "Boulevard du Kent", "62231", "Coquelles", "62239", 50.92900, 1.81100),
    ("12", "Rue de l'Église", "62231", "Coquelles", "62239", 50.93050, 1.79900),
    ("4", "Avenue Charles de Gaulle", "62231", "Coquelles", "62239", 50.92750, 1.80500),
    ("2", "Place de la Mairie", "62730", "Marck", "62548", 50.94800, 1.95000),
    ("10", "Rue de la Mairie", "62137", "Coulogne", "62244", 50.92400, 1.88400),
    ("45", "Route Nationale", "62231", "Sangatte", "62774", 50.94500, 1.75300),
    ("3", "Rue Louis Blériot", "62231", "Sangatte", "62774", 50.95900, 1.80500),
    # Guînes: no zone serves it.
    ("1", "Place Foch", "62340", "Guînes", "62397", 50.86950, 1.87100),
]

LUZY_ADDRESSES: list[AddressRow] = [
    ("", "Place de l'Hôtel de Ville", "58170", "Luzy", "58149", 46.79050, 3.97000),
    ("12", "Rue de la République", "58170", "Luzy", "58149", 46.79150, 3.96850),
    ("8", "Route d'Autun", "58170", "Luzy", "58149", 46.79400, 3.97400),
]

DEMO_ZONES: dict[str, list[DemoZone]] = {
    "calais": [
        DemoZone(
            name="Centre-ville (vélo cargo)",
            vehicle=Vehicle.CARGO_BIKE,
            fee_cents=350,
            minimum_basket_cents=1500,
            daily_capacity=80,
            position=0,
            geometry=circle_polygon(
                latitude=CALAIS_CENTRE[0], longitude=CALAIS_CENTRE[1], radius_metres=CENTRE_RADIUS_METRES
            ),
        ),
        DemoZone(
            name="Agglomération (voiture)",
            vehicle=Vehicle.CAR,
            fee_cents=600,
            minimum_basket_cents=2500,
            daily_capacity=40,
            position=1,
            insee_codes=["62193", "62239", "62548", "62774", "62244"],
        ),
    ],
    "luzy": [
        DemoZone(
            name="Luzy (voiture)",
            vehicle=Vehicle.CAR,
            fee_cents=500,
            minimum_basket_cents=2000,
            daily_capacity=15,
            position=0,
            insee_codes=["58149"],
        ),
    ],
}
DEMO_ADDRESSES: dict[str, list[AddressRow]] = {"calais": CALAIS_ADDRESSES, "luzy": LUZY_ADDRESSES}


@dataclass
class SeedResult:
    zones_created: int = 0
    zones_updated: int = 0
    addresses_created: int = 0


def address_label(row: AddressRow) -> str:
    housenumber, street, postcode, city = row[:4]
    return " ".join(part for part in (housenumber, street, postcode, city) if part)


def seed_demo_logistics(*, town_slug: str) -> SeedResult:
    """Zones and addresses of a demo town, in the current schema; running it again changes nothing new.

    Zones are matched by name and reset to the demo values; addresses by label.
    """
    result = SeedResult()
    with transaction.atomic():
        for demo in DEMO_ZONES.get(town_slug, []):
            zone = DeliveryZone.objects.filter(name=demo.name).first()
            if zone is None:
                zone = DeliveryZone(name=demo.name)
                result.zones_created += 1
            else:
                result.zones_updated += 1
            zone.vehicle = demo.vehicle
            zone.fee_cents = demo.fee_cents
            zone.minimum_basket_cents = demo.minimum_basket_cents
            zone.daily_capacity = demo.daily_capacity
            zone.position = demo.position
            zone.cutoff_time = demo.cutoff_time
            zone.geometry = demo.geometry
            zone.insee_codes = list(demo.insee_codes)
            zone.is_active = True
            actions.save_zone(zone=zone)
        existing = set(LocalAddress.objects.values_list("label", flat=True))
        new_rows = [
            LocalAddress(
                label=address_label(row),
                housenumber=row[0],
                street=row[1],
                postcode=row[2],
                city=row[3],
                insee_code=row[4],
                latitude=row[5],
                longitude=row[6],
            )
            for row in DEMO_ADDRESSES.get(town_slug, [])
            if address_label(row) not in existing
        ]
        LocalAddress.objects.bulk_create(new_rows)
        result.addresses_created = len(new_rows)
    return result
