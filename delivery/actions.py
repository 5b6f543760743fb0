"""Every state change of delivery zones, delivery slots and of their capacity."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils.translation import gettext as _

from delivery.models import DEFAULT_SLOTS, DeliveryDay, DeliverySlot, DeliverySlotDay, DeliveryZone, slot_label
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


# --- slots -------------------------------------------------------------------------------------
def seed_default_slots(sender: object = None, **kwargs: object) -> None:
    """Receiver of ``town_provisioned``: 10 h – 12 h, 14 h – 16 h, 16 h – 18 h, 30 deliveries each, once.

    The template schema already holds them (migration 0002, cloned with its data); this covers a
    schema built any other way.
    """
    if DeliverySlot.objects.exists():
        return
    DeliverySlot.objects.bulk_create(
        DeliverySlot(start_time=start, end_time=end, capacity=capacity, position=position)
        for position, (start, end, capacity) in enumerate(DEFAULT_SLOTS)
    )


def _lock_slots() -> None:
    """Serialises slot edits, so two overlapping slots cannot be saved side by side. Reservations only
    read the slot table and are not blocked (SHARE ROW EXCLUSIVE conflicts with writers only)."""
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {DeliverySlot._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")


def _refuse_overlap(slot: DeliverySlot) -> None:
    if not slot.is_active:
        return
    overlapping = (
        DeliverySlot.objects.filter(is_active=True, start_time__lt=slot.end_time, end_time__gt=slot.start_time)
        .exclude(pk=slot.pk)
        .order_by("start_time")
        .first()
    )
    if overlapping is not None:
        raise ValidationError(
            _("Ce créneau chevauche le créneau %(other)s : les créneaux actifs ne peuvent pas se recouvrir.")
            % {"other": slot_label(overlapping.start_time, overlapping.end_time)},
            code="overlap",
        )


def save_slot(*, slot: DeliverySlot) -> DeliverySlot:
    """Create or update a slot; active slots never overlap; the coming days' capacity follows the
    slot's (never below what is already booked that day)."""
    with transaction.atomic():
        slot.full_clean()
        _lock_slots()
        _refuse_overlap(slot)
        slot.save()
        DeliverySlotDay.objects.filter(slot=slot, date__gte=town_today()).update(
            capacity=Greatest(F("booked"), slot.capacity)
        )
    return slot


def set_slot_active(*, slot: DeliverySlot, is_active: bool) -> DeliverySlot:
    """Offer a slot again or stop offering it; deliveries already booked in it are kept either way."""
    with transaction.atomic():
        _lock_slots()
        slot.is_active = is_active
        _refuse_overlap(slot)
        slot.save(update_fields=["is_active"])
    return slot


class SlotFull(Exception):
    """No room left in that slot on that day."""


class SlotClosed(Exception):
    """The slot does not exist or is no longer offered."""


_INSERT_SLOT_DAY = f"""
    INSERT INTO {DeliverySlotDay._meta.db_table} (slot_id, date, capacity, booked)
    SELECT id, %s, capacity, 0 FROM {DeliverySlot._meta.db_table} WHERE id = %s AND is_active
    ON CONFLICT (slot_id, date) DO NOTHING
"""  # noqa: S608 — table names come from the models, values are parameters
_BOOK_ONE_IN_SLOT = f"""
    UPDATE {DeliverySlotDay._meta.db_table} SET booked = booked + 1
    WHERE slot_id = %s AND date = %s AND booked < capacity
    RETURNING booked
"""  # noqa: S608
_RELEASE_ONE_IN_SLOT = f"""
    UPDATE {DeliverySlotDay._meta.db_table} SET booked = booked - 1
    WHERE slot_id = %s AND date = %s AND booked > 0
"""  # noqa: S608


def reserve_slot(*, slot_id: int, delivery_date: dt.date) -> None:
    """Take one delivery of the slot that day, inside the caller's transaction (as ``reserve_delivery``:
    one conditional UPDATE, re-checked by PostgreSQL on the latest row version; the CHECK is the backstop)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if not DeliverySlot.objects.filter(pk=slot_id, is_active=True).exists():
            raise SlotClosed(slot_id)
        cursor.execute(_INSERT_SLOT_DAY, [delivery_date, slot_id])
        cursor.execute(_BOOK_ONE_IN_SLOT, [slot_id, delivery_date])
        if cursor.fetchone() is None:
            raise SlotFull(slot_id)


def release_slot(*, slot_id: int, delivery_date: dt.date) -> None:
    """Give one delivery of the slot back; never below zero, no-op without a row."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_RELEASE_ONE_IN_SLOT, [slot_id, delivery_date])
