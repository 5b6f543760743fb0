"""What checkout asks of delivery: addresses, offers and daily capacity, through ``provider``.

Delivery sits below checkout (docs/architecture.md §1): checkout imports ``provider`` and
``DeliveryUnavailable`` from here and talks to them in plain values (dataclasses, ints, dates);
nothing here knows about orders.

Delivery days. Same-day delivery only: an order placed before the zone's cut-off (town time) on a
delivery day is delivered that day; later, or on a day without deliveries, it goes to the next
delivery day. Deliveries run Monday to Saturday (``DELIVERY_WEEKDAYS``); public holidays are not
known yet and are treated as ordinary days. The offer's ``cutoff`` is the cut-off of its delivery
day: until then, the offer stays good.

Delivery slots. The town delivers in time windows (``DeliverySlot``: 10 h – 12 h, 14 h – 16 h…),
each taking so many deliveries a day, town-wide; an order needs room both in its zone's day and in
its slot. A slot of the delivery day is offered only if it starts at least ``SLOT_LEAD`` (one hour)
after the order: shops need the time to prepare and the courier to collect, so an order placed at
11:30 before a 12:00 cut-off is delivered from 14 h that day, never in the 10 h – 12 h slot. When no
slot of that day is left by that rule, the delivery goes to the next delivery day. A town without
any active slot delivers by the day only, as before slots existed (``slot_id`` None).

Geocoder outage. When the address service cannot be reached, ``offer_without_location`` still makes
an offer, so a resident can order: the zone is the town's most expensive active one (a resident is
never charged less than the delivery may cost; the town refunds the difference once an agent has
placed the address), and the minimum basket is the lowest of the active zones' (nobody is refused
for a minimum their real zone may not have). Checkout flags such an order for an agent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from catalog.formatting import format_price
from delivery import actions, queries
from delivery.geocoding import Address, GeocodingError, fold, get_geocoder
from delivery.models import DeliverySlotDay, DeliveryZone, Vehicle, slot_label
from tenants.current import town_today, town_zone

__all__ = [
    "Address",
    "DeliveryOffer",
    "DeliveryProvider",
    "DeliveryUnavailable",
    "SlotAvailability",
    "SlotsOfTheDay",
    "provider",
]

DELIVERY_WEEKDAYS = frozenset({0, 1, 2, 3, 4, 5})  # Monday … Saturday (date.weekday())
CANDIDATES = 5
# A slot of the delivery day is offered only if it starts at least this long after the order.
SLOT_LEAD = dt.timedelta(hours=1)


@dataclass(frozen=True)
class SlotAvailability:
    """A delivery slot on one date, and how many deliveries it can still take."""

    slot_id: int
    start: dt.time  # town time
    end: dt.time
    label: str  # « 14 h – 16 h »
    remaining: int

    @property
    def is_full(self) -> bool:
        return self.remaining <= 0


@dataclass(frozen=True)
class SlotsOfTheDay:
    """The slots of the next delivery day, as the checkout form shows them before the address is known."""

    delivery_date: dt.date | None
    slots: tuple[SlotAvailability, ...]


@dataclass(frozen=True)
class DeliveryOffer:
    zone_id: int
    zone_name: str
    vehicle: str  # "cargo_bike" | "car"
    vehicle_label: str  # French
    fee_cents: int
    minimum_basket_cents: int
    delivery_date: dt.date
    cutoff: dt.datetime  # aware, town time: order before it to be delivered on delivery_date
    # The slots offered that day, full ones included (remaining 0); empty when the town has none.
    slots: tuple[SlotAvailability, ...] = ()

    def slot(self, slot_id: int) -> SlotAvailability | None:
        return next((slot for slot in self.slots if slot.slot_id == slot_id), None)

    @property
    def first_available_slot(self) -> SlotAvailability | None:
        return next((slot for slot in self.slots if not slot.is_full), None)


class DeliveryUnavailable(Exception):
    """Delivery cannot be offered; ``message`` is French, for the resident; ``code`` for programs.

    Codes: address_not_found, address_ambiguous, geocoder_unavailable, no_delivery, delivery_suspended,
    out_of_zone, below_minimum, zone_closed, capacity_full, slot_closed, slot_full.
    """

    def __init__(self, message: str, *, code: str = "unavailable") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def delivery_date_for(*, cutoff_time: dt.time, now: dt.datetime) -> tuple[dt.date, dt.datetime]:
    """The delivery day of an order placed at ``now`` and that day's cut-off, in town time."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    zone = town_zone()
    local_now = now.astimezone(zone)
    day = local_now.date()
    if day.weekday() not in DELIVERY_WEEKDAYS or local_now.time() >= cutoff_time:
        day += dt.timedelta(days=1)
        while day.weekday() not in DELIVERY_WEEKDAYS:
            day += dt.timedelta(days=1)
    # Through the wall clock, so a cut-off on a DST-change day is still 12:00 local.
    return day, dt.datetime.combine(day, cutoff_time, tzinfo=zone)


