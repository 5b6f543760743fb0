"""Every state change of delivery zones, delivery slots and of their capacity."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
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


class _DailyCounter:
    """Deliveries booked per day against a capacity copied from a parent row (a zone, a slot).

    One booking rule for both: the day's row is created once (ON CONFLICT DO NOTHING waits for a
    concurrent creator), then one conditional UPDATE per booking; under READ COMMITTED PostgreSQL
    re-checks ``booked < capacity`` on the latest row version after waiting for the row lock, so the
    last unit goes to exactly one caller. The table's CHECK constraint is the backstop.
    """

    def __init__(self, *, days: type[models.Model], parent: type[models.Model], key: str, capacity: str) -> None:
        table, parent_table = days._meta.db_table, parent._meta.db_table
        # Table and column names come from the models; values are parameters.
        self._insert = (
            f"INSERT INTO {table} ({key}, date, capacity, booked) "  # noqa: S608
            f"SELECT id, %s, {capacity}, 0 FROM {parent_table} WHERE id = %s AND is_active "
            f"ON CONFLICT ({key}, date) DO NOTHING"
        )
        self._take = (
            f"UPDATE {table} SET booked = booked + 1 "  # noqa: S608
            f"WHERE {key} = %s AND date = %s AND booked < capacity RETURNING booked"
        )
        self._give = f"UPDATE {table} SET booked = booked - 1 WHERE {key} = %s AND date = %s AND booked > 0"  # noqa: S608

    def take(self, parent_id: int, date: dt.date) -> bool:
        """One unit taken, inside the caller's transaction; False when none is left."""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(self._insert, [date, parent_id])
            cursor.execute(self._take, [parent_id, date])
            return cursor.fetchone() is not None

    def give(self, parent_id: int, date: dt.date) -> None:
        """One unit given back; never below zero, no-op without a row."""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(self._give, [parent_id, date])


_zone_days = _DailyCounter(days=DeliveryDay, parent=DeliveryZone, key="zone_id", capacity="daily_capacity")


def reserve_delivery(*, zone_id: int, delivery_date: dt.date) -> None:
    """Take one unit of the zone's capacity that day, inside the caller's transaction (``_DailyCounter``)."""
    if not DeliveryZone.objects.filter(pk=zone_id, is_active=True).exists():
        raise ZoneClosed(zone_id)
    if not _zone_days.take(zone_id, delivery_date):
        raise CapacityFull(zone_id)


def release_delivery(*, zone_id: int, delivery_date: dt.date) -> None:
    """Give one unit back (order cancelled, payment failed); never below zero, no-op without a row."""
    _zone_days.give(zone_id, delivery_date)


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


_slot_days = _DailyCounter(days=DeliverySlotDay, parent=DeliverySlot, key="slot_id", capacity="capacity")


def reserve_slot(*, slot_id: int, delivery_date: dt.date) -> None:
    """Take one delivery of the slot that day, inside the caller's transaction (``_DailyCounter``)."""
    if not DeliverySlot.objects.filter(pk=slot_id, is_active=True).exists():
        raise SlotClosed(slot_id)
    if not _slot_days.take(slot_id, delivery_date):
        raise SlotFull(slot_id)


def release_slot(*, slot_id: int, delivery_date: dt.date) -> None:
    """Give one delivery of the slot back; never below zero, no-op without a row."""
    _slot_days.give(slot_id, delivery_date)
