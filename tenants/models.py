"""Towns (the tenants) and their host names. Both live in the public schema."""

from __future__ import annotations

import secrets

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from tenants.storage import branding_storage

DEFAULT_PRIMARY_COLOUR = "#0055a4"
DEFAULT_SECONDARY_COLOUR = "#8a1538"
# README, "Abuse limits": units of one product one order may take, unless the town says otherwise.
DEFAULT_MAX_UNITS_PER_PRODUCT = 10


class TownKind(models.TextChoices):
    COMMUNE = "commune", _("Commune")
    INTERCOMMUNALITE = "intercommunalite", _("Intercommunalité")


class TownStatus(models.TextChoices):
    # Template and spares are schema holders, never reachable by a host name.
    TEMPLATE = "template", _("Modèle")
    SPARE = "spare", _("Réserve")
    READY = "ready", _("En ligne")
    SUSPENDED = "suspended", _("Suspendue")


def branding_upload_path(instance: Town, filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower()[:5] if "." in filename else "bin"
    return f"branding/{instance.slug or 'town'}/{secrets.token_hex(8)}.{extension}"


class TownQuerySet(models.QuerySet["Town"]):
    def live(self) -> TownQuerySet:
        return self.filter(status=TownStatus.READY)

    def towns(self) -> TownQuerySet:
        """Real towns (live or suspended), never the template or the spares."""
        return self.filter(status__in=(TownStatus.READY, TownStatus.SUSPENDED))


class PaymentGatewayKind(models.TextChoices):
    TEST = "test", _("Passerelle de test (démonstration, aucun argent réel)")
    STRIPE = "stripe", _("Stripe")


class CollectorMode(models.TextChoices):
    # docs/architecture.md §4: who collects the residents' money for the merchants.
    REGIE = "regie", _("Régie de recettes de la ville (virements SEPA aux commerçants)")
    CONNECT = "connect", _("Opérateur agréé (Stripe Connect, virements par commerçant)")


class Town(TenantMixin):
    # Schemas are created by provisioning (clone or rename), never by save().
    auto_create_schema = False
    auto_drop_schema = False

    slug = models.SlugField(_("identifiant"), max_length=40, unique=True, null=True, blank=True)
    name = models.CharField(_("nom"), max_length=120, blank=True)
    kind = models.CharField(_("type"), max_length=20, choices=TownKind.choices, default=TownKind.COMMUNE)
    insee_codes = ArrayField(
        models.CharField(max_length=5), verbose_name=_("codes INSEE des communes"), default=list, blank=True
    )
    time_zone = models.CharField(_("fuseau horaire"), max_length=64, default="Europe/Paris")
    status = models.CharField(_("état"), max_length=20, choices=TownStatus.choices, default=TownStatus.READY)
    migration_priority = models.PositiveSmallIntegerField(default=100)

    logo = models.ImageField(_("logo"), upload_to=branding_upload_path, storage=branding_storage, blank=True)
    hero_image = models.ImageField(
        _("image d'accueil"), upload_to=branding_upload_path, storage=branding_storage, blank=True
    )
    primary_color = models.CharField(_("couleur principale"), max_length=7, default=DEFAULT_PRIMARY_COLOUR)
    secondary_color = models.CharField(_("couleur secondaire"), max_length=7, default=DEFAULT_SECONDARY_COLOUR)
    tagline = models.CharField(_("accroche"), max_length=200, blank=True)

    # Publisher and legal details, used by the town's legal pages.
    publisher_name = models.CharField(_("éditeur du site"), max_length=200, blank=True)
    publisher_address = models.CharField(_("adresse de l'éditeur"), max_length=300, blank=True)
    publisher_phone = models.CharField(_("téléphone de l'éditeur"), max_length=30, blank=True)
    publisher_email = models.EmailField(_("e-mail de l'éditeur"), blank=True)
    publisher_siret = models.CharField(_("SIRET de l'éditeur"), max_length=14, blank=True)
    publication_director = models.CharField(_("directeur de la publication"), max_length=200, blank=True)

    # Payments (docs/architecture.md §4). In a régie the town collects on its own Stripe account, a connected
    # account of the operator's platform; webhooks are mapped to the town by this id, never by metadata alone.
    payment_gateway = models.CharField(
        _("passerelle de paiement"), max_length=10, choices=PaymentGatewayKind.choices, default=PaymentGatewayKind.TEST
    )
    stripe_account_id = models.CharField(_("compte Stripe connecté"), max_length=64, null=True, blank=True, unique=True)
    collector_mode = models.CharField(
        _("mode d'encaissement"), max_length=10, choices=CollectorMode.choices, default=CollectorMode.REGIE
    )
    pay_in_store_enabled = models.BooleanField(_("paiement en boutique pour le retrait"), default=False)
    # A checkout takes stock at once: without a cap, one unpaid order could hold a shop's whole stock.
    max_units_per_product = models.PositiveSmallIntegerField(
        _("unités d'un même produit par commande"),
        default=DEFAULT_MAX_UNITS_PER_PRODUCT,
        help_text=_("Pour les produits dont le stock est suivi. 0 : sans limite."),
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TownQuerySet.as_manager()

    class Meta:
        verbose_name = _("ville")
        verbose_name_plural = _("villes")
        ordering = ("name",)
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=("template", "spare")) | models.Q(slug__isnull=False),
                name="town_has_slug_unless_template_or_spare",
            ),
            models.UniqueConstraint(
                fields=("status",), condition=models.Q(status="template"), name="town_single_template"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.schema_name

    @property
    def is_live(self) -> bool:
        return self.status == TownStatus.READY

    @property
    def is_suspended(self) -> bool:
        return self.status == TownStatus.SUSPENDED

    @property
    def primary_host(self) -> str:
        from django.conf import settings

        return f"{self.slug}.{settings.PLATFORM_DOMAIN}"


class Domain(DomainMixin):
    """A host name of a town: its platform subdomain (verified at creation) or a custom domain."""

    is_verified = models.BooleanField(_("vérifié"), default=False)
    verification_token = models.CharField(max_length=64, default="", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("domaine")
        verbose_name_plural = _("domaines")
