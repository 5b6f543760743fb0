"""The demo shops' logos and cover photos, drawn from the product illustrations of ``demo.drawing``.

A logo is a round badge: the shop's motif (a loaf, a ball of yarn...) on a white disc inside a ring
of a bright colour. A cover is the shop window seen from the street: a striped awning over a window
showing three of the motif's drawings on a shelf. Like every demo picture, they are drawn once by
``draw_demo_pictures`` into ``demo/data/pictures/shops/`` (committed); seeding only reads them.
"""

from __future__ import annotations

import zlib

from PIL import Image, ImageDraw

from demo.drawing import BACKGROUNDS, MOTIFS, VARIANTS, VIVID, draw_picture, ellipse, shade

LOGO_SIZE = 192
COVER_WIDTH, COVER_HEIGHT = 1200, 375  # 16:5, the merchant page's banner
SCALE = 2


def _accent(motif: str) -> tuple[int, int, int]:
    return VIVID[zlib.crc32(motif.encode()) % len(VIVID)]


def draw_shop_logo(motif: str) -> Image.Image:
    """A round badge with the motif in the middle (opaque: the page rounds it, the file stays a small JPEG)."""
    big = LOGO_SIZE * SCALE
    accent = _accent(motif)
    image = Image.new("RGB", (big, big), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    ellipse(draw, big / 2, big / 2, big / 2 - 2, big / 2 - 2, accent)
    ring = big * 0.085
    ellipse(draw, big / 2, big / 2, big / 2 - ring, big / 2 - ring, (255, 255, 255))
    # The middle of the motif's first drawing, cut as a disc.
    picture = draw_picture(motif, 0)
    side = int(picture.height * 0.9)
    left, top = (picture.width - side) // 2, (picture.height - side) // 2
    inner = int(big - 2 * ring - big * 0.06)
    crop = picture.crop((left, top, left + side, top + side)).resize((inner, inner), Image.Resampling.LANCZOS)
    mask = Image.new("L", (inner, inner), 0)
    ImageDraw.Draw(mask).ellipse((0, 0, inner - 1, inner - 1), fill=255)
    offset = (big - inner) // 2
    image.paste(crop, (offset, offset), mask)
    return image.resize((LOGO_SIZE, LOGO_SIZE), Image.Resampling.LANCZOS)


def draw_shop_cover(motif: str) -> Image.Image:
    """The shop window: an awning in the shop's colour, three drawings of its motif on a shelf."""
    w, h = COVER_WIDTH * SCALE, COVER_HEIGHT * SCALE
    accent = _accent(motif)
    wall = BACKGROUNDS[len(motif) % len(BACKGROUNDS)]
    image = Image.new("RGB", (w, h), shade(wall, 0.96))
    draw = ImageDraw.Draw(image)
    # Bricks of the wall, lightly drawn.
    for row, y in enumerate(range(0, h, 60)):
        for x in range(-(row % 2) * 70, w, 140):
            draw.rectangle((x + 4, y + 4, x + 136, y + 56), outline=shade(wall, 0.9), width=3)
    # The window and its frame.
    frame = (w * 0.04, h * 0.3, w * 0.96, h * 1.02)
    draw.rectangle(frame, fill=shade(accent, 0.55))
    glass = (frame[0] + 26, frame[1] + 26, frame[2] - 26, frame[3])
    draw.rectangle(glass, fill=(222, 236, 242))
    draw.polygon(  # a reflection across the glass
        [
            (glass[0] + 200, glass[1]),
            (glass[0] + 420, glass[1]),
            (glass[0] + 120, glass[3]),
            (glass[0] - 100, glass[3]),
        ],
        fill=(236, 246, 250),
    )
    shelf_y = h * 0.9
    draw.rectangle((glass[0], shelf_y, glass[2], shelf_y + 22), fill=shade(accent, 0.45))
    # Three drawings of the motif standing on the shelf.
    item_h = int(shelf_y - glass[1] - 40)
    item_w = int(item_h * 1.5)
    gap = (glass[2] - glass[0] - 3 * item_w) / 4
    for index in range(3):
        picture = draw_picture(motif, index % VARIANTS).resize((item_w, item_h), Image.Resampling.LANCZOS)
        x = int(glass[0] + gap + index * (item_w + gap))
        image.paste(picture, (x, int(shelf_y - item_h)))
        draw.rectangle((x, int(shelf_y - item_h), x + item_w, int(shelf_y)), outline=(255, 255, 255), width=8)
    # The striped awning with its scalloped edge.
    stripes = 14
    stripe_width = w / stripes
    bottom = h * 0.26
    for stripe in range(stripes):
        colour = accent if stripe % 2 == 0 else (250, 250, 250)
        left = stripe * stripe_width
        draw.rectangle((left, 0, left + stripe_width, bottom), fill=colour)
        ellipse(draw, left + stripe_width / 2, bottom, stripe_width / 2, 28, colour)
    draw.rectangle((0, 0, w, 14), fill=shade(accent, 0.6))
    return image.resize((COVER_WIDTH, COVER_HEIGHT), Image.Resampling.LANCZOS)


SHOP_MOTIFS = tuple(MOTIFS)
