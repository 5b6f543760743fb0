"""Every state change of delivery zones and of their daily capacity."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils.translation import gettext as _

from delivery.models import DeliveryDay, DeliveryZone
from tenants.current import town_today


def save_zone(*, zone: DeliveryZone) -> DeliveryZone:
    """Create or update a zone; the coming days' capacity follows the new daily capacity.

    A capacity lowered below what is already booked for a day stays at the booked figure for that
    day: reservations taken are kept, no new one is accepted.
    """
    with transaction.atomic():
        zone.name = (zone.name or "").strip()
        zone.insee_codes = sorted({code.upper() for code in zone.insee_codes})
        zone.full_clean()
        zone.save()
        DeliveryDay.objects.filter(zone=zone, date__gte=town_today()).update(
            capacity=Greatest(F("booked"), zone.daily_capacity)
        )
    return zone


def set_zone_active(*, zone: DeliveryZone, is_active: bool) -> DeliveryZone:
    """Open or suspend deliveries to a zone; reservations already taken are kept either way."""
    with transaction.atomic():
        zone.is_active = is_active
        zone.save(update_fields=["is_active", "updated_at"])
    return zone


def delete_zone(*, zone: DeliveryZone) -> None:
    """Delete a zone without deliveries booked from today on (orders keep its id as a value)."""
    with transaction.atomic():
        locked = DeliveryZone.objects.select_for_update().filter(pk=zone.pk).first()
        if locked is None:
            return
        if DeliveryDay.objects.filter(zone=locked, date__gte=town_today(), booked__gt=0).exists():
            raise ValidationError(
                _(
                    "La zone « %(name)s » a des livraisons réservées à venir : elle ne peut pas être "
                    "supprimée. Désactivez-la pour ne plus prendre de commandes. Rien n'a été modifié."
                )
                % {"name": locked.name},
                code="zone_in_use",
            )
        locked.delete()


class CapacityFull(Exception):
    """No unit of capacity left for that zone on that day."""


class ZoneClosed(Exception):
    """The zone does not exist or no longer takes deliveries."""


_INSERT_DAY = f"""
    INSERT INTO {DeliveryDay._meta.db_table} (zone_id, date, capacity, booked)
    SELECT id, %s, daily_capacity, 0 FROM {DeliveryZone._meta.db_table} WHERE id = %s AND is_active
    ON CONFLICT (zone_id, date) DO NOTHING
"""  # noqa: S608 — table names come from the models, values are parameters
_BOOK_ONE = f"""
    UPDATE {DeliveryDay._meta.db_table} SET booked = booked + 1
    WHERE zone_id = %s AND date = %s AND booked < capacity
    RETURNING booked
"""  # noqa: S608
_RELEASE_ONE = f"""
    UPDATE {DeliveryDay._meta.db_table} SET booked = booked - 1
    WHERE zone_id = %s AND date = %s AND booked > 0
"""  # noqa: S608


def reserve_delivery(*, zone_id: int, delivery_date: dt.date) -> None:
    """Take one unit of the zone's capacity that day, inside the caller's transaction.

    Safe under concurrency without locks held in Python: the row is created once (ON CONFLICT DO
    NOTHING waits for a concurrent creator), then one conditional UPDATE per reservation; under READ
    COMMITTED PostgreSQL re-checks ``booked < capacity`` on the latest row version after waiting for
    the row lock, so the last unit goes to exactly one caller. The CHECK constraint is the backstop.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        if not DeliveryZone.objects.filter(pk=zone_id, is_active=True).exists():
            raise ZoneClosed(zone_id)
        cursor.execute(_INSERT_DAY, [delivery_date, zone_id])
        cursor.execute(_BOOK_ONE, [zone_id, delivery_date])
        if cursor.fetchone() is None:
            raise CapacityFull(zone_id)


def release_delivery(*, zone_id: int, delivery_date: dt.date) -> None:
    """Give one unit back (order cancelled, payment failed); never below zero, no-op without a row."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_RELEASE_ONE, [zone_id, delivery_date])
