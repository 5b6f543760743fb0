"""Couriers' shifts (saving with their checks, copying a week) and what the shifts can carry.

What the shifts can carry is an estimate, shown next to what checkout promises (the capacity of
the delivery slots or zones) so that the town sees a day it over-promises before residents do:

    minutes per delivery (vehicle type) = pickup minutes + drop minutes
                                        + 2 legs × ESTIMATE_LEG_KM × detour factor ÷ speed × 60
    deliveries per hour = 60 ÷ minutes per delivery
    deliveries a shift carries in a window = hours of its working stretches inside the window
                                             × deliveries per hour of its vehicle type

Checkout's promise is the capacity of the day's delivery slots (each slot compared with the
courier-hours on shift during it; the day's total capped by the zones' daily capacity, since an
order needs room in both), or the zones' daily capacity when the town has no slot.

One shop pickup and one drop per delivery, each reached by a leg of ESTIMATE_LEG_KM as the crow
flies (a town centre: shops and residents a kilometre apart). A cargo bike at 15 km/h with the
default settings (3 + 4 minutes on site, detour 1.3) makes about 3.4 deliveries an hour, a car at
30 km/h about 4.9. Grouping several deliveries per shop does better; the planner gives the truth.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from catalog.formatting import format_clock
from delivery.models import DeliveryDay, DeliverySlot, DeliverySlotDay, DeliveryZone
from delivery.provider import DELIVERY_WEEKDAYS
from logistics.models import LogisticsSettings, Shift, VehicleType

ESTIMATE_LEG_KM = 1.0


def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())


def _minutes(value: dt.time) -> int:
    return value.hour * 60 + value.minute


# --- shifts ---------------------------------------------------------------------------------------


def _lock_day(date: dt.date) -> None:
    """Shifts of one date are saved one at a time, so two overlapping ones cannot both pass the check."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"logistics-shifts-{date.isoformat()}"])