class DeliveryProvider:
    """Home delivery for checkout: addresses, offers and daily capacity of the current town."""

    def resolve_address(self, text: str) -> Address:
        """Re-geocode, on the server, the address the resident picked (client coordinates are never used)."""
        text = " ".join((text or "").split())
        if len(text) < 3:
            raise DeliveryUnavailable(_("Saisissez l'adresse de livraison."), code="address_not_found")
        try:
            candidates = get_geocoder().search(text, limit=CANDIDATES)
        except GeocodingError as error:
            raise DeliveryUnavailable(error.message, code="geocoder_unavailable") from error
        wanted = fold(text)
        exact = [candidate for candidate in candidates if fold(candidate.label) == wanted]
        if len(exact) == 1:
            return exact[0]
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            raise DeliveryUnavailable(
                _("Adresse introuvable : vérifiez le numéro, la rue et la commune."), code="address_not_found"
            )
        raise DeliveryUnavailable(
            _("Plusieurs adresses correspondent : choisissez-en une dans la liste proposée."),
            code="address_ambiguous",
        )

    def offer_for(self, *, address: Address, items_total_cents: int, now: dt.datetime) -> DeliveryOffer:
        """The zone, fee, delivery day and its slots for this address and basket, or why delivery is impossible."""
        zones = self._active_zones_or_refuse()
        zone = queries.zone_for_point(
            zones, latitude=address.latitude, longitude=address.longitude, insee_code=address.insee_code
        )
        if zone is None:
            raise DeliveryUnavailable(_("Cette adresse est hors de la zone de livraison."), code="out_of_zone")
        self._refuse_below_minimum(items_total_cents, zone.minimum_basket_cents)
        return self._offer(zone, now)

    def offer_without_location(self, *, items_total_cents: int, now: dt.datetime) -> DeliveryOffer:
        """An offer for an address the geocoder could not place (service down): the most expensive active
        zone, the lowest minimum basket of the active zones (see the module's docstring)."""
        zones = self._active_zones_or_refuse()
        zone = max(zones, key=lambda candidate: (candidate.fee_cents, -candidate.position, -candidate.pk))
        self._refuse_below_minimum(items_total_cents, min(candidate.minimum_basket_cents for candidate in zones))
        return self._offer(zone, now)

    def slots_for(self, *, delivery_date: dt.date, now: dt.datetime) -> tuple[SlotAvailability, ...]:
        """The active slots offered for ``delivery_date`` to an order placed at ``now``, with their room left."""
        zone = town_zone()
        earliest = now + SLOT_LEAD
        slots = [
            slot
            for slot in queries.active_slots()
            if dt.datetime.combine(delivery_date, slot.start_time, tzinfo=zone) >= earliest
        ]
        days = {
            day.slot_id: day
            for day in DeliverySlotDay.objects.filter(slot__in=[slot.pk for slot in slots], date=delivery_date)
        }
        return tuple(
            SlotAvailability(
                slot_id=slot.pk,
                start=slot.start_time,
                end=slot.end_time,
                label=slot.label,
                remaining=(max(days[slot.pk].capacity - days[slot.pk].booked, 0) if slot.pk in days else slot.capacity),
            )
            for slot in slots
        )

    def next_slots(self, *, now: dt.datetime) -> SlotsOfTheDay:
        """The slots of the earliest delivery day of the town's active zones (for the checkout form,
        before the address, hence the zone, is known)."""
        cutoffs = set(queries.active_zones().values_list("cutoff_time", flat=True))
        if not cutoffs:
            return SlotsOfTheDay(delivery_date=None, slots=())
        days = [self._delivery_day(cutoff_time, now) for cutoff_time in cutoffs]
        delivery_date, _cutoff, slots = min(days, key=lambda day: day[0])
        return SlotsOfTheDay(delivery_date=delivery_date, slots=slots)

    def _delivery_day(
        self, cutoff_time: dt.time, now: dt.datetime
    ) -> tuple[dt.date, dt.datetime, tuple[SlotAvailability, ...]]:
        """The delivery day (and its cut-off and slots) of an order placed at ``now``: the cut-off's day,
        or the next delivery day when no slot of that day starts late enough any more."""
        delivery_date, cutoff = delivery_date_for(cutoff_time=cutoff_time, now=now)
        slots = self.slots_for(delivery_date=delivery_date, now=now)
        if not slots and queries.active_slots().exists():
            later = dt.datetime.combine(delivery_date, cutoff_time, tzinfo=town_zone())
            delivery_date, cutoff = delivery_date_for(cutoff_time=cutoff_time, now=later)
            slots = self.slots_for(delivery_date=delivery_date, now=now)
        return delivery_date, cutoff, slots

    def _active_zones_or_refuse(self) -> list[DeliveryZone]:
        zones = list(queries.active_zones())
        if not zones:
            if DeliveryZone.objects.exists():
                raise DeliveryUnavailable(
                    _("La livraison à domicile est suspendue pour le moment."), code="delivery_suspended"
                )
            raise DeliveryUnavailable(_("La ville ne propose pas la livraison à domicile."), code="no_delivery")
        return zones

    @staticmethod
    def _refuse_below_minimum(items_total_cents: int, minimum_cents: int) -> None:
        if items_total_cents < minimum_cents:
            raise DeliveryUnavailable(
                _("La livraison à cette adresse demande un panier d'au moins %(minimum)s (hors frais de livraison).")
                % {"minimum": format_price(minimum_cents)},
                code="below_minimum",
            )

    def _offer(self, zone: DeliveryZone, now: dt.datetime) -> DeliveryOffer:
        delivery_date, cutoff, slots = self._delivery_day(zone.cutoff_time, now)
        return DeliveryOffer(
            zone_id=zone.pk,
            zone_name=zone.name,
            vehicle=zone.vehicle,
            vehicle_label=str(Vehicle(zone.vehicle).label),
            fee_cents=zone.fee_cents,
            minimum_basket_cents=zone.minimum_basket_cents,
            delivery_date=delivery_date,
            cutoff=cutoff,
            slots=slots,
        )

    def reserve(self, *, zone_id: int, delivery_date: dt.date, slot_id: int | None = None) -> None:
        """Take one delivery of the zone's capacity that day and, with ``slot_id``, one of that slot's,
        inside the caller's transaction: both or neither."""
        # A savepoint: a refusal leaves the caller's transaction usable, and the zone's day untouched
        # when the slot refuses. Always the zone's day first, then the slot's: one lock order.
        try:
            with transaction.atomic():
                actions.reserve_delivery(zone_id=zone_id, delivery_date=delivery_date)
                if slot_id is not None:
                    actions.reserve_slot(slot_id=slot_id, delivery_date=delivery_date)
        except actions.ZoneClosed as error:
            raise DeliveryUnavailable(
                _("Cette zone n'est plus livrée : choisissez le retrait en boutique."), code="zone_closed"
            ) from error
        except actions.CapacityFull as error:
            if delivery_date == town_today():
                message = _(
                    "Plus de créneau de livraison disponible aujourd'hui pour cette adresse : "
                    "choisissez le retrait en boutique ou réessayez demain."
                )
            else:
                message = _(
                    "Plus de créneau de livraison disponible le %(date)s pour cette adresse : "
                    "choisissez le retrait en boutique."
                ) % {"date": date_format(delivery_date, "l j F")}
            raise DeliveryUnavailable(message, code="capacity_full") from error
        except actions.SlotClosed as error:
            raise DeliveryUnavailable(
                _("Ce créneau de livraison n'est plus proposé : choisissez-en un autre."), code="slot_closed"
            ) from error
        except actions.SlotFull as error:
            raise DeliveryUnavailable(self._slot_full_message(slot_id, delivery_date), code="slot_full") from error

    @staticmethod
    def _slot_full_message(slot_id: int | None, delivery_date: dt.date) -> str:
        slot = queries.active_slots().filter(pk=slot_id).first() if slot_id is not None else None
        label = slot_label(slot.start_time, slot.end_time) if slot else ""
        return _(
            "Le créneau de livraison %(slot)s du %(date)s vient d'être complet : choisissez un autre créneau. "
            "Votre commande n'a pas été passée."
        ) % {"slot": label, "date": date_format(delivery_date, "l j F")}

    def choose_slot(self, offer: DeliveryOffer, slot_id: int | None) -> SlotAvailability | None:
        """The slot the resident picked among the offer's, else the first with room; None when the town
        has no slots (delivery by the day). Refuses, in French, a slot not offered or full, and a day
        whose every slot is full."""
        if slot_id is not None:
            chosen = offer.slot(slot_id)
            if chosen is None:
                raise DeliveryUnavailable(
                    _("Ce créneau de livraison n'est plus proposé le %(date)s : choisissez-en un autre.")
                    % {"date": date_format(offer.delivery_date, "l j F")},
                    code="slot_closed",
                )
            if chosen.is_full:
                raise DeliveryUnavailable(self._slot_full_message(slot_id, offer.delivery_date), code="slot_full")
            return chosen
        if not offer.slots:
            return None
        first = offer.first_available_slot
        if first is None:
            raise DeliveryUnavailable(
                _(
                    "Tous les créneaux de livraison du %(date)s sont complets : "
                    "choisissez le retrait en boutique ou réessayez plus tard."
                )
                % {"date": date_format(offer.delivery_date, "l j F")},
                code="slot_full",
            )
        return first

    def release(self, *, zone_id: int, delivery_date: dt.date, slot_id: int | None = None) -> None:
        """Give back one delivery (order cancelled, payment failed), and its slot's; never below zero."""
        actions.release_delivery(zone_id=zone_id, delivery_date=delivery_date)
        if slot_id is not None:
            actions.release_slot(slot_id=slot_id, delivery_date=delivery_date)

    def is_available(self) -> bool:
        """True when the town delivers somewhere: at least one active zone."""
        return queries.active_zones().exists()


provider = DeliveryProvider()
