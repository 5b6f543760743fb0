"""Flat illustrations of the demo's products, drawn with Pillow: bread, cheese, flowers, books, tools...

Only ``draw_demo_pictures`` uses this module, to (re)make the small WebP files committed in
``demo/data/pictures/``; seeding reads those files and never draws. Each motif is a function drawing
on a canvas twice the final size (smooth edges once shrunk); ``variant`` shifts its colours, so the
products of one family do not all look the same.
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Callable

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 600, 400  # the storefront's cards are 3:2
SCALE = 2
W, H = WIDTH * SCALE, HEIGHT * SCALE
CX, CY = W // 2, H // 2 + 20

Colour = tuple[int, int, int]
Motif = Callable[[ImageDraw.ImageDraw, random.Random, int], None]

BACKGROUNDS: tuple[Colour, ...] = (
    (250, 236, 214),
    (225, 238, 232),
    (231, 234, 246),
    (246, 228, 228),
    (238, 240, 220),
    (242, 232, 244),
)
# Bright colours for things that come in any colour (clothes, toys, bottles of shampoo).
VIVID: tuple[Colour, ...] = (
    (214, 69, 65),
    (38, 110, 170),
    (46, 139, 87),
    (232, 163, 23),
    (142, 68, 173),
    (22, 160, 160),
    (231, 111, 81),
    (52, 73, 94),
)
INK: Colour = (60, 45, 40)


def shade(colour: Colour, factor: float) -> Colour:
    """Darker below 1, lighter above (towards white)."""
    if factor <= 1:
        return (int(colour[0] * factor), int(colour[1] * factor), int(colour[2] * factor))
    return (
        int(colour[0] + (255 - colour[0]) * (factor - 1)),
        int(colour[1] + (255 - colour[1]) * (factor - 1)),
        int(colour[2] + (255 - colour[2]) * (factor - 1)),
    )


def vivid(variant: int, offset: int = 0) -> Colour:
    return VIVID[(variant * 3 + offset) % len(VIVID)]


def _shadow(draw: ImageDraw.ImageDraw, width: int, y: int = CY + 230) -> None:
    draw.ellipse((CX - width // 2, y - 28, CX + width // 2, y + 28), fill=(0, 0, 0, 28))


def ellipse(draw: ImageDraw.ImageDraw, cx: float, cy: float, rx: float, ry: float, fill: Colour, **kw: object) -> None:
    draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=fill, **kw)  # type: ignore[arg-type]  # outline, width


def rounded(
    draw: ImageDraw.ImageDraw, box: tuple[float, float, float, float], radius: float, fill: Colour, **kw: object
) -> None:
    draw.rounded_rectangle(box, radius=int(radius), fill=fill, **kw)  # type: ignore[arg-type]  # outline, width


# --- food ------------------------------------------------------------------------------------------


def bread(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    crust = [(196, 134, 66), (176, 112, 52), (210, 158, 90), (150, 96, 50)][variant % 4]
    _shadow(draw, 760)
    if variant % 2 == 0:  # a baguette, slanted, with its cuts
        points = []
        for step in range(0, 361, 10):
            angle = math.radians(step)
            points.append((CX + 420 * math.cos(angle), CY + 95 * math.sin(angle)))
        rotated = [
            (
                CX + (x - CX) * math.cos(-0.25) - (y - CY) * math.sin(-0.25),
                CY + (x - CX) * math.sin(-0.25) + (y - CY) * math.cos(-0.25),
            )
            for x, y in points
        ]
        draw.polygon(rotated, fill=crust)
        for index in range(-3, 4):
            x, y = CX + index * 105, CY - index * 105 * 0.255
            draw.line((x - 45, y + 22, x + 45, y - 30), fill=shade(crust, 1.45), width=18)
    else:  # a round loaf (boule) with a cross cut
        ellipse(draw, CX, CY, 300, 210, crust)
        ellipse(draw, CX, CY - 30, 260, 160, shade(crust, 1.1))
        draw.line((CX - 150, CY - 110, CX + 150, CY + 40), fill=shade(crust, 1.5), width=22)
        draw.line((CX - 150, CY + 40, CX + 150, CY - 110), fill=shade(crust, 1.5), width=22)


def croissant(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    crust = [(214, 150, 62), (196, 128, 52), (226, 170, 84)][variant % 3]
    _shadow(draw, 700)
    segments = [(-330, 60, 120), (-180, 0, 160), (0, -20, 190), (180, 0, 160), (330, 60, 120)]
    for index, (dx, dy, radius) in enumerate(segments):
        tone = shade(crust, 0.92 if index % 2 else 1.05)
        ellipse(draw, CX + dx, CY + dy, radius * 0.85, radius, tone, outline=shade(crust, 0.7), width=6)
    if variant % 3 == 1:  # chocolate stick showing
        rounded(draw, (CX - 90, CY - 40, CX + 90, CY + 10), 20, (90, 50, 30))


def cake(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    base = [(226, 176, 110), (240, 210, 160), (200, 140, 90), (245, 200, 180)][variant % 4]
    topping = [(200, 40, 60), (90, 50, 30), (240, 240, 235), (120, 170, 70), (232, 163, 23)][variant % 5]
    _shadow(draw, 760)
    ellipse(draw, CX, CY + 150, 340, 80, (245, 245, 245))  # plate
    rounded(draw, (CX - 280, CY - 60, CX + 280, CY + 150), 40, base)
    ellipse(draw, CX, CY - 60, 280, 70, shade(base, 1.2))
    for index in range(7):
        angle = index / 7 * 2 * math.pi
        ellipse(draw, CX + 200 * math.cos(angle), CY - 60 + 45 * math.sin(angle), 38, 30, topping)
    ellipse(draw, CX, CY - 70, 50, 36, topping)


def meat(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    red = [(178, 58, 58), (196, 80, 70), (160, 50, 60), (210, 120, 110)][variant % 4]
    _shadow(draw, 760)
    rounded(draw, (CX - 380, CY - 200, CX + 380, CY + 200), 60, (170, 120, 70))  # wooden board
    for x in range(int(CX - 360), int(CX + 360), 60):
        draw.line((x, CY - 190, x + 20, CY + 190), fill=(155, 108, 62), width=4)
    if variant % 2:
        for dx in (-170, 0, 170):  # sausages
            rounded(draw, (CX + dx - 60, CY - 150, CX + dx + 60, CY + 150), 60, red)
            ellipse(draw, CX + dx - 15, CY - 80, 14, 40, shade(red, 1.3))
    else:  # a steak with its fat edge
        ellipse(draw, CX, CY, 280, 160, (245, 232, 220))
        ellipse(draw, CX - 10, CY + 5, 250, 135, red)
        for _ in range(14):
            ellipse(draw, CX + rng.randint(-180, 180), CY + rng.randint(-90, 90), 18, 6, shade(red, 1.35))


def fish(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    body = [(120, 150, 170), (170, 180, 190), (200, 120, 90), (90, 120, 150)][variant % 4]
    _shadow(draw, 800)
    ellipse(draw, CX - 60, CY, 320, 140, body)
    draw.polygon([(CX + 220, CY), (CX + 420, CY - 150), (CX + 380, CY), (CX + 420, CY + 150)], fill=shade(body, 0.85))
    draw.chord((CX - 380, CY - 140, CX + 260, CY + 140), 0, 180, fill=shade(body, 1.35))
    ellipse(draw, CX - 270, CY - 35, 26, 26, (255, 255, 255))
    ellipse(draw, CX - 270, CY - 35, 13, 13, INK)
    draw.arc((CX - 260, CY - 110, CX - 100, CY + 110), -60, 60, fill=shade(body, 0.7), width=10)
    for index in range(5):
        draw.arc((CX - 80 + index * 55, CY - 60, CX + index * 55, CY + 60), -50, 50, fill=shade(body, 0.8), width=6)


def fruit(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    colours = [(206, 40, 50), (120, 180, 60), (240, 160, 30), (230, 200, 50), (200, 60, 90)]
    _shadow(draw, 820)
    ellipse(draw, CX, CY + 80, 400, 150, (186, 140, 90))  # basket
    ellipse(draw, CX, CY + 40, 380, 110, (150, 108, 66))
    positions = [(-220, -20), (-70, -60), (80, -50), (230, -10), (-140, 50), (10, 30), (160, 55)]
    for index, (dx, dy) in enumerate(positions):
        colour = colours[(variant + index // 3) % len(colours)]
        ellipse(draw, CX + dx, CY + dy - 60, 95, 90, colour)
        ellipse(draw, CX + dx - 30, CY + dy - 95, 22, 16, shade(colour, 1.45))
        draw.line((CX + dx, CY + dy - 150, CX + dx + 10, CY + dy - 185), fill=(90, 60, 30), width=10)
    ellipse(draw, CX, CY + 150, 380, 90, (186, 140, 90))


def vegetable(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    kind = variant % 4
    _shadow(draw, 760)
    if kind in (0, 2):  # a bunch of carrots, or leeks
        colour = (238, 128, 38) if kind == 0 else (236, 236, 210)
        leaves = (76, 150, 60) if kind == 0 else (60, 120, 60)
        for index, angle in enumerate((-0.35, -0.1, 0.15, 0.4)):
            tip = (CX + 420 * math.sin(angle), CY + 230)
            top = (CX - 40 + index * 30, CY - 120)
            draw.polygon([(top[0] - 50, top[1]), (top[0] + 50, top[1]), tip], fill=shade(colour, 1 - index * 0.05))
            for leaf in (-1, 0, 1):
                draw.line((top[0], top[1], top[0] + leaf * 70, top[1] - 200), fill=leaves, width=22)
    elif kind == 1:  # a cauliflower / cabbage
        for index in range(9):
            angle = index / 9 * 2 * math.pi
            ellipse(draw, CX + 230 * math.cos(angle), CY + 40 + 120 * math.sin(angle), 150, 110, (80, 150, 70))
        for index in range(12):
            angle = index / 12 * 2 * math.pi
            ellipse(draw, CX + 110 * math.cos(angle), CY - 10 + 70 * math.sin(angle), 80, 70, (245, 240, 215))
        ellipse(draw, CX, CY - 10, 90, 70, (250, 246, 225))
    else:  # tomatoes on the vine
        for dx, dy in ((-200, 30), (0, -30), (200, 30), (-100, 120), (100, 120)):
            ellipse(draw, CX + dx, CY + dy, 115, 105, (214, 48, 40))
            ellipse(draw, CX + dx - 40, CY + dy - 40, 24, 18, (240, 120, 110))
            for leaf in range(5):
                angle = leaf / 5 * 2 * math.pi
                draw.line(
                    (CX + dx, CY + dy - 95, CX + dx + 45 * math.cos(angle), CY + dy - 95 + 25 * math.sin(angle)),
                    fill=(60, 130, 50),
                    width=12,
                )


def cheese(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    paste = [(250, 214, 110), (244, 226, 170), (240, 150, 60), (250, 240, 215)][variant % 4]
    rind = [(214, 160, 60), (232, 220, 190), (200, 100, 40), (225, 215, 190)][variant % 4]
    _shadow(draw, 800)
    if variant % 2 == 0:  # a wedge with holes
        front = [(CX - 330, CY + 170), (CX + 330, CY + 170), (CX + 330, CY - 20), (CX - 330, CY + 40)]
        top = [(CX - 330, CY + 40), (CX + 330, CY - 20), (CX + 150, CY - 170)]
        draw.polygon(front, fill=paste, outline=rind, width=10)
        draw.polygon(top, fill=shade(paste, 1.15), outline=rind, width=10)
        for _ in range(6):
            ellipse(draw, CX + rng.randint(-250, 250), CY + rng.randint(60, 140), 28, 24, shade(paste, 0.85))
    else:  # a round cheese with a slice cut out
        ellipse(draw, CX, CY + 80, 330, 110, shade(rind, 0.9))
        draw.rectangle((CX - 330, CY - 40, CX + 330, CY + 80), fill=shade(rind, 0.9))
        ellipse(draw, CX, CY - 40, 330, 110, rind)
        draw.pieslice((CX - 330, CY - 150, CX + 330, CY + 70), -40, 10, fill=paste)


def jar(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    content = [(200, 60, 60), (230, 160, 40), (120, 70, 40), (230, 200, 90), (110, 140, 60)][variant % 5]
    lid = vivid(variant, 2)
    _shadow(draw, 560)
    rounded(draw, (CX - 200, CY - 170, CX + 200, CY + 230), 60, content)
    rounded(draw, (CX - 160, CY - 130, CX - 110, CY + 180), 20, shade(content, 1.3))
    rounded(draw, (CX - 210, CY - 250, CX + 210, CY - 160), 24, lid)
    rounded(draw, (CX - 150, CY - 20, CX + 150, CY + 110), 16, (252, 248, 236))
    draw.line((CX - 100, CY + 25, CX + 100, CY + 25), fill=INK, width=10)
    draw.line((CX - 70, CY + 65, CX + 70, CY + 65), fill=shade(INK, 1.5), width=8)


def dairy(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    """Yoghurt or fromage blanc pots: white, with coloured lids and bands."""
    _shadow(draw, 760)
    for index, dx in enumerate((-230, 0, 230)):
        lid = vivid(variant, index)
        top, bottom = CY - 150 + (index % 2) * 30, CY + 200
        draw.polygon(
            [(CX + dx - 105, top), (CX + dx + 105, top), (CX + dx + 85, bottom), (CX + dx - 85, bottom)],
            fill=(250, 250, 246),
        )
        draw.polygon(
            [
                (CX + dx - 100, top + 90),
                (CX + dx + 100, top + 90),
                (CX + dx + 94, top + 150),
                (CX + dx - 94, top + 150),
            ],
            fill=lid,
        )
        rounded(draw, (CX + dx - 115, top - 26, CX + dx + 115, top + 8), 10, shade(lid, 1.2))
        ellipse(draw, CX + dx + 40, top + 220, 22, 22, shade(lid, 1.5))


def bottle(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    glass = [(40, 80, 50), (110, 30, 40), (180, 150, 60), (60, 90, 120), (200, 120, 40)][variant % 5]
    _shadow(draw, 420)
    rounded(draw, (CX - 120, CY - 110, CX + 120, CY + 240), 40, glass)
    draw.polygon([(CX - 120, CY - 90), (CX - 40, CY - 210), (CX + 40, CY - 210), (CX + 120, CY - 90)], fill=glass)
    rounded(draw, (CX - 40, CY - 330, CX + 40, CY - 190), 14, glass)
    rounded(draw, (CX - 44, CY - 340, CX + 44, CY - 290), 10, vivid(variant, 5))
    rounded(draw, (CX - 95, CY + 10, CX + 95, CY + 160), 12, (246, 238, 216))
    draw.line((CX - 60, CY + 70, CX + 60, CY + 70), fill=glass, width=12)
    rounded(draw, (CX - 95, CY - 80, CX - 70, CY + 200), 10, shade(glass, 1.4))
    if variant % 2:  # a glass beside it
        draw.polygon(
            [(CX + 200, CY + 20), (CX + 340, CY + 20), (CX + 300, CY + 180), (CX + 240, CY + 180)], fill=(235, 240, 245)
        )
        draw.polygon([(CX + 212, CY + 70), (CX + 328, CY + 70), (CX + 300, CY + 180), (CX + 240, CY + 180)], fill=glass)
        rounded(draw, (CX + 262, CY + 180, CX + 278, CY + 230), 4, (235, 240, 245))


def chocolate(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    brown = [(92, 52, 32), (120, 72, 44), (70, 40, 26), (150, 96, 60)][variant % 4]
    _shadow(draw, 760)
    if variant % 2 == 0:  # a bar, half unwrapped
        rounded(draw, (CX - 320, CY - 170, CX + 320, CY + 170), 20, brown)
        for column in range(4):
            for row in range(3):
                x, y = CX - 300 + column * 150, CY - 150 + row * 105
                rounded(draw, (x + 8, y + 8, x + 136, y + 92), 10, shade(brown, 1.15))
        rounded(draw, (CX + 20, CY - 180, CX + 340, CY + 180), 16, vivid(variant, 1))
        draw.line((CX + 20, CY - 180, CX + 20, CY + 180), fill=(230, 200, 120), width=14)
    else:  # a box of chocolates
        rounded(draw, (CX - 340, CY - 200, CX + 340, CY + 200), 30, vivid(variant, 4))
        rounded(draw, (CX - 300, CY - 160, CX + 300, CY + 160), 20, (246, 236, 220))
        for column in range(4):
            for row in range(3):
                x, y = CX - 225 + column * 150, CY - 105 + row * 105
                ellipse(draw, x, y, 52, 44, shade(brown, 1 + (column + row) % 3 * 0.12))


def plate(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    _shadow(draw, 860)
    ellipse(draw, CX, CY, 400, 250, (250, 250, 248), outline=(220, 220, 215), width=8)
    ellipse(draw, CX, CY, 300, 185, (244, 244, 240))
    kind = variant % 4
    if kind == 0:  # mussels and fries
        for index in range(9):
            x, y = CX - 200 + (index % 3) * 90 + rng.randint(-10, 10), CY - 100 + (index // 3) * 70
            ellipse(draw, x, y, 48, 28, (40, 40, 60))
            ellipse(draw, x + 8, y - 4, 30, 14, (240, 170, 80))
        for index in range(8):
            x = CX + 60 + index * 25
            draw.line((x, CY - 120, x + 30, CY + 120), fill=(240, 200, 90), width=24)
    elif kind == 1:  # a stew
        ellipse(draw, CX, CY, 260, 160, (130, 60, 40))
        for _ in range(10):
            ellipse(draw, CX + rng.randint(-180, 180), CY + rng.randint(-100, 100), 40, 30, (150, 80, 50))
        for _ in range(6):
            ellipse(draw, CX + rng.randint(-180, 180), CY + rng.randint(-100, 100), 20, 14, (240, 130, 40))
    elif kind == 2:  # a salad
        for _ in range(16):
            ellipse(draw, CX + rng.randint(-200, 200), CY + rng.randint(-110, 110), 60, 36, (100, 170, 70))
        for _ in range(6):
            ellipse(draw, CX + rng.randint(-160, 160), CY + rng.randint(-90, 90), 34, 34, (214, 48, 40))
        ellipse(draw, CX, CY, 70, 60, (250, 246, 230))
    else:  # a quiche or tart
        ellipse(draw, CX, CY, 260, 160, (210, 160, 90))
        ellipse(draw, CX, CY, 230, 138, (246, 210, 110))
        for _ in range(12):
            ellipse(draw, CX + rng.randint(-170, 170), CY + rng.randint(-90, 90), 18, 12, (200, 120, 80))


def pizza(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    _shadow(draw, 760)
    ellipse(draw, CX, CY, 380, 240, (214, 160, 90))
    ellipse(draw, CX, CY, 335, 205, (214, 60, 40))
    for _ in range(9):
        ellipse(draw, CX + rng.randint(-250, 250), CY + rng.randint(-140, 140), 60, 40, (250, 236, 190))
    topping = [(60, 130, 50), (150, 40, 40), (80, 60, 50), (240, 200, 60)][variant % 4]
    for _ in range(10):
        ellipse(draw, CX + rng.randint(-240, 240), CY + rng.randint(-140, 140), 24, 18, topping)
    draw.line((CX, CY - 205, CX, CY + 205), fill=(200, 140, 80), width=6)
    draw.line((CX - 335, CY, CX + 335, CY), fill=(200, 140, 80), width=6)


def cup(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    colour = [(250, 250, 248), vivid(variant, 1), (230, 220, 200)][variant % 3]
    drink = [(90, 56, 36), (150, 100, 70), (200, 150, 110)][variant % 3]
    _shadow(draw, 640)
    ellipse(draw, CX, CY + 170, 300, 70, (245, 245, 242), outline=(215, 215, 210), width=6)  # saucer
    draw.arc((CX + 130, CY - 100, CX + 300, CY + 80), -90, 90, fill=colour, width=40)
    rounded(draw, (CX - 200, CY - 150, CX + 200, CY + 150), 80, colour, outline=(210, 205, 195), width=6)
    ellipse(draw, CX, CY - 150, 200, 50, drink)
    for index in range(3):  # steam
        x = CX - 80 + index * 80
        draw.arc((x - 30, CY - 330, x + 30, CY - 230), 90, 270, fill=(255, 255, 255), width=12)
        draw.arc((x - 30, CY - 260, x + 30, CY - 170), -90, 90, fill=(255, 255, 255), width=12)


def mug(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    glaze = [(70, 110, 140), (160, 100, 70), (110, 140, 100), (200, 190, 170), (140, 70, 80)][variant % 5]
    _shadow(draw, 640)
    draw.arc((CX + 100, CY - 110, CX + 300, CY + 110), -90, 90, fill=shade(glaze, 0.85), width=46)
    rounded(draw, (CX - 190, CY - 200, CX + 190, CY + 200), 40, glaze)
    ellipse(draw, CX, CY - 200, 190, 40, shade(glaze, 0.7))
    for row in range(3):
        y = CY - 60 + row * 90
        draw.line((CX - 170, y, CX + 170, y), fill=shade(glaze, 1.25), width=8)
    rounded(draw, (CX - 190, CY + 130, CX + 190, CY + 200), 30, (200, 180, 150))


# --- things --------------------------------------------------------------------------------------


def dress(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    colour = vivid(variant)
    _shadow(draw, 560)
    draw.line((CX - 80, CY - 330, CX + 80, CY - 330), fill=(120, 120, 120), width=10)  # hanger
    draw.polygon([(CX - 130, CY - 230), (CX + 130, CY - 230), (CX + 100, CY - 40), (CX - 100, CY - 40)], fill=colour)
    draw.polygon([(CX - 100, CY - 40), (CX + 100, CY - 40), (CX + 260, CY + 250), (CX - 260, CY + 250)], fill=colour)
    draw.polygon([(CX - 60, CY - 230), (CX, CY - 160), (CX + 60, CY - 230)], fill=shade(colour, 1.35))
    rounded(draw, (CX - 105, CY - 60, CX + 105, CY - 25), 10, shade(colour, 0.75))
    if variant % 2:  # dots
        for _ in range(18):
            ellipse(draw, CX + rng.randint(-200, 200), CY + rng.randint(20, 230), 14, 14, (255, 255, 255))


def shirt(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    colour = vivid(variant, 2)
    _shadow(draw, 640)
    body = [(CX - 200, CY - 220), (CX + 200, CY - 220), (CX + 200, CY + 240), (CX - 200, CY + 240)]
    draw.polygon(body, fill=colour)
    draw.polygon([(CX - 200, CY - 220), (CX - 330, CY - 60), (CX - 250, CY), (CX - 200, CY - 90)], fill=colour)
    draw.polygon([(CX + 200, CY - 220), (CX + 330, CY - 60), (CX + 250, CY), (CX + 200, CY - 90)], fill=colour)
    if variant % 3 == 0:  # a sailor's stripes (marinière)
        for row in range(7):
            y = CY - 170 + row * 60
            draw.rectangle((CX - 200, y, CX + 200, y + 22), fill=(255, 255, 255))
    draw.polygon([(CX - 80, CY - 220), (CX, CY - 120), (CX + 80, CY - 220)], fill=shade(colour, 0.7))
    if variant % 3 == 1:  # buttons
        for row in range(5):
            ellipse(draw, CX, CY - 80 + row * 70, 12, 12, (250, 250, 250))


def shoe(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    colour = [(120, 70, 40), (40, 40, 50), vivid(variant, 3), (200, 60, 60), (230, 230, 225)][variant % 5]
    _shadow(draw, 800)
    sole = (60, 50, 45) if variant % 5 != 4 else (200, 60, 60)
    rounded(draw, (CX - 360, CY + 110, CX + 360, CY + 170), 30, sole)
    draw.polygon(
        [
            (CX - 340, CY + 120),
            (CX - 330, CY - 150),
            (CX - 140, CY - 160),
            (CX - 60, CY - 20),
            (CX + 340, CY + 60),
            (CX + 350, CY + 120),
        ],
        fill=colour,
    )
    ellipse(draw, CX + 250, CY + 80, 110, 60, colour)
    for index in range(4):  # laces
        x = CX - 140 + index * 40
        draw.line((x, CY - 120 + index * 30, x + 60, CY - 100 + index * 30), fill=(250, 250, 250), width=10)
    rounded(draw, (CX - 345, CY - 160, CX - 250, CY + 120), 20, shade(colour, 0.8))


def bag(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    leather = [(140, 80, 40), (80, 50, 36), (170, 110, 60), (120, 40, 40), (40, 40, 46)][variant % 5]
    _shadow(draw, 700)
    draw.arc((CX - 170, CY - 330, CX + 170, CY - 30), 180, 360, fill=shade(leather, 0.8), width=34)
    rounded(draw, (CX - 300, CY - 170, CX + 300, CY + 220), 50, leather)
    draw.polygon(
        [(CX - 300, CY - 150), (CX + 300, CY - 150), (CX + 300, CY - 20), (CX, CY + 40), (CX - 300, CY - 20)],
        fill=shade(leather, 0.85),
    )
    rounded(draw, (CX - 40, CY + 10, CX + 40, CY + 70), 10, (220, 190, 90))
    for x in range(int(CX - 280), int(CX + 290), 40):
        ellipse(draw, x, CY + 200, 4, 4, shade(leather, 1.4))


def ring(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    metal = [(218, 180, 70), (200, 200, 205), (220, 160, 130)][variant % 3]
    stone = [(40, 120, 200), (200, 40, 60), (60, 170, 90), (240, 240, 250)][variant % 4]
    _shadow(draw, 520)
    rounded(draw, (CX - 260, CY + 40, CX + 260, CY + 230), 40, (60, 50, 70))  # jewel box
    ellipse(draw, CX, CY, 170, 170, metal)
    ellipse(draw, CX, CY, 130, 130, (60, 50, 70) if variant % 2 else (246, 236, 226))
    draw.polygon([(CX - 70, CY - 160), (CX + 70, CY - 160), (CX + 40, CY - 230), (CX - 40, CY - 230)], fill=metal)
    draw.polygon([(CX - 60, CY - 230), (CX + 60, CY - 230), (CX, CY - 330)], fill=stone)
    draw.polygon([(CX - 60, CY - 230), (CX, CY - 330), (CX - 20, CY - 230)], fill=shade(stone, 1.4))


def lace(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    ground = [(250, 250, 246), (246, 236, 220), (230, 230, 236)][variant % 3]
    thread = [(200, 190, 175), (170, 150, 130), (150, 160, 180)][variant % 3]
    _shadow(draw, 820)
    rounded(draw, (CX - 380, CY - 230, CX + 380, CY + 230), 24, ground)
    for row in range(5):
        for column in range(8):
            x, y = CX - 330 + column * 94, CY - 180 + row * 90
            ellipse(draw, x, y, 36, 36, ground, outline=thread, width=6)
            ellipse(draw, x, y, 12, 12, thread)
    for x in range(int(CX - 380), int(CX + 381), 38):  # scalloped edge
        draw.chord((x - 19, CY + 210, x + 19, CY + 250), 0, 180, fill=ground, outline=thread, width=4)


def vase(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    colour = [(90, 130, 150), (200, 160, 120), (150, 80, 70), (230, 225, 210), (80, 110, 80)][variant % 5]
    _shadow(draw, 480)
    ellipse(draw, CX, CY + 80, 190, 170, colour)
    rounded(draw, (CX - 70, CY - 200, CX + 70, CY - 20), 30, colour)
    ellipse(draw, CX, CY - 200, 90, 26, shade(colour, 0.7))
    draw.arc((CX - 170, CY - 40, CX + 170, CY + 230), 110, 160, fill=shade(colour, 1.4), width=18)
    for row in range(2):
        draw.line((CX - 170, CY + 40 + row * 70, CX + 170, CY + 40 + row * 70), fill=shade(colour, 0.8), width=10)
    if variant % 2:  # a candle beside it
        rounded(draw, (CX + 250, CY + 40, CX + 350, CY + 240), 16, (250, 246, 236))
        ellipse(draw, CX + 300, CY + 10, 14, 26, (250, 180, 50))


def pot(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    colour = [(200, 60, 50), (40, 60, 90), (70, 110, 80), (230, 140, 40), (60, 60, 60)][variant % 5]
    _shadow(draw, 760)
    rounded(draw, (CX - 300, CY - 100, CX + 300, CY + 200), 90, colour)
    rounded(draw, (CX - 380, CY - 70, CX - 290, CY - 20), 20, shade(colour, 0.8))
    rounded(draw, (CX + 290, CY - 70, CX + 380, CY - 20), 20, shade(colour, 0.8))
    ellipse(draw, CX, CY - 110, 310, 60, shade(colour, 0.85))
    ellipse(draw, CX, CY - 140, 70, 30, (80, 80, 80))
    draw.arc((CX - 250, CY - 60, CX - 120, CY + 160), 120, 220, fill=shade(colour, 1.4), width=16)


def tools(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    handle = vivid(variant, 1)
    _shadow(draw, 760)
    if variant % 2 == 0:  # a hammer
        rounded(draw, (CX - 40, CY - 160, CX + 40, CY + 250), 20, handle)
        rounded(draw, (CX - 220, CY - 250, CX + 170, CY - 130), 20, (140, 145, 150))
        draw.polygon(
            [(CX + 170, CY - 250), (CX + 260, CY - 290), (CX + 240, CY - 190), (CX + 170, CY - 130)],
            fill=(120, 125, 130),
        )
    else:  # a screwdriver and a wrench
        rounded(draw, (CX - 330, CY - 60, CX - 60, CY + 40), 40, handle)
        rounded(draw, (CX - 70, CY - 18, CX + 300, CY + 2), 6, (150, 155, 160))
        draw.line((CX - 250, CY + 160, CX + 250, CY + 160), fill=(130, 135, 140), width=46)
        ellipse(draw, CX + 270, CY + 160, 60, 60, (130, 135, 140))
        ellipse(draw, CX + 290, CY + 160, 30, 30, BACKGROUNDS[variant % len(BACKGROUNDS)])


def flowers(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    _shadow(draw, 560)
    petals = [vivid(variant + index) for index in range(3)]
    stems = []
    for index in range(7):
        x = CX - 210 + index * 70 + rng.randint(-20, 20)
        y = CY - 200 + rng.randint(-60, 60) + abs(index - 3) * 25
        stems.append((x, y))
        draw.line((x, y, CX + (index - 3) * 12, CY + 100), fill=(60, 130, 60), width=12)
    for index, (x, y) in enumerate(stems):
        colour = petals[index % 3]
        for petal in range(6):
            angle = petal / 6 * 2 * math.pi
            ellipse(draw, x + 42 * math.cos(angle), y + 42 * math.sin(angle), 34, 34, colour)
        ellipse(draw, x, y, 24, 24, (250, 210, 60))
    if variant % 2:  # wrapped bouquet
        draw.polygon(
            [(CX - 180, CY - 20), (CX + 180, CY - 20), (CX + 40, CY + 250), (CX - 40, CY + 250)], fill=(236, 220, 190)
        )
        rounded(draw, (CX - 70, CY + 80, CX + 70, CY + 120), 10, petals[1])
    else:  # in a pot
        draw.polygon(
            [(CX - 170, CY + 40), (CX + 170, CY + 40), (CX + 130, CY + 250), (CX - 130, CY + 250)], fill=(200, 110, 70)
        )
        rounded(draw, (CX - 190, CY + 20, CX + 190, CY + 80), 12, (180, 96, 60))


def cosmetics(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    colour = [(240, 200, 210), (200, 230, 240), (250, 240, 220), (220, 210, 240)][variant % 4]
    accent = vivid(variant, 4)
    _shadow(draw, 760)
    rounded(draw, (CX - 300, CY - 160, CX - 100, CY + 230), 50, colour)  # a bottle with its pump
    rounded(draw, (CX - 230, CY - 230, CX - 170, CY - 160), 10, accent)
    rounded(draw, (CX - 260, CY - 260, CX - 150, CY - 230), 8, accent)
    rounded(draw, (CX - 270, CY - 20, CX - 130, CY + 100), 12, (255, 255, 255))
    rounded(draw, (CX - 40, CY + 40, CX + 140, CY + 230), 30, shade(colour, 0.9))  # a jar of cream
    rounded(draw, (CX - 50, CY, CX + 150, CY + 60), 20, accent)
    rounded(draw, (CX + 200, CY - 40, CX + 280, CY + 230), 20, (50, 50, 60))  # a lipstick
    draw.polygon([(CX + 210, CY - 40), (CX + 270, CY - 40), (CX + 270, CY - 150), (CX + 210, CY - 110)], fill=accent)


def gift(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    colour = vivid(variant, 6)
    _shadow(draw, 760)
    rounded(draw, (CX - 340, CY - 200, CX + 340, CY + 200), 30, (250, 248, 240), outline=colour, width=10)
    draw.rectangle((CX - 240, CY - 200, CX - 190, CY + 200), fill=colour)
    ellipse(draw, CX - 250, CY - 200, 60, 34, colour)
    ellipse(draw, CX - 180, CY - 200, 60, 34, colour)
    for row in range(3):
        y = CY - 90 + row * 80
        draw.line((CX - 120, y, CX + 280 - row * 60, y), fill=shade(INK, 1.6), width=14)
    ellipse(draw, CX + 220, CY + 120, 50, 50, shade(colour, 1.3))


def glasses(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    frame = [(30, 30, 36), (140, 80, 40), vivid(variant, 2), (200, 170, 90)][variant % 4]
    lens = (40, 50, 60) if variant % 2 == 0 else (220, 235, 245)
    _shadow(draw, 800)
    for dx in (-190, 190):
        rounded(draw, (CX + dx - 160, CY - 110, CX + dx + 160, CY + 110), 70, frame)
        rounded(draw, (CX + dx - 130, CY - 82, CX + dx + 130, CY + 82), 56, lens)
        draw.line((CX + dx - 80, CY - 40, CX + dx - 30, CY - 60), fill=(255, 255, 255), width=12)
    draw.arc((CX - 60, CY - 70, CX + 60, CY + 10), 200, 340, fill=frame, width=22)
    draw.line((CX - 350, CY - 70, CX - 420, CY - 100), fill=frame, width=20)
    draw.line((CX + 350, CY - 70, CX + 420, CY - 100), fill=frame, width=20)


def newspaper(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    accent = vivid(variant, 1)
    _shadow(draw, 760)
    draw.polygon(
        [(CX - 300, CY - 250), (CX + 280, CY - 230), (CX + 320, CY + 240), (CX - 320, CY + 230)], fill=(236, 234, 226)
    )
    rounded(draw, (CX - 260, CY - 210, CX + 260, CY - 140), 6, INK)
    rounded(draw, (CX - 260, CY - 110, CX - 10, CY + 50), 6, accent)
    for row in range(9):
        y = CY - 110 + row * 34
        draw.line((CX + 20, y, CX + 260, y), fill=(150, 150, 150), width=12)
    for row in range(4):
        y = CY + 90 + row * 34
        draw.line((CX - 260, y, CX + 260, y), fill=(150, 150, 150), width=12)


def book(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    _shadow(draw, 760)
    if variant % 2 == 0:  # a standing cover
        colour = vivid(variant, 3)
        rounded(draw, (CX - 210, CY - 280, CX + 210, CY + 240), 12, colour)
        rounded(draw, (CX - 210, CY - 280, CX - 170, CY + 240), 8, shade(colour, 0.75))
        rounded(draw, (CX - 130, CY - 200, CX + 170, CY - 120), 8, (250, 246, 236))
        draw.line((CX - 100, CY - 60, CX + 140, CY - 60), fill=shade(colour, 1.5), width=14)
        ellipse(draw, CX + 20, CY + 100, 90, 90, shade(colour, 1.35))
    else:  # a pile of books
        for row in range(4):
            colour = vivid(variant, row)
            y = CY + 170 - row * 95
            shift = (row % 2) * 40 - 20
            rounded(draw, (CX - 300 + shift, y - 80, CX + 300 + shift, y), 12, colour)
            rounded(draw, (CX + 230 + shift, y - 70, CX + 290 + shift, y - 10), 6, (250, 246, 236))
            draw.line((CX - 240 + shift, y - 40, CX + 100 + shift, y - 40), fill=shade(colour, 1.5), width=10)


def toy(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    _shadow(draw, 700)
    if variant % 2 == 0:  # a teddy bear
        fur = [(170, 120, 70), (210, 170, 120), (140, 100, 80)][variant % 3]
        ellipse(draw, CX, CY + 110, 190, 150, fur)
        ellipse(draw, CX - 130, CY - 180, 60, 60, fur)
        ellipse(draw, CX + 130, CY - 180, 60, 60, fur)
        ellipse(draw, CX, CY - 90, 160, 140, fur)
        ellipse(draw, CX, CY - 50, 70, 52, shade(fur, 1.35))
        ellipse(draw, CX, CY - 70, 20, 14, INK)
        ellipse(draw, CX - 60, CY - 130, 14, 14, INK)
        ellipse(draw, CX + 60, CY - 130, 14, 14, INK)
        rounded(draw, (CX - 90, CY + 10, CX + 90, CY + 40), 10, vivid(variant))
    else:  # a wooden car
        body = vivid(variant, 2)
        rounded(draw, (CX - 320, CY - 60, CX + 320, CY + 110), 40, body)
        rounded(draw, (CX - 160, CY - 190, CX + 170, CY - 40), 40, shade(body, 0.85))
        rounded(draw, (CX - 120, CY - 160, CX + 130, CY - 70), 20, (220, 236, 246))
        for dx in (-190, 190):
            ellipse(draw, CX + dx, CY + 130, 80, 80, (60, 50, 45))
            ellipse(draw, CX + dx, CY + 130, 30, 30, (210, 170, 110))


def ball(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    _shadow(draw, 520)
    if variant % 2 == 0:  # a football
        ellipse(draw, CX, CY - 20, 230, 230, (250, 250, 250), outline=(60, 60, 60), width=10)
        draw.regular_polygon((CX, CY - 20, 70), 5, fill=(40, 40, 46))
        for index in range(5):
            angle = index / 5 * 2 * math.pi - math.pi / 2
            draw.regular_polygon(
                (CX + 170 * math.cos(angle), CY - 20 + 170 * math.sin(angle), 52), 5, fill=(40, 40, 46)
            )
    else:  # a racket and a shuttlecock
        colour = vivid(variant, 5)
        ellipse(draw, CX - 80, CY - 100, 170, 210, colour)
        ellipse(draw, CX - 80, CY - 100, 145, 185, (236, 240, 240))
        for offset in range(-120, 121, 40):
            draw.line((CX - 80 + offset, CY - 270, CX - 80 + offset, CY + 70), fill=(180, 180, 180), width=4)
            draw.line((CX - 220, CY - 100 + offset, CX + 60, CY - 100 + offset), fill=(180, 180, 180), width=4)
        rounded(draw, (CX - 100, CY + 100, CX - 60, CY + 280), 14, shade(colour, 0.7))
        draw.polygon(
            [(CX + 200, CY + 60), (CX + 320, CY + 60), (CX + 280, CY + 200), (CX + 240, CY + 200)], fill=(250, 250, 250)
        )
        ellipse(draw, CX + 260, CY + 210, 36, 30, colour)


def guitar(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    wood = [(200, 130, 60), (150, 80, 40), (220, 170, 90), (120, 40, 40)][variant % 4]
    _shadow(draw, 620)
    ellipse(draw, CX - 90, CY + 110, 200, 170, wood)
    ellipse(draw, CX + 90, CY - 10, 160, 140, wood)
    ellipse(draw, CX + 10, CY + 50, 60, 60, (50, 36, 30))
    draw.line((CX + 10, CY + 50, CX + 330, CY - 280), fill=(90, 60, 40), width=44)
    rounded(draw, (CX + 300, CY - 360, CX + 390, CY - 260), 16, (70, 50, 36))
    for index in range(-2, 3):
        draw.line((CX - 100, CY + 150 + index * 8, CX + 340, CY - 300 + index * 8), fill=(230, 230, 220), width=3)


def yarn(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    _shadow(draw, 760)
    for index, (dx, dy, radius) in enumerate(((-170, 40, 170), (150, 70, 140), (20, -120, 120))):
        colour = vivid(variant, index * 2)
        ellipse(draw, CX + dx, CY + dy, radius, radius, colour)
        for line in range(-3, 4):
            draw.arc(
                (CX + dx - radius, CY + dy - radius + line * 18, CX + dx + radius, CY + dy + radius + line * 18),
                200,
                340,
                fill=shade(colour, 0.8),
                width=6,
            )
    draw.line((CX - 260, CY - 260, CX + 40, CY + 220), fill=(160, 160, 170), width=14)
    draw.line((CX + 260, CY - 260, CX - 40, CY + 220), fill=(160, 160, 170), width=14)


def key(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    metal = [(210, 180, 80), (190, 190, 196), (180, 130, 80)][variant % 3]
    _shadow(draw, 760)
    ellipse(draw, CX - 220, CY, 130, 130, metal)
    ellipse(draw, CX - 220, CY, 55, 55, BACKGROUNDS[variant % len(BACKGROUNDS)])
    rounded(draw, (CX - 110, CY - 30, CX + 330, CY + 30), 10, metal)
    for index, depth in enumerate((60, 40, 80, 50)):
        x = CX + 140 + index * 45
        draw.rectangle((x, CY + 20, x + 30, CY + 20 + depth), fill=metal)
    if variant % 2:  # a shoe-repair touch: a sole and heel
        rounded(draw, (CX - 300, CY + 170, CX + 300, CY + 230), 28, (70, 50, 40))


def tote(draw: ImageDraw.ImageDraw, rng: random.Random, variant: int) -> None:
    canvas = [(236, 224, 200), (220, 230, 220), (240, 236, 230)][variant % 3]
    accent = vivid(variant, 1)
    _shadow(draw, 640)
    draw.arc((CX - 180, CY - 380, CX - 20, CY - 80), 180, 360, fill=shade(canvas, 0.8), width=26)
    draw.arc((CX + 20, CY - 380, CX + 180, CY - 80), 180, 360, fill=shade(canvas, 0.8), width=26)
    draw.polygon([(CX - 250, CY - 230), (CX + 250, CY - 230), (CX + 280, CY + 240), (CX - 280, CY + 240)], fill=canvas)
    ellipse(draw, CX, CY, 110, 110, accent)  # a heart-ish logo of the association
    ellipse(draw, CX - 40, CY - 20, 50, 50, shade(accent, 1.4))


MOTIFS: dict[str, Motif] = {
    "bread": bread,
    "croissant": croissant,
    "cake": cake,
    "meat": meat,
    "fish": fish,
    "fruit": fruit,
    "vegetable": vegetable,
    "cheese": cheese,
    "jar": jar,
    "dairy": dairy,
    "bottle": bottle,
    "chocolate": chocolate,
    "plate": plate,
    "pizza": pizza,
    "cup": cup,
    "mug": mug,
    "dress": dress,
    "shirt": shirt,
    "shoe": shoe,
    "bag": bag,
    "ring": ring,
    "lace": lace,
    "vase": vase,
    "pot": pot,
    "tools": tools,
    "flowers": flowers,
    "cosmetics": cosmetics,
    "gift": gift,
    "glasses": glasses,
    "newspaper": newspaper,
    "book": book,
    "toy": toy,
    "ball": ball,
    "guitar": guitar,
    "yarn": yarn,
    "key": key,
    "tote": tote,
}
VARIANTS = 4  # pictures per motif


def draw_picture(motif: str, variant: int) -> Image.Image:
    """One illustration, ``WIDTH`` × ``HEIGHT``: the motif on a plain pastel background."""
    rng = random.Random(f"{motif}-{variant}")  # noqa: S311 - drawing, not secrets
    image = Image.new("RGB", (W, H), BACKGROUNDS[(variant + len(motif)) % len(BACKGROUNDS)])
    draw = ImageDraw.Draw(image, "RGBA")
    MOTIFS[motif](draw, rng, variant)
    # The motifs are drawn with room around them; a closer frame fills the storefront's cards better.
    frame = (W * 0.07, H * 0.075, W * 0.93, H * 0.935)  # 86 % of each side, a little below the middle
    return image.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS, box=frame)


def encode_webp(image: Image.Image, *, quality: int = 72) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", quality=quality, method=6)
    return buffer.getvalue()


# --- the demo towns' logo and hero image ---------------------------------------------------------


def _hex(colour: str) -> Colour:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


def draw_logo(*, primary_color: str, secondary_color: str) -> Image.Image:
    """A round badge in the town's colours with a belfry: transparent around it (kept as PNG)."""
    size = 192
    big = size * 4
    primary, secondary = _hex(primary_color), _hex(secondary_color)
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, big - 8, big - 8), fill=primary, outline=secondary, width=40)
    white = (255, 255, 255)
    middle = big // 2
    draw.rectangle((middle - 70, big * 0.38, middle + 70, big * 0.78), fill=white)  # tower
    draw.polygon([(middle - 90, big * 0.38), (middle, big * 0.16), (middle + 90, big * 0.38)], fill=white)  # spire
    draw.ellipse((middle - 34, big * 0.45, middle + 34, big * 0.45 + 68), fill=secondary)  # clock
    for dx in (-230, 110):  # houses either side
        draw.rectangle((middle + dx, big * 0.58, middle + dx + 120, big * 0.78), fill=white)
        draw.polygon(
            [(middle + dx - 10, big * 0.58), (middle + dx + 60, big * 0.5), (middle + dx + 130, big * 0.58)], fill=white
        )
    draw.rectangle((middle - 250, big * 0.78, middle + 250, big * 0.8), fill=white)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def draw_hero(*, primary_color: str, secondary_color: str, seed: str) -> Image.Image:
    """A street of shop fronts with awnings in the town's colours, under a light sky (3:2)."""
    width, height = 960, 640
    rng = random.Random(seed)  # noqa: S311 - drawing, not secrets
    primary, secondary = _hex(primary_color), _hex(secondary_color)
    image = Image.new("RGB", (width * SCALE, height * SCALE), (214, 232, 244))
    draw = ImageDraw.Draw(image)
    w, h = width * SCALE, height * SCALE
    ellipse(draw, w * 0.8, h * 0.16, 90, 90, (255, 236, 170))  # sun
    for cx in (w * 0.2, w * 0.55):  # clouds
        for dx, dy, r in ((0, 0, 60), (70, -20, 75), (150, 0, 60)):
            ellipse(draw, cx + dx, h * 0.14 + dy, r * 1.4, r, (250, 252, 255))
    draw.rectangle((0, h * 0.86, w, h), fill=(190, 186, 180))  # pavement
    fronts = [(236, 224, 200), (250, 246, 236), (226, 214, 226), (214, 228, 214), (246, 228, 206)]
    x = -40
    index = 0
    while x < w:
        front_width = rng.randint(300, 380)
        top = h * rng.uniform(0.22, 0.36)
        wall = fronts[index % len(fronts)]
        draw.rectangle((x, top, x + front_width, h * 0.86), fill=wall, outline=shade(wall, 0.85), width=6)
        draw.polygon([(x - 10, top), (x + front_width / 2, top - 90), (x + front_width + 10, top)], fill=(120, 80, 70))
        for column in range(2):  # upper windows
            wx = x + 50 + column * (front_width - 150)
            draw.rectangle((wx, top + 50, wx + 80, top + 160), fill=(150, 180, 200), outline=(255, 255, 255), width=8)
        awning = primary if index % 2 == 0 else secondary
        shop_top = h * 0.6
        draw.rectangle((x + 30, shop_top, x + front_width - 30, h * 0.86), fill=(170, 200, 214))  # shop window
        draw.rectangle(
            (x + front_width / 2 - 40, shop_top + 20, x + front_width / 2 + 40, h * 0.86), fill=shade(awning, 0.6)
        )
        stripes = 6
        stripe_width = (front_width - 20) / stripes
        for stripe in range(stripes):
            colour = awning if stripe % 2 == 0 else (250, 250, 250)
            sx = x + 10 + stripe * stripe_width
            draw.polygon(
                [
                    (sx, shop_top - 70),
                    (sx + stripe_width, shop_top - 70),
                    (sx + stripe_width + 8, shop_top),
                    (sx - 8, shop_top),
                ],
                fill=colour,
            )
        for side in (-1, 1):  # goods in the window, either side of the door
            for step in range(2):
                gx = x + front_width / 2 + side * (75 + step * 45)
                ellipse(draw, gx, h * 0.8, 20, 20, VIVID[rng.randrange(len(VIVID))])
        x += front_width
        index += 1
    return image.resize((width, height), Image.Resampling.LANCZOS)


def encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
