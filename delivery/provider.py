"""What checkout asks of delivery: addresses, offers and daily capacity, through ``provider``.

Delivery sits below checkout (docs/architecture.md §1): checkout imports ``provider`` and
``DeliveryUnavailable`` from here and talks to them in plain values (dataclasses, ints, dates);
nothing here knows about orders.

Delivery days. Same-day delivery only: an order placed before the zone's cut-off (town time) on a
delivery day is delivered that day; later, or on a day without deliveries, it goes to the next
delivery day. Deliveries run Monday to Saturday (``DELIVERY_WEEKDAYS``); public holidays are not
known yet and are treated as ordinary days. The offer's ``cutoff`` is the cut-off of its delivery
day: until then, the offer stays good.
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
from delivery.models import DeliveryZone, Vehicle
from tenants.current import town_today, town_zone

__all__ = ["Address", "DeliveryOffer", "DeliveryProvider", "DeliveryUnavailable", "provider"]

DELIVERY_WEEKDAYS = frozenset({0, 1, 2, 3, 4, 5})  # Monday … Saturday (date.weekday())
CANDIDATES = 5


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


class DeliveryUnavailable(Exception):
    """Delivery cannot be offered; ``message`` is French, for the resident; ``code`` for programs.

    Codes: address_not_found, address_ambiguous, geocoder_unavailable, no_delivery, delivery_suspended,
    out_of_zone, below_minimum, zone_closed, capacity_full.
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
        """The zone, fee and delivery day for this address and basket, or why delivery is impossible."""
        zones = list(queries.active_zones())
        if not zones:
            if DeliveryZone.objects.exists():
                raise DeliveryUnavailable(
                    _("La livraison à domicile est suspendue pour le moment."), code="delivery_suspended"
                )
            raise DeliveryUnavailable(_("La ville ne propose pas la livraison à domicile."), code="no_delivery")
        zone = queries.zone_for_point(
            zones, latitude=address.latitude, longitude=address.longitude, insee_code=address.insee_code
        )
        if zone is None:
            raise DeliveryUnavailable(_("Cette adresse est hors de la zone de livraison."), code="out_of_zone")
        if items_total_cents < zone.minimum_basket_cents:
            raise DeliveryUnavailable(
                _("La livraison à cette adresse demande un panier d'au moins %(minimum)s (hors frais de livraison).")
                % {"minimum": format_price(zone.minimum_basket_cents)},
                code="below_minimum",
            )
        delivery_date, cutoff = delivery_date_for(cutoff_time=zone.cutoff_time, now=now)
        return DeliveryOffer(
            zone_id=zone.pk,
            zone_name=zone.name,
            vehicle=zone.vehicle,
            vehicle_label=str(Vehicle(zone.vehicle).label),
            fee_cents=zone.fee_cents,
            minimum_basket_cents=zone.minimum_basket_cents,
            delivery_date=delivery_date,
            cutoff=cutoff,
        )

    def reserve(self, *, zone_id: int, delivery_date: dt.date) -> None:
        """Take one delivery of the zone's capacity that day, inside the caller's transaction."""
        # A savepoint: a refusal leaves the caller's transaction usable.
        try:
            with transaction.atomic():
                actions.reserve_delivery(zone_id=zone_id, delivery_date=delivery_date)
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

    def release(self, *, zone_id: int, delivery_date: dt.date) -> None:
        """Give back one delivery (order cancelled, payment failed); never below zero."""
        actions.release_delivery(zone_id=zone_id, delivery_date=delivery_date)

    def is_available(self) -> bool:
        """True when the town delivers somewhere: at least one active zone."""
        return queries.active_zones().exists()


provider = DeliveryProvider()
