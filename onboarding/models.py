"""The pipeline: each business of the town (a catalogue merchant) and the step it has reached."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import user_reference
from catalog.models import Category, Merchant, MerchantKind


class Step(models.TextChoices):
    """Where a business stands, in the order an agent brings it online; the last two are off the path."""

    TO_CONTACT = "to_contact", _("À contacter")
    CONTACTED = "contacted", _("Contacté")
    INFO_SESSION = "info_session", _("Réunion d’information")
    AGREEMENT = "agreement", _("Convention signée")
    BANK_DETAILS = "bank_details", _("Coordonnées bancaires")
    CATALOGUE = "catalogue", _("Catalogue")
    PHOTOS = "photos", _("Photos")
    LIVE = "live", _("En ligne")
    PAUSED = "paused", _("En pause")
    DECLINED = "declined", _("Refus")


# The path, in order: a step "moves a prospect on" only from an earlier one.
PATH: tuple[Step, ...] = (
    Step.TO_CONTACT,
    Step.CONTACTED,
    Step.INFO_SESSION,
    Step.AGREEMENT,
    Step.BANK_DETAILS,
    Step.CATALOGUE,
    Step.PHOTOS,
    Step.LIVE,
)
# Off the path: the agent says why.
STEPS_WITH_REASON: frozenset[str] = frozenset({Step.PAUSED, Step.DECLINED})


class ProspectSource(models.TextChoices):
    MANUAL = "manual", _("Saisie par un agent")
    IMPORT = "import", _("Import de fichier")
    APPLICATION = "application", _("Candidature en ligne")
    EXISTING = "existing", _("Déjà sur la place de marché")


class Prospect(models.Model):
    """A business of the town on its way online: its merchant (a draft until live) and its current step."""

    merchant = models.OneToOneField(Merchant, on_delete=models.CASCADE, related_name="prospect")
    step = models.CharField(_("étape"), max_length=16, choices=Step.choices, default=Step.TO_CONTACT)
    # When the current step was reached: "stalled" is measured from it.
    step_changed_at = models.DateTimeField(_("depuis le"), default=timezone.now)
    # Why a prospect is paused or declined (required then, by a CHECK constraint).
    reason = models.CharField(_("motif"), max_length=300, blank=True)
    source = models.CharField(
        _("origine"), max_length=12, choices=ProspectSource.choices, default=ProspectSource.MANUAL
    )
    # The national activity code (NAF/APE, "47.24Z"), from the company directory or the town's file.
    naf_code = models.CharField(_("code NAF"), max_length=6, blank=True)
    contact_name = models.CharField(_("personne à contacter"), max_length=120, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    # The town agent who follows the business (none: any agent).
    agent = user_reference(verbose_name=_("agent référent"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("commerce à accompagner")
        verbose_name_plural = _("commerces à accompagner")
        indexes = [models.Index(fields=["step", "step_changed_at"], name="onboarding_prospect_step")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(step__in=sorted(STEPS_WITH_REASON)) | ~Q(reason=""),
                name="onboarding_prospect_off_path_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id}: {self.step}"


class ProspectMove(models.Model):
    """One move of a prospect from a step to another: who (none: the platform itself), when, why."""

    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="moves")
    from_step = models.CharField(max_length=16, choices=Step.choices, blank=True)
    to_step = models.CharField(max_length=16, choices=Step.choices)
    reason = models.CharField(_("motif"), max_length=300, blank=True)
    moved_at = models.DateTimeField(default=timezone.now, db_index=True)
    moved_by = user_reference()

    class Meta:
        ordering = ("moved_at", "id")
        indexes = [models.Index(fields=["prospect", "moved_at"], name="onboarding_move_prospect")]

    def __str__(self) -> str:
        return f"{self.prospect_id}: {self.from_step} → {self.to_step}"


class OnboardingSettings(models.Model):
    """The town's onboarding settings: one row (pk 1); until it is saved, the defaults."""

    stalled_after_days = models.PositiveSmallIntegerField(
        _("sans mouvement depuis (jours)"),
        default=14,
        help_text=_("Un commerce qui n’a pas changé d’étape depuis ce nombre de jours est signalé aux agents."),
    )
    send_daily_digest = models.BooleanField(_("envoyer le récapitulatif quotidien aux agents"), default=True)

    class Meta:
        verbose_name = _("réglages de l’accompagnement")

    def __str__(self) -> str:
        return "onboarding settings"

    @classmethod
    def current(cls) -> OnboardingSettings:
        found = cls.objects.filter(pk=1).first()
        return found if found is not None else cls(pk=1)


class NafRule(models.Model):
    """The town's filing of an activity: businesses whose NAF code starts with ``code`` get this kind and category.

    ``code`` is a NAF code or its start, without the dot ("4724Z", "4724", "47", "56"): the longest match
    wins. Rules the town saves come before the platform's defaults (``onboarding.naf.DEFAULT_RULES``).
    """

    code = models.CharField(_("code NAF ou début de code"), max_length=5, unique=True)
    label = models.CharField(_("activité"), max_length=120, blank=True)
    kind = models.CharField(_("type de commerce"), max_length=24, choices=MerchantKind.choices)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("catégorie")
    )

    class Meta:
        verbose_name = _("correspondance NAF")
        ordering = ("code",)
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9]{2}[0-9]{0,2}[A-Z]?$"), name="onboarding_naf_rule_code"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} → {self.kind}"


from onboarding.assisted.models import AssistedChange, AssistedSession  # noqa: E402, F401
from onboarding.models_applications import Application, DirectoryCheck  # noqa: E402, F401 — the public applications
from onboarding.models_pipeline import DigestSent  # noqa: E402, F401  (the pipeline pages' digest days)
from onboarding.posters.models import PosterBatch, PosterBatchStatus, PosterFormat  # noqa: E402, F401
from onboarding.sessions import models as sessions_models  # noqa: E402, F401  — information sessions
