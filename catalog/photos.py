"""Photos of merchants and products: the storefront's WebP renditions of a stored original.

The original itself is checked and re-encoded by the one image engine (``tenants.images``) before
it is stored; its renditions are made later, in a task (``catalog.tasks``), never in the request.
"""

from __future__ import annotations

import io

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from PIL import Image

RENDITION_WIDTHS = (320, 800, 1600)


def make_renditions(*, storage: Storage, name: str) -> dict[str, dict[str, str | int]]:
    """WebP renditions of a stored original, one per width (never upscaled), saved next to it.

    A narrow original yields fewer: a 600 px photo gets 320 px and 600 px renditions, not a 600 px copy for
    each larger width (the same width twice in a ``srcset``, a file stored for nothing).
    """
    with storage.open(name, "rb") as stored:
        original = Image.open(stored, formats=("JPEG",))
        original.load()
    base = name.rsplit(".", 1)[0]
    renditions: dict[str, dict[str, str | int]] = {}
    for width in RENDITION_WIDTHS:
        copy = original.copy()
        if copy.width > width:
            copy = copy.resize((width, round(copy.height * width / copy.width)), Image.Resampling.LANCZOS)
        elif any(made["width"] == copy.width for made in renditions.values()):
            break  # the original's own width is already there: every larger width would be it again
        buffer = io.BytesIO()
        copy.save(buffer, format="WEBP", quality=80, method=4)
        saved_name = storage.save(f"{base}_{width}.webp", ContentFile(buffer.getvalue()))
        renditions[str(width)] = {"name": saved_name, "width": copy.width, "height": copy.height}
    return renditions
