"""Draw the demo's illustrations into ``demo/data/pictures/`` (committed; seeding only reads them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from demo.drawing import MOTIFS, VARIANTS, draw_hero, draw_logo, draw_picture, encode_png, encode_webp
from demo.files import read_toml
from demo.shop_drawing import SHOP_MOTIFS, draw_shop_cover, draw_shop_logo

FOLDER = Path(__file__).resolve().parents[2] / "data" / "pictures"


class Command(BaseCommand):
    help = "Dessine les illustrations de la démonstration (produits, logo et image d'accueil des villes)."

    def handle(self, *args: Any, **options: Any) -> None:
        FOLDER.mkdir(exist_ok=True)
        total = 0
        for motif in MOTIFS:
            for variant in range(VARIANTS):
                content = encode_webp(draw_picture(motif, variant))
                (FOLDER / f"{motif}-{variant}.webp").write_bytes(content)
                total += len(content)
        for town in read_toml("towns.toml")["towns"]:
            colours = {"primary_color": town["primary_color"], "secondary_color": town["secondary_color"]}
            logo = encode_png(draw_logo(**colours))
            hero = encode_webp(draw_hero(**colours, seed=town["slug"]), quality=78)
            (FOLDER / f"town-{town['slug']}-logo.png").write_bytes(logo)
            (FOLDER / f"town-{town['slug']}-hero.webp").write_bytes(hero)
            total += len(logo) + len(hero)
        shops = FOLDER / "shops"
        shops.mkdir(exist_ok=True)
        for motif in SHOP_MOTIFS:
            logo = encode_webp(draw_shop_logo(motif), quality=80)
            cover = encode_webp(draw_shop_cover(motif), quality=70)
            (shops / f"logo-{motif}.webp").write_bytes(logo)
            (shops / f"cover-{motif}.webp").write_bytes(cover)
            total += len(logo) + len(cover)
        self.stdout.write(
            f"{len(MOTIFS) * VARIANTS} illustrations, {len(SHOP_MOTIFS)} logos et couvertures de commerces "
            f"et {2} villes dessinées : {total // 1024} Ko."
        )
