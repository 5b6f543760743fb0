"""Delivery rounds of a town: settings, fleet, shifts, deliveries, plans, rounds and their stops.

Everything lives in the town's schema (logistics is a tenant app). Orders are read through
checkout's models (logistics sits above checkout); couriers and coordinators are the town's users
(``accounts``) with the roles ``courier`` and ``delivery_coordinator``.

The day of a delivery partner, as modelled here (docs/architecture.md §9):

- a paid order delivered by the town becomes one ``Delivery``: one ``DeliveryPart`` per shop holding
  items for it (a pickup) and one drop-off at the resident inside the slot they chose;
- couriers work ``Shift``s on a ``Vehicle`` of a ``VehicleType`` from a ``Hub``;
- ``plan_rounds`` turns the day's deliveries and shifts into a ``Plan`` of ``Round``s (one per
  shift, or two when the shift has a break) made of ordered ``Stop``s; the plan checker validates
  each plan before it is saved;
- the courier app records what happens at each stop; every action it sends carries a key chosen on
  the phone (``CourierAction``), so an action replayed after a network failure is applied once.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

DEFAULT_CO2_GRAMS_PER_CAR_KM = 193  # ADEME Base Carbone, average petrol/diesel car, 2024 (documented in docs)


# Users of the town (couriers, dispatchers) are kept as references the database does not enforce:
# users also live in the public schema, where these tables do not exist, and with a real foreign key
# deleting any user there (an operator) would look them up and fail (as settlement's user_reference).
# A courier who leaves is deactivated, which keeps their rounds and hours.


class ProofMode(models.TextChoices):
    PHOTO = "photo", _("Photo du colis déposé")
    SIGNATURE = "signature", _("Signature du destinataire")
    CODE = "code", _("Code reçu par l'habitant")
    ANY = "any", _("Au choix du livreur (photo, signature ou code)")


class LogisticsSettings(models.Model):
    """The town's delivery settings: one row (pk 1); until it is saved, the defaults."""

    max_ride_minutes = models.PositiveSmallIntegerField(
        _("durée maximale de transport des produits frais (minutes)"),
        default=45,
        help_text=_(
            "Entre le retrait au commerce et la remise à l'habitant, pour une commande avec des produits frais."
        ),
    )
    proof_mode = models.CharField(
        _("preuve de livraison"), max_length=10, choices=ProofMode.choices, default=ProofMode.ANY
    )
    detour_factor = models.DecimalField(
        _("coefficient de détour"),
        max_digits=3,
        decimal_places=2,
        default=1.30,
        help_text=_(
            "Distance par la route ÷ distance à vol d'oiseau, quand aucun calculateur d'itinéraire n'est configuré."
        ),
    )
    pickup_minutes = models.PositiveSmallIntegerField(_("temps passé à chaque commerce (minutes)"), default=3)
    drop_minutes = models.PositiveSmallIntegerField(_("temps passé chez chaque habitant (minutes)"), default=4)
    reload_minutes = models.PositiveSmallIntegerField(_("temps de rechargement au dépôt (minutes)"), default=5)
    default_grams_per_piece = models.PositiveIntegerField(_("poids par défaut d'un article (grammes)"), default=500)
    default_ml_per_piece = models.PositiveIntegerField(_("volume par défaut d'un article (millilitres)"), default=1000)
    ml_per_kg = models.PositiveIntegerField(_("volume par kilo pour les produits au poids (millilitres)"), default=1500)
    items_per_parcel = models.PositiveSmallIntegerField(_("articles par colis"), default=6)
    co2_grams_per_car_km = models.PositiveIntegerField(
        _("CO₂ d'une voiture (grammes par km)"),
        default=DEFAULT_CO2_GRAMS_PER_CAR_KM,
        help_text=_("Sert au calcul du CO₂ évité par les kilomètres faits à vélo."),
    )
    planning_seconds = models.PositiveSmallIntegerField(_("temps de calcul d'une planification (secondes)"), default=5)
    planning_seed = models.PositiveIntegerField(_("graine du calcul"), default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("réglages des livraisons")
        verbose_name_plural = _("réglages des livraisons")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="logistics_settings_single_row"),
            models.CheckConstraint(condition=Q(detour_factor__gte=1), name="logistics_detour_at_least_one"),
            models.CheckConstraint(condition=Q(items_per_parcel__gt=0), name="logistics_items_per_parcel_positive"),
        ]

    def __str__(self) -> str:
        return "Réglages des livraisons"

    @classmethod
    def current(cls) -> LogisticsSettings:
        found = cls.objects.filter(pk=1).first()
        return found if found is not None else cls(pk=1)