def shift_problems(shift: Shift) -> dict[str, list[str]]:
    """French errors of a shift, by field: times, break, courier or vehicle already busy."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if shift.starts_at is None or shift.ends_at is None:
        return errors
    if shift.ends_at <= shift.starts_at:
        add("ends_at", _("La fin du service doit être après son début."))
        return errors
    if shift.break_starts_at is not None or shift.break_minutes:
        if shift.break_starts_at is None:
            add("break_starts_at", _("Indiquez l'heure du début de la pause, ou une pause de 0 minute."))
        elif not shift.break_minutes:
            add("break_minutes", _("Indiquez la durée de la pause."))
        elif not shift.starts_at < shift.break_starts_at < shift.ends_at:
            add("break_starts_at", _("La pause doit commencer pendant le service."))
        elif _minutes(shift.break_starts_at) + shift.break_minutes >= _minutes(shift.ends_at):
            add("break_minutes", _("La pause doit se terminer avant la fin du service."))
    if shift.date is None or shift.courier_id is None or shift.vehicle_id is None:
        return errors
    overlapping = (
        Shift.objects.filter(date=shift.date, starts_at__lt=shift.ends_at, ends_at__gt=shift.starts_at)
        .exclude(pk=shift.pk)
        .select_related("courier", "vehicle")
    )
    for other in overlapping.filter(courier_id=shift.courier_id)[:1]:
        add(
            "courier",
            _("Ce livreur a déjà un service ce jour-là de %(start)s à %(end)s.")
            % {"start": format_clock(other.starts_at), "end": format_clock(other.ends_at)},
        )
    for other in overlapping.filter(vehicle_id=shift.vehicle_id)[:1]:
        add(
            "vehicle",
            _("Ce véhicule est déjà pris ce jour-là de %(start)s à %(end)s par %(courier)s.")
            % {
                "start": format_clock(other.starts_at),
                "end": format_clock(other.ends_at),
                "courier": other.courier.get_full_name() or other.courier.email,
            },
        )
    return errors


def save_shift(*, shift: Shift) -> Shift:
    """Save a shift after its checks (ValidationError by field, in French), one date at a time."""
    with transaction.atomic():
        _lock_day(shift.date)
        problems = shift_problems(shift)
        if problems:
            raise ValidationError(problems)
        if shift.break_starts_at is None:
            shift.break_minutes = 0
        shift.save()
    return shift


def delete_shift(*, shift: Shift) -> None:
    """Delete a shift that has no round yet (a planned one is re-planned first)."""
    with transaction.atomic():
        if shift.rounds.exists():
            raise ValidationError(
                _("Ce service a déjà des tournées : replanifiez la journée sans lui avant de le supprimer.")
            )
        shift.delete()


def copy_previous_week(*, monday: dt.date) -> tuple[int, int]:
    """Copy the shifts of the week before ``monday`` into its week, seven days later.

    A copy that would clash (the courier or the vehicle already busy then) is skipped.
    Returns (copied, skipped).
    """
    copied = skipped = 0
    source = Shift.objects.filter(date__gte=monday - dt.timedelta(days=7), date__lt=monday).order_by("date", "pk")
    with transaction.atomic():
        for original in source:
            copy = Shift(
                date=original.date + dt.timedelta(days=7),
                courier_id=original.courier_id,
                vehicle_id=original.vehicle_id,
                starts_at=original.starts_at,
                ends_at=original.ends_at,
                break_starts_at=original.break_starts_at,
                break_minutes=original.break_minutes,
            )
            _lock_day(copy.date)
            if shift_problems(copy):
                skipped += 1
                continue
            copy.save()
            copied += 1
    return copied, skipped


# --- capacity ---------------------------------------------------------------------------------------


def deliveries_per_hour(vehicle_type: VehicleType, config: LogisticsSettings) -> float:
    """The estimate of the module docstring for one vehicle type."""
    travel_minutes = 2 * ESTIMATE_LEG_KM * float(config.detour_factor) / vehicle_type.speed_kmh * 60
    return 60 / (config.pickup_minutes + config.drop_minutes + travel_minutes)


def _overlap_hours(stretch: tuple[dt.time, dt.time], window: tuple[dt.time, dt.time]) -> float:
    start = max(_minutes(stretch[0]), _minutes(window[0]))
    end = min(_minutes(stretch[1]), _minutes(window[1]))
    return max(0, end - start) / 60


@dataclass(frozen=True)
class WindowCapacity:
    label: str
    promised: int
    carried: int

    @property
    def is_over_promised(self) -> bool:
        return self.promised > self.carried


@dataclass(frozen=True)
class DayCapacity:
    date: dt.date
    is_delivery_day: bool
    promised: int  # what checkout may sell that day
    carried: int  # what the day's shifts can carry (estimate)
    windows: tuple[WindowCapacity, ...] = ()  # per delivery slot, when the town has slots

    @property
    def is_over_promised(self) -> bool:
        return self.is_delivery_day and (
            self.promised > self.carried or any(window.is_over_promised for window in self.windows)
        )

    @property
    def warning(self) -> str:
        if not self.is_over_promised:
            return ""
        values = {"promised": self.promised, "carried": self.carried}
        if self.windows:
            return (
                _(
                    "Les créneaux promettent %(promised)d livraisons, les services prévus en portent environ %(carried)d."
                )
                % values
            )
        return (
            _(
                "Les zones de livraison promettent %(promised)d livraisons ce jour-là, "
                "les services prévus en portent environ %(carried)d."
            )
            % values
        )


def _zone_promises(dates: list[dt.date]) -> dict[dt.date, int]:
    """Checkout's promise per date by zone: the active zones' capacity (the booked day's copy when there is one)."""
    zones = dict(DeliveryZone.objects.filter(is_active=True).values_list("pk", "daily_capacity"))
    per_day = {
        (zone_id, date): capacity
        for zone_id, date, capacity in DeliveryDay.objects.filter(zone_id__in=zones, date__in=dates).values_list(
            "zone_id", "date", "capacity"
        )
    }
    return {date: sum(per_day.get((zone_id, date), capacity) for zone_id, capacity in zones.items()) for date in dates}


def _slot_promises(dates: list[dt.date]) -> list[tuple[DeliverySlot, dict[dt.date, int]]]:
    """Checkout's promise per active slot and date (the booked day's copy of the capacity when there is one)."""
    slots = list(DeliverySlot.objects.filter(is_active=True).order_by("start_time", "pk"))
    per_day = {
        (slot_id, date): capacity
        for slot_id, date, capacity in DeliverySlotDay.objects.filter(slot__in=slots, date__in=dates).values_list(
            "slot_id", "date", "capacity"
        )
    }
    return [(slot, {date: per_day.get((slot.pk, date), slot.capacity) for date in dates}) for slot in slots]


def week_capacity(monday: dt.date, shifts: list[Shift]) -> dict[dt.date, DayCapacity]:
    """Per day of the week: what checkout promises and what ``shifts`` (with vehicles and types) carry.

    With delivery slots, each slot is compared with the courier-hours on shift during it, and the
    day's promise is the slots' total (capped by the zones': an order needs room in both); without
    slots, the zones' daily capacity is compared with all the day's courier-hours.
    """
    config = LogisticsSettings.current()
    dates = [monday + dt.timedelta(days=offset) for offset in range(7)]
    zones = _zone_promises(dates)
    slots = _slot_promises(dates)
    rates = {shift.pk: deliveries_per_hour(shift.vehicle.vehicle_type, config) for shift in shifts}

    def carried(date: dt.date, window: tuple[dt.time, dt.time]) -> int:
        return int(
            sum(
                _overlap_hours(stretch, window) * rates[shift.pk]
                for shift in shifts
                if shift.date == date
                for stretch in shift.stretches()
            )
        )

    days = {}
    for date in dates:
        windows = tuple(
            WindowCapacity(slot.label, promised[date], carried(date, (slot.start_time, slot.end_time)))
            for slot, promised in slots
        )
        if windows:
            promised_total = min(sum(window.promised for window in windows), zones[date])
            carried_total = sum(window.carried for window in windows)
        else:
            promised_total, carried_total = zones[date], carried(date, (dt.time(0), dt.time(23, 59)))
        days[date] = DayCapacity(
            date=date,
            is_delivery_day=date.weekday() in DELIVERY_WEEKDAYS,
            promised=promised_total,
            carried=carried_total,
            windows=windows,
        )
    return days


def shifts_of_week(monday: dt.date) -> list[Shift]:
    return list(
        Shift.objects.filter(date__gte=monday, date__lt=monday + dt.timedelta(days=7))
        .select_related("courier", "vehicle__vehicle_type")
        .order_by("date", "starts_at", "pk")
    )
