"""Pictures of the demo: an illustration for each product and shop, the towns' logo and hero image.

The files are in ``demo/data/pictures/`` (drawn once by ``draw_demo_pictures``, committed), and
``demo/data/pictures.toml`` says which one a product or shop shows. Everything goes through the real
actions: ``catalog.actions.add_photo`` (the image engine, then the WebP renditions) and
``tenants.actions.update_branding``.

Thousands of products share about 150 drawings, and one photo through ``add_photo`` costs tens of
milliseconds (decoding, re-encoding, the renditions): a photo per product would add minutes to
``make run``. So each distinct drawing goes through ``add_photo`` once, for the first product or shop
that shows it; every other one gets a photo row pointing at the files that call stored (original and
renditions), written in bulk. The files are the engine's output either way; ``delete_photo`` keeps
files another photo still shows.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction

from catalog.actions import add_photo, make_photo_renditions
from catalog.cache import bump_catalogue_version
from catalog.models import Category, Merchant, Photo, PhotoStatus, Product
from demo.files import DATA, read_toml
from tenants.actions import update_branding
from tenants.models import Town

PICTURES = DATA / "pictures"
_rules = read_toml("pictures.toml")
KEYWORDS: tuple[tuple[str, str], ...] = tuple((word, motif) for word, motif in _rules["keywords"])
CATEGORY_MOTIFS: dict[str, str] = _rules["categories"]
CHUNK = 2_000

Progress = Callable[[str], None]


def _drawings() -> dict[str, list[str]]:
    """The file names of each motif's drawings, in order: {"bread": ["bread-0.webp", ...]}."""
    found: dict[str, list[str]] = {}
    for entry in sorted(PICTURES.iterdir(), key=lambda entry: entry.name):
        motif, _, rest = entry.name.rpartition("-")
        if rest.endswith(".webp") and rest[:-5].isdigit():
            found.setdefault(motif, []).append(entry.name)
    return found


DRAWINGS = _drawings()
FILES = {name for drawings in DRAWINGS.values() for name in drawings}


def picture_for(title: str, category_slug: str | None) -> str | None:
    """The drawing a product or shop of this title and category shows, or None (no motif for it)."""
    lowered = title.lower()
    motif = next((motif for word, motif in KEYWORDS if word in lowered), None)
    motif = motif or CATEGORY_MOTIFS.get(category_slug or "") or ""
    if f"{motif}.webp" in FILES:  # a keyword naming one drawing ("vegetable-0": the carrots)
        return f"{motif}.webp"
    drawings = DRAWINGS.get(motif)
    if not drawings:
        return None
    return drawings[zlib.crc32(title.encode()) % len(drawings)]


@dataclass(frozen=True)
class DemoPictures:
    drawings: int  # distinct files sent through the photo action
    product_photos: int
    shop_photos: int
    seconds: float


def _no_progress(_message: str) -> None:
    return None


def attach_demo_pictures(*, progress: Progress = _no_progress) -> DemoPictures:
    """A photo for every product and shop of the current town that has a drawing; run inside the town.

    Meant right after the catalogue is generated: it does not look at photos already there.
    """
    started = time.perf_counter()
    slugs = dict(Category.objects.values_list("pk", "slug"))
    owners: dict[str, list[tuple[str, int]]] = {}
    for product_id, title, product_category in Product.objects.values_list("pk", "title", "category_id").order_by("pk"):
        name = picture_for(title, slugs.get(product_category) if product_category else None)
        if name:
            owners.setdefault(name, []).append(("product", product_id))
    # A shop shows the drawing of its trade's category (its first one).
    first_category: dict[int, int] = {}
    links = Merchant.categories.through.objects.values_list("merchant_id", "category_id").order_by("pk")
    for merchant_id, category_id in links:
        first_category.setdefault(merchant_id, category_id)
    for merchant_id, shop_name in Merchant.objects.values_list("pk", "name").order_by("pk"):
        shop_category = first_category.get(merchant_id)
        name = picture_for(shop_name, slugs.get(shop_category) if shop_category else None)
        if name:
            owners.setdefault(name, []).append(("merchant", merchant_id))

    shared: list[Photo] = []
    for index, (name, items) in enumerate(sorted(owners.items()), start=1):
        (kind, pk), rest = items[0], items[1:]
        with (PICTURES / name).open("rb") as upload:
            if kind == "product":
                photo = add_photo(upload=upload, product=Product.objects.get(pk=pk))
            else:
                photo = add_photo(upload=upload, merchant=Merchant.objects.get(pk=pk))
        photo.refresh_from_db()
        if photo.status == PhotoStatus.PROCESSING:
            # Queued to a worker (or, in a test's transaction, waiting for a commit): made now, by the
            # action the task runs, so that the rows sharing these files get the renditions too.
            photo = make_photo_renditions(photo_id=photo.pk) or photo
        shared.extend(
            Photo(
                image=photo.image.name,
                width=photo.width,
                height=photo.height,
                renditions=photo.renditions,
                status=photo.status,
                **{f"{other_kind}_id": other_pk},
            )
            for other_kind, other_pk in rest
        )
        if index % 25 == 0:
            progress(f"{index} / {len(owners)} illustrations")
    with transaction.atomic():
        Photo.objects.bulk_create(shared, batch_size=CHUNK)
        bump_catalogue_version()
    everyone = [item for items in owners.values() for item in items]
    return DemoPictures(
        drawings=len(owners),
        product_photos=sum(kind == "product" for kind, _pk in everyone),
        shop_photos=sum(kind == "merchant" for kind, _pk in everyone),
        seconds=time.perf_counter() - started,
    )


def brand_demo_town(*, town: Town) -> Town:
    """The town's logo and hero image, drawn in its colours (``draw_demo_pictures``)."""
    images = {}
    for field, suffix in (("logo", "logo.png"), ("hero_image", "hero.webp")):
        source = PICTURES / f"town-{town.slug}-{suffix}"
        if source.is_file():
            images[field] = ContentFile(source.read_bytes(), name=suffix)
    return update_branding(town=town, **images) if images else town