class Hub(models.Model):
    """Where the delivery partner's vehicles start, reload and end (the association's premises)."""

    name = models.CharField(_("nom"), max_length=120)
    address = models.CharField(_("adresse"), max_length=250)
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    is_active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("dépôt")
        verbose_name_plural = _("dépôts")
        ordering = ("name", "pk")

    def __str__(self) -> str:
        return self.name


class VehicleType(models.Model):
    name = models.CharField(_("nom"), max_length=80)
    is_bike = models.BooleanField(_("vélo"), default=False, help_text=_("Compte dans les kilomètres faits à vélo."))
    centre_only = models.BooleanField(
        _("centre-ville uniquement"), default=False, help_text=_("Ne circule que dans la zone de centre-ville.")
    )
    speed_kmh = models.PositiveSmallIntegerField(_("vitesse moyenne (km/h)"), default=15)
    capacity_parcels = models.PositiveSmallIntegerField(_("capacité (colis)"), default=12)
    capacity_kg = models.PositiveSmallIntegerField(_("capacité (kg)"), default=100)
    capacity_litres = models.PositiveIntegerField(_("capacité (litres)"), default=300)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("type de véhicule")
        verbose_name_plural = _("types de véhicule")
        ordering = ("position", "pk")
        constraints = [
            models.CheckConstraint(condition=Q(speed_kmh__gt=0), name="vehicletype_speed_positive"),
            models.CheckConstraint(
                condition=Q(capacity_parcels__gt=0) & Q(capacity_kg__gt=0) & Q(capacity_litres__gt=0),
                name="vehicletype_capacity_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Vehicle(models.Model):
    name = models.CharField(_("nom"), max_length=80)
    vehicle_type = models.ForeignKey(
        VehicleType, on_delete=models.PROTECT, related_name="vehicles", verbose_name=_("type")
    )
    hub = models.ForeignKey(Hub, on_delete=models.PROTECT, related_name="vehicles", verbose_name=_("dépôt"))
    is_active = models.BooleanField(_("en service"), default=True)

    class Meta:
        verbose_name = _("véhicule")
        verbose_name_plural = _("véhicules")
        ordering = ("vehicle_type__position", "name", "pk")

    def __str__(self) -> str:
        return self.name


class Shift(models.Model):
    """One courier on one vehicle for a day: from ``starts_at`` to ``ends_at``, with an optional break."""

    date = models.DateField(_("date"))
    courier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        related_name="shifts",
        verbose_name=_("livreur"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
    )
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="shifts", verbose_name=_("véhicule"))
    starts_at = models.TimeField(_("début"))
    ends_at = models.TimeField(_("fin"))
    break_starts_at = models.TimeField(_("début de la pause"), null=True, blank=True)
    break_minutes = models.PositiveSmallIntegerField(_("durée de la pause (minutes)"), default=0)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ("date", "starts_at", "pk")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="shift_ends_after_start"),
            models.UniqueConstraint(fields=("date", "courier", "starts_at"), name="shift_one_start_per_courier"),
            models.CheckConstraint(
                condition=Q(break_starts_at__isnull=True, break_minutes=0)
                | Q(break_starts_at__gt=F("starts_at"), break_starts_at__lt=F("ends_at"), break_minutes__gt=0),
                name="shift_break_inside",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.courier_id} {self.starts_at:%H:%M}-{self.ends_at:%H:%M}"

    def stretches(self) -> list[tuple[dt.time, dt.time]]:
        """The shift's working stretches: one, or two around the break."""
        if self.break_starts_at is None or not self.break_minutes:
            return [(self.starts_at, self.ends_at)]
        resume = (
            dt.datetime.combine(self.date, self.break_starts_at) + dt.timedelta(minutes=self.break_minutes)
        ).time()
        if resume >= self.ends_at:
            return [(self.starts_at, self.break_starts_at)]
        return [(self.starts_at, self.break_starts_at), (resume, self.ends_at)]


