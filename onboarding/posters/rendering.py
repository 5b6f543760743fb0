"""Posters and window stickers as PDF (WeasyPrint): the town's colours, the merchant's name, a QR code to its shop.

Nothing is fetched: the QR codes are inline SVG (segno), the logo a data URI read from the town's branding
storage, the font DejaVu Sans found through fontconfig (it has Latin, Arabic and Hebrew glyphs). A name's size
is chosen here, from its length, so that even a very long name stays on its page; a right-to-left name is set
right-to-left (``dir="rtl"``, which Pango's bidi algorithm then lays out).
"""

from __future__ import annotations

import base64
import logging
import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

import segno
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from onboarding.posters.models import PosterFormat
from tenants.actions import town_absolute_url
from tenants.branding import contrast_ratio
from tenants.hosts import town_public_host
from tenants.models import Town

logger = logging.getLogger(__name__)

# Pages laid out per WeasyPrint document: progress is recorded after each chunk.
PAGES_PER_CHUNK = 25

_LOGO_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}


@dataclass(frozen=True)
class PosterEntry:
    """One page: the merchant's name and the absolute URL of its shop page."""

    name: str
    shop_url: str
    # A showcase (an estate agent, an association) is not ordered from: « Retrouvez-nous sur … ».
    sells_online: bool = True


@dataclass(frozen=True)
class Branding:
    town_name: str
    host: str
    primary_colour: str
    secondary_colour: str
    text_on_primary: str
    text_on_secondary: str
    logo_data_uri: str


@dataclass(frozen=True)
class NameBox:
    """Where a format puts the merchant's name: the width and height it may fill, in points."""

    width_pt: float
    height_pt: float
    largest_pt: float
    smallest_pt: float


NAME_BOXES = {
    PosterFormat.A4_POSTER: NameBox(width_pt=500, height_pt=230, largest_pt=72, smallest_pt=12),
    PosterFormat.A6_STICKER: NameBox(width_pt=255, height_pt=92, largest_pt=30, smallest_pt=7),
}
# DejaVu Sans Bold: an average glyph is about 0.62 em wide; 0.7 leaves room for wide letters and word wraps.
_AVERAGE_GLYPH_EM = 0.64
_LINE_HEIGHT = 1.15


def readable_text_colour(background: str) -> str:
    """Black or white, whichever contrasts more with ``background`` (WCAG ratio)."""
    return "#ffffff" if contrast_ratio(background, "#ffffff") >= contrast_ratio(background, "#000000") else "#000000"


def name_font_size(name: str, box: NameBox) -> float:
    """The largest size (pt) at which ``name``, wrapped, fits the box; the smallest size at worst."""
    size = box.largest_pt
    while size > box.smallest_pt:
        per_line = max(1, math.floor(box.width_pt / (size * _AVERAGE_GLYPH_EM)))
        # A word never splits mid-way unless it is longer than a line: count one line more for the wraps.
        lines = math.ceil(len(name) / per_line) + (1 if len(name) > per_line else 0)
        if lines * size * _LINE_HEIGHT <= box.height_pt:
            return size
        size = round(size * 0.9, 1)
    return box.smallest_pt


def text_direction(text: str) -> str:
    """``rtl`` when the first strongly directional character is right-to-left (Arabic, Hebrew), else ``ltr``."""
    for character in text:
        direction = unicodedata.bidirectional(character)
        if direction in ("R", "AL"):
            return "rtl"
        if direction == "L":
            return "ltr"
    return "ltr"


def qr_svg(url: str) -> SafeString:
    """The URL as an inline SVG QR code that scales to its box (no size of its own: the CSS gives it)."""
    return mark_safe(segno.make_qr(url, error="m").svg_inline(omitsize=True, border=4))  # noqa: S308 - segno's own SVG


def shop_url(town: Town, merchant_slug: str) -> str:
    """The absolute URL of a merchant's shop page on the town's public host (https outside development)."""
    return town_absolute_url(town, reverse("storefront:merchant", kwargs={"merchant_slug": merchant_slug}))


def _logo_data_uri(town: Town) -> str:
    if not town.logo:
        return ""
    content_type = _LOGO_TYPES.get(PurePosixPath(town.logo.name).suffix.lower())
    if content_type is None:
        return ""
    try:
        with town.logo.open("rb") as logo:
            data = logo.read()
    except OSError:
        # A poster without the logo beats no poster at all.
        logger.warning("town logo unreadable for posters", extra={"town": town.slug})
        return ""
    return f"data:{content_type};base64,{base64.b64encode(data).decode('ascii')}"


def town_branding(town: Town) -> Branding:
    """The town's name, public host, colours (with a readable text colour on each) and logo."""
    return Branding(
        town_name=town.name,
        host=town_public_host(town),
        primary_colour=town.primary_color,
        secondary_colour=town.secondary_color,
        text_on_primary=readable_text_colour(town.primary_color),
        text_on_secondary=readable_text_colour(town.secondary_color),
        logo_data_uri=_logo_data_uri(town),
    )


def render_posters_html(entries: Sequence[PosterEntry], *, branding: Branding, poster_format: str) -> str:
    box = NAME_BOXES[PosterFormat(poster_format)]
    pages = [
        {
            "name": entry.name,
            "direction": text_direction(entry.name),
            "font_size": f"{name_font_size(entry.name, box):.1f}",
            "qr": qr_svg(entry.shop_url),
            "url": entry.shop_url,
            "sells_online": entry.sells_online,
        }
        for entry in entries
    ]
    with translation.override("fr"):
        return render_to_string(
            "onboarding/posters/posters_pdf.html",
            {"pages": pages, "branding": branding, "is_sticker": poster_format == PosterFormat.A6_STICKER},
        )


def render_posters_pdf(
    entries: Sequence[PosterEntry],
    *,
    branding: Branding,
    poster_format: str,
    progress: Callable[[int, int], None] | None = None,
    pages_per_chunk: int | None = None,
) -> bytes:
    """One PDF, one page per entry, in order; ``progress(done, total)`` after each chunk is laid out."""
    from weasyprint import HTML  # imported here: loading Pango costs ~0.3 s, only PDFs need it
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    documents = []
    total = len(entries)
    step = pages_per_chunk or PAGES_PER_CHUNK
    for start in range(0, total, step):
        chunk = entries[start : start + step]
        html = render_posters_html(chunk, branding=branding, poster_format=poster_format)
        documents.append(HTML(string=html).render(font_config=font_config))
        if progress is not None:
            progress(start + len(chunk), total)
    pages = [page for document in documents for page in document.pages]
    return bytes(documents[0].copy(pages).write_pdf())
