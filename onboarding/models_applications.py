"""Applications sent through the town site's « Vendre sur … » page, kept beside the prospect they reached."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import user_reference
from catalog.models import MerchantKind


class DirectoryCheck(models.TextChoices):
    """What the company directory said of the SIRET when the application came in."""

    VERIFIED = "verified", _("Vérifié dans l’annuaire des entreprises")
    # The directory was down, slow or switched off: an agent checks the SIRET by hand.
    TO_CHECK = "to_check", _("À vérifier")


class Application(models.Model):
    """One application from the public form: who asked, for which business, and whether it is verified.

    Several may reach the same prospect (a business applying twice): each is kept, the prospect once.
    """

    prospect = models.ForeignKey("onboarding.Prospect", on_delete=models.CASCADE, related_name="applications")
    siret = models.CharField(_("SIRET"), max_length=14)
    business_name = models.CharField(_("nom du commerce"), max_length=160)
    contact_name = models.CharField(_("nom et prénom"), max_length=120)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    kind = models.CharField(_("type d’activité"), max_length=24, choices=MerchantKind.choices)
    message = models.TextField(_("message"), blank=True, max_length=2000)
    directory_check = models.CharField(_("vérification du SIRET"), max_length=12, choices=DirectoryCheck.choices)
    # False when the business was already followed: the application joined its prospect.
    created_prospect = models.BooleanField(default=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # An application « à vérifier » that an agent checked by hand (the SIRET in the INSEE's own directory).
    checked_at = models.DateTimeField(_("vérifiée le"), null=True, blank=True)
    checked_by = user_reference(verbose_name=_("vérifiée par"))

    class Meta:
        verbose_name = _("candidature en ligne")
        verbose_name_plural = _("candidatures en ligne")
        ordering = ("-received_at",)
        constraints = [
            models.CheckConstraint(
                condition=models.Q(siret__regex=r"^[0-9]{14}$"), name="onboarding_application_siret"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.business_name} ({self.siret})"

    @property
    def needs_check(self) -> bool:
        return self.directory_check == DirectoryCheck.TO_CHECK
