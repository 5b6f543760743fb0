"""Photo uploads: real image checks, EXIF stripping, renditions and per-town storage (T-SEC-07, T-ISO-07)."""

from __future__ import annotations

import io
import re
import socket
import struct
import threading
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import connection
from django.test import override_settings
from PIL import ExifTags, Image, ImageCms
from PIL.PngImagePlugin import PngInfo

from catalog.actions import add_photo, delete_photo, make_photo_renditions, move_photo
from catalog.models import Photo, PhotoStatus
from catalog.templatetags.storefront import photo_img
from tenants import images
from tenants.images import MAX_UPLOAD_BYTES, clean_image
from tests.catalog.factories import MerchantFactory, ProductFactory

# --- files a phone (or an attacker) might send ---------------------------------------------------


def jpeg_with_gps(*, size: tuple[int, int] = (60, 40), orientation: int = 1) -> bytes:
    """A JPEG carrying a GPS position (Calais town hall) and a camera make, as phones write them."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (50.0, 57.0, 3.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (1.0, 51.0, 20.0),
    }
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def image_bytes(fmt: str, *, size: tuple[int, int] = (1000, 750), mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, (20, 120, 200, 128) if mode == "RGBA" else (20, 120, 200)).save(buffer, fmt)
    return buffer.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def pixel_flood_png(width: int = 30_000, height: int = 30_000) -> bytes:
    """A tiny file whose header claims 900 million pixels: decoding it would take gigabytes."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + _png_chunk(b"IEND", b"")
    )


SRGB_PROFILE = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def jpeg_with_every_metadata() -> bytes:
    """A JPEG carrying a script in its comment (COM), EXIF with GPS, XMP, a colour profile and IPTC."""
    exif = Image.open(io.BytesIO(jpeg_with_gps())).getexif()
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (200, 30, 30)).save(
        buffer,
        "JPEG",
        exif=exif,
        comment=b"<script>alert(document.cookie)</script>",
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">Rue du Temple, Calais</x:xmpmeta>',
        icc_profile=SRGB_PROFILE,
    )
    data = buffer.getvalue()
    caption = b"<script>iptc</script>"
    record = b"\x1c\x02\x78" + struct.pack(">H", len(caption)) + caption  # IPTC caption
    iptc = b"Photoshop 3.0\x00" + b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(record)) + record
    return data[:2] + b"\xff\xed" + struct.pack(">H", len(iptc) + 2) + iptc + data[2:]  # APP13 after SOI


def png_with_text_chunks(*, size: tuple[int, int] = (40, 30), mode: str = "RGBA") -> bytes:
    """A PNG carrying a script in a tEXt chunk, XMP in an iTXt chunk, EXIF and a colour profile."""
    info = PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    info.add_itxt("XML:com.adobe.xmp", '<x:xmpmeta xmlns:x="adobe:ns:meta/">secret</x:xmpmeta>')
    buffer = io.BytesIO()
    colour = (20, 120, 200, 128) if mode == "RGBA" else (20, 120, 200)
    exif = Image.open(io.BytesIO(jpeg_with_gps())).getexif()
    Image.new(mode, size, colour).save(buffer, "PNG", pnginfo=info, exif=exif, icc_profile=SRGB_PROFILE)
    return buffer.getvalue()


def jpeg_segments(data: bytes) -> list[int]:
    """The marker of every segment before the compressed image data (SOS included)."""
    markers, position = [], 2
    while data[position + 1] != 0xDA:
        markers.append(data[position + 1])
        position += 2 + struct.unpack(">H", data[position + 2 : position + 4])[0]
    return [*markers, 0xDA]


def png_chunks(data: bytes) -> list[bytes]:
    chunks, position = [], 8
    while position < len(data):
        length = struct.unpack(">I", data[position : position + 4])[0]
        chunks.append(data[position + 4 : position + 8])
        position += 12 + length
    return chunks


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header (SOF0) claims ``width`` × ``height``."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 120, 200)).save(buffer, "JPEG")
    data = buffer.getvalue()
    position = data.index(b"\xff\xc0") + 5  # marker, length, sample precision
    return data[:position] + struct.pack(">HH", height, width) + data[position + 4 :]


