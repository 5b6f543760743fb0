"""Background import jobs: queued from the back office, run by the Celery task ``catalog.run_import_job``.

``MAX_FILE_BYTES`` is read from the ``catalog.imports`` package at call time (see ``reading``)."""

from __future__ import annotations

import logging
from pathlib import PurePosixPath
from typing import Any

from celery import shared_task
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from catalog import imports as package
from catalog.imports.base import ImportReport
from catalog.imports.merchants import import_merchants
from catalog.imports.products import import_products
from catalog.models import (
    ImportJob,
    ImportKind,
    ImportStatus,
    Merchant,
)
from catalog.queries import is_catalogue_manager, merchants_for
from tenants.tasks import TownTask

logger = logging.getLogger(__name__)


# --- background jobs ---------------------------------------------------------------------------
def import_jobs_for(user: User) -> QuerySet[ImportJob]:
    """Jobs a user may see: of the merchants they manage; town-wide merchant imports for town staff."""
    jobs = ImportJob.objects.filter(merchant__in=merchants_for(user))
    if is_catalogue_manager(user):
        jobs = jobs | ImportJob.objects.filter(merchant__isnull=True)
    return jobs.select_related("merchant")


def run_import(*, job: ImportJob) -> ImportReport:
    """Run a queued job in the current town, recording progress and the final report on it."""
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, processed_rows=0)

    def progress(done: int, total: int) -> None:
        # Outside the import's transaction: the job page sees each step at once.
        ImportJob.objects.filter(pk=job.pk).update(processed_rows=done, total_rows=total)

    with job.source.open("rb") as source:
        data = source.read(package.MAX_FILE_BYTES + 1)
    if job.kind == ImportKind.MERCHANTS:
        report = import_merchants(data=data, filename=job.source.name, dry_run=job.is_dry_run, progress=progress)
    else:
        assert job.merchant is not None  # noqa: S101 - a product job always has its merchant
        archive = job.images_archive.open("rb") if job.images_archive else None
        try:
            report = import_products(
                merchant=job.merchant,
                data=data,
                filename=job.source.name,
                images=archive,
                dry_run=job.is_dry_run,
                unpublish_missing=job.unpublish_missing,
                progress=progress,
            )
        finally:
            if archive is not None:
                archive.close()
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.DONE if report.is_valid else ImportStatus.FAILED,
        report=report.as_dict(),
        total_rows=report.total_rows,
        processed_rows=report.total_rows,
        finished_at=timezone.now(),
    )
    return report


def discard_import_files(*, job: ImportJob) -> None:
    """Delete a finished job's uploaded files; its report keeps what the import did.

    The files are a merchant's whole catalogue (and photos): nothing reads them once the job has
    ended, so they are not kept. A storage failure is logged, never turned into a failed job.
    """
    deleted: dict[str, str] = {}
    for field_name in ("source", "images_archive"):
        stored = getattr(job, field_name)
        if not stored.name:
            continue
        try:
            stored.storage.delete(stored.name)
        except Exception:
            # The name stays on the job, so the file is not lost track of.
            logger.exception("import file not deleted", extra={"job_id": job.pk, "file": stored.name})
            continue
        stored.name = deleted[field_name] = ""
    if deleted:
        ImportJob.objects.filter(pk=job.pk).update(**deleted)


@shared_task(name="catalog.run_import_job", base=TownTask)
def run_import_job(job_id: int) -> str:
    """Idempotent: a finished job is left alone; a job interrupted mid-way runs again (all-or-nothing).

    Once the job has ended, successfully or not, its uploaded files are deleted. A worker killed
    mid-way ends nothing: the files stay for the re-run.
    """
    job = ImportJob.objects.select_related("merchant").filter(pk=job_id).first()
    if job is None:
        return "missing"
    if job.status in (ImportStatus.DONE, ImportStatus.FAILED):
        discard_import_files(job=job)
        return job.status
    try:
        report = run_import(job=job)
    except Exception:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED,
            finished_at=timezone.now(),
            report={"errors": [{"line": None, "column": "", "message": _("Erreur inattendue : import abandonné.")}]},
        )
        discard_import_files(job=job)
        raise
    discard_import_files(job=job)
    return ImportStatus.DONE if report.is_valid else ImportStatus.FAILED


def queue_import(
    *,
    user: User,
    kind: str,
    merchant: Merchant | None,
    source: Any,
    images_archive: Any = None,
    is_dry_run: bool = False,
    unpublish_missing: bool = False,
) -> ImportJob:
    """Store the uploaded files on a new job and run it in the background once committed."""
    with transaction.atomic():
        job = ImportJob(
            kind=kind,
            merchant=merchant if kind == ImportKind.PRODUCTS else None,
            is_dry_run=is_dry_run,
            unpublish_missing=unpublish_missing and kind == ImportKind.PRODUCTS,
            created_by_id=user.pk,
        )
        job.source_name = PurePosixPath(source.name).name[:255]
        job.source.save(job.source_name, source, save=False)
        if images_archive is not None and kind == ImportKind.PRODUCTS:
            job.images_archive.save(PurePosixPath(images_archive.name).name, images_archive, save=False)
        job.save()
        transaction.on_commit(lambda: run_import_job.delay(job.pk))
    return job
