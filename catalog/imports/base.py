"""Limits, column spellings, the import report and the exceptions shared by every kind of import."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from catalog.validators import MAX_STOCK  # noqa: F401 - re-exported to the import modules

MAX_ROWS = 50_000
# Blank lines, and rows a spreadsheet skips (a cell on row 1,048,576 and nothing above), count too:
# reading stops at this many, whatever the file declares.
MAX_BLANK_ROWS = 10_000
MAX_COLUMNS = 200
MAX_HEADER_CHARS = 10_000  # the first line of a CSV, read before anything else to find the separator
MAX_LINE_CHARS = 1_000_000  # one line of a CSV; the csv module's own limit per cell is 131,072
# Sum of the sizes the ZIP members of an .xlsx declare once decompressed (zipfile stops at that size).
MAX_XLSX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
# Each XML part of an .xlsx that openpyxl reads whole (styles, workbook...); sheets are streamed.
MAX_XLSX_PART_BYTES = 8 * 1024 * 1024
# XML elements of a sheet, all told: 50,000 rows of 13 text cells make 2 million.
MAX_SHEET_ELEMENTS = 4_000_000
# Elements of a sheet outside its rows (column widths, merged cells, links, conditional formats).
MAX_SHEET_OTHER_ELEMENTS = 200_000
# Entries of the workbook's shared-string table (every distinct text of every sheet).
MAX_SHARED_STRINGS = 500_000
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ARCHIVE_BYTES = 500 * 1024 * 1024
MAX_IMAGE_BYTES = 15 * 1024 * 1024
MAX_REPORTED_ERRORS = 1_000  # a file broken on every line needs its first errors, not 50,000
MAX_DESCRIPTION_CHARS = 20_000
CHUNK_SIZE = 1_000
# Deliveries of one job's task: the first run and one re-run after a lost worker; the next is refused.
MAX_IMPORT_ATTEMPTS = 2
IMAGE_SEPARATOR = "|"
# A leading apostrophe before these is how our export (and Excel) neutralises formulas: drop it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Progress = Callable[[int, int], None]

# Canonical column → accepted spellings (compared without accents, case, spaces or hyphens).
PRODUCT_COLUMNS: dict[str, tuple[str, ...]] = {
    "sku": ("sku", "reference", "ref", "code_article"),
    "titre": ("titre", "title", "nom", "libelle", "designation"),
    "description": ("description", "descriptif"),
    "categorie": ("categorie", "category", "rayon"),
    "prix": ("prix", "prix_ttc", "price", "prix_eur", "prix_ttc_eur"),
    "tva": ("tva", "taux_tva", "taux_de_tva", "vat", "vat_rate"),
    "unite": ("unite", "unit", "vendu_au"),
    "stock": ("stock", "quantite", "quantity", "qte"),
    "ean": ("ean", "ean13", "gtin", "code_barre", "code_barres", "barcode"),
    "images": ("images", "image", "photos", "photo"),
    "publie": ("publie", "published", "en_ligne", "visible"),
    # Rows sharing a product reference are the variants (sizes, colours...) of one product.
    "ref_produit": ("ref_produit", "reference_produit", "product_ref", "parent_sku", "sku_parent", "handle"),
    "declinaison": ("declinaison", "variante", "variant", "variant_name"),
}
PRODUCT_REQUIRED = ("sku", "titre", "prix")
MERCHANT_COLUMNS: dict[str, tuple[str, ...]] = {
    "nom": ("nom", "name", "enseigne", "raison_sociale"),
    "type": ("type", "kind", "genre"),
    "adresse": ("adresse", "address", "rue"),
    "code_postal": ("code_postal", "cp", "postcode", "postal_code"),
    "commune": ("commune", "ville", "city"),
    "telephone": ("telephone", "tel", "phone"),
    "email": ("email", "e_mail", "courriel", "mail"),
    "siret": ("siret",),
    "categorie": ("categorie", "categories", "category"),
    "site_web": ("site_web", "site", "website", "url", "site_internet"),
    "description": ("description", "presentation"),
}
MERCHANT_REQUIRED = ("nom",)


def fold(text: str) -> str:
    """Lowercase, accent-free, single-spaced: how names typed by people are compared."""
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


def column_key(header: str) -> str:
    return re.sub(r"[\s\-_./']+", "_", fold(header)).strip("_")


# --- report ------------------------------------------------------------------------------------
@dataclass
class ImportReport:
    """What an import did or would do; ``errors`` empty means every row was accepted."""

    kind: str
    is_dry_run: bool
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    unpublished: int = 0
    photos: int = 0
    is_committed: bool = False
    error_count: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add_error(self, line: int | None, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"line": line, "column": column, "message": message})

    @property
    def is_valid(self) -> bool:
        return self.error_count == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "dry_run": self.is_dry_run,
            "total_rows": self.total_rows,
            "created": self.created,
            "updated": self.updated,
            "unpublished": self.unpublished,
            "photos": self.photos,
            "committed": self.is_committed,
            "error_count": self.error_count,
            "errors": self.errors,
            "warnings": self.warnings,
        }


class ImportRefused(Exception):
    """The whole file is unusable (size, encoding, format, missing columns, too many rows)."""


class RowInvalid(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column, self.message = column, message


class RowProblems(list[RowInvalid]):
    """The problems of one row of any import: each cell is read on after a problem, so a row's report
    lists them all at once; a row with more cells than the header has columns is one of them."""

    def __init__(self, values: dict[str, str], *, default: Any = None) -> None:
        super().__init__()
        self.default = default
        if values.get("__extra__"):
            self.append(RowInvalid("", _("Plus de cellules que de colonnes : un séparateur en trop ?")))

    def attempt(self, function: Callable[[], Any], *default: Any) -> Any:
        """``function()``, or its problem kept and the default (given here, else the row's) returned."""
        try:
            return function()
        except RowInvalid as problem:
            self.append(problem)
            return default[0] if default else self.default
