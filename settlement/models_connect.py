"""Connect mode (DESIGN.md §4, money.md §8.2 step 4): one Stripe transfer per released merchant order.

Re-exported by ``settlement.models``. A row is written in the release's own transaction (status
pending), so a release is never lost even when the gateway is down; the transfer is then made with
an idempotency key derived from (town schema, merchant order id) and retried with that same key
until Stripe has answered with a transfer id.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Merchant
from checkout.models import MerchantOrder, Refund


class ConnectTransferStatus(models.TextChoices):
    PENDING = "pending", _("À transférer")
    TRANSFERRED = "transferred", _("Transféré")
    # The gateway refused or did not answer: retried by the periodic task with the same key.
    FAILED = "failed", _("Échec, nouvel essai prévu")


class ConnectTransfer(models.Model):
    """The transfer of one released merchant order to the merchant's connected account."""

    merchant_order = models.OneToOneField(MerchantOrder, on_delete=models.PROTECT, related_name="+")
    release = models.OneToOneField("settlement.Release", on_delete=models.PROTECT, related_name="connect_transfer")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="+")
    # What was released to available, less the commission: the merchant's net share of the order.
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="EUR")
    status = models.CharField(
        max_length=12, choices=ConnectTransferStatus.choices, default=ConnectTransferStatus.PENDING
    )
    # The key of the current attempt: the same on every retry after an unknown outcome (no answer,
    # 5xx), a new one — generation + 1 — only after Stripe refused for certain, since Stripe would
    # replay a refusal stored under the old key even once the cause is fixed.
    idempotency_key = models.CharField(max_length=255, unique=True)
    key_generation = models.PositiveSmallIntegerField(default=0)
    transfer_group = models.CharField(max_length=120)
    # Filled when the transfer is attempted: where it went and which charge funded it.
    destination_account_id = models.CharField(max_length=64, blank=True)
    source_transaction = models.CharField(max_length=255, blank=True)
    transfer_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    # The entry moving the money out of psp_clearing (source connect_transfer, this row's id).
    entry = models.OneToOneField(
        "settlement.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    transferred_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("pk",)
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="settlement_connect_transfer_positive"),
            models.CheckConstraint(
                condition=~Q(status="transferred") | (Q(transfer_id__isnull=False) & Q(entry__isnull=False)),
                name="settlement_connect_transfer_done_has_id_and_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.merchant_order_id}: {self.amount_cents} ({self.status})"


class ConnectReversalStatus(models.TextChoices):
    PENDING = "pending", _("À reprendre")
    REVERSED = "reversed", _("Repris au commerçant")
    # Stripe refused (the connected balance is too low, already paid out): the refund stays netted
    # in the ledger, out of the merchant's next payout. Final: never retried.
    REFUSED = "refused", _("Refusé, déduit du prochain versement")
    # No answer (network, 5xx): retried by the periodic task with the same key.
    FAILED = "failed", _("Échec, nouvel essai prévu")


class ConnectTransferReversal(models.Model):
    """Taking a refund made after the transfer back from the merchant's connected account (one per refund)."""

    refund = models.OneToOneField(Refund, on_delete=models.PROTECT, related_name="+")
    connect_transfer = models.ForeignKey(ConnectTransfer, on_delete=models.PROTECT, related_name="reversals")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="+")
    # The refund, capped by what is left of the transfer (the merchant never received the commission).
    amount_cents = models.BigIntegerField()
    status = models.CharField(
        max_length=12, choices=ConnectReversalStatus.choices, default=ConnectReversalStatus.PENDING
    )
    # (schema, refund id): every attempt sends it, so a replay never reverses twice.
    idempotency_key = models.CharField(max_length=255, unique=True)
    reversal_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    # The entry bringing the money back from connect_transferred:<merchant> to psp_clearing.
    entry = models.OneToOneField(
        "settlement.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    reversed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("pk",)
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="settlement_connect_reversal_positive"),
            models.CheckConstraint(
                condition=~Q(status="reversed") | (Q(reversal_id__isnull=False) & Q(entry__isnull=False)),
                name="settlement_connect_reversal_done_has_id_and_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"refund {self.refund_id}: {self.amount_cents} ({self.status})"
