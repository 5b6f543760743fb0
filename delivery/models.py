"""Delivery zones of a town, their daily capacity and the town's own address table.

Everything lives in the town's schema. Zones are GeoJSON polygons or lists of INSEE commune codes,
never postcodes: all of Calais is 62100 and one postcode can cover several communes.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from catalog.formatting import format_clock

DEFAULT_CUTOFF = dt.time(12, 0)
# The slots a town starts with (its staff edit them at /gestion/livraison/creneaux/): start, end,
# deliveries per slot and day. Also written, frozen, in migration 0002 for the towns existing then.
DEFAULT_SLOTS = (
    (dt.time(10, 0), dt.time(12, 0), 30),
    (dt.time(14, 0), dt.time(16, 0), 30),
    (dt.time(16, 0), dt.time(18, 0), 30),
)


class Vehicle(models.TextChoices):
    CARGO_BIKE = "cargo_bike", _("Vélo cargo")
    CAR = "car", _("Voiture")


class AddressSearchText(models.Func):
    """Accent-folded words of an address, as the 'simple' configuration splits them.

    'simple' rather than 'french': street names must not be stemmed ("Royale" is not "royal"), and
    the explicit regconfig keeps the expression IMMUTABLE so it can back the index.
    """

    template = "to_tsvector('simple'::regconfig, public.comptoir_unaccent(%(expressions)s))"
    output_field = models.TextField()


class DeliveryZone(models.Model):
    name = models.CharField(_("nom"), max_length=120)
    vehicle = models.CharField(_("véhicule"), max_length=12, choices=Vehicle.choices, default=Vehicle.CAR)
    geometry = models.JSONField(
        _("périmètre (GeoJSON)"),
        null=True,
        blank=True,
        help_text=_("Polygon ou MultiPolygon en longitude, latitude (WGS 84)."),
    )
    insee_codes = ArrayField(
        models.CharField(max_length=5), verbose_name=_("codes INSEE des communes"), default=list, blank=True
    )
    fee_cents = models.BigIntegerField(_("frais de livraison (centimes)"), default=0)
    minimum_basket_cents = models.BigIntegerField(_("panier minimum (centimes)"), default=0)
    cutoff_time = models.TimeField(_("heure limite de commande"), default=DEFAULT_CUTOFF)
    daily_capacity = models.PositiveIntegerField(_("livraisons par jour"), default=80)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # Part of the key of the per-process cache of prepared geometries: bumped by every save.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("zone de livraison")
        verbose_name_plural = _("zones de livraison")
        ordering = ("position", "pk")
        constraints = [
            models.CheckConstraint(
                condition=Q(geometry__isnull=False) | Q(insee_codes__len__gt=0),
                name="deliveryzone_has_perimeter",
            ),
            models.CheckConstraint(condition=Q(fee_cents__gte=0), name="deliveryzone_fee_not_negative"),
            models.CheckConstraint(condition=Q(minimum_basket_cents__gte=0), name="deliveryzone_minimum_not_negative"),
            models.CheckConstraint(condition=Q(daily_capacity__gt=0), name="deliveryzone_capacity_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_polygon(self) -> bool:
        return self.geometry is not None


class DeliveryDay(models.Model):
    """One zone's bookings on one date; capacity is copied from the zone when the row is created.

    The copy lets the database itself refuse overbooking (CHECK booked <= capacity); editing the
    zone's daily capacity updates the rows of the coming days.
    """

    zone = models.ForeignKey(DeliveryZone, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    capacity = models.PositiveIntegerField(_("capacité"))
    booked = models.PositiveIntegerField(_("réservées"), default=0)

    class Meta:
        verbose_name = _("journée de livraison")
        verbose_name_plural = _("journées de livraison")
        constraints = [
            models.UniqueConstraint(fields=("zone", "date"), name="deliveryday_one_per_zone_and_date"),
            models.CheckConstraint(condition=Q(booked__gte=0), name="deliveryday_booked_not_negative"),
            models.CheckConstraint(condition=Q(booked__lte=F("capacity")), name="deliveryday_within_capacity"),
        ]

    def __str__(self) -> str:
        return f"{self.zone_id} {self.date} {self.booked}/{self.capacity}"


class LocalAddress(models.Model):
    """The town's own address table: demo data, and the geocoder that works without network."""

    label = models.CharField(_("adresse complète"), max_length=250)
    housenumber = models.CharField(_("numéro"), max_length=20, blank=True)
    street = models.CharField(_("voie"), max_length=200)
    postcode = models.CharField(_("code postal"), max_length=5)
    city = models.CharField(_("commune"), max_length=100)
    insee_code = models.CharField(_("code INSEE"), max_length=5)
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))

    class Meta:
        verbose_name = _("adresse locale")
        verbose_name_plural = _("adresses locales")
        constraints = [models.UniqueConstraint(fields=("label",), name="localaddress_label_unique")]
        indexes = [GinIndex(AddressSearchText("label"), name="localaddress_search_gin")]

    def __str__(self) -> str:
        return self.label

    @property
    def address_line(self) -> str:
        return f"{self.housenumber} {self.street}".strip()


