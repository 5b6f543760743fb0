"""QR codes as inline SVG (segno): no image file, no script, nothing fetched; readable by a phone camera."""

from __future__ import annotations

import segno
from django.utils.safestring import SafeString, mark_safe


def qr_svg(text: str, *, scale: int = 4, label: str = "") -> SafeString:
    """An ``<svg>`` QR code of ``text`` (a regular QR code, not a Micro QR code: every phone reads it);
    ``label`` names it for screen readers."""
    # segno writes the text only as modules, and escapes the title it is given.
    svg = segno.make_qr(text, error="m").svg_inline(scale=scale, title=label or None)
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1) if label else svg)  # noqa: S308
