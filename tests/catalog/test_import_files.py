"""Uploaded import files are deleted once their job has ended, whatever the outcome."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from catalog.imports import run_import_job
from catalog.models import ImportJob, ImportKind, ImportStatus, Product
from tests.catalog.factories import MerchantFactory


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("vide.txt", b"")
    return buffer.getvalue()


def _job(merchant, csv: bytes, **fields) -> tuple[ImportJob, list[str]]:
    job = ImportJob(kind=ImportKind.PRODUCTS, merchant=merchant, **fields)
    job.source.save("catalogue.csv", ContentFile(csv), save=False)
    job.images_archive.save("photos.zip", ContentFile(_zip()), save=False)
    job.save()
    names = [job.source.name, job.images_archive.name]
    assert all(default_storage.exists(name) for name in names)
    return job, names


@pytest.mark.parametrize(
    ("csv", "is_dry_run", "status"),
    [
        (b"sku;titre;prix\nS1;Savon;3\n", False, ImportStatus.DONE),
        (b"sku;titre;prix\nS1;Savon;3\n", True, ImportStatus.DONE),
        (b"sku;titre;prix\nS1;Savon;-3\n", False, ImportStatus.FAILED),
    ],
)
def test_files_are_deleted_when_the_job_ends(town_a, csv, is_dry_run, status):
    with town_a:
        job, names = _job(MerchantFactory(), csv, is_dry_run=is_dry_run)

        assert run_import_job.apply(args=[job.pk], throw=True).get() == status

        job.refresh_from_db()
        assert (job.status, job.source.name, job.images_archive.name) == (status, "", "")
        assert [default_storage.exists(name) for name in names] == [False, False]
        assert job.report["total_rows"] == 1


def test_files_are_deleted_when_the_job_crashes(town_a, monkeypatch):
    def crash(**kwargs):
        raise RuntimeError("disque plein")

    monkeypatch.setattr("catalog.imports.jobs.import_products", crash)
    with town_a:
        job, names = _job(MerchantFactory(), b"sku;titre;prix\nS1;Savon;3\n")

        with pytest.raises(RuntimeError):
            run_import_job.apply(args=[job.pk], throw=True)

        job.refresh_from_db()
        assert (job.status, job.source.name, job.images_archive.name) == (ImportStatus.FAILED, "", "")
        assert [default_storage.exists(name) for name in names] == [False, False]
        assert Product.objects.count() == 0


def test_a_storage_failure_leaves_the_job_done_and_the_file_names_on_it(town_a, monkeypatch):
    def refuse(name):
        raise OSError("lecture seule")

    with town_a:
        job, names = _job(MerchantFactory(), b"sku;titre;prix\nS1;Savon;3\n")
        monkeypatch.setattr(default_storage, "delete", refuse)

        assert run_import_job.apply(args=[job.pk], throw=True).get() == ImportStatus.DONE

        job.refresh_from_db()
        assert (job.status, [job.source.name, job.images_archive.name]) == (ImportStatus.DONE, names)
        assert Product.objects.filter(title="Savon").count() == 1


def test_an_interrupted_job_keeps_its_files_for_the_rerun(town_a):
    with town_a:
        job, names = _job(MerchantFactory(), b"sku;titre;prix\nS1;Savon;3\n", status=ImportStatus.RUNNING)

        assert run_import_job.apply(args=[job.pk], throw=True).get() == ImportStatus.DONE

        assert Product.objects.filter(title="Savon").count() == 1
        assert [default_storage.exists(name) for name in names] == [False, False]
