"""Payouts (docs/money.md §6–7): merchants' bank details, batches, lines, bank statements, and the
Connect transfers and their reversals (docs/architecture.md §4, mode 2; docs/money.md §8).

Imported by ``settlement.models`` (Django finds them there). Guarded in the database by
migration 0004: an exported batch's file, totals and lines cannot change any more (trigger), a line
is always a positive amount (CHECK), a period has at most one live batch (partial unique index).

Connect mode: one ConnectTransfer per released merchant order. A row is written in the release's own
transaction (status pending), so a release is never lost even when the gateway is down; the transfer
is then made with an idempotency key derived from (town schema, merchant order id) and retried with
that same key until Stripe has answered with a transfer id.
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import user_reference
from catalog.models import Merchant
from checkout.models import MerchantOrder, Refund
from tenants.models import CollectorMode

# Stripe's connected account ids are "acct_" and letters and digits (test fixtures add underscores).
STRIPE_ACCOUNT_PATTERN = r"^acct_[A-Za-z0-9_]{1,59}$"
validate_stripe_account_id = RegexValidator(
    STRIPE_ACCOUNT_PATTERN, _("Un identifiant de compte Stripe commence par « acct_ »."), code="stripe_account"
)


class MerchantPayoutAccount(models.Model):
    """Where a merchant is paid, and whether the town may pay them (the agreement they accepted is
    ``settlement.agreements``': payouts wait for the current version)."""

    merchant = models.OneToOneField(Merchant, on_delete=models.PROTECT, related_name="payout_account")
    holder_name = models.CharField(_("titulaire du compte"), max_length=140)
    # Stored compact and upper case, as settlement.payouts.iban.validate_iban returns it.
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    street = models.CharField(_("voie"), max_length=70)
    building_number = models.CharField(_("numéro"), max_length=16, blank=True)
    postcode = models.CharField(_("code postal"), max_length=16)
    town = models.CharField(_("commune"), max_length=35)
    country = models.CharField(_("pays"), max_length=2, default="FR")
    # Connect mode (docs/architecture.md §4): the merchant's Stripe connected account, which receives one
    # transfer per released order and is paid out on the town's schedule. Unused by the régie.
    stripe_account_id = models.CharField(
        _("compte Stripe connecté"),
        max_length=64,
        null=True,
        blank=True,
        unique=True,
        validators=[validate_stripe_account_id],
    )
    # Set when a transfer comes back (wrong or closed account), cleared when the IBAN is changed.
    is_blocked = models.BooleanField(_("reversements bloqués"), default=False)
    blocked_reason = models.CharField(_("motif du blocage"), max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = user_reference()
    # Who typed the current IBAN, and when: that person may not approve a batch paying it (four eyes
    # on where the money goes, not only on how much), and the approver is shown a first payment to it.
    iban_changed_at = models.DateTimeField(_("IBAN saisi le"), null=True, blank=True)
    iban_changed_by = user_reference()

    class Meta:
        verbose_name = _("coordonnées bancaires de reversement")
        constraints = [
            models.CheckConstraint(
                condition=Q(is_blocked=False) | ~Q(blocked_reason=""), name="settlement_payout_account_block_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(stripe_account_id__isnull=True) | Q(stripe_account_id__regex=STRIPE_ACCOUNT_PATTERN),
                name="settlement_payout_account_stripe_id_format",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id}: {self.holder_name}"


class PayoutBatchState(models.TextChoices):
    DRAFT = "draft", _("À approuver")
    APPROVED = "approved", _("Approuvé, à exporter")
    EXPORTED = "exported", _("Fichier exporté, en attente de la banque")
    SETTLED = "settled", _("Exécuté")
    PARTIALLY_RETURNED = "partially_returned", _("Exécuté, virements retournés")
    CANCELLED = "cancelled", _("Annulé")
    # Nothing to pay at that cut-off: kept so the period counts as run.
    EMPTY = "empty", _("Aucun virement")


# States in which the file has left: nothing about the money may change any more.
EXPORTED_STATES = (PayoutBatchState.EXPORTED, PayoutBatchState.SETTLED, PayoutBatchState.PARTIALLY_RETURNED)


class PayoutBatch(models.Model):
    """One payout run of the town for one cut-off: its lines, who prepared and approved it, its file."""

    # The cut-off's civil date in the town ("2026-12-01"): a period has one live batch.
    period_key = models.CharField(_("échéance"), max_length=20)
    cut_off = models.DateTimeField(_("date d'arrêté"))
    state = models.CharField(_("état"), max_length=20, choices=PayoutBatchState.choices, default=PayoutBatchState.DRAFT)
    total_cents = models.BigIntegerField(_("montant total"), default=0)
    line_count = models.PositiveIntegerField(_("nombre de virements"), default=0)
    # The entry moving the merchants' available money to payout_in_transit (source payout_batch).
    entry = models.OneToOneField(
        "settlement.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # NULL: prepared by the scheduler (then the exporter must differ from the approver).
    created_by = user_reference()
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = user_reference()
    exported_at = models.DateTimeField(null=True, blank=True)
    exported_by = user_reference()
    file_xml = models.BinaryField(null=True, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    message_id = models.CharField(max_length=35, blank=True)
    payment_info_id = models.CharField(max_length=35, blank=True)
    sepa_version = models.CharField(max_length=20, blank=True)
    execution_date = models.DateField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = user_reference()

    class Meta:
        ordering = ("-cut_off", "-pk")
        constraints = [
            # A cancelled batch frees its period so that it can be prepared again (docs/money.md §6).
            models.UniqueConstraint(
                fields=("period_key",), condition=~Q(state="cancelled"), name="settlement_payout_batch_one_per_period"
            ),
            # Four eyes: the approver is never the preparer.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | Q(created_by__isnull=True) | ~Q(approved_by=F("created_by")),
                name="settlement_payout_batch_four_eyes",
            ),
            models.CheckConstraint(condition=Q(total_cents__gte=0), name="settlement_payout_batch_total_not_negative"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        """The batch reference in the libellé and the file names: ``PB12-2026-12-01``."""
        return f"PB{self.pk}-{self.period_key}"

    @property
    def is_exported(self) -> bool:
        return self.state in EXPORTED_STATES


class PayoutLineStatus(models.TextChoices):
    PENDING = "pending", _("En attente")
    EXECUTED = "executed", _("Exécuté")
    RETURNED = "returned", _("Retourné")


class PayoutLine(models.Model):
    """One transfer to one merchant in a batch, with the bank details as they were when it was made."""

    batch = models.ForeignKey(PayoutBatch, on_delete=models.PROTECT, related_name="lines")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="+")
    amount_cents = models.BigIntegerField(_("montant"))
    status = models.CharField(max_length=10, choices=PayoutLineStatus.choices, default=PayoutLineStatus.PENDING)
    # Snapshots: the file pays what was approved, even if the merchant edits their details later.
    holder_name = models.CharField(max_length=140)
    iban = models.CharField(max_length=34)
    bic = models.CharField(max_length=11, blank=True)
    street = models.CharField(max_length=70, blank=True)
    building_number = models.CharField(max_length=16, blank=True)
    postcode = models.CharField(max_length=16, blank=True)
    town = models.CharField(max_length=35, blank=True)
    country = models.CharField(max_length=2, default="FR")
    executed_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    return_reason_code = models.CharField(max_length=10, blank=True)
    return_reason = models.CharField(max_length=300, blank=True)
    # Connect mode: the merchant's connected account paid (snapshot, frozen with the batch), the
    # Stripe payout made on it (set once), and the last refusal while it could not be made yet.
    stripe_account_id = models.CharField(max_length=64, blank=True)
    stripe_payout_id = models.CharField(max_length=64, blank=True)
    payout_error = models.CharField(max_length=300, blank=True)
    # Stripe keeps a refusal under its key (funds not yet available): a later attempt needs a new
    # key, so this counts the attempts Stripe refused for certain, never the unanswered ones.
    payout_attempt = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("pk",)
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="settlement_payout_line_positive"),
            models.UniqueConstraint(
                fields=("stripe_payout_id",),
                condition=~Q(stripe_payout_id=""),
                name="settlement_payout_line_one_stripe_payout",
            ),
            models.UniqueConstraint(fields=("batch", "merchant"), name="settlement_payout_line_one_per_merchant"),
        ]

    def __str__(self) -> str:
        return f"{self.end_to_end_id} {self.amount_cents}"

    @property
    def end_to_end_id(self) -> str:
        """The EndToEndId written in the file and handed back by the bank (docs/money.md §7)."""
        return f"PL{self.pk}"

    @property
    def collector_mode(self) -> str:
        """The collector mode the line was made under, read from its payee snapshot: a Stripe payout on
        the merchant's connected account (Connect), or a transfer in the régie's SEPA file. A line keeps
        it even if the town changes how it collects afterwards."""
        return CollectorMode.CONNECT if self.stripe_account_id else CollectorMode.REGIE


class PayoutBlockReason(models.TextChoices):
    NO_ACCOUNT = "no_account", _("Coordonnées bancaires non renseignées")
    INVALID_IBAN = "invalid_iban", _("IBAN invalide")
    NO_AGREEMENT = "no_agreement", _("Convention avec la régie non acceptée")
    NO_CONNECTED_ACCOUNT = "no_connect_account", _("Compte Stripe du commerçant non renseigné")
    BLOCKED = "blocked", _("Reversements bloqués")
    BELOW_MINIMUM = "below_minimum", _("Montant inférieur au minimum, reporté")
    NEGATIVE = "negative", _("Solde négatif, reporté")


# Reasons the town must act on; the others are carried forward on their own.
BLOCKING_REASONS = (
    PayoutBlockReason.NO_ACCOUNT,
    PayoutBlockReason.INVALID_IBAN,
    PayoutBlockReason.NO_AGREEMENT,
    PayoutBlockReason.NO_CONNECTED_ACCOUNT,
    PayoutBlockReason.BLOCKED,
)


class PayoutBlock(models.Model):
    """A merchant with money at the cut-off who is not paid in this batch, and why (carried forward)."""

    batch = models.ForeignKey(PayoutBatch, on_delete=models.PROTECT, related_name="blocks")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=20, choices=PayoutBlockReason.choices)
    detail = models.CharField(max_length=300, blank=True)
    # What the town owed the merchant at the cut-off (negative: the merchant owes the town).
    amount_cents = models.BigIntegerField()

    class Meta:
        ordering = ("pk",)
        constraints = [
            models.UniqueConstraint(fields=("batch", "merchant"), name="settlement_payout_block_one_per_merchant"),
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id}: {self.reason}"


class StatementImport(models.Model):
    """One bank statement file imported by the town; the same file (same hash) is imported once."""

    file_name = models.CharField(max_length=200, blank=True)
    file_sha256 = models.CharField(max_length=64, unique=True)
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = user_reference()
    entry_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("-imported_at", "-pk")

    def __str__(self) -> str:
        return self.file_name or self.file_sha256[:12]


class StatementLineStatus(models.TextChoices):
    EXECUTED = "executed", _("Virement exécuté")
    RETURNED = "returned", _("Virement retourné")
    ALREADY_APPLIED = "already_applied", _("Déjà pris en compte")
    # Suspense: nothing was posted; the town must look at it.
    UNMATCHED = "unmatched", _("Non rapproché (en attente)")


class StatementLine(models.Model):
    """One movement read from a statement; unique per (statement id, entry ref) so a re-import is a no-op."""

    statement_import = models.ForeignKey(StatementImport, on_delete=models.PROTECT, related_name="lines")
    statement_id = models.CharField(max_length=140)
    entry_ref = models.CharField(max_length=140)
    end_to_end_id = models.CharField(max_length=35, blank=True)
    amount_cents = models.BigIntegerField()
    booking_date = models.DateField()
    is_credit = models.BooleanField()
    is_return = models.BooleanField()
    return_reason_code = models.CharField(max_length=10, blank=True)
    return_reason = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=20, choices=StatementLineStatus.choices)
    note = models.CharField(max_length=300, blank=True)
    payout_line = models.ForeignKey(
        PayoutLine, null=True, blank=True, on_delete=models.PROTECT, related_name="statement_lines"
    )
    raw = models.TextField(blank=True)

    class Meta:
        ordering = ("pk",)
        constraints = [
            models.UniqueConstraint(fields=("statement_id", "entry_ref"), name="settlement_statement_line_once"),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}/{self.entry_ref}"


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
