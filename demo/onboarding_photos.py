"""Demo of the photo shoot: three products to complete on one shop of the current town (Calais).

``seed_photo_shoot_drafts()`` goes through the real action (``catalog.photo_shoot``), with three of
the demo's drawings (bread, croissant, cake) standing in for the photos an agent took in the shop,
so the shop's « Produits à compléter » list and its « Séance photo » page show something. Each
photo has a fixed key: running it again finds the same drafts and adds nothing.
"""

from __future__ import annotations

import uuid

from catalog.models import Merchant, MerchantStatus
from catalog.photo_shoot import add_draft_product_from_photo
from demo.pictures import PICTURES

DEMO_PHOTOS = ("bread-1.webp", "croissant-0.webp", "cake-2.webp")
KEYS_NAMESPACE = uuid.UUID("6f1d2c9e-8a7b-4c3d-9e0f-1a2b3c4d5e6f")


def _bakery() -> Merchant | None:
    """A live bakery of the town, or its first live shop when it has none."""
    live = Merchant.objects.filter(status=MerchantStatus.LIVE).order_by("pk")
    return live.filter(categories__slug__contains="boulangerie").first() or live.first()


def seed_photo_shoot_drafts() -> int:
    """Three draft products from photos on one shop of the current town; the number made (0 on a rerun)."""
    merchant = _bakery()
    if merchant is None:
        return 0
    made = 0
    for name in DEMO_PHOTOS:
        with (PICTURES / name).open("rb") as photo:
            done = add_draft_product_from_photo(
                merchant=merchant, upload=photo, upload_key=uuid.uuid5(KEYS_NAMESPACE, f"{merchant.slug}/{name}")
            )
        made += done.is_new
    return made
