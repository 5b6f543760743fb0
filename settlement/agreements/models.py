"""Agreement versions and acceptances (settlement.agreements). Imported by ``settlement.models``.

Guarded in the database by migration 0008: a published version and an acceptance never change nor
disappear (trigger), a merchant accepts a version at most once (unique), an online acceptance keeps
its text and digest (CHECK).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import user_reference
from catalog.models import Merchant
from tenants.private_files import private_storage, random_private_name


class AgreementTemplate(models.Model):
    """One published version of the town's agreement: text with merge fields (``{{ commercant }}``).

    Published when created (the staff page previews a text without saving it), immutable after.
    The town's current version is the one with the highest number.
    """

    number = models.PositiveIntegerField(_("version"), unique=True)
    text = models.TextField(_("texte"))
    published_at = models.DateTimeField(_("publiée le"), default=timezone.now)
    published_by = user_reference()

    class Meta:
        verbose_name = _("version de la convention")
        ordering = ("-number",)
        constraints = [
            models.CheckConstraint(condition=Q(number__gte=1), name="settlement_agreement_number_positive"),
            models.CheckConstraint(condition=~Q(text=""), name="settlement_agreement_text_not_empty"),
        ]

    def __str__(self) -> str:
        return f"Convention v{self.number}"


class AcceptanceMethod(models.TextChoices):
    ONLINE = "online", _("Acceptée en ligne")
    PAPER = "paper", _("Signée sur papier")
    # Carried over from the former "convention acceptée" checkbox of the bank details (migration 0008):
    # who ticked it and when is known, not the text they saw.
    CHECKBOX = "checkbox", _("Case cochée (ancienne procédure)")


def _signed_pdf_name(instance: AgreementAcceptance, filename: str) -> str:
    return random_private_name("agreements", filename)


def _scan_name(instance: AgreementAcceptance, filename: str) -> str:
    return random_private_name("agreement-scans", filename)


class AgreementAcceptance(models.Model):
    """A merchant's acceptance of one version: who, when, how, and the exact text accepted."""

    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(AgreementTemplate, on_delete=models.PROTECT, related_name="acceptances")
    method = models.CharField(_("mode"), max_length=10, choices=AcceptanceMethod.choices)
    signer_name = models.CharField(_("signataire"), max_length=140)
    accepted_at = models.DateTimeField(_("acceptée le"), default=timezone.now)
    # Paper: the day written on the signed copy (the row itself is recorded later, by an agent).
    signed_on = models.DateField(_("signée le"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    user_agent = models.CharField(_("navigateur"), max_length=400, blank=True)
    # The text exactly as shown (merge fields filled in) and its SHA-256 (hex, of the UTF-8 bytes).
    rendered_text = models.TextField(_("texte accepté"), blank=True)
    text_sha256 = models.CharField(_("empreinte SHA-256 du texte"), max_length=64, blank=True)
    signed_pdf = models.FileField(
        _("convention signée (PDF)"), storage=private_storage, upload_to=_signed_pdf_name, blank=True
    )
    scan = models.FileField(
        _("scan de la convention signée"), storage=private_storage, upload_to=_scan_name, blank=True
    )
    scan_content_type = models.CharField(max_length=40, blank=True)
    # The merchant's staff member online; the agent who recorded a paper copy.
    recorded_by = user_reference()

    class Meta:
        verbose_name = _("acceptation de la convention")
        ordering = ("-accepted_at", "-pk")
        constraints = [
            models.UniqueConstraint(fields=("merchant", "version"), name="settlement_agreement_accepted_once"),
            models.CheckConstraint(
                condition=Q(method=AcceptanceMethod.CHECKBOX)
                | (~Q(rendered_text="") & Q(text_sha256__regex=r"^[0-9a-f]{64}$")),
                name="settlement_agreement_acceptance_keeps_text",
            ),
            models.CheckConstraint(
                condition=~Q(method=AcceptanceMethod.PAPER) | ~Q(scan=""),
                name="settlement_agreement_paper_has_scan",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id} v{self.version_id} ({self.method})"