class DeliveryStatus(models.TextChoices):
    TO_PLAN = "to_plan", _("À planifier")
    PLANNED = "planned", _("Planifiée")
    UNASSIGNED = "unassigned", _("Non planifiée")
    ON_THE_WAY = "on_the_way", _("En cours de livraison")
    DELIVERED = "delivered", _("Livrée")
    FAILED = "failed", _("Échec, colis rapporté au dépôt")
    CANCELLED = "cancelled", _("Annulée")


OPEN_DELIVERY_STATUSES = (DeliveryStatus.TO_PLAN, DeliveryStatus.PLANNED, DeliveryStatus.UNASSIGNED)


class FailureReason(models.TextChoices):
    ABSENT = "absent", _("Habitant absent")
    REFUSED = "refused", _("Colis refusé")
    WRONG_ADDRESS = "wrong_address", _("Adresse erronée ou introuvable")
    DAMAGED = "damaged", _("Colis abîmé")


class Delivery(models.Model):
    """One order delivered by the town: pickups at its shops, one drop-off at the resident."""

    order = models.OneToOneField("checkout.Order", on_delete=models.PROTECT, related_name="logistics_delivery")
    status = models.CharField(max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.TO_PLAN)
    date = models.DateField(_("date de livraison"))
    window_start = models.TimeField(_("début du créneau"))
    window_end = models.TimeField(_("fin du créneau"))
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    in_centre = models.BooleanField(default=False)
    needs_address_check = models.BooleanField(_("adresse à vérifier"), default=False)
    chilled = models.BooleanField(_("produits frais"), default=False)
    parcels = models.PositiveSmallIntegerField(default=1)
    grams = models.PositiveIntegerField(default=0)
    millilitres = models.PositiveIntegerField(default=0)
    # Why the last plan left it out (a reason code of logistics.planning.problem).
    unassigned_reason = models.CharField(max_length=20, blank=True)
    # The arrival window told to the resident (None until the first plan); re-told when it slips.
    eta_start = models.TimeField(null=True, blank=True)
    eta_end = models.TimeField(null=True, blank=True)
    told_eta_start = models.TimeField(null=True, blank=True)
    # Proof of delivery, or the failure.
    door_code = models.CharField(max_length=6, blank=True)  # the code the resident received
    attempts = models.PositiveSmallIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    proof_kind = models.CharField(max_length=10, blank=True)
    proof_photo = models.CharField(max_length=200, blank=True)  # name in the private storage
    proof_signature = models.TextField(blank=True)  # SVG path data drawn on the phone
    failure_reason = models.CharField(max_length=16, choices=FailureReason.choices, blank=True)
    failure_note = models.CharField(max_length=300, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("livraison")
        verbose_name_plural = _("livraisons")
        ordering = ("date", "window_start", "pk")
        indexes = [models.Index(fields=["date", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(window_end__gt=F("window_start")), name="delivery_window_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.date} {self.status}"

    @property
    def is_located(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class PartStatus(models.TextChoices):
    WAITING = "waiting", _("En préparation")
    READY = "ready", _("Prête au commerce")
    COLLECTED = "collected", _("Retirée par le livreur")
    AT_HUB = "at_hub", _("Au dépôt")
    REFUSED = "refused", _("Refusée par le commerce")


class DeliveryPart(models.Model):
    """One shop's part of a delivery: a pickup."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="parts")
    merchant_order = models.OneToOneField(
        "checkout.MerchantOrder", on_delete=models.PROTECT, related_name="logistics_part"
    )
    status = models.CharField(max_length=10, choices=PartStatus.choices, default=PartStatus.WAITING)
    parcels = models.PositiveSmallIntegerField(default=1)
    grams = models.PositiveIntegerField(default=0)
    millilitres = models.PositiveIntegerField(default=0)
    chilled = models.BooleanField(default=False)
    # Printed (and as a QR code) on the shop's ticket: the courier scans or types it when collecting.
    collect_code = models.CharField(max_length=8)
    pickup_eta = models.TimeField(null=True, blank=True)
    collected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("pk",)

    def __str__(self) -> str:
        return f"{self.delivery_id}/{self.merchant_order_id} {self.status}"


class PlanStatus(models.TextChoices):
    PUBLISHED = "published", _("Publiée")
    REJECTED = "rejected", _("Refusée par le contrôle")
    FAILED = "failed", _("Échec du calcul")


class Plan(models.Model):
    """One planning of a day (by the button, the command or the beat task): kept as a journal."""

    date = models.DateField()
    status = models.CharField(max_length=10, choices=PlanStatus.choices)
    solver = models.CharField(max_length=40, blank=True)
    seconds = models.FloatField(default=0)
    seed = models.PositiveIntegerField(default=0)
    distance_m = models.PositiveIntegerField(default=0)
    served = models.PositiveIntegerField(default=0)
    unassigned = models.JSONField(default=dict)  # delivery id (str) -> reason code
    problems = models.JSONField(default=list)  # the checker's violations, when rejected
    trigger = models.CharField(max_length=20, blank=True)  # "button", "command", "beat", "insertion", "failure"
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        indexes = [models.Index(fields=["date", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.date} {self.status}"


class Board(models.Model):
    """One row per planned day: the version every dispatcher edit must name (two dispatchers at once)."""

    date = models.DateField(unique=True)
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.date} v{self.version}"


class Round(models.Model):
    """One courier's stretch of a day on one vehicle: an ordered list of stops from the hub back to it."""

    date = models.DateField()
    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="rounds")
    stretch = models.PositiveSmallIntegerField(default=0)  # 0, or 1 for the part after the break
    courier = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="rounds", on_delete=models.DO_NOTHING, db_constraint=False
    )
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="rounds")
    starts_at = models.TimeField()
    ends_at = models.TimeField()
    distance_m = models.PositiveIntegerField(default=0)
    is_locked = models.BooleanField(_("verrouillée"), default=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("date", "starts_at", "pk")
        constraints = [models.UniqueConstraint(fields=("shift", "stretch"), name="round_one_per_shift_stretch")]

    def __str__(self) -> str:
        return f"{self.date} {self.courier_id} {self.starts_at:%H:%M}"

    @property
    def is_under_way(self) -> bool:
        return self.started_at is not None


class StopKind(models.TextChoices):
    PICKUP = "pickup", _("Retrait au commerce")
    DROP = "drop", _("Livraison")
    RELOAD = "reload", _("Retour au dépôt")


class StopStatus(models.TextChoices):
    TODO = "todo", _("À faire")
    DONE = "done", _("Fait")
    FAILED = "failed", _("Échec")


class Stop(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="stops")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=8, choices=StopKind.choices)
    delivery = models.ForeignKey(Delivery, null=True, blank=True, on_delete=models.CASCADE, related_name="stops")
    part = models.ForeignKey(DeliveryPart, null=True, blank=True, on_delete=models.CASCADE, related_name="stops")
    arrives_at = models.TimeField()
    starts_at = models.TimeField()  # service start: the arrival, or the opening of the window when early
    departs_at = models.TimeField()
    status = models.CharField(max_length=8, choices=StopStatus.choices, default=StopStatus.TODO)
    is_locked = models.BooleanField(_("verrouillé"), default=False)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("round", "position")
        constraints = [
            models.UniqueConstraint(fields=("round", "position"), name="stop_position_unique"),
            models.CheckConstraint(
                condition=Q(kind="pickup", part__isnull=False, delivery__isnull=False)
                | Q(kind="drop", part__isnull=True, delivery__isnull=False)
                | Q(kind="reload", part__isnull=True, delivery__isnull=True),
                name="stop_kind_matches_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round_id}#{self.position} {self.kind}"


class CourierAction(models.Model):
    """An action sent by the courier app, under the key the phone chose: replayed, it is applied once."""

    key = models.UUIDField(unique=True, default=uuid.uuid4)
    courier = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.DO_NOTHING, db_constraint=False
    )
    kind = models.CharField(max_length=20)
    stop = models.ForeignKey(Stop, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    outcome = models.CharField(max_length=20, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"
