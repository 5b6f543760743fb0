"""Baskets, orders split per merchant, payments, refunds, disputes, notifications and the outbox.

Money is integer cents; every order line snapshots what was sold (title, unit price, VAT rate) so
later catalogue edits never change an order. States change only through `checkout.actions`, each
change recorded in `StatusChange` (who, when).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from catalog.formatting import format_address, format_clock, format_day
from catalog.models import Merchant, Variant
from checkout.pickup import window_label
from delivery.models import slot_label

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


class Basket(models.Model):
    """One resident's basket: anonymous (identified by a cookie token) or attached to a user."""

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user_id = models.BigIntegerField(null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Panier {self.pk}"


class BasketLine(models.Model):
    basket = models.ForeignKey(Basket, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="+")
    # Pieces are whole numbers; goods sold by the kilo or the litre may be fractional (0.5 kg).
    quantity = models.DecimalField(max_digits=8, decimal_places=3)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("added_at", "pk")
        constraints = [
            models.UniqueConstraint(fields=("basket", "variant"), name="basket_line_one_per_variant"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="basket_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.variant_id}"


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("En attente de paiement")
    PAID = "paid", _("Payée")
    PLACED = "placed", _("Confirmée, à payer en boutique")
    CANCELLED = "cancelled", _("Annulée")
    REVIEW = "review", _("À vérifier par la ville")


class PaymentMethod(models.TextChoices):
    CARD = "card", _("Carte bancaire en ligne")
    IN_STORE = "in_store", _("Paiement en boutique au retrait")


class Order(models.Model):
    """One resident order across several merchants, paid once (the town collects)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    status = models.CharField(max_length=16, choices=OrderStatus.choices, default=OrderStatus.PENDING_PAYMENT)
    payment_method = models.CharField(max_length=10, choices=PaymentMethod.choices, default=PaymentMethod.CARD)
    # Contact (a guest gives e-mail and phone). Emptied by account deletion; the order stays for accounting.
    first_name = models.CharField(_("prénom"), max_length=80)
    last_name = models.CharField(_("nom"), max_length=80)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("téléphone"), max_length=20)
    # One delivery per order, whatever the number of merchants delivered (one fee per delivery).
    delivery_address_label = models.CharField(max_length=250, blank=True)
    delivery_postcode = models.CharField(max_length=5, blank=True)
    delivery_city = models.CharField(max_length=100, blank=True)
    delivery_insee_code = models.CharField(max_length=5, blank=True)
    delivery_latitude = models.FloatField(null=True, blank=True)
    delivery_longitude = models.FloatField(null=True, blank=True)
    delivery_instructions = models.CharField(max_length=300, blank=True)
    delivery_zone_id = models.BigIntegerField(null=True, blank=True)
    delivery_zone_name = models.CharField(max_length=120, blank=True)
    delivery_vehicle = models.CharField(max_length=12, blank=True)
    delivery_date = models.DateField(null=True, blank=True)
    # The delivery slot taken (its id as a value, to give it back) and its window as it was when the
    # order was placed, in town time; the rounds planner (logistics) reads the window.
    delivery_slot_id = models.BigIntegerField(null=True, blank=True)
    delivery_window_start = models.TimeField(null=True, blank=True)
    delivery_window_end = models.TimeField(null=True, blank=True)
    # The address service was down at checkout: the address is as typed, without coordinates, and the
    # fee the most expensive zone's (delivery.provider); an agent places it before the round.
    delivery_needs_geocoding = models.BooleanField(default=False)
    # Written by the delivery rounds (``checkout.actions.set_delivery_eta``): when the courier should
    # come (town clock), and the code the resident gives the courier at the door.
    delivery_eta_start = models.TimeField(null=True, blank=True)
    delivery_eta_end = models.TimeField(null=True, blank=True)
    delivery_door_code = models.CharField(max_length=6, blank=True)
    items_total_cents = models.BigIntegerField(default=0)
    delivery_fee_cents = models.BigIntegerField(default=0)
    total_cents = models.BigIntegerField(default=0)
    refunded_cents = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, default="EUR")
    terms_accepted_at = models.DateTimeField()
    review_reason = models.CharField(max_length=300, blank=True)
    # Stock and delivery capacity are held until then; a beat task releases them afterwards.
    expires_at = models.DateTimeField(null=True, blank=True)
    # The basket it came from: the same client starting another checkout releases this one first.
    basket = models.ForeignKey(Basket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # A keyed hash of the client's IP address (checkout.limits), only while a card order waits for
    # its payment: it bounds the unpaid orders of one address, and is emptied once paid or cancelled.
    client_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    is_anonymised = models.BooleanField(default=False)

    class Meta:
        ordering = ("-created_at", "-pk")
        indexes = [
            models.Index(fields=["status", "expires_at"]),
            models.Index(fields=["client_key"], condition=~Q(client_key=""), name="order_unpaid_client_key"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_cents=F("items_total_cents") + F("delivery_fee_cents")), name="order_total_adds_up"
            ),
            models.CheckConstraint(
                condition=Q(items_total_cents__gte=0) & Q(delivery_fee_cents__gte=0), name="order_amounts_positive"
            ),
            models.CheckConstraint(
                condition=Q(refunded_cents__gte=0) & Q(refunded_cents__lte=F("total_cents")),
                name="order_refund_within_total",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"{self.created_at:%Y}-{self.pk:06d}" if self.pk and self.created_at else "—"

    @property
    def is_delivery(self) -> bool:
        return self.delivery_zone_id is not None

    @property
    def delivery_window_label(self) -> str:
        """ "14 h – 16 h", "" without a slot."""
        if self.delivery_window_start is None or self.delivery_window_end is None:
            return ""
        return slot_label(self.delivery_window_start, self.delivery_window_end)

    @property
    def delivery_address(self) -> str:
        """ "12 Rue Royale, 62100 Calais": the one way the address is written (site, e-mail, ticket)."""
        return format_address(self.delivery_address_label, self.delivery_postcode, self.delivery_city)


class MerchantOrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("En attente de paiement")
    PAID = "paid", _("Payée, à accepter")
    PLACED = "placed", _("À accepter (paiement en boutique)")
    ACCEPTED = "accepted", _("Acceptée, en préparation")
    READY = "ready", _("Prête")
    COLLECTED = "collected", _("Retirée")
    DELIVERED = "delivered", _("Livrée")
    CANCELLED = "cancelled", _("Annulée")
    REFUNDED = "refunded", _("Remboursée")


# What a resident reads of their part of an order: the shop's own wording ("Payée, à accepter") is
# for the shop.
_RESIDENT_LABELS: dict[str, StrPromise] = {
    MerchantOrderStatus.PAID: _("En attente de validation par le commerçant"),
    MerchantOrderStatus.PLACED: _("En attente de validation par le commerçant"),
    MerchantOrderStatus.ACCEPTED: _("Acceptée, en préparation"),
}


class Fulfilment(models.TextChoices):
    COLLECT = "collect", _("Retrait en boutique")
    DELIVERY = "delivery", _("Livraison à domicile")


def fulfilment_label(
    fulfilment: str,
    delivery_date: dt.date | None,
    window_start: dt.time | None = None,
    window_end: dt.time | None = None,
) -> str:
    """ "Retrait en boutique", "Livraison à domicile le mardi 8 décembre, entre 14 h et 16 h": a delivery
    says its day, which is the next delivery day for an order placed after the cut-off, and its slot."""
    if fulfilment == Fulfilment.DELIVERY and delivery_date is not None:
        label = gettext("Livraison à domicile le %(day)s") % {"day": format_day(delivery_date)}
        if window_start is not None and window_end is not None:
            label = gettext("%(label)s, entre %(start)s et %(end)s") % {
                "label": label,
                "start": format_clock(window_start),
                "end": format_clock(window_end),
            }
        return label
    return str(Fulfilment(fulfilment).label) if fulfilment in Fulfilment.values else fulfilment


class MerchantOrder(models.Model):
    """The part of an order one merchant prepares."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="merchant_orders")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="merchant_orders")
    merchant_name = models.CharField(max_length=160)
    status = models.CharField(
        max_length=16, choices=MerchantOrderStatus.choices, default=MerchantOrderStatus.PENDING_PAYMENT
    )
    fulfilment = models.CharField(max_length=10, choices=Fulfilment.choices)
    pickup_starts_at = models.DateTimeField(null=True, blank=True)
    pickup_ends_at = models.DateTimeField(null=True, blank=True)
    # Shown to the resident, checked by the merchant at handover.
    pickup_code = models.CharField(max_length=6)
    items_total_cents = models.BigIntegerField(default=0)
    refunded_cents = models.BigIntegerField(default=0)
    paid_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    handed_over_at = models.DateTimeField(null=True, blank=True)
    # Written by the delivery rounds (``checkout.actions.set_courier_pickup``): when the courier should
    # come to the shop (town clock) and the code the courier scans or types there.
    courier_pickup_at = models.TimeField(null=True, blank=True)
    courier_code = models.CharField(max_length=8, blank=True)

    class Meta:
        ordering = ("pk",)
        indexes = [models.Index(fields=["merchant", "status"]), models.Index(fields=["status", "paid_at"])]
        constraints = [
            models.UniqueConstraint(fields=("order", "merchant"), name="merchant_order_one_per_merchant"),
            models.CheckConstraint(
                condition=Q(refunded_cents__gte=0) & Q(refunded_cents__lte=F("items_total_cents")),
                name="merchant_order_refund_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order.number} · {self.merchant_name}"

    @property
    def kept_cents(self) -> int:
        return self.items_total_cents - self.refunded_cents

    @property
    def is_delivery(self) -> bool:
        return self.fulfilment == Fulfilment.DELIVERY

    @property
    def fulfilment_label(self) -> str:
        """ "Livraison à domicile le mardi 8 décembre, entre 14 h et 16 h" or "Retrait en boutique" (needs ``order``)."""
        order = self.order
        return fulfilment_label(
            self.fulfilment, order.delivery_date, order.delivery_window_start, order.delivery_window_end
        )

    @property
    def pickup_window_label(self) -> str:
        """ "mardi 8 décembre, de 14 h à 15 h" in the town's clock; "" without a window."""
        return window_label(self.pickup_starts_at, self.pickup_ends_at)

    def resident_status_display(self) -> str:
        """The state in the resident's words."""
        return resident_status_label(self.status, self.fulfilment)


def resident_status_label(status: str, fulfilment: str) -> str:
    if status == MerchantOrderStatus.READY:
        if fulfilment == Fulfilment.COLLECT:
            return str(_("Prête : vous pouvez venir la retirer"))
        return str(_("Prête, bientôt confiée au livreur"))
    label = _RESIDENT_LABELS.get(status)
    if label is None:
        return str(MerchantOrderStatus(status).label) if status in MerchantOrderStatus.values else status
    return str(label)


class OrderLine(models.Model):
    merchant_order = models.ForeignKey(MerchantOrder, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(Variant, null=True, on_delete=models.SET_NULL, related_name="+")
    product_title = models.CharField(max_length=200)
    variant_name = models.CharField(max_length=120, blank=True)
    sku = models.CharField(max_length=64)
    unit = models.CharField(max_length=8)
    quantity = models.DecimalField(max_digits=8, decimal_places=3)
    unit_price_cents = models.BigIntegerField()
    vat_rate = models.PositiveSmallIntegerField()
    total_cents = models.BigIntegerField()
    is_perishable = models.BooleanField(default=False)
    # Units actually taken from stock (NULL when the variant's stock is not tracked).
    stock_taken = models.IntegerField(null=True, blank=True)
    is_refused = models.BooleanField(default=False)
    refused_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("pk",)
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(unit_price_cents__gte=0) & Q(total_cents__gte=0), name="order_line_amounts_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.product_title


class StatusChange(models.Model):
    """Audit trail: every state change of an order or of a merchant's part of it."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="status_changes")
    merchant_order = models.ForeignKey(
        MerchantOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    actor_id = models.BigIntegerField(null=True, blank=True)
    # "resident", "merchant", "town_agent", "system", "gateway": readable even after an account is deleted.
    actor_kind = models.CharField(max_length=16)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("created_at", "pk")

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("En attente")
    SUCCEEDED = "succeeded", _("Réussi")
    FAILED = "failed", _("Échoué")
    CANCELLED = "cancelled", _("Annulé")


class Payment(models.Model):
    """The one PaymentIntent of an order (deterministic idempotency key: a retry never pays twice)."""

    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="payment")
    gateway = models.CharField(max_length=10)
    intent_id = models.CharField(max_length=255, unique=True)
    client_secret = models.CharField(max_length=255, blank=True)
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="EUR")
    status = models.CharField(max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    # The provider's fee on the charge, once its balance transaction is known (None: not known, or a
    # gateway without fees); the balance transaction id keys the fee's ledger entry.
    fee_cents = models.BigIntegerField(null=True, blank=True)
    fee_balance_transaction_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(fee_cents__isnull=True) | Q(fee_cents__gte=0), name="payment_fee_not_negative"
            )
        ]

    def __str__(self) -> str:
        return self.intent_id


class Refund(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    merchant_order = models.ForeignKey(
        MerchantOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    amount_cents = models.BigIntegerField()
    reason = models.CharField(max_length=300)
    # Deterministic: the same refusal or refund click replayed can never refund twice.
    idempotency_key = models.CharField(max_length=255, unique=True)
    gateway_refund_id = models.CharField(max_length=255, blank=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    # The delivery fee given back (no delivery left to make): the ledger takes it from the fee's owner.
    is_delivery_fee = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount_cents__gt=0), name="refund_amount_positive")]

    def __str__(self) -> str:
        return f"{self.amount_cents} c ({self.reason})"


class DisputeStatus(models.TextChoices):
    # Stripe's statuses. warning_* are inquiries: no money moves unless they become a dispute.
    WARNING_NEEDS_RESPONSE = "warning_needs_response", _("Demande d'information de la banque")
    WARNING_UNDER_REVIEW = "warning_under_review", _("Demande d'information en examen")
    WARNING_CLOSED = "warning_closed", _("Demande d'information close")
    NEEDS_RESPONSE = "needs_response", _("Contestation : réponse attendue")
    UNDER_REVIEW = "under_review", _("Contestation en examen")
    WON = "won", _("Contestation gagnée")
    LOST = "lost", _("Contestation perdue")


# Once a dispute is decided, a late event carrying an earlier status never takes it back.
DISPUTE_FINAL_STATUSES = frozenset({DisputeStatus.WON, DisputeStatus.LOST, DisputeStatus.WARNING_CLOSED})


class Dispute(models.Model):
    """A chargeback on an order's payment (the order is *disputed* while one is open). The order's
    own status is left alone: the resident's page keeps saying what happened to the goods."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="disputes")
    gateway_dispute_id = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=24, choices=DisputeStatus.choices)
    amount_cents = models.BigIntegerField()
    # What the provider charged for the dispute (not given back when it is won).
    fee_cents = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, default="EUR")
    opened_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0) & Q(fee_cents__gte=0), name="dispute_amounts_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.gateway_dispute_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status not in DISPUTE_FINAL_STATUSES


class NotificationChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    IN_APP = "in_app", _("Dans l'espace commerçant")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("À envoyer")
    SENT = "sent", _("Envoyée")
    FAILED = "failed", _("Échec")


class Notification(models.Model):
    """A message to a resident or a merchant; sending is retried, failures stay visible to the town."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="notifications")
    merchant_order = models.ForeignKey(
        MerchantOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40)
    channel = models.CharField(max_length=8, choices=NotificationChannel.choices)
    recipient = models.CharField(max_length=254, blank=True)
    status = models.CharField(max_length=8, choices=NotificationStatus.choices, default=NotificationStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        indexes = [models.Index(fields=["status", "channel"])]
        constraints = [
            models.UniqueConstraint(
                fields=("order", "merchant_order", "kind", "channel"),
                name="notification_once_per_event",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} / {self.channel}"

    def get_kind_label(self) -> str:
        """French label of the event ("line_refused:12,13" → "Article refusé")."""
        from django.utils.translation import gettext as _

        labels = {
            "order_paid": _("Nouvelle commande payée"),
            "order_placed": _("Nouvelle commande (paiement en boutique)"),
            "line_refused": _("Article refusé"),
            "order_refunded": _("Remboursement"),
            "order_ready": _("Commande prête"),
            "order_cancelled": _("Commande annulée"),
            "delivery_window": _("Heure de livraison annoncée"),
            "delivery_window_moved": _("Livraison décalée"),
            "payment_link": _("Lien de paiement (commande par téléphone)"),
            "receipt": _("Confirmation par SMS (commande par téléphone)"),
        }
        return labels.get(self.kind.split(":", 1)[0], self.kind)


class OutboxEvent(models.Model):
    """One checkout event for one subscribing app, written in the transaction that caused it (the
    outbox, ``checkout.outbox``): delivered after commit, processed at most once by its subscriber."""

    kind = models.CharField(max_length=40)
    subscriber = models.CharField(max_length=60)
    # Ids and amounts only (order_id, refund_id…): the subscriber re-reads the rows it needs.
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    # After a failed attempt, the sweep leaves the event alone until then (backoff).
    retry_after = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("created_at", "pk")
        indexes = [
            models.Index(fields=["created_at"], condition=Q(processed_at__isnull=True), name="outbox_event_pending"),
            models.Index(fields=["processed_at"], name="outbox_event_processed"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.subscriber}"


class WaitingOrdersSummary(models.Model):
    """The morning summary telling one merchant of the orders it has not accepted yet: one per merchant
    and town day (the unique constraint makes a second run of the beat task a no-op), sent once per channel."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()  # in the town's clock
    waiting_count = models.PositiveIntegerField()
    oldest_waiting_since = models.DateTimeField()
    email = models.CharField(max_length=254, blank=True)
    mobile = models.CharField(max_length=16, blank=True)  # E.164, only when the town sends SMS
    email_sent_at = models.DateTimeField(null=True, blank=True)
    sms_sent_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)  # every channel done
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-day", "pk")
        constraints = [
            models.UniqueConstraint(fields=("merchant", "day"), name="waiting_orders_summary_once_a_day"),
            models.CheckConstraint(condition=Q(waiting_count__gt=0), name="waiting_orders_summary_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id} · {self.day}"


from checkout.models_phone import OrderChannel, PhoneOrder  # noqa: E402, F401 — issue 13 §6, own module
