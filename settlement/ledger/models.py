"""The town's double-entry ledger (docs/money.md §3–5) and its settlement policy.

Sign convention: ``Posting.amount_cents`` is signed, **positive = debit, negative = credit**, never
zero. ``Account.balance_cents`` stores the same signed sum (debits minus credits) so the ledger-wide
sum of balances is a plain ``SUM(balance_cents) = 0``; ``settlement.ledger.queries.balance()`` turns it to
the account's normal side (a merchant's available balance of 4 750 means the town owes 47,50 €).

Guarded in the database (migration 0002): every entry's postings sum to zero at commit (deferred
constraint trigger); postings and journal entries are append-only (UPDATE and DELETE raise);
``(source, external_id)`` is unique, so each external event posts once.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Merchant
from checkout.models import MerchantOrder


class AccountKind(models.TextChoices):
    ASSET = "asset", _("Actif")
    LIABILITY = "liability", _("Passif")
    REVENUE = "revenue", _("Produit")
    EXPENSE = "expense", _("Charge")
    SUSPENSE = "suspense", _("Attente")


class NormalSide(models.TextChoices):
    DEBIT = "debit", _("Débit")
    CREDIT = "credit", _("Crédit")


class Account(models.Model):
    """One ledger account of the town; created on first use from its code (see ledger.CHART)."""

    code = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=AccountKind.choices)
    normal_side = models.CharField(max_length=6, choices=NormalSide.choices)
    merchant = models.ForeignKey(Merchant, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Debits minus credits of all its postings, updated in the transaction of each posting.
    balance_cents = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("code",)
        constraints = [
            models.CheckConstraint(
                condition=(Q(merchant__isnull=True) & ~Q(code__startswith="merchant:"))
                | (Q(merchant__isnull=False) & Q(code__startswith="merchant:")),
                name="settlement_account_merchant_iff_merchant_code",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class JournalEntry(models.Model):
    """One balanced movement caused by one external event, identified by (source, external_id)."""

    source = models.CharField(max_length=40)
    external_id = models.CharField(max_length=120)
    description = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    reverses = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals")

    class Meta:
        ordering = ("created_at", "pk")
        verbose_name_plural = "journal entries"
        constraints = [
            models.UniqueConstraint(fields=("source", "external_id"), name="settlement_entry_one_per_event"),
            # An entry is corrected once; a wrong correction is itself reversed.
            models.UniqueConstraint(
                fields=("reverses",), condition=Q(reverses__isnull=False), name="settlement_entry_reversed_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id}"


class Posting(models.Model):
    """One line of an entry: positive debits the account, negative credits it."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    amount_cents = models.BigIntegerField()

    class Meta:
        ordering = ("pk",)
        constraints = [models.CheckConstraint(condition=~Q(amount_cents=0), name="settlement_posting_not_zero")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount_cents:+d}"


class DeliveryFeeRecipient(models.TextChoices):
    TOWN = "town", _("La ville (recette)")
    PARTNER = "partner", _("Le partenaire de livraison (à reverser)")


class PayoutSchedule(models.TextChoices):
    TWICE_MONTHLY = "twice_monthly", _("Le 1er et le 16 du mois")
    DAILY = "daily", _("Chaque jour (périodes de forte activité)")


class SepaVersionChoice(models.TextChoices):
    V09 = "pain.001.001.09", _("pain.001.001.09 (recommandé)")
    V03 = "pain.001.001.03", _("pain.001.001.03 (ancien format, si la banque l'exige)")


class SettlementPolicy(models.Model):
    """The town's settlement choices: one row (pk 1), created with the defaults on first read."""

    # Days after the merchant order is collected or delivered before its money becomes available:
    # time for the resident to report a problem before the merchant is paid. [verify with counsel]
    hold_days = models.PositiveSmallIntegerField(_("jours de blocage après remise"), default=2)
    commission_basis_points = models.PositiveIntegerField(_("commission (points de base)"), default=0)
    delivery_fee_recipient = models.CharField(
        max_length=8, choices=DeliveryFeeRecipient.choices, default=DeliveryFeeRecipient.TOWN
    )
    # Read by the payout run (another part of the app).
    payout_schedule = models.CharField(
        max_length=16, choices=PayoutSchedule.choices, default=PayoutSchedule.TWICE_MONTHLY
    )
    minimum_payout_cents = models.BigIntegerField(_("virement minimum (centimes)"), default=100)
    # A lost chargeback: by default the merchant bears it (it stays out of their available balance);
    # a town may choose to take the loss over (dispute_losses), e.g. for fraud it should have caught.
    dispute_losses_borne_by_town = models.BooleanField(
        _("la ville prend en charge les contestations perdues"), default=False
    )
    # Hour of the cut-off in the town's time zone (00:00 by default: the day's sales all count).
    payout_cut_off_hour = models.PositiveSmallIntegerField(_("heure d'arrêté"), default=0)
    # The town's treasury account (the debtor of every SEPA file); blank until the town sets it,
    # and no payout is prepared before that.
    treasury_holder_name = models.CharField(_("titulaire du compte de la régie"), max_length=140, blank=True)
    treasury_iban = models.CharField(_("IBAN de la régie"), max_length=34, blank=True)
    treasury_bic = models.CharField(_("BIC de la régie"), max_length=11, blank=True)
    treasury_street = models.CharField(_("voie"), max_length=70, blank=True)
    treasury_building_number = models.CharField(_("numéro"), max_length=16, blank=True)
    treasury_postcode = models.CharField(_("code postal"), max_length=16, blank=True)
    treasury_town = models.CharField(_("commune"), max_length=35, blank=True)
    treasury_country = models.CharField(_("pays"), max_length=2, default="FR")
    # Some banks still only take the 2009 format (.03): a per-town choice (docs/money.md §7).
    sepa_version = models.CharField(
        _("format des fichiers SEPA"), max_length=20, choices=SepaVersionChoice.choices, default=SepaVersionChoice.V09
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "settlement policies"
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="settlement_policy_single_row"),
            models.CheckConstraint(
                condition=Q(commission_basis_points__lte=10_000), name="settlement_policy_commission_at_most_100"
            ),
            models.CheckConstraint(condition=Q(minimum_payout_cents__gt=0), name="settlement_policy_minimum_positive"),
            models.CheckConstraint(
                condition=Q(payout_cut_off_hour__lte=23), name="settlement_policy_cut_off_hour_of_day"
            ),
        ]

    def __str__(self) -> str:
        return "Politique de reversement"


class Release(models.Model):
    """A merchant order whose held money moved to available (once: the hold policy was met)."""

    merchant_order = models.OneToOneField(MerchantOrder, on_delete=models.PROTECT, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="+")
    # What left *held*: the merchant's share less the refunds already posted against it.
    amount_cents = models.BigIntegerField()
    commission_cents = models.BigIntegerField(default=0)
    # NULL when nothing was left to release (the share was refunded in full before).
    entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    released_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("released_at", "pk")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_cents__gte=0)
                & Q(commission_cents__gte=0)
                & Q(commission_cents__lte=models.F("amount_cents")),
                name="settlement_release_amounts_sane",
            ),
        ]

    def __str__(self) -> str:
        return f"Release {self.merchant_order_id}: {self.amount_cents}"
