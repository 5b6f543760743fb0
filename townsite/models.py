"""The town's own site: legal pages the town admin can edit (one schema per town)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class LegalPageKind(models.TextChoices):
    MENTIONS = "mentions-legales", _("Mentions légales")
    CGV = "cgv", _("Conditions générales de vente")
    PRIVACY = "confidentialite", _("Données personnelles")
    ACCESSIBILITY = "accessibilite", _("Accessibilité")


class LegalPage(models.Model):
    kind = models.CharField(_("page"), max_length=32, choices=LegalPageKind.choices, unique=True)
    title = models.CharField(_("titre"), max_length=200)
    body = models.TextField(_("texte"), help_text=_("Texte simple ; une ligne vide sépare deux paragraphes."))
    updated_at = models.DateTimeField(auto_now=True)
    # The editor's id as a plain value: the user model also exists in public, where a foreign key
    # from this town-only table would make deleting an operator account query a missing table.
    updated_by_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("page légale")
        verbose_name_plural = _("pages légales")
        ordering = ("kind",)

    def __str__(self) -> str:
        return self.title


class SiteSettings(models.Model):
    """The town admin's choices for the town's site: one row (pk 1); until it is saved, the defaults."""

    # Off by default: SMS are paid per message by the town's provider account.
    sms_merchants_on_new_order = models.BooleanField(
        _("Prévenir les commerces par SMS à chaque commande"),
        default=False,
        help_text=_(
            "Un SMS au portable du commerce pour chaque nouvelle commande à accepter, et dans le résumé "
            "du matin des commandes encore en attente. Chaque SMS est facturé par le fournisseur."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)
    # The editor's id as a plain value, as on LegalPage.
    updated_by_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("réglages du site")
        verbose_name_plural = _("réglages du site")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="site_settings_single_row")]

    def __str__(self) -> str:
        return "Réglages du site"
