"""The demo towns' home page and shop logos: seeded once, through the real actions.

``seed_demo_home_page`` gives a town the blocks of ``demo/data/homepage.toml`` (a voucher banner, two
news items, featured shops and products, the shop map) and publishes them; ``attach_demo_shop_images``
gives most shops a logo and a cover photo drawn from their trade (``demo.shop_drawing``, files in
``demo/data/pictures/shops/``). Neither touches a town that already has blocks, logos or covers: what
the town changed stays as it is.

Each distinct drawing goes through ``catalog.actions.set_merchant_images`` once (the image engine);
the other shops showing it point at the same stored file, written in one update.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q

from catalog.actions import set_merchant_images
from catalog.homepage import publish_home_blocks, save_home_block
from catalog.models import Category, HomeBlock, HomeBlockKind, Merchant, MerchantStatus
from demo.files import read_toml
from demo.pictures import PICTURES, picture_for
from tenants.collation import by_name
from tenants.current import current_town, town_today

SHOP_PICTURES = PICTURES / "shops"
FEATURED_MERCHANTS = 8


@dataclass(frozen=True)
class DemoShopImages:
    logos: int
    covers: int
    drawings: int


def _motifs() -> dict[int, str]:
    """The motif of each shop that has one: the drawing of its name or its first trade category."""
    slugs = dict(Category.objects.values_list("pk", "slug"))
    first_category: dict[int, int] = {}
    for merchant_id, category_id in Merchant.categories.through.objects.values_list(
        "merchant_id", "category_id"
    ).order_by("pk"):
        first_category.setdefault(merchant_id, category_id)
    motifs = {}
    for merchant_id, name in Merchant.objects.values_list("pk", "name").order_by("pk"):
        category = first_category.get(merchant_id)
        drawing = picture_for(name, slugs.get(category) if category else None)
        if drawing:
            motifs[merchant_id] = drawing.rsplit(".", 1)[0].rsplit("-", 1)[0]
    return motifs


def _store_shared(field: str, owners: dict[str, list[int]]) -> int:
    """Send each drawing through the action for its first shop; the others share the stored file."""
    for file_name, merchant_ids in sorted(owners.items()):
        first, *rest = merchant_ids
        merchant = Merchant.objects.get(pk=first)
        content = ContentFile((SHOP_PICTURES / file_name).read_bytes(), name=file_name)
        if field == "logo":
            set_merchant_images(merchant=merchant, logo=content)
        else:
            set_merchant_images(merchant=merchant, cover=content)
        Merchant.objects.filter(pk__in=rest).update(**{field: getattr(merchant, field).name})
    return sum(len(ids) for ids in owners.values())


def attach_demo_shop_images() -> DemoShopImages | None:
    """A logo for most shops and a cover for every shop with a drawing; None when the town has any already."""
    if Merchant.objects.filter(~Q(logo="") | ~Q(cover="")).exists():
        return None
    logos: dict[str, list[int]] = {}
    covers: dict[str, list[int]] = {}
    for merchant_id, motif in _motifs().items():
        covers.setdefault(f"cover-{motif}.webp", []).append(merchant_id)
        if zlib.crc32(str(merchant_id).encode()) % 5:  # four shops in five have a logo
            logos.setdefault(f"logo-{motif}.webp", []).append(merchant_id)
    with transaction.atomic():
        logo_count = _store_shared("logo", logos)
        cover_count = _store_shared("cover", covers)
    return DemoShopImages(logos=logo_count, covers=cover_count, drawings=len(logos) + len(covers))


def _featured_merchant_ids() -> list[int]:
    live = Merchant.objects.filter(status=MerchantStatus.LIVE).exclude(logo="")
    chosen = list(live.filter(is_featured=True).order_by(*by_name(), "pk").values_list("pk", flat=True))
    if len(chosen) < FEATURED_MERCHANTS:
        others = live.exclude(pk__in=chosen).order_by(*by_name(), "pk").values_list("pk", flat=True)
        chosen += list(others[: FEATURED_MERCHANTS - len(chosen)])
    return chosen[:FEATURED_MERCHANTS]


def seed_demo_home_page() -> int:
    """The current town's demo home page, published; 0 (and nothing written) when it has blocks already."""
    if HomeBlock.objects.exists():
        return 0
    town_name, today = current_town().name, town_today()
    with transaction.atomic():
        for spec in read_toml("homepage.toml")["blocks"]:
            fields: dict[str, Any] = {
                "title": spec["title"],
                "text": spec.get("text", "").format(town=town_name),
                "link_url": spec.get("link_url", ""),
                "link_label": spec.get("link_label", ""),
            }
            for key, field in (
                ("starts_in_days", "starts_on"),
                ("ends_in_days", "ends_on"),
                ("published_in_days", "published_on"),
            ):
                if key in spec:
                    fields[field] = today + dt.timedelta(days=spec[key])
            if spec["kind"] == HomeBlockKind.MERCHANTS:
                fields["merchant_ids"] = _featured_merchant_ids()
            image = None
            if "image" in spec:
                image = ContentFile((SHOP_PICTURES / spec["image"]).read_bytes(), name=spec["image"])
            save_home_block(block=HomeBlock(kind=spec["kind"]), image=image, **fields)
        return publish_home_blocks()
