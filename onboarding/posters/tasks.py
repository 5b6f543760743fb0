"""The background rendering of poster batches (queued after commit by ``request_poster_batch``)."""

from __future__ import annotations

from celery import shared_task

from onboarding.posters.models import PosterBatch
from tenants.tasks import TownTask


@shared_task(name="onboarding.render_poster_batch", base=TownTask)
def render_poster_batch(batch_id: int) -> str:
    """Re-fetch the batch in its town and render it; a finished batch is left alone (idempotent)."""
    from onboarding.posters.actions import render_batch

    batch = PosterBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        return "missing"
    return str(render_batch(batch=batch).status)