def heif_claiming(width: int, height: int) -> bytes:
    """A small real HEIF whose image header (ispe) claims ``width`` × ``height``."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (20, 120, 200)).save(buffer, "HEIF")
    data = buffer.getvalue()
    position = data.index(b"ispe") + 8  # box type, version and flags
    return data[:position] + struct.pack(">II", width, height) + data[position + 8 :]


NOT_PHOTOS = {
    "pdf_renamed_jpg": b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
    "svg_with_script": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "html": b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>",
    "php_renamed_jpg": b"<?php system($_GET['c']); ?>",
    "truncated_jpeg": jpeg_with_gps()[:200],
}


def _clean(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(clean_image(io.BytesIO(data)).content.read()))


# --- checks and re-encoding ----------------------------------------------------------------------


def test_gps_and_every_other_exif_tag_are_stripped():
    original = Image.open(io.BytesIO(jpeg_with_gps()))
    assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test file really carries a position

    cleaned = _clean(jpeg_with_gps())

    assert cleaned.format == "JPEG"
    assert dict(cleaned.getexif()) == {}
    assert cleaned.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert "exif" not in cleaned.info


def test_phone_orientation_is_applied_before_exif_is_dropped():
    # Orientation 6: the sensor image is landscape, the photo was taken in portrait.
    cleaned = _clean(jpeg_with_gps(size=(60, 40), orientation=6))
    assert cleaned.size == (40, 60)


@pytest.mark.parametrize(("fmt", "mode"), [("PNG", "RGBA"), ("WEBP", "RGB"), ("HEIF", "RGB"), ("JPEG", "RGB")])
def test_phone_formats_are_accepted_and_stored_as_jpeg(fmt, mode):
    cleaned = _clean(image_bytes(fmt, size=(120, 90), mode=mode))
    assert (cleaned.format, cleaned.size, cleaned.mode) == ("JPEG", (120, 90), "RGB")


def test_transparent_png_is_flattened_on_white_not_black():
    cleaned = _clean(image_bytes("PNG", size=(10, 10), mode="RGBA")).convert("RGB")
    # (20, 120, 200) at 50 % opacity over white; over black it would be (10, 60, 100).
    assert all(abs(got - want) <= 3 for got, want in zip(cleaned.getpixel((5, 5)), (137, 187, 227), strict=True))


def test_huge_photos_are_reduced_to_the_kept_original_size():
    cleaned = _clean(image_bytes("JPEG", size=(4000, 3000)))
    assert cleaned.size == (3200, 2400)


@pytest.mark.parametrize("name", sorted(NOT_PHOTOS))
def test_anything_but_a_photo_is_refused_in_french(name):
    with pytest.raises(ValidationError) as refused:
        clean_image(io.BytesIO(NOT_PHOTOS[name]))
    assert refused.value.messages == [
        "Ce fichier n'est pas une photo utilisable. Formats acceptés : JPEG, PNG, WebP et HEIC (iPhone)."
    ]


def test_gif_and_bmp_are_not_accepted_formats():
    for fmt in ("GIF", "BMP"):
        with pytest.raises(ValidationError, match="pas une photo utilisable"):
            clean_image(io.BytesIO(image_bytes(fmt, size=(10, 10))))


def test_a_30000_by_30000_png_is_refused_before_decoding():
    with pytest.raises(ValidationError) as refused:
        clean_image(io.BytesIO(pixel_flood_png()))
    assert refused.value.code == "too_many_pixels"
    assert refused.value.messages == [
        "Cette image est trop grande (plus de 60 millions de pixels). Réduisez-la avant de l'envoyer."
    ]


def test_a_picture_just_over_the_pixel_limit_is_refused_too():
    # Between MAX_IMAGE_PIXELS and twice it Pillow only warns: our own check refuses it.
    with pytest.warns(Image.DecompressionBombWarning), pytest.raises(ValidationError, match="trop grande"):
        clean_image(io.BytesIO(pixel_flood_png(10_000, 6_500)))


def test_the_7740_px_png_of_the_issue_is_refused_before_any_pixel_is_decoded():
    # 59.9 MP: under the JPEG limit, but a PNG is decoded at full size (it took 800 MB and 3 s).
    with pytest.raises(ValidationError) as refused:
        clean_image(io.BytesIO(pixel_flood_png(7740, 7740)))
    assert refused.value.code == "too_many_pixels"
    assert refused.value.messages == [
        "Cette image PNG est trop grande (plus de 25 millions de pixels). "
        "Réduisez-la, ou envoyez-la en JPEG (jusqu'à 60 millions de pixels)."
    ]


# Pillow warns of its own above 60 MP (the JPEG case); the refusal is what is tested.
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        (
            "JPEG 7746 × 7746",
            lambda: jpeg_claiming(7746, 7746),
            "Cette image est trop grande (plus de 60 millions",
        ),
        (
            "PNG 5001 × 5000",
            lambda: pixel_flood_png(5001, 5000),
            "Cette image PNG est trop grande (plus de 25 millions",
        ),
        (
            "HEIF 5001 × 5000",
            lambda: heif_claiming(5001, 5000),
            "Cette image HEIC est trop grande (plus de 25 millions",
        ),
        (
            "WebP 4001 × 4000",
            lambda: image_bytes("WEBP", size=(4001, 4000)),
            "Cette image WebP est trop grande (plus de 16 millions",
        ),
    ],
)
def test_each_format_has_its_pixel_limit(name, make, message):
    with pytest.raises(ValidationError) as refused:
        clean_image(io.BytesIO(make()))
    assert refused.value.code == "too_many_pixels"
    assert refused.value.messages[0].startswith(message)


def test_a_multi_picture_jpeg_from_a_camera_has_the_jpeg_limit():
    # Pillow calls it MPO, not JPEG: 17 MP is over the limit of the formats decoded at full size.
    buffer = io.BytesIO()
    picture = Image.new("RGB", (4800, 3600), (20, 120, 200))
    picture.save(buffer, "MPO", save_all=True, append_images=[picture])

    assert clean_image(buffer).extension == "jpg"


def test_a_jpeg_keeps_no_comment_exif_xmp_colour_profile_or_iptc(town_a):
    """The stored original of a JPEG whose comment segment held a <script> still carried it: Pillow's
    JPEG encoder copies ``info["comment"]`` of the image it is given."""
    uploaded = jpeg_with_every_metadata()
    assert {0xFE, 0xE1, 0xE2, 0xED} <= set(jpeg_segments(uploaded))  # COM, EXIF/XMP, ICC, IPTC
    with town_a:
        photo = add_photo(upload=io.BytesIO(uploaded), merchant=MerchantFactory())
        with photo.image.open("rb") as stored:
            kept = stored.read()

    assert jpeg_segments(kept) == [0xE0, 0xDB, 0xDB, 0xC2, 0xC4, 0xC4, 0xDA]  # JFIF, tables, frame, scan
    for trace in (b"<script", b"Exif", b"xmpmeta", b"ICC_PROFILE", b"Photoshop", b"\xff\xfe"):
        assert trace not in kept
    assert Image.open(io.BytesIO(kept)).getpixel((30, 20)) == pytest.approx((200, 30, 30), abs=4)


def test_png_text_chunks_exif_and_colour_profile_are_not_kept():
    uploaded = png_with_text_chunks(mode="RGB")
    assert {b"tEXt", b"iTXt", b"eXIf", b"iCCP"} <= set(png_chunks(uploaded))

    kept = clean_image(io.BytesIO(uploaded)).content.read()

    assert jpeg_segments(kept)[0] == 0xE0
    assert not {0xFE, *range(0xE1, 0xF0)} & set(jpeg_segments(kept))
    assert b"<script" not in kept
    assert b"xmpmeta" not in kept


def test_a_process_decodes_one_upload_at_a_time():
    """Four large uploads decoded at once by one gunicorn worker's threads took four times the memory."""
    finished = []
    upload = io.BytesIO(image_bytes("PNG", size=(40, 30)))
    with images.DECODING:  # another upload is being decoded
        waiting = threading.Thread(target=lambda: finished.append(clean_image(upload)))
        waiting.start()
        waiting.join(timeout=0.5)
        assert (waiting.is_alive(), finished) == (True, [])
    waiting.join(timeout=30)
    assert [(clean.width, clean.height) for clean in finished] == [(40, 30)]


