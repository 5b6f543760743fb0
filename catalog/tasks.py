"""Background work of the catalogue, run in the town that queued it."""

from __future__ import annotations

from celery import shared_task

from tenants.tasks import TownTask


@shared_task(name="catalog.make_photo_renditions", base=TownTask)
def make_photo_renditions_task(photo_id: int) -> str | None:
    """Renditions of one photo; returns its final status (the action never raises on a bad file)."""
    from catalog.actions import make_photo_renditions

    photo = make_photo_renditions(photo_id=photo_id)
    return photo.status if photo else None


@shared_task(name="catalog.fail_stalled_import_jobs", base=TownTask)
def fail_stalled_import_jobs_task() -> int:
    """Beat, every ten minutes: ends as failed the imports left running by a killed worker."""
    from catalog.imports.jobs import fail_stalled_import_jobs

    return fail_stalled_import_jobs()
