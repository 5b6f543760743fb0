"""Photos sent from phones: checked, cleaned and re-encoded before anything is stored.

An upload is only trusted once Pillow has decoded it as one of the accepted formats; what we keep
is our own re-encoding, so EXIF (GPS position, phone serial) and any payload hidden in the file are
gone. Renditions for the storefront are made later, in a task (``catalog.tasks``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

register_heif_opener()

MAX_UPLOAD_BYTES = 15 * 1024 * 1024
# 60 megapixels covers the full-resolution mode of current phones (48–50 MP) with room to spare; a
# decoded image costs ~3 bytes per pixel, so this also bounds the memory one upload can take.
MAX_PIXELS = 60_000_000
# Pillow refuses outright (DecompressionBombError) at twice this value, before decoding anything.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
# The kept "original" is capped: the largest rendition is 1600 px and nobody needs 8000 px of a loaf.
ORIGINAL_MAX_SIDE = 3200
RENDITION_WIDTHS = (320, 800, 1600)


@dataclass(frozen=True)
class CleanImage:
    content: ContentFile
    width: int
    height: int


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _not_a_photo() -> ValidationError:
    return _refuse(
        _("Ce fichier n'est pas une photo utilisable. Formats acceptés : JPEG, PNG, WebP et HEIC (iPhone)."),
        "not_an_image",
    )


def _too_many_pixels() -> ValidationError:
    return _refuse(
        _("Cette image est trop grande (plus de %(megapixels)s millions de pixels). Réduisez-la avant de l'envoyer.")
        % {"megapixels": MAX_PIXELS // 1_000_000},
        "too_many_pixels",
    )


def _open_checked(upload: IO[bytes]) -> Image.Image:
    """Open an upload as one of the accepted formats, refusing bombs before any pixel is decoded."""
    upload.seek(0)
    try:
        image = Image.open(upload, formats=ACCEPTED_FORMATS)
    except Image.DecompressionBombError as error:
        raise _too_many_pixels() from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise _not_a_photo() from error
    if image.width * image.height > MAX_PIXELS:
        raise _too_many_pixels()
    return image


def clean_upload(upload: IO[bytes], *, size: int | None = None) -> CleanImage:
    """Validate an uploaded photo and return it re-encoded as JPEG, upright, without metadata.

    Raises ``ValidationError`` with a French message for anything that is not a usable photo.
    """
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    if size > MAX_UPLOAD_BYTES:
        raise _refuse(
            _("Cette photo pèse plus de %(limit)s Mo : envoyez une version plus légère.")
            % {"limit": MAX_UPLOAD_BYTES // (1024 * 1024)},
            "too_large",
        )
    if size == 0:
        raise _not_a_photo()

    # verify() checks the file's structure but leaves the image unusable: open it a second time.
    try:
        _open_checked(upload).verify()
    except ValidationError:
        raise
    except Exception as error:  # Pillow raises many kinds of errors on a corrupt file
        raise _not_a_photo() from error

    image = _open_checked(upload)
    try:
        if image.format == "JPEG":
            # Decode big JPEGs directly at a reduced scale: far less memory than decode-then-shrink.
            image.draft("RGB", (ORIGINAL_MAX_SIDE, ORIGINAL_MAX_SIDE))
        image.load()
        icc_profile = image.info.get("icc_profile")
        image = ImageOps.exif_transpose(image)
        image = _flatten_to_rgb(image)
        image.thumbnail((ORIGINAL_MAX_SIDE, ORIGINAL_MAX_SIDE), Image.Resampling.LANCZOS)
    except Image.DecompressionBombError as error:
        raise _too_many_pixels() from error
    except Exception as error:
        raise _not_a_photo() from error

    buffer = io.BytesIO()
    # No exif= argument: the re-encoded file carries no EXIF at all. The colour profile is kept so
    # iPhone (Display P3) photos keep their colours.
    save_options = {"quality": 88, "optimize": True, "progressive": True}
    if icc_profile:
        save_options["icc_profile"] = icc_profile
    image.save(buffer, format="JPEG", **save_options)
    return CleanImage(content=ContentFile(buffer.getvalue()), width=image.width, height=image.height)


def _flatten_to_rgb(image: Image.Image) -> Image.Image:
    """JPEG has no transparency: put transparent pixels (logos in PNG) on white, not black."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def make_renditions(*, storage: Storage, name: str) -> dict[str, dict[str, str | int]]:
    """WebP renditions of a stored original, one per width (never upscaled), saved next to it."""
    with storage.open(name, "rb") as stored:
        original = Image.open(stored, formats=("JPEG",))
        original.load()
    base = name.rsplit(".", 1)[0]
    renditions: dict[str, dict[str, str | int]] = {}
    for width in RENDITION_WIDTHS:
        copy = original.copy()
        if copy.width > width:
            copy = copy.resize((width, round(copy.height * width / copy.width)), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        copy.save(buffer, format="WEBP", quality=80, method=4)
        saved_name = storage.save(f"{base}_{width}.webp", ContentFile(buffer.getvalue()))
        renditions[str(width)] = {"name": saved_name, "width": copy.width, "height": copy.height}
    return renditions