def test_files_over_15_mb_are_refused_without_being_read():
    with pytest.raises(ValidationError) as refused:
        clean_image(io.BytesIO(b"\xff\xd8" + b"\x00" * MAX_UPLOAD_BYTES))
    assert refused.value.messages == ["Cette photo pèse plus de 15 Mo : envoyez une version plus légère."]


# --- storing, renditions, order ------------------------------------------------------------------


def test_added_photo_is_stored_under_the_town_folder_and_gets_webp_renditions(
    town_a, django_capture_on_commit_callbacks
):
    with town_a:
        product = ProductFactory()
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            photo = add_photo(
                upload=io.BytesIO(image_bytes("JPEG", size=(1000, 750))), product=product, alt_text=" Pain "
            )
        # The catalogue queues one task (higher apps may subscribe to the new photo: not counted here).
        assert len([c for c in callbacks if getattr(c, "__module__", "").startswith("catalog.")]) == 1
        photo.refresh_from_db()

        assert (photo.status, photo.alt_text, photo.width, photo.height) == (PhotoStatus.READY, "Pain", 1000, 750)
        assert photo.image.name.startswith(f"photos/products/{product.pk}/")
        assert Path(default_storage.path(photo.image.name)).is_relative_to(Path(settings.MEDIA_ROOT) / "v_ville_a")
        assert {width: (r["width"], r["height"]) for width, r in photo.renditions.items()} == {
            "320": (320, 240),
            "800": (800, 600),
            "1600": (1000, 750),  # never upscaled
        }
        for rendition in photo.renditions.values():
            assert rendition["name"].endswith(".webp")
            with default_storage.open(rendition["name"]) as stored:
                assert Image.open(stored).format == "WEBP"


