"""Abuse limits of the README's table that no behaviour module pins: request bodies, statement files,
image archives (the others are pinned where their feature is tested)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Role
from catalog.imports import MAX_ARCHIVE_BYTES, ImageArchive, ImportRefused
from catalog.models import ImportJob
from settlement.payouts.models import StatementImport
from tests.catalog.test_backoffice import sign_in

INFRA = Path(__file__).resolve().parents[1] / "infra"


def test_a_body_over_the_limit_is_refused_with_413_in_french_before_it_is_read(client_a, town_a):
    sign_in(client_a, town_a, role=Role.TOWN_ADMIN)
    over = settings.MAX_REQUEST_BODY_BYTES + 1

    # The announced length is what counts: the body itself is never read.
    response = client_a.post(
        "/gestion/catalogue/imports/", data=b"x", content_type="application/octet-stream", CONTENT_LENGTH=str(over)
    )

    assert response.status_code == 413
    assert "Envoi trop volumineux" in response.content.decode()
    assert "25 Mo" in response.content.decode()
    with town_a:
        assert ImportJob.objects.count() == 0


def test_a_body_under_the_limit_reaches_the_page(client_a, town_a):
    sign_in(client_a, town_a, role=Role.TOWN_ADMIN)

    response = client_a.post("/gestion/catalogue/imports/", {"kind": "products"})

    assert response.status_code == 200  # the form, with its errors


def test_the_proxies_refuse_the_same_body_size_as_the_application():
    megabytes = settings.MAX_REQUEST_BODY_BYTES // (1024 * 1024)

    assert re.search(rf"\bmax_size {megabytes}MB\b", (INFRA / "Caddyfile").read_text())
    assert re.search(rf"\bclient_max_body_size {megabytes}m;", (INFRA / "nginx.conf.example").read_text())


def test_a_bank_statement_over_5_mb_is_refused_in_french_and_nothing_is_imported(client_a, town_a):
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)
    statement = SimpleUploadedFile("releve.csv", b"x" * (5 * 1024 * 1024 + 1), content_type="text/csv")

    response = client_a.post("/gestion/reversements/releves/", {"statement": statement})

    assert "Ce fichier dépasse 5 Mo : ce n’est pas un relevé attendu." in response.content.decode()
    with town_a:
        assert StatementImport.objects.count() == 0


def test_an_image_archive_over_500_mb_is_refused_without_being_read():
    with tempfile.TemporaryFile() as archive:
        archive.truncate(MAX_ARCHIVE_BYTES + 1)  # sparse: nothing written, nothing read

        with pytest.raises(ImportRefused, match=r"L.archive d.images dépasse 500 Mo\."):
            ImageArchive(archive)