class DeliverySlot(models.Model):
    """A time window of the town's delivery days (10 h – 12 h), with how many deliveries it takes a day.

    Town-wide: every zone delivers in the same windows; a zone's own daily capacity still applies
    (an order needs room in both). Active slots never overlap (checked by ``actions.save_slot``).
    """

    start_time = models.TimeField(_("début"))
    end_time = models.TimeField(_("fin"))
    capacity = models.PositiveIntegerField(_("livraisons par créneau"), default=30)
    is_active = models.BooleanField(_("actif"), default=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("créneau de livraison")
        verbose_name_plural = _("créneaux de livraison")
        ordering = ("start_time", "position", "pk")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")),
                name="deliveryslot_ends_after_start",
                violation_error_message=_("L'heure de fin doit être après l'heure de début."),
            ),
            models.CheckConstraint(
                condition=Q(capacity__gt=0),
                name="deliveryslot_capacity_positive",
                violation_error_message=_("Un créneau doit accepter au moins une livraison."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start_time:%H:%M}-{self.end_time:%H:%M}"

    def clean(self) -> None:
        if self.start_time is not None and self.end_time is not None and self.end_time <= self.start_time:
            raise ValidationError(
                {"end_time": _("L'heure de fin doit être après l'heure de début.")}, code="ends_before_start"
            )

    @property
    def label(self) -> str:
        """« 14 h – 16 h »."""
        return slot_label(self.start_time, self.end_time)


def slot_label(start: dt.time, end: dt.time) -> str:
    """« 14 h – 16 h », « 9 h 30 – 11 h »: the one wording of a delivery window, without its day."""
    return f"{format_clock(start)} – {format_clock(end)}"


class DeliverySlotDay(models.Model):
    """One slot's bookings on one date; capacity copied from the slot when the row is created.

    As for ``DeliveryDay``: the copy lets the database refuse overbooking (CHECK booked <= capacity).
    """

    slot = models.ForeignKey(DeliverySlot, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    capacity = models.PositiveIntegerField(_("capacité"))
    booked = models.PositiveIntegerField(_("réservées"), default=0)

    class Meta:
        verbose_name = _("créneau d'une journée")
        verbose_name_plural = _("créneaux des journées")
        constraints = [
            models.UniqueConstraint(fields=("slot", "date"), name="deliveryslotday_one_per_slot_and_date"),
            models.CheckConstraint(condition=Q(booked__gte=0), name="deliveryslotday_booked_not_negative"),
            models.CheckConstraint(condition=Q(booked__lte=F("capacity")), name="deliveryslotday_within_capacity"),
        ]

    def __str__(self) -> str:
        return f"{self.slot_id} {self.date} {self.booked}/{self.capacity}"