def test_a_600_px_photo_gets_each_width_once(town_a, django_capture_on_commit_callbacks):
    with town_a:
        with django_capture_on_commit_callbacks(execute=True):
            photo = add_photo(upload=io.BytesIO(image_bytes("JPEG", size=(600, 450))), product=ProductFactory())
        photo.refresh_from_db()

        assert {size: (r["width"], r["height"]) for size, r in photo.renditions.items()} == {
            "320": (320, 240),
            "800": (600, 450),  # the original's width, once: no 1600 copy of it
        }
        img = str(photo_img(photo, width=320, sizes="50vw"))
        srcset = re.search(r'srcset="([^"]+)"', img).group(1)
        assert [candidate.rsplit(" ", 1)[1] for candidate in srcset.split(", ")] == ["320w", "600w"]


def test_a_photo_stored_with_the_same_width_twice_lists_it_once_in_its_srcset(town_a):
    # Photos made before renditions stopped at the original's width: "800" and "1600" are both 600 px wide.
    with town_a:
        photo = Photo(
            product=ProductFactory(),
            image="photos/products/1/vue.jpg",
            width=600,
            height=450,
            status=PhotoStatus.READY,
            renditions={
                "1600": {"name": "photos/products/1/vue_1600.webp", "width": 600, "height": 450},
                "320": {"name": "photos/products/1/vue_320.webp", "width": 320, "height": 240},
                "800": {"name": "photos/products/1/vue_800.webp", "width": 600, "height": 450},
            },
        )

        img = str(photo_img(photo, width=800, sizes="100vw"))
        narrow, wide = (default_storage.url(f"photos/products/1/vue_{size}.webp") for size in (320, 800))

    assert re.search(r'srcset="([^"]+)"', img).group(1) == f"{narrow} 320w, {wide} 600w"
    assert f'src="{wide}"' in img


def test_renditions_of_a_broken_file_mark_the_photo_failed_without_raising(town_a):
    with town_a:
        photo = Photo.objects.create(
            merchant=MerchantFactory(), image=default_storage.save("photos/broken.jpg", io.BytesIO(b"not a jpeg"))
        )
        assert make_photo_renditions(photo_id=photo.pk).status == PhotoStatus.FAILED
        photo.refresh_from_db()
        assert (photo.status, photo.renditions) == (PhotoStatus.FAILED, {})


