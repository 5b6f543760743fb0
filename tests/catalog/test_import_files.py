"""Uploaded import files are private (never under /media/) and deleted once their job has ended."""

from __future__ import annotations

import importlib
import io
import re
import zipfile

import boto3
import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from accounts.models import Role, User
from catalog.imports import queue_import, run_import_job
from catalog.models import ImportJob, ImportKind, ImportStatus, Product
from tenants.private_files import private_storage
from tests.catalog.factories import MerchantFactory
from tests.catalog.test_backoffice import sign_in
from tests.catalog.test_photos import BUCKET, _http_status, s3_server  # noqa: F401  (fixture)


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
    assert all(private_storage().exists(name) for name in names)
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
        assert [private_storage().exists(name) for name in names] == [False, False]
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
        assert [private_storage().exists(name) for name in names] == [False, False]
        assert Product.objects.count() == 0


def test_a_storage_failure_leaves_the_job_done_and_the_file_names_on_it(town_a, monkeypatch):
    def refuse(name):
        raise OSError("lecture seule")

    with town_a:
        job, names = _job(MerchantFactory(), b"sku;titre;prix\nS1;Savon;3\n")
        monkeypatch.setattr(job.source.storage, "delete", refuse)

        assert run_import_job.apply(args=[job.pk], throw=True).get() == ImportStatus.DONE

        job.refresh_from_db()
        assert (job.status, [job.source.name, job.images_archive.name]) == (ImportStatus.DONE, names)
        assert Product.objects.filter(title="Savon").count() == 1


def test_an_interrupted_job_keeps_its_files_for_the_rerun(town_a):
    with town_a:
        job, names = _job(MerchantFactory(), b"sku;titre;prix\nS1;Savon;3\n", status=ImportStatus.RUNNING)

        assert run_import_job.apply(args=[job.pk], throw=True).get() == ImportStatus.DONE

        assert Product.objects.filter(title="Savon").count() == 1
        assert [private_storage().exists(name) for name in names] == [False, False]


def test_an_import_file_is_not_served_under_media_while_its_job_is_queued(
    isolated_media, town_a, client_a, client_b, django_capture_on_commit_callbacks
):
    """The issue's reproduction: the uploaded catalogue was at /media/<schema>/imports/<its name>."""
    media_root, private_root = isolated_media
    with town_a:
        shop = MerchantFactory(slug="epicerie")
    sign_in(client_a, town_a, role="merchant_staff", merchant=shop)
    upload = SimpleUploadedFile("catalogue.csv", b"sku;titre;prix\nS1;Savon;3\n", content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=False):  # no worker has picked the job up yet
        response = client_a.post(
            "/gestion/catalogue/imports/", {"kind": "products", "merchant": "epicerie", "source": upload}
        )
    assert response.status_code == 302
    client_a.logout()
    with town_a:
        job = ImportJob.objects.get()
    assert job.status == ImportStatus.PENDING

    for url in ("/media/v_ville_a/imports/catalogue.csv", f"/media/v_ville_a/{job.source.name}"):
        assert (url, client_a.get(url).status_code) == (url, 404)
        assert (url, client_b.get(url).status_code) == (url, 404)
    assert not [path for path in media_root.rglob("*") if path.is_file()]
    stored = private_root / "v_ville_a" / job.source.name
    assert stored.read_bytes() == b"sku;titre;prix\nS1;Savon;3\n"
    assert "catalogue" not in job.source.name
    assert job.source_name == "catalogue.csv"


def test_the_migration_moves_import_files_out_of_media_and_deletes_the_orphans(isolated_media, town_a):
    media_root, _private_root = isolated_media
    migration = importlib.import_module("catalog.migrations.0003_import_files_in_private_storage")
    with town_a:
        merchant = MerchantFactory()
        # As the code before the private storage left them: original names under MEDIA_ROOT
        source = default_storage.save("imports/catalogue.csv", ContentFile(b"sku;titre;prix\n"))
        archive = default_storage.save("imports/photos.zip", ContentFile(_zip()))
        default_storage.save("imports/job-supprime.csv", ContentFile(b"sku\n"))
        queued = ImportJob.objects.create(
            kind=ImportKind.PRODUCTS, merchant=merchant, source=source, images_archive=archive
        )
        finished = ImportJob.objects.create(kind=ImportKind.PRODUCTS, merchant=merchant, status=ImportStatus.DONE)

        migration.move_import_files_out_of_media(apps, None)

        queued.refresh_from_db()
        finished.refresh_from_db()
        assert re.fullmatch(r"imports/[0-9a-f]{32}\.csv", queued.source.name)
        assert re.fullmatch(r"imports/[0-9a-f]{32}\.zip", queued.images_archive.name)
        assert queued.source_name == "catalogue.csv"
        with queued.source.open("rb") as moved:
            assert moved.read() == b"sku;titre;prix\n"
        assert (finished.source.name, finished.source_name) == ("", "")
    assert [path for path in media_root.rglob("*") if path.is_file()] == []


@pytest.fixture
def s3_storages(s3_server: str):  # noqa: F811
    options = {
        "bucket_name": BUCKET,
        "endpoint_url": s3_server,
        "region_name": "eu-west-3",
        "access_key": "test",
        "secret_key": "test",
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
    }
    storages = {
        **settings.STORAGES,
        "default": {"BACKEND": "catalog.storage.TownS3Storage", "OPTIONS": options},
        "private": {"BACKEND": "tenants.private_files_s3.PrivateS3Storage", "OPTIONS": options},
    }
    with override_settings(STORAGES=storages):
        yield boto3.client(
            "s3",
            endpoint_url=s3_server,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            region_name="eu-west-3",
        )


@pytest.mark.slow
def test_on_s3_import_files_are_under_the_private_prefix_with_no_url(
    town_a, s3_storages, django_capture_on_commit_callbacks
):
    with town_a:
        merchant = MerchantFactory()
        staff = User.objects.create_user(email="agent@ville-a.test", password="x" * 12, role=Role.TOWN_AGENT)
        with django_capture_on_commit_callbacks(execute=False) as queued:
            job = queue_import(
                user=staff,
                kind=ImportKind.PRODUCTS,
                merchant=merchant,
                source=SimpleUploadedFile("catalogue.csv", b"sku;titre;prix\nS1;Savon;3\n"),
            )
        name = job.source.name

        keys = [item["Key"] for item in s3_storages.list_objects_v2(Bucket=BUCKET)["Contents"]]
        assert keys == [f"private/v_ville_a/{name}"]
        assert re.fullmatch(r"imports/[0-9a-f]{32}\.csv", name)
        with pytest.raises(ValueError, match="A private file has no URL"):
            job.source.url  # noqa: B018
        # The media storage works under v_ville_a/: it neither finds nor signs the private key
        assert not default_storage.exists(name)
        with pytest.raises(SuspiciousOperation):
            default_storage.url(f"../private/v_ville_a/{name}")
        unsigned = s3_storages.meta.endpoint_url + f"/{BUCKET}/private/v_ville_a/{name}"
        assert _http_status(unsigned) == 403

        queued[0]()  # the worker runs the job, then deletes its files
        job.refresh_from_db()
        assert (job.status, job.source.name) == (ImportStatus.DONE, "")
        assert "Contents" not in s3_storages.list_objects_v2(Bucket=BUCKET)
