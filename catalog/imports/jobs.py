"""Background import jobs: queued from the back office, run by the Celery task ``catalog.run_import_job``.

``MAX_FILE_BYTES`` is read from the ``catalog.imports`` package at call time (see ``reading``).

A job always ends, done or failed, with its files deleted: past the task's soft time limit it is
marked failed at once; a worker killed at the hard limit leaves it running, and
``fail_stalled_import_jobs`` (beat, every ten minutes) ends it; a task delivered again and again
(each delivery kills its worker, which acks_late + reject_on_worker_lost would re-queue for ever)
is refused past ``MAX_IMPORT_ATTEMPTS``."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import PurePosixPath
from typing import Any, Protocol

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from catalog import imports as package
from catalog.imports.base import ImportReport, Progress
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


class ImportRunner(Protocol):
    """How a kind of import another app owns is run: the file's bytes in, the report out."""

    def __call__(self, *, job: ImportJob, data: bytes, progress: Progress) -> ImportReport: ...


# Kinds of import that apps above the catalogue add to the same machinery (jobs, progress, report
# page, time limits): the onboarding's list of the town's businesses. Registered from their ready().
_RUNNERS: dict[str, ImportRunner] = {}


def register_import_kind(kind: str, runner: ImportRunner) -> None:
    """Lets a higher app run its own kind of ``ImportJob`` through the catalogue's import jobs."""
    _RUNNERS[kind] = runner


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
    elif job.kind in _RUNNERS:
        report = _RUNNERS[job.kind](job=job, data=data, progress=progress)
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


def fail_import_job(*, job: ImportJob, message: str) -> None:
    """End a job as failed with one French message for the whole file, and delete its files.

    Files first: a worker killed in between leaves the job running, which the sweep ends; the
    other way round would leave a failed job whose files nothing deletes any more."""
    discard_import_files(job=job)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.FAILED,
        finished_at=timezone.now(),
        report={"errors": [{"line": None, "column": "", "message": message}]},
    )


def fail_stalled_import_jobs() -> int:
    """End the jobs still running past the hard time limit of their task: no worker runs them any more.

    The hard limit kills the worker child, and Celery acknowledges the task; nothing else would
    ever tell the job. Returns how many jobs were ended."""
    hard_limit = run_import_job.time_limit
    started_before = timezone.now() - timedelta(seconds=hard_limit + 60)
    stalled = ImportJob.objects.filter(status=ImportStatus.RUNNING).filter(
        Q(started_at__lt=started_before) | Q(started_at__isnull=True, created_at__lt=started_before)
    )
    count = 0
    for job in stalled:
        fail_import_job(job=job, message=_time_limit_message(hard_limit))
        count += 1
    return count


def _time_limit_message(seconds: float) -> str:
    duration = f"{round(seconds / 60)} min" if seconds >= 120 else f"{seconds:g} s".replace(".", ",")
    return _(
        "L'import a dépassé le temps maximal de %(duration)s : il est abandonné. Découpez le fichier en plusieurs imports."
    ) % {"duration": duration}


@shared_task(name="catalog.run_import_job", base=TownTask, bind=True)
def run_import_job(self: Any, job_id: int) -> str:
    """Idempotent: a finished job is left alone; a job interrupted mid-way runs again (all-or-nothing),
    once: the delivery after ``MAX_IMPORT_ATTEMPTS`` ends it as failed. Past the soft time limit,
    the job ends as failed.

    Once the job has ended, successfully or not, its uploaded files are deleted. A worker killed
    mid-way ends nothing: the files stay for the re-run.
    """
    try:
        return _deliver_import_job(job_id)
    except SoftTimeLimitExceeded:
        # A transaction under way has been rolled back: nothing of the file was written. The limit
        # may have struck in the middle of a query, leaving the connection busy: start a fresh one.
        connection.close()
        _hard, soft = self.request.timelimit or (None, None)
        job = ImportJob.objects.filter(pk=job_id).first()
        if job is not None:
            fail_import_job(job=job, message=_time_limit_message(soft or self.soft_time_limit))
        return ImportStatus.FAILED


def _deliver_import_job(job_id: int) -> str:
    job = ImportJob.objects.select_related("merchant").filter(pk=job_id).first()
    if job is None:
        return "missing"
    if job.status in (ImportStatus.DONE, ImportStatus.FAILED):
        discard_import_files(job=job)
        return job.status
    ImportJob.objects.filter(pk=job.pk).update(attempts=F("attempts") + 1, started_at=timezone.now())
    job.refresh_from_db(fields=["attempts"])
    if job.attempts > package.MAX_IMPORT_ATTEMPTS:
        # Each earlier delivery killed its worker (out of memory, a hard kill): acks_late and
        # reject_on_worker_lost would hand the job to the next worker for ever.
        fail_import_job(
            job=job,
            message=_(
                "L'import a été interrompu %(count)s fois sans aboutir : il est abandonné. "
                "Découpez le fichier en plusieurs imports."
            )
            % {"count": job.attempts - 1},
        )
        return ImportStatus.FAILED
    try:
        report = run_import(job=job)
    except SoftTimeLimitExceeded:
        raise
    except Exception:
        fail_import_job(job=job, message=_("Erreur inattendue : import abandonné."))
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
