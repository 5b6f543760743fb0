"""CSV export of a merchant's catalogue, in the import's own columns so it re-imports cleanly.

Semicolons, UTF-8 with a byte order mark and decimal commas: what French Excel opens without a
wizard. Any cell starting like a formula gets a leading apostrophe (CSV injection, T-SEC-08); the
import removes that apostrophe again.
"""

from __future__ import annotations

import csv
import zipfile
from decimal import Decimal
from pathlib import PurePosixPath
from typing import IO, TYPE_CHECKING, cast

from catalog.formatting import format_amount, format_decimal
from catalog.imports import FORMULA_STARTS, IMAGE_SEPARATOR, CategoryIndex
from catalog.models import Merchant, Photo, PhotoStatus, SaleUnit, Variant
from tenants.collation import by_name

if TYPE_CHECKING:
    from _csv import _writer as CsvWriter

    from _typeshed import SupportsWrite

COLUMNS = (
    "sku", "titre", "description", "categorie", "prix", "tva", "unite", "stock", "ean", "images", "publie",
    "ref_produit", "declinaison",
)  # fmt: skip
BYTE_ORDER_MARK = "\ufeff"


def french_csv_writer(stream: SupportsWrite[str]) -> CsvWriter:
    """A csv.writer of the files French Excel opens as they are: semicolons, CRLF (the caller writes the BOM)."""
    return csv.writer(stream, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)


def neutralise_formula(text: str) -> str:
    """'=1+1' → "'=1+1": spreadsheets show the text instead of running it."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _exported_photos(merchant: Merchant) -> dict[int, list[Photo]]:
    """Each product's photos in display order (broken ones left out: the storefront hides them)."""
    photos: dict[int, list[Photo]] = {}
    for photo in (
        Photo.objects.filter(product__merchant=merchant)
        .exclude(status=PhotoStatus.FAILED)
        .only("product_id", "image")
        .order_by("product_id", "position", "pk")
    ):
        photos.setdefault(cast(int, photo.product_id), []).append(photo)  # a product's photo: never None
    return photos


def photo_file_name(photo: Photo) -> str:
    """The name a photo has in the export's ``images`` column and in the ZIP beside it."""
    return PurePosixPath(photo.image.name).name


def write_products_csv(*, merchant: Merchant, stream: SupportsWrite[str]) -> int:
    """One line per variant (SKU) of the merchant, in three queries; returns the number of lines.

    The ``images`` column names the photos as ``write_photos_zip`` stores them, so the CSV and that
    ZIP re-import together; ``ref_produit`` (the product's slug) keeps variants on one product.
    """
    paths = CategoryIndex().paths
    photos = _exported_photos(merchant)
    variants = (
        Variant.objects.filter(merchant=merchant)
        .select_related("product")
        .order_by(*by_name("product__title"), "product_id", "position", "pk")
    )
    writer = french_csv_writer(stream)
    stream.write(BYTE_ORDER_MARK)
    writer.writerow(COLUMNS)
    count = 0
    for variant in variants.iterator(chunk_size=2_000):
        product = variant.product
        row = (
            variant.sku,
            product.title,
            product.description,
            paths.get(product.category_id, "") if product.category_id else "",
            format_amount(variant.effective_price_cents),
            format_decimal(Decimal(product.vat_rate) / 100),  # 5,5: what the import reads back
            product.unit if product.unit in SaleUnit.values else SaleUnit.PIECE,
            "" if variant.stock is None else str(variant.stock),
            variant.ean,
            IMAGE_SEPARATOR.join(photo_file_name(photo) for photo in photos.get(product.pk, [])),
            "oui" if product.is_published else "non",
            product.slug,
            variant.name,
        )
        writer.writerow([neutralise_formula(cell) for cell in row])
        count += 1
    return count


def write_photos_zip(*, merchant: Merchant, stream: IO[bytes]) -> int:
    """The merchant's product photos (cleaned originals) under their export names, each file once;
    returns how many files."""
    written: set[str] = set()
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_STORED) as archive:  # JPEGs do not shrink
        for product_photos in _exported_photos(merchant).values():
            for photo in product_photos:
                name = photo_file_name(photo)
                if name in written:  # products showing the same stored file (the demo's): one copy
                    continue
                with photo.image.open("rb") as image:
                    archive.writestr(name, image.read())
                written.add(name)
    return len(written)
