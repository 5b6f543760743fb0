"""Requesting a batch of posters and rendering it (the task ``onboarding.render_poster_batch`` calls ``render_batch``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from catalog.models import Merchant, MerchantStatus
from onboarding.permissions import require_onboarding_staff
from onboarding.posters.models import PosterBatch, PosterBatchStatus, PosterFormat
from onboarding.posters.rendering import PosterEntry, render_posters_pdf, shop_url, town_branding
from tenants.collation import by_name
from tenants.current import current_town

logger = logging.getLogger(__name__)

# One file for the whole town: a large town has a few hundred live merchants.
MAX_MERCHANTS_PER_BATCH = 1000


def request_poster_batch(*, user: User, poster_format: str, merchant_ids: Sequence[int]) -> PosterBatch:
    """A pending batch for the given live merchants of the town (in name order), rendered after commit.

    Refused (ValidationError, French message, nothing written) with no merchant, an unknown format or
    a merchant that is not live (a poster sends residents to a shop page that must exist).
    """
    require_onboarding_staff(user)
    if poster_format not in PosterFormat.values:
        raise ValidationError(_("Format d’affiche inconnu."))
    wanted = set(merchant_ids)
    if not wanted:
        raise ValidationError(_("Choisissez au moins un commerce."))
    if len(wanted) > MAX_MERCHANTS_PER_BATCH:
        raise ValidationError(_("Au plus %(count)s commerces par fichier.") % {"count": MAX_MERCHANTS_PER_BATCH})
    live = list(
        Merchant.objects.filter(pk__in=wanted, status=MerchantStatus.LIVE)
        .order_by(*by_name("name"), "pk")
        .values_list("pk", flat=True)
    )
    if len(live) != len(wanted):
        raise ValidationError(_("Seuls les commerces en ligne peuvent avoir une affiche."))
    from onboarding.posters.tasks import render_poster_batch

    with transaction.atomic():
        batch = PosterBatch.objects.create(
            format=poster_format, merchant_ids=live, total_count=len(live), requested_by=user
        )
        transaction.on_commit(lambda: render_poster_batch.delay(batch.pk))
    return batch


# A batch still running this long after it started has lost its worker (killed, restarted).
STALLED_AFTER = timedelta(minutes=15)


def is_stalled(batch: PosterBatch) -> bool:
    """Running (or waiting) for longer than any rendering takes: its worker is gone."""
    started = batch.started_at or batch.created_at
    return not batch.is_finished and started < timezone.now() - STALLED_AFTER


def retry_poster_batch(*, user: User, batch: PosterBatch) -> PosterBatch:
    """Queue a failed or stalled batch again (after commit); any other batch is left as it is."""
    require_onboarding_staff(user)
    with transaction.atomic():
        locked = PosterBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != PosterBatchStatus.FAILED and not is_stalled(locked):
            return locked
        from onboarding.posters.tasks import render_poster_batch

        locked.status = PosterBatchStatus.PENDING
        locked.done_count = 0
        locked.error = ""
        locked.started_at = locked.finished_at = None
        locked.save(update_fields=["status", "done_count", "error", "started_at", "finished_at"])
        transaction.on_commit(lambda: render_poster_batch.delay(locked.pk))
    return locked


def poster_entries(merchant_ids: Sequence[int]) -> list[PosterEntry]:
    """The pages of a batch, in its order; a merchant deleted since the request is left out."""
    town = current_town()
    rows = Merchant.objects.filter(pk__in=merchant_ids).values_list("pk", "name", "slug", "sells_online")
    found = {pk: (name, slug, sells_online) for pk, name, slug, sells_online in rows}
    return [
        PosterEntry(name=found[pk][0], shop_url=shop_url(town, found[pk][1]), sells_online=found[pk][2])
        for pk in merchant_ids
        if pk in found
    ]


def render_batch(*, batch: PosterBatch) -> PosterBatch:
    """Render a pending (or interrupted) batch into its PDF, recording progress page by page; idempotent once done."""
    if batch.status == PosterBatchStatus.DONE:
        return batch
    entries = poster_entries(batch.merchant_ids)
    PosterBatch.objects.filter(pk=batch.pk).update(
        status=PosterBatchStatus.RUNNING, started_at=timezone.now(), done_count=0, total_count=len(entries)
    )

    def progress(done: int, total: int) -> None:
        # Outside any transaction: the batch page sees each chunk at once.
        PosterBatch.objects.filter(pk=batch.pk).update(done_count=done)

    if not entries:
        PosterBatch.objects.filter(pk=batch.pk).update(
            status=PosterBatchStatus.FAILED,
            finished_at=timezone.now(),
            error=_("Aucun des commerces choisis n’existe plus."),
        )
        batch.refresh_from_db()
        return batch
    try:
        pdf = render_posters_pdf(
            entries, branding=town_branding(current_town()), poster_format=batch.format, progress=progress
        )
    except Exception:
        logger.exception("poster batch failed", extra={"batch_id": batch.pk})
        PosterBatch.objects.filter(pk=batch.pk).update(
            status=PosterBatchStatus.FAILED,
            finished_at=timezone.now(),
            error=_("La génération a échoué. Relancez-la ; si l’erreur se répète, contactez le support."),
        )
        batch.refresh_from_db()
        return batch
    batch.refresh_from_db()
    if batch.file:
        batch.file.delete(save=False)
    batch.file.save("affiches.pdf", ContentFile(pdf), save=False)
    batch.status = PosterBatchStatus.DONE
    batch.done_count = batch.total_count = len(entries)
    batch.finished_at = timezone.now()
    batch.error = ""
    batch.save(update_fields=["file", "status", "done_count", "total_count", "finished_at", "error"])
    return batch