def test_renditions_of_a_deleted_photo_are_a_no_op(town_a):
    with town_a:
        assert make_photo_renditions(photo_id=987_654_321) is None


def test_refused_upload_creates_no_row(town_a):
    with town_a:
        merchant = MerchantFactory()
        with pytest.raises(ValidationError):
            add_photo(upload=io.BytesIO(NOT_PHOTOS["pdf_renamed_jpg"]), merchant=merchant)
        assert Photo.objects.count() == 0


def test_photos_are_reordered_by_swapping_neighbours(town_a):
    with town_a:
        merchant = MerchantFactory()
        photos = [add_photo(upload=io.BytesIO(image_bytes("PNG", size=(8, 8))), merchant=merchant) for _ in range(3)]
        assert [p.position for p in photos] == [0, 1, 2]

        move_photo(photo=photos[2], direction="up")
        assert list(Photo.objects.filter(merchant=merchant).values_list("pk", flat=True)) == [
            photos[0].pk,
            photos[2].pk,
            photos[1].pk,
        ]
        move_photo(photo=photos[0], direction="up")  # already first: nothing moves
        assert list(Photo.objects.filter(merchant=merchant).values_list("position", flat=True)) == [0, 1, 2]


def test_deleting_a_photo_removes_its_files_after_commit(town_a, django_capture_on_commit_callbacks):
    with town_a:
        with django_capture_on_commit_callbacks(execute=True):
            photo = add_photo(upload=io.BytesIO(image_bytes("JPEG", size=(400, 300))), merchant=MerchantFactory())
        photo.refresh_from_db()
        names = [photo.image.name, *(r["name"] for r in photo.renditions.values())]
        assert all(default_storage.exists(name) for name in names)
        with django_capture_on_commit_callbacks(execute=True):
            delete_photo(photo=photo)
        assert not Photo.objects.filter(pk=photo.pk).exists()
        assert not any(default_storage.exists(name) for name in names)


# --- S3, against a real S3-compatible server on loopback -----------------------------------------

BUCKET = "comptoir-media"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def s3_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test", region_name="eu-west-3"
    ).create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    yield endpoint
    # moto keeps its buckets in the process, across servers: the next test starts from none.
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))  # noqa: S310 - loopback
    server.stop()


@pytest.fixture
def s3_storage(s3_server: str) -> Iterator[str]:
    storages = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "catalog.storage.TownS3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_server,
                "region_name": "eu-west-3",
                "access_key": "test",
                "secret_key": "test",
                "default_acl": None,
                "querystring_auth": True,
                "file_overwrite": False,
            },
        },
    }
    with override_settings(STORAGES=storages):
        yield s3_server


def _http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url) as response:  # noqa: S310 - loopback S3 server of the test
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_s3_keys_are_under_the_town_prefix_and_the_bucket_is_private(
    town_a, town_b, s3_storage, django_capture_on_commit_callbacks
):
    with town_a:
        with django_capture_on_commit_callbacks(execute=True):
            photo = add_photo(upload=io.BytesIO(jpeg_with_gps(size=(900, 600))), merchant=MerchantFactory())
        photo.refresh_from_db()
        assert photo.status == PhotoStatus.READY
        signed_url = photo.image.url
        name = photo.image.name

    client = boto3.client(
        "s3", endpoint_url=s3_storage, aws_access_key_id="test", aws_secret_access_key="test", region_name="eu-west-3"
    )
    keys = sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert len(keys) == 4  # the original and three renditions
    assert all(key.startswith("v_ville_a/photos/merchants/") for key in keys)
    original_key = f"v_ville_a/{name}"
    assert original_key in keys

    stored = Image.open(io.BytesIO(client.get_object(Bucket=BUCKET, Key=original_key)["Body"].read()))
    assert stored.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}

    assert _http_status(signed_url) == 200
    assert _http_status(f"{s3_storage}/{BUCKET}/{original_key}") == 403  # unsigned: refused

    with town_b:
        # The same name seen from another town points into that town's prefix, never into a's.
        from django.core.files.storage import default_storage as storage_b

        assert "/v_ville_b/" in storage_b.url(name)
        assert not storage_b.exists(name)
    assert connection.schema_name == "public"
