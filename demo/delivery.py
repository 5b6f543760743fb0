"""Delivery set-up of the demo towns: zones, and the local address table of the offline geocoder.

The zones and addresses are data (``demo/data/delivery.toml``, the centre's polygon in
``demo/data/calais_centre.geojson``); zones are saved through the zone editor's action.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from delivery import actions
from delivery.models import DeliveryZone, LocalAddress
from demo.files import read_json, read_toml


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


def _zone(fields: dict[str, Any]) -> DemoZone:
    """A zone of the data file, its ``geometry`` naming the GeoJSON file of its polygon."""
    geometry = read_json(fields["geometry"]) if "geometry" in fields else None
    return DemoZone(**(fields | {"geometry": geometry}))


def _address(row: list[Any]) -> AddressRow:
    housenumber, street, postcode, city, insee_code, latitude, longitude = row
    return (housenumber, street, postcode, city, insee_code, latitude, longitude)


_towns = read_toml("delivery.toml")
DEMO_ZONES: dict[str, list[DemoZone]] = {
    slug: [_zone(fields) for fields in town["zones"]] for slug, town in _towns.items()
}
DEMO_ADDRESSES: dict[str, list[AddressRow]] = {
    slug: [_address(row) for row in town["addresses"]] for slug, town in _towns.items()
}
CALAIS_ADDRESSES = DEMO_ADDRESSES["calais"]


@dataclass
class SeedResult:
    zones_created: int = 0
    zones_kept: int = 0
    addresses_created: int = 0


def address_label(row: AddressRow) -> str:
    housenumber, street, postcode, city = row[:4]
    return " ".join(part for part in (housenumber, street, postcode, city) if part)


def seed_demo_logistics(*, town_slug: str) -> SeedResult:
    """Zones and addresses of a demo town, in the current schema; running it again changes nothing.

    The zones are seeded once, into a town that has none: after that they are the town's, and a
    re-run (every ``make run``) leaves their fee, minimum, capacity, active flag — and any zone the
    town added, renamed or deleted — as the town left them. Missing addresses are added by label.
    """
    result = SeedResult()
    with transaction.atomic():
        result.zones_kept = DeliveryZone.objects.count()
        if not result.zones_kept:
            for demo in DEMO_ZONES.get(town_slug, []):
                zone = DeliveryZone(
                    name=demo.name,
                    vehicle=demo.vehicle,
                    fee_cents=demo.fee_cents,
                    minimum_basket_cents=demo.minimum_basket_cents,
                    daily_capacity=demo.daily_capacity,
                    position=demo.position,
                    cutoff_time=demo.cutoff_time,
                    geometry=demo.geometry,
                    insee_codes=list(demo.insee_codes),
                    is_active=True,
                )
                actions.save_zone(zone=zone)
                result.zones_created += 1
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
