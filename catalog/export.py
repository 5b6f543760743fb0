"""CSV export of a merchant's catalogue, in the import's own columns so it re-imports cleanly.

Semicolons, UTF-8 with a byte order mark and decimal commas: what French Excel opens without a
wizard. Any cell starting like a formula gets a leading apostrophe (CSV injection, T-SEC-08); the
import removes that apostrophe again.
"""

from __future__ import annotations

import csv
from typing import TextIO

from catalog.imports import FORMULA_STARTS, CategoryIndex
from catalog.models import Merchant, SaleUnit, Variant, VatRate

COLUMNS = ("sku", "titre", "description", "categorie", "prix", "tva", "unite", "stock", "ean", "images", "publie")
BYTE_ORDER_MARK = "\ufeff"
VAT_TEXT = {
    VatRate.STANDARD: "20",
    VatRate.INTERMEDIATE: "10",
    VatRate.REDUCED: "5,5",
    VatRate.SUPER_REDUCED: "2,1",
    VatRate.NONE: "0",
}


def neutralise_formula(text: str) -> str:
    """'=1+1' → "'=1+1": spreadsheets show the text instead of running it."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def format_cents(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


def write_products_csv(*, merchant: Merchant, stream: TextIO) -> int:
    """One line per variant (SKU) of the merchant, in two queries; returns the number of lines."""
    paths = CategoryIndex().paths
    variants = (
        Variant.objects.filter(merchant=merchant)
        .select_related("product")
        .order_by("product__title", "product_id", "position", "pk")
    )
    writer = csv.writer(stream, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
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
            format_cents(variant.effective_price_cents),
            VAT_TEXT.get(product.vat_rate, str(product.vat_rate / 100)),
            product.unit if product.unit in SaleUnit.values else SaleUnit.PIECE,
            "" if variant.stock is None else str(variant.stock),
            variant.ean,
            "",  # photos live in storage under random names: nothing a ZIP could match
            "oui" if product.is_published else "non",
        )
        writer.writerow([neutralise_formula(cell) for cell in row])
        count += 1
    return count
