"""Which files a normal run writes, and which of them anyone can fetch (issue 9: private files).

Public: the photos of shops and products with their renditions, and the towns' branding, under
MEDIA_ROOT and /media/. Everything else is private: under PRIVATE_MEDIA_ROOT, outside MEDIA_ROOT,
with no URL. Files that pages build on each request (SEPA file kept in the database, payout and
merchant statements, tickets) are never written to disk at all.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.models import Role
from catalog.models import ImportJob, ImportStatus, Photo, Product
from settlement.payouts.models import PayoutBatch, PayoutBatchState, StatementLine
from tenants.private_files import private_storage, random_private_name
from tests.catalog.factories import MerchantFactory, ProductFactory
from tests.catalog.test_backoffice import sign_in
from tests.catalog.test_imports import zip_of
from tests.catalog.test_photos import image_bytes, jpeg_with_gps
from tests.settlement.payout_factories import make_available, payable_merchant, set_treasury
from tests.tenants.test_console_and_api import _branding_data

# What may be under MEDIA_ROOT: photos (original JPEG, WebP renditions) and branding images.
PUBLIC_FILE = re.compile(
    r"v_ville_a/photos/(products|merchants)/\d+/[0-9a-f]{24}(\.jpg|_\d+\.webp)"
    r"|public/branding/ville-a/[0-9a-f]{16}\.(png|jpg|webp)"
)
PUBLIC_FORMATS = {".jpg": "JPEG", ".webp": "WEBP", ".png": "PNG"}


def files_under(root: Path) -> list[str]:
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file())


def png(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes("PNG", size=(96, 96)), content_type="image/png")


def payouts_url(name: str, **kwargs: object) -> str:
    return reverse(f"payouts:{name}", kwargs=kwargs or None, urlconf="config.urls_town")


@pytest.mark.slow
def test_a_normal_run_writes_only_photos_and_branding_under_media_and_the_rest_is_unreachable(
    isolated_media, operator_client, town_a, client_a, client_b, django_capture_on_commit_callbacks
):
    media_root, private_root = isolated_media
    with town_a:
        shop = MerchantFactory(slug="epicerie", name="Épicerie")
        other_shop = MerchantFactory(slug="voisin", name="Voisin")
        product = ProductFactory(merchant=shop, title="Savon")
        with time_machine.travel(timezone.now() - dt.timedelta(days=20)):
            set_treasury()
            make_available(payable_merchant("Boulangerie"), 4750)

    # The operator gives the town its logo and hero image
    branding = _branding_data(logo=png("logo.png"), hero_image=png("accueil.png"))
    assert operator_client.post("/console/villes/ville-a/", branding).status_code == 302

    # A shopkeeper adds a product photo (renditions after commit)
    sign_in(client_a, town_a, role=Role.MERCHANT_STAFF, merchant=shop)
    photo = SimpleUploadedFile("IMG_0001.jpg", jpeg_with_gps(size=(1000, 750)), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(
            reverse("backoffice:product_photos", kwargs={"product_id": product.pk}), {"image": photo}
        )
    assert response.status_code == 302

    # ... imports a catalogue with its photos: a dry run, then for real (jobs run at commit) ...
    def import_form(**extra: object) -> dict[str, object]:
        csv = b"sku;titre;prix;images\nS2;Savon noir;4,50;savon.png\n"
        return {
            "kind": "products",
            "merchant": "epicerie",
            "source": SimpleUploadedFile("catalogue épicerie.csv", csv, content_type="text/csv"),
            "images_archive": SimpleUploadedFile("photos.zip", zip_of({"savon.png": image_bytes("PNG")}).read()),
            **extra,
        }

    for extra in ({"is_dry_run": "on"}, {}):
        with django_capture_on_commit_callbacks(execute=True):
            assert client_a.post("/gestion/catalogue/imports/", import_form(**extra)).status_code == 302
    # ... and queues one more, which no worker has run yet
    with django_capture_on_commit_callbacks(execute=False):
        assert client_a.post("/gestion/catalogue/imports/", import_form()).status_code == 302
    with town_a:
        done_dry, done, queued = ImportJob.objects.order_by("pk")
        assert [job.status for job in (done_dry, done, queued)] == [
            ImportStatus.DONE,
            ImportStatus.DONE,
            ImportStatus.PENDING,
        ]
        assert Product.objects.get(title="Savon noir").photos.count() == 1
        queued_names = [queued.source.name, queued.images_archive.name]
    client_a.logout()

    # Town staff export a SEPA payout file (four eyes), download it and its statement, import a
    # bank statement
    sign_in(client_a, town_a, role=Role.TOWN_AGENT, email="agent@ville-a.test")
    assert client_a.post(payouts_url("prepare_batch")).status_code == 302
    with town_a:
        batch = PayoutBatch.objects.get()
    client_a.logout()
    sign_in(client_a, town_a, role=Role.TOWN_ADMIN, email="regisseur@ville-a.test")
    client_a.post(payouts_url("approve_batch", batch_id=batch.pk))
    client_a.post(payouts_url("export_batch", batch_id=batch.pk))
    assert client_a.get(payouts_url("download_file", batch_id=batch.pk)).status_code == 200
    statement_pdf = client_a.get(reverse("finance:payout_statement_pdf", kwargs={"batch_id": batch.pk}))
    assert statement_pdf.content.startswith(b"%PDF")
    bank_statement = b"date;end_to_end_id;amount;status;reason\n21/11/2026;;250,00;executed;\n"
    client_a.post(payouts_url("statements"), {"statement": SimpleUploadedFile("releve.csv", bank_statement)})
    with town_a:
        assert PayoutBatch.objects.get().state == PayoutBatchState.EXPORTED
        assert StatementLine.objects.count() == 1
    client_a.logout()

    # Under MEDIA_ROOT: two photos (the upload and the imported one) with three renditions each,
    # the logo and the hero image; nothing else.
    public = files_under(media_root)
    assert [name for name in public if not PUBLIC_FILE.fullmatch(name)] == []
    photos = [name for name in public if not name.startswith("public/branding/")]
    assert (sum(name.endswith(".jpg") for name in photos), sum(name.endswith(".webp") for name in photos)) == (2, 6)
    assert sum(name.startswith("public/branding/") for name in public) == 2
    for name in public:
        with Image.open(media_root / name) as image:
            assert image.format == PUBLIC_FORMATS[Path(name).suffix]
    with town_a:
        photo_names = set(Photo.objects.values_list("image", flat=True))
        assert len(photo_names) == 2
        assert {f"v_ville_a/{name}" for name in photo_names} <= set(public)
    # Under PRIVATE_MEDIA_ROOT: the files of the queued job only (the others are deleted at the
    # end of their job), under random names.
    private = files_under(private_root)
    assert private == sorted(f"v_ville_a/{name}" for name in queued_names)
    assert all(re.fullmatch(r"v_ville_a/imports/[0-9a-f]{32}\.(csv|zip)", name) for name in private)

    # Every public file is served to anyone; no private file is, by its path or its original name
    anonymous = client_a
    for name in public:
        response = anonymous.get(f"/media/{name}")
        assert (name, response.status_code) == (name, 200)
        assert b"".join(response.streaming_content) == (media_root / name).read_bytes()
    for name in (*private, "v_ville_a/imports/catalogue épicerie.csv", "v_ville_a/imports/photos.zip"):
        assert (name, anonymous.get(f"/media/{name}").status_code) == (name, 404)
        assert (name, client_b.get(f"/media/{name}").status_code) == (name, 404)
        assert (name, operator_client.get(f"/media/{name}").status_code) == (name, 404)
    # No page hands out a private file: the job page shows the original name only, to its merchant
    job_page = reverse("imports:job", kwargs={"job_id": queued.pk})
    assert anonymous.get(job_page).status_code == 302
    sign_in(client_a, town_a, role=Role.MERCHANT_STAFF, merchant=other_shop)
    assert client_a.get(job_page).status_code == 404
    client_a.logout()
    sign_in(client_a, town_a, role=Role.MERCHANT_STAFF, merchant=shop)
    page = client_a.get(job_page).content.decode()
    assert "catalogue épicerie.csv" in page
    assert not any(Path(name).stem in page for name in private)


def test_private_files_get_random_names_keeping_only_a_plain_extension():
    names = [random_private_name("imports", original) for original in ("Mon Catalogue.XLSX", "a.csv", "x.c/s v", "z")]

    assert [Path(name).suffix for name in names] == [".xlsx", ".csv", "", ""]
    assert all(re.fullmatch(r"imports/[0-9a-f]{32}(\.xlsx|\.csv)?", name) for name in names)
    assert len(set(names)) == 4


def test_private_files_are_per_town_and_have_no_url(isolated_media, town_a, town_b):
    _media_root, private_root = isolated_media
    with town_a:
        name = private_storage().save("imports/a.csv", io.BytesIO(b"sku\n"))
        assert Path(private_storage().path(name)) == private_root / "v_ville_a" / "imports" / "a.csv"
        with pytest.raises(ValueError, match="A private file has no URL"):
            private_storage().url(name)
    with town_b:
        assert not private_storage().exists(name)
    assert oct((private_root / "v_ville_a" / "imports" / "a.csv").stat().st_mode & 0o777) == "0o600"
    assert oct((private_root / "v_ville_a").stat().st_mode & 0o777) == "0o700"


def test_a_private_root_inside_the_media_root_is_refused_at_start_up(tmp_path):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "media" / "private"),
    }
    started = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert started.returncode == 1
    assert "PRIVATE_MEDIA_ROOT must be outside MEDIA_ROOT and STATIC_ROOT" in started.stderr


def test_a_link_from_the_media_folder_to_a_private_file_is_not_served(isolated_media, town_a, client_a):
    media_root, private_root = isolated_media
    with town_a:
        name = private_storage().save("imports/a.csv", io.BytesIO(b"sku\n"))
    (media_root / "v_ville_a" / "photos").mkdir(parents=True)
    (media_root / "v_ville_a" / "photos" / "lien.jpg").symlink_to(private_root / "v_ville_a" / name)

    assert client_a.get("/media/v_ville_a/photos/lien.jpg").status_code == 404


# Paths relative to MEDIA_ROOT, and whether they are public on the site of ville-a.
MEDIA_PATHS = {
    "v_ville_a/photos/products/3/0123456789abcdef01234567.jpg": True,
    "v_ville_a/photos/merchants/3/0123456789abcdef01234567_320.webp": True,
    "public/branding/ville-a/0123456789abcdef.png": True,
    "v_ville_a/imports/catalogue.csv": False,
    "v_ville_a/catalogue.csv": False,
    "v_ville_a/photosx/a.jpg": False,
    "public/other.txt": False,
    "public/brandingx/a.png": False,
}


def test_the_proxy_configurations_serve_the_folders_the_dev_view_serves():
    infra = Path(__file__).resolve().parent.parent / "infra"
    caddy = re.search(r"@not_public not path_regexp (\S+)", (infra / "Caddyfile").read_text()).group(1)
    nginx = re.search(r"location ~ (\S+) \{", (infra / "nginx.conf.example").read_text()).group(1)
    nginx = nginx.replace("(?<", "(?P<")  # PCRE named group, in Python's spelling

    from config.media import is_public_media_path

    assert {path: is_public_media_path(path, schema_name="v_ville_a") for path in MEDIA_PATHS} == MEDIA_PATHS
    # Any town's photos on any host: the proxy does not know which town a host is
    assert {path: bool(re.match(caddy, f"/{path}")) for path in MEDIA_PATHS} == MEDIA_PATHS
    assert {path: bool(re.match(nginx, f"/media/{path}")) for path in MEDIA_PATHS} == MEDIA_PATHS
