"""The one image engine: every picture someone uploads goes through it before anything is stored.

Product and merchant photos, the images of a product import's ZIP and a town's logo and hero image
all take the same path. A file is trusted only once Pillow has opened it as one of the accepted
formats; its size in bytes and in pixels is checked before a single pixel is decoded; it is decoded
at reduced size where the format allows it; and what is kept is our own re-encoding, which carries
no metadata at all: no EXIF (GPS position, phone serial), XMP, IPTC, JPEG comment, PNG text chunk
or colour profile (the pixels are converted to sRGB first, so iPhone Display P3 colours survive).

It lives in ``tenants``, the lowest app that takes pictures (branding), so that the catalogue above
it uses the very same checks (docs/architecture.md §1: dependencies point down; one rule, one function).
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from typing import IO, cast

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

register_heif_opener()

MAX_UPLOAD_BYTES = 15 * 1024 * 1024
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
# The same formats as a file input's ``accept`` attribute: the phone offers its camera and gallery.
ACCEPT_ATTRIBUTE = "image/jpeg,image/png,image/webp,image/heic,image/heif"

# Memory is what limits pixels: one upload's decoding should stay near 300 MB at its peak
# (figures from bench/images.py; Pillow keeps 4 bytes per pixel for RGB and RGBA alike).
# JPEG is decoded directly at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling, ``Image.draft``): a
# 60-megapixel photo costs about 130 MB. 60 MP covers the full-resolution mode of current phones
# (48–50 MP) with room to spare.
MAX_PIXELS = 60_000_000
# PNG and HEIF are decoded at full size (neither Pillow nor libheif decodes them scaled down), and a
# transparent picture is copied once more (premultiplied) to be shrunk: about 11 bytes per pixel at the
# peak, 275 MB at 25 MP. That still takes a default 24 MP iPhone photo (5,712 × 4,284).
MAX_PIXELS_FULL_DECODE = 25_000_000
# WebP goes through libwebp's animation decoder, which keeps two canvases besides the frame it hands
# over: about 18 bytes per pixel, 300 MB at 16 MP.
MAX_PIXELS_WEBP = 16_000_000
MAX_PIXELS_BY_FORMAT = {
    "JPEG": MAX_PIXELS,
    "PNG": MAX_PIXELS_FULL_DECODE,
    "HEIF": MAX_PIXELS_FULL_DECODE,
    "WEBP": MAX_PIXELS_WEBP,
}
# Pillow itself warns above this and refuses twice this (DecompressionBombError) when opening a file,
# before decoding anything; our own per-format limit above is checked right after opening.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# Kept pictures are capped: the largest photo rendition is 1600 px and nobody needs 8000 px of a loaf.
ORIGINAL_MAX_SIDE = 3200

# One decode at a time per process: a gunicorn worker has several threads, and four large uploads
# decoded at once needed four times the memory of one (1.6 GB before these limits). The others wait
# their turn, a second or so each.
DECODING = threading.Lock()
_SRGB = ImageCms.createProfile("sRGB")
# Modes Pillow shrinks directly; anything else (palette, 16-bit, 1-bit, ...) is converted first.
_RESIZABLE_MODES = ("RGB", "RGBA", "L", "LA", "CMYK")


def _family(image_format: str) -> str:
    # Pillow names a JPEG holding several pictures (MPO: some phones and cameras) by its own format.
    return "JPEG" if image_format == "MPO" else image_format


def max_pixels_for(image_format: str) -> int:
    return MAX_PIXELS_BY_FORMAT.get(_family(image_format), min(MAX_PIXELS_BY_FORMAT.values()))


@dataclass(frozen=True)
class CleanImage:
    content: ContentFile
    width: int
    height: int
    extension: str  # "jpg", or "png" for a transparent picture kept transparent


def _not_an_image() -> ValidationError:
    return ValidationError(
        _("Ce fichier n'est pas une photo utilisable. Formats acceptés : JPEG, PNG, WebP et HEIC (iPhone)."),
        code="not_an_image",
    )


def _too_many_pixels(image_format: str) -> ValidationError:
    image_format = _family(image_format)
    if image_format == "JPEG" or image_format not in ACCEPTED_FORMATS:
        return ValidationError(
            _(
                "Cette image est trop grande (plus de %(megapixels)s millions de pixels). Réduisez-la avant de l'envoyer."
            )
            % {"megapixels": MAX_PIXELS // 1_000_000},
            code="too_many_pixels",
        )
    return ValidationError(
        _(
            "Cette image %(format)s est trop grande (plus de %(megapixels)s millions de pixels). "
            "Réduisez-la, ou envoyez-la en JPEG (jusqu'à %(jpeg_megapixels)s millions de pixels)."
        )
        % {
            "format": "HEIC" if image_format == "HEIF" else image_format.replace("WEBP", "WebP"),
            "megapixels": max_pixels_for(image_format) // 1_000_000,
            "jpeg_megapixels": MAX_PIXELS // 1_000_000,
        },
        code="too_many_pixels",
    )


def _upload_size(upload: IO[bytes], size: int | None) -> int:
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    return size


def _open_checked(upload: IO[bytes]) -> Image.Image:
    """Open as one of the accepted formats, refusing too many pixels before any pixel is decoded."""
    upload.seek(0)
    try:
        image = Image.open(upload, formats=ACCEPTED_FORMATS)
    except Image.DecompressionBombError as error:
        raise _too_many_pixels("") from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise _not_an_image() from error
    if image.width * image.height > max_pixels_for(image.format or ""):
        raise _too_many_pixels(image.format or "")
    return image


def inspect_image(upload: IO[bytes], *, size: int | None = None) -> None:
    """Refuse, with a French message, what ``clean_image`` would refuse, without decoding any pixel."""
    size = _upload_size(upload, size)
    if size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("Cette photo pèse plus de %(limit)s Mo : envoyez une version plus légère.")
            % {"limit": MAX_UPLOAD_BYTES // (1024 * 1024)},
            code="too_large",
        )
    if size == 0:
        raise _not_an_image()
    # verify() checks the file's structure (PNG chunks and checksums) but leaves the image unusable.
    try:
        _open_checked(upload).verify()
    except ValidationError:
        raise
    except Exception as error:  # Pillow raises many kinds of errors on a corrupt file
        raise _not_an_image() from error


def clean_image(
    upload: IO[bytes],
    *,
    size: int | None = None,
    max_side: int = ORIGINAL_MAX_SIDE,
    keep_transparency: bool = False,
) -> CleanImage:
    """Validate an uploaded picture and return it re-encoded, upright, in sRGB, without any metadata.

    JPEG, or PNG when ``keep_transparency`` and the picture has transparent pixels (logos); never
    more than ``max_side`` pixels on its longer side. Raises ``ValidationError`` with a French message
    for anything that is not a usable picture.
    """
    inspect_image(upload, size=size)
    with DECODING:
        try:
            image = _decoded(_open_checked(upload), max_side=max_side)
            image = ImageOps.exif_transpose(image)
            image = _in_srgb(image)
            has_alpha = image.mode in ("RGBA", "LA")
            image = image.convert("RGBA") if keep_transparency and has_alpha else _flattened(image)
        except ValidationError:
            raise
        except Image.DecompressionBombError as error:
            raise _too_many_pixels("") from error
        except Exception as error:
            raise _not_an_image() from error
    # Pillow's encoders copy some of ``info`` into the file (the JPEG comment, for one): nothing of
    # the sender's file may reach ours.
    image.info = {}
    buffer = io.BytesIO()
    if image.mode == "RGBA":
        image.save(buffer, format="PNG", optimize=True)
        extension = "png"
    else:
        image.save(buffer, format="JPEG", quality=88, optimize=True, progressive=True)
        extension = "jpg"
    return CleanImage(
        content=ContentFile(buffer.getvalue()), width=image.width, height=image.height, extension=extension
    )


def _fitted(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    width, height = size
    if max(width, height) <= max_side:
        return size
    scale = max_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _decoded(image: Image.Image, *, max_side: int) -> Image.Image:
    """The pixels, at most ``max_side`` on the longer side, decoding no more of them than needed."""
    target = _fitted(image.size, max_side)
    # JPEG: decoded straight at the smallest 1/2, 1/4 or 1/8 scale still at least ``target``; HEIF:
    # an embedded thumbnail when one is large enough; other formats: no effect.
    image.draft("RGB", target)
    image.load()
    if image.mode not in _RESIZABLE_MODES:
        transparent = image.mode in ("PA", "RGBa", "La") or "transparency" in image.info
        image = image.convert("RGBA" if transparent else "RGB")
    if image.size != target:
        # reducing_gap: a cheap integer reduce() first, then LANCZOS over what is left.
        image = image.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return image


def _in_srgb(image: Image.Image) -> Image.Image:
    """Pixels converted from the file's colour profile to sRGB, so that no profile needs keeping."""
    icc_profile = image.info.get("icc_profile")
    if not icc_profile:
        return image
    output_mode = "RGBA" if image.mode in ("RGBA", "LA") else "RGB"
    source = image.convert(output_mode) if image.mode == "LA" else image
    try:
        converted = ImageCms.profileToProfile(
            source, ImageCms.ImageCmsProfile(io.BytesIO(icc_profile)), _SRGB, outputMode=output_mode
        )
        # None only with inPlace=True; a new image otherwise.
        return cast(Image.Image, converted)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image  # a profile we cannot read: the pixels are kept as they are, without it


def _flattened(image: Image.Image) -> Image.Image:
    """JPEG has no transparency: put transparent pixels (logos in PNG) on white, not black."""
    if image.mode in ("RGBA", "LA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")
