"""A batch of posters (A4) or window stickers (A6) rendered in the background into one private PDF."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import user_reference
from tenants.private_files import private_storage, random_private_name


class PosterFormat(models.TextChoices):
    A4_POSTER = "a4_poster", _("Affiche A4")
    A6_STICKER = "a6_sticker", _("Vitrophanie A6")


class PosterBatchStatus(models.TextChoices):
    PENDING = "pending", _("en attente")
    RUNNING = "running", _("en cours")
    DONE = "done", _("terminé")
    FAILED = "failed", _("échec")


def poster_file_path(instance: PosterBatch, filename: str) -> str:
    return random_private_name("posters", filename)


class PosterBatch(models.Model):
    """One PDF of posters or stickers for a selection of merchants, with its progress (pages rendered)."""

    format = models.CharField(_("format"), max_length=12, choices=PosterFormat.choices)
    # Merchant ids, in the order of the pages (ids as values: a merchant deleted later just drops out).
    merchant_ids = ArrayField(models.BigIntegerField(), verbose_name=_("commerces"))
    status = models.CharField(max_length=10, choices=PosterBatchStatus.choices, default=PosterBatchStatus.PENDING)
    done_count = models.PositiveIntegerField(default=0)
    total_count = models.PositiveIntegerField(default=0)
    file = models.FileField(storage=private_storage, upload_to=poster_file_path, blank=True)
    error = models.CharField(max_length=300, blank=True)
    requested_by = user_reference(verbose_name=_("demandé par"))
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("lot d’affiches")
        verbose_name_plural = _("lots d’affiches")
        ordering = ("-created_at", "-id")
        constraints = [
            models.CheckConstraint(condition=Q(merchant_ids__len__gt=0), name="onboarding_poster_batch_not_empty"),
            models.CheckConstraint(condition=Q(done_count__lte=F("total_count")), name="onboarding_poster_progress"),
            models.CheckConstraint(condition=Q(format__in=PosterFormat.values), name="onboarding_poster_batch_format"),
        ]

    def __str__(self) -> str:
        return f"{self.format} × {len(self.merchant_ids)}"

    @property
    def is_finished(self) -> bool:
        return self.status in (PosterBatchStatus.DONE, PosterBatchStatus.FAILED)

    @property
    def progress_percent(self) -> int:
        return round(100 * self.done_count / self.total_count) if self.total_count else 0
