"""The scan of a paper agreement: a PDF, a JPEG or a PNG, told by its content (never its name), of
a bounded size."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

# A signed agreement scanned at 300 dpi is a few megabytes; past this, it is not what we want to keep.
MAX_SCAN_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class ScanKind:
    content_type: str
    extension: str


PDF = ScanKind("application/pdf", ".pdf")
JPEG = ScanKind("image/jpeg", ".jpg")
PNG = ScanKind("image/png", ".png")


def scan_kind(upload: UploadedFile) -> ScanKind:
    """What the file really is (PDF, JPEG or PNG); ValidationError for anything else or too large."""
    if upload.size is None or upload.size > MAX_SCAN_BYTES:
        raise ValidationError(_("Ce fichier dépasse 10 Mo : numérisez la convention en 300 dpi au plus."))
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        kind = JPEG
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = PNG
    else:
        raise ValidationError(_("Ce fichier n’est ni un PDF, ni une image JPEG ou PNG."))
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(BytesIO(upload.read())) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ValidationError(_("Cette image est illisible ou incomplète.")) from error
    finally:
        upload.seek(0)
    return kind
