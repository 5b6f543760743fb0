"""Catalogue imports: merchants of the town and products of one merchant, from CSV or Excel files.

Two phases. *Check* reads every row and builds clean values or a row-by-row report (line as in the
file, column, French message); it writes nothing. *Write* runs only when no row is wrong, in one
transaction: products are upserted by SKU per merchant with bulk statements in chunks, then the
search vectors are refreshed once. A dry run stops after the check.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import PurePosixPath
from typing import IO, Any

from celery import shared_task
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import DatabaseError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, UnidentifiedImageError

from accounts.models import User
from catalog.actions import add_photo, refresh_search_vectors
from catalog.models import (
    Category,
    ImportJob,
    ImportKind,
    ImportStatus,
    Merchant,
    MerchantKind,
    MerchantStatus,
    Photo,
    Product,
    SaleUnit,
    Variant,
    VatRate,
)
from catalog.queries import is_catalogue_manager, merchants_for
from catalog.sanitising import sanitise_description
from catalog.validators import validate_ean, validate_price_cents, validate_siret
from tenants.tasks import TownTask

MAX_ROWS = 50_000
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ARCHIVE_BYTES = 500 * 1024 * 1024
MAX_IMAGE_BYTES = 15 * 1024 * 1024
MAX_REPORTED_ERRORS = 1_000  # a file broken on every line needs its first errors, not 50,000
MAX_STOCK = 10_000_000
MAX_DESCRIPTION_CHARS = 20_000
CHUNK_SIZE = 1_000
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

TRUE_WORDS = frozenset({"oui", "o", "yes", "y", "true", "vrai", "1", "x"})
FALSE_WORDS = frozenset({"non", "n", "no", "false", "faux", "0"})
UNIT_WORDS = {
    **dict.fromkeys(("piece", "pieces", "pc", "pce", "u", "unite", "unit"), SaleUnit.PIECE),
    **dict.fromkeys(("kg", "kilo", "kilos", "kilogramme", "kilogrammes"), SaleUnit.KILOGRAM),
    **dict.fromkeys(("l", "litre", "litres", "liter"), SaleUnit.LITRE),
}
VAT_BASIS_POINTS = {2000, 1000, 550, 210, 0}
VAT_EXEMPT_WORDS = frozenset({"293b", "art293b", "art.293b", "exonere", "franchise", "nonapplicable"})


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


# --- reading CSV and Excel files ---------------------------------------------------------------
Row = tuple[int, dict[str, str]]


def read_table(
    data: bytes, *, filename: str, columns: dict[str, tuple[str, ...]], required: Iterable[str]
) -> tuple[set[str], list[Row], list[str]]:
    """Rows as (line number in the file, canonical column → text), the columns present, warnings."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportRefused(
            _("Le fichier dépasse %(size)s Mo : découpez-le en plusieurs fichiers.")
            % {"size": MAX_FILE_BYTES // (1024 * 1024)}
        )
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm")):
        records = _xlsx_records(data)
    else:
        records = _csv_records(_decode(data))
    header: list[str] | None = None
    mapping: dict[int, str] = {}
    rows: list[Row] = []
    found_warnings: list[str] = []
    aliases = {alias: name for name, spellings in columns.items() for alias in spellings}
    for line, cells in records:
        if not any(cell.strip() for cell in cells):
            continue
        if header is None:
            header = cells
            for index, title in enumerate(cells):
                name = aliases.get(column_key(title))
                if name is None:
                    if title.strip():
                        found_warnings.append(_("Colonne « %(title)s » ignorée.") % {"title": title.strip()})
                    continue
                if name in mapping.values():
                    raise ImportRefused(_("La colonne « %(name)s » apparaît deux fois.") % {"name": name})
                mapping[index] = name
            missing = [name for name in required if name not in mapping.values()]
            if missing:
                raise ImportRefused(
                    _("Colonne(s) obligatoire(s) absente(s) : %(names)s. Première ligne lue : %(header)s")
                    % {"names": ", ".join(missing), "header": " | ".join(cells)[:300]}
                )
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportRefused(
                _("Le fichier dépasse la limite de %(limit)s lignes : découpez-le.")
                % {"limit": f"{MAX_ROWS:_}".replace("_", " ")}
            )
        values = {
            name: _unescape(cells[index].strip()) if index < len(cells) else "" for index, name in mapping.items()
        }
        if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header) :]):
            values["__extra__"] = "1"
        rows.append((line, values))
    if header is None:
        raise ImportRefused(_("Le fichier est vide."))
    return set(mapping.values()), rows, found_warnings


def _unescape(text: str) -> str:
    if len(text) > 1 and text[0] == "'" and text[1].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise ImportRefused(_("Encodage du fichier illisible.")) from error
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as error:
            raise ImportRefused(
                _("Encodage du fichier non reconnu : enregistrez-le en CSV UTF-8 ou Windows-1252.")
            ) from error
    if "\x00" in text:
        raise ImportRefused(_("Ce fichier n'est pas un CSV lisible (contenu binaire)."))
    return text


def _csv_records(text: str) -> Iterable[tuple[int, list[str]]]:
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((";", ",", "\t"), key=first_line.count) if first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for record in reader:
            yield start, record
            start = reader.line_num + 1
    except csv.Error as error:
        raise ImportRefused(
            _("Ligne %(line)s : le CSV est mal formé (%(error)s).") % {"line": start, "error": error}
        ) from error


def _xlsx_records(data: bytes) -> Iterable[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        # data_only=False: a formula comes back as its text ("=A1*2"), never as a computed value.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many types for a damaged or fake workbook
        raise ImportRefused(_("Fichier Excel illisible : enregistrez-le au format .xlsx ou en CSV.")) from error
    try:
        sheet = workbook.worksheets[0]
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield line, [_cell_text(value) for value in values]
    except ImportRefused:
        raise
    except Exception as error:
        raise ImportRefused(_("Fichier Excel abîmé : enregistrez-le à nouveau ou exportez-le en CSV.")) from error
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        # Ten significant digits hide binary noise (12.499999999 → 12.5) without rounding prices.
        return str(int(value)) if value.is_integer() else f"{value:.10g}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# --- parsing single cells ----------------------------------------------------------------------
def parse_price_cents(text: str) -> int:
    """ "12,50", "12.50", "1 234,56 €", "1,234.56" → cents, through Decimal (never a float)."""
    cleaned = re.sub(r"[\s\u00a0\u202f€]|eur", "", text, flags=re.IGNORECASE)
    if "," in cleaned and "." in cleaned:
        thousands, decimal = (".", ",") if cleaned.rfind(",") > cleaned.rfind(".") else (",", ".")
        cleaned = cleaned.replace(thousands, "").replace(decimal, ".")
    else:
        cleaned = cleaned.replace(",", ".")
    if not re.fullmatch(r"[-+]?\d+(\.\d+)?", cleaned):
        raise RowInvalid("prix", _("Prix illisible « %(value)s » : écrivez par exemple 12,50.") % {"value": text})
    amount = Decimal(cleaned)
    if -amount.as_tuple().exponent > 2 and amount != amount.quantize(Decimal("0.01")):
        raise RowInvalid("prix", _("Prix « %(value)s » : deux décimales au plus.") % {"value": text})
    cents = int(amount * 100)
    try:
        validate_price_cents(cents)
    except ValidationError as error:
        raise RowInvalid("prix", error.messages[0]) from error
    return cents


def parse_vat_rate(text: str, *, merchant: Merchant) -> int:
    default = VatRate.NONE if merchant.is_vat_exempt else VatRate.STANDARD
    if not text:
        return int(default)
    compact = fold(text).replace(" ", "").replace("%", "").replace(",", ".")
    if compact in VAT_EXEMPT_WORDS:
        rate = 0
    else:
        try:
            amount = Decimal(compact)
        except InvalidOperation:
            amount = Decimal(-1)
        if 0 < amount < 1:  # Excel percentage cells: 0.055 is 5.5 %
            amount *= 100
        rate = int(amount * 100) if amount == amount.quantize(Decimal("0.01")) else -1
    if rate not in VAT_BASIS_POINTS:
        raise RowInvalid(
            "tva", _("Taux de TVA « %(value)s » inconnu : 20, 10, 5,5, 2,1 ou 0 (293 B).") % {"value": text}
        )
    if merchant.is_vat_exempt and rate != 0:
        raise RowInvalid("tva", _("Ce commerçant est en franchise de TVA (art. 293 B du CGI) : indiquez 0."))
    return rate


def parse_unit(text: str) -> str:
    if not text:
        return SaleUnit.PIECE
    unit = UNIT_WORDS.get(fold(text).rstrip("."))
    if unit is None:
        raise RowInvalid("unite", _("Unité « %(value)s » inconnue : piece, kg ou litre.") % {"value": text})
    return str(unit)


def parse_stock(text: str) -> int | None:
    if not text:
        return None
    compact = text.replace(" ", "").replace(",", ".")
    try:
        amount = Decimal(compact)
    except InvalidOperation:
        amount = Decimal("NaN")
    if amount.is_nan() or amount != amount.to_integral_value():
        raise RowInvalid("stock", _("Stock « %(value)s » : un nombre entier est attendu.") % {"value": text})
    if amount < 0:
        raise RowInvalid("stock", _("Le stock ne peut pas être négatif."))
    if amount > MAX_STOCK:
        raise RowInvalid("stock", _("Stock de plus de 10 millions refusé : vérifiez la saisie."))
    return int(amount)


def parse_ean(text: str) -> str:
    compact = re.sub(r"[\s\-]", "", text)
    if not compact:
        return ""
    candidates = [compact]
    if compact.isdigit() and len(compact) < 13:  # Excel drops leading zeros of numeric cells
        candidates.append(compact.zfill(13))
    for candidate in candidates:
        try:
            validate_ean(candidate)
        except ValidationError:
            continue
        return candidate
    try:
        validate_ean(compact)
    except ValidationError as error:
        raise RowInvalid("ean", error.messages[0]) from error
    return compact  # pragma: no cover - the loop above returned already


def parse_flag(text: str, column: str) -> bool | None:
    if not text:
        return None
    word = fold(text)
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise RowInvalid(column, _("« %(value)s » : oui ou non attendu.") % {"value": text})


def parse_merchant_kind(text: str) -> str:
    if not text:
        return MerchantKind.SHOP
    word = fold(text)
    for kind in MerchantKind:
        if word in (kind.value, fold(str(kind.label))):
            return kind.value
    extra = {
        "boutique": MerchantKind.SHOP,
        "immobilier": MerchantKind.ESTATE_AGENT,
        "agence": MerchantKind.ESTATE_AGENT,
        "marche": MerchantKind.MARKET_TRADER,
        "supermarche": MerchantKind.PARTNER_SUPERMARKET,
        "cafe": MerchantKind.RESTAURANT,
    }
    if word in extra:
        return extra[word].value
    raise RowInvalid(
        "type",
        _("Type « %(value)s » inconnu : %(choices)s.")
        % {"value": text, "choices": ", ".join(str(kind.label).lower() for kind in MerchantKind)},
    )


def _limited(values: dict[str, str], column: str, max_length: int, *, label: Any) -> str:
    text = values.get(column, "")
    if len(text) > max_length:
        raise RowInvalid(column, _("%(label)s : %(max)s caractères au plus.") % {"label": label, "max": max_length})
    return text


# --- categories --------------------------------------------------------------------------------
class CategoryIndex:
    """The town's categories by slug, by "Parent > Enfant" path and by name (when unique)."""

    def __init__(self) -> None:
        categories = list(Category.objects.all())
        by_id = {category.pk: category for category in categories}
        self.by_key: dict[str, Category | None] = {}
        self.paths: dict[int, str] = {}
        for category in categories:
            chain, node, seen = [category.name], category, {category.pk}
            while node.parent_id and node.parent_id in by_id and node.parent_id not in seen:
                node = by_id[node.parent_id]
                seen.add(node.pk)
                chain.insert(0, node.name)
            self.paths[category.pk] = " > ".join(chain)
            self.by_key[fold(self.paths[category.pk])] = category
        name_counts: dict[str, int] = {}
        for category in categories:
            name_counts[fold(category.name)] = name_counts.get(fold(category.name), 0) + 1
        for category in categories:
            name = fold(category.name)
            if name not in self.by_key:  # a root's path is its name: the root wins
                self.by_key[name] = category if name_counts[name] == 1 else None
        for category in categories:
            self.by_key[category.slug] = category

    def resolve(self, text: str) -> Category:
        key = text.strip() if text.strip() in self.by_key else " > ".join(fold(p) for p in text.split(">"))
        category = self.by_key.get(key)
        if category is None:
            raise RowInvalid("categorie", _("Catégorie « %(value)s » inconnue dans cette ville.") % {"value": text})
        return category


# --- images from the ZIP archive ---------------------------------------------------------------
class ImageArchive:
    """The ZIP sent with a product file: images found by file name, checked with Pillow once each."""

    def __init__(self, source: IO[bytes]) -> None:
        source.seek(0, io.SEEK_END)
        if source.tell() > MAX_ARCHIVE_BYTES:
            raise ImportRefused(_("L'archive d'images dépasse 500 Mo."))
        source.seek(0)
        try:
            self.zip = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError) as error:
            raise ImportRefused(_("L'archive d'images n'est pas un fichier ZIP lisible.")) from error
        self.entries: dict[str, zipfile.ZipInfo] = {}
        for info in self.zip.infolist():
            name = PurePosixPath(info.filename).name
            if info.is_dir() or info.filename.startswith("__MACOSX/") or name.startswith("."):
                continue
            self.entries.setdefault(name, info)
            self.entries.setdefault(name.casefold(), info)
        self.checked: dict[str, str | None] = {}

    def check(self, name: str) -> str | None:
        """None when the entry is a real image, else a French message."""
        if name not in self.checked:
            self.checked[name] = self._check(name)
        return self.checked[name]

    def _check(self, name: str) -> str | None:
        info = self.entries.get(name) or self.entries.get(name.casefold())
        if info is None:
            return _("Image « %(name)s » absente de l'archive.") % {"name": name}
        if info.file_size > MAX_IMAGE_BYTES:
            return _("Image « %(name)s » : 15 Mo au plus.") % {"name": name}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(self.zip.read(info))) as image:
                    image.verify()
        except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
            return _("« %(name)s » n'est pas une image acceptée (JPEG, PNG, WebP).") % {"name": name}
        except (OSError, SyntaxError, ValueError, zipfile.BadZipFile):
            return _("Image « %(name)s » illisible ou abîmée.") % {"name": name}
        return None

    def read(self, name: str) -> bytes:
        return self.zip.read(self.entries.get(name) or self.entries[name.casefold()])


# --- products ----------------------------------------------------------------------------------
@dataclass(slots=True)
class ProductRow:
    line: int
    sku: str
    title: str
    price_cents: int
    description: str = ""
    category_id: int | None = None
    vat_rate: int = VatRate.STANDARD
    unit: str = SaleUnit.PIECE
    stock: int | None = None
    ean: str = ""
    images: list[str] = field(default_factory=list)
    is_published: bool | None = None


def _check_product_row(
    line: int, values: dict[str, str], *, merchant: Merchant, categories: CategoryIndex, archive: ImageArchive | None
) -> tuple[ProductRow | None, list[RowInvalid]]:
    problems: list[RowInvalid] = []

    def attempt(function: Callable[[], Any], default: Any = None) -> Any:
        try:
            return function()
        except RowInvalid as problem:
            problems.append(problem)
            return default

    if values.get("__extra__"):
        problems.append(RowInvalid("", _("Plus de cellules que de colonnes : un séparateur en trop ?")))
    sku = attempt(lambda: _limited(values, "sku", 64, label=gettext_lazy("Référence")), "")
    if not sku and not any(p.column == "sku" for p in problems):
        problems.append(RowInvalid("sku", _("Référence (SKU) obligatoire.")))
    title = attempt(lambda: _limited(values, "titre", 200, label=gettext_lazy("Titre")), "")
    if not title and not any(p.column == "titre" for p in problems):
        problems.append(RowInvalid("titre", _("Titre obligatoire.")))
    price = attempt(lambda: parse_price_cents(values.get("prix", "")) if values.get("prix") else None)
    if values.get("prix", "") == "":
        problems.append(RowInvalid("prix", _("Prix obligatoire.")))
    description = attempt(
        lambda: _limited(values, "description", MAX_DESCRIPTION_CHARS, label=gettext_lazy("Description")), ""
    )
    category = attempt(lambda: categories.resolve(values["categorie"])) if values.get("categorie") else None
    row = ProductRow(line=line, sku=sku, title=title, price_cents=price or 0)
    row.description = sanitise_description(description) if description else ""
    row.category_id = category.pk if category else None
    row.vat_rate = attempt(lambda: parse_vat_rate(values.get("tva", ""), merchant=merchant), 0)
    row.unit = attempt(lambda: parse_unit(values.get("unite", "")), SaleUnit.PIECE)
    row.stock = attempt(lambda: parse_stock(values.get("stock", "")))
    row.ean = attempt(lambda: parse_ean(values.get("ean", "")), "")
    row.is_published = attempt(lambda: parse_flag(values.get("publie", ""), "publie"))
    row.images = [name.strip() for name in values.get("images", "").split(IMAGE_SEPARATOR) if name.strip()]
    if row.images and archive is None:
        problems.append(RowInvalid("images", _("Des images sont citées mais aucune archive ZIP n'est jointe.")))
    elif row.images and archive is not None:
        problems.extend(RowInvalid("images", message) for name in row.images if (message := archive.check(name)))
    return (None if problems else row), problems


def import_products(
    *,
    merchant: Merchant,
    data: bytes,
    filename: str,
    images: IO[bytes] | None = None,
    dry_run: bool = False,
    unpublish_missing: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Check every row, then (unless a dry run or any row is wrong) upsert all of them by SKU at once."""
    report = ImportReport(kind=ImportKind.PRODUCTS, is_dry_run=dry_run)
    try:
        present, rows, report.warnings = read_table(
            data, filename=filename, columns=PRODUCT_COLUMNS, required=PRODUCT_REQUIRED
        )
        archive = ImageArchive(images) if images is not None else None
    except ImportRefused as refusal:
        report.add_error(None, "", str(refusal))
        return report
    report.total_rows = len(rows)
    categories = CategoryIndex()
    existing_skus = set(Variant.objects.filter(merchant=merchant).values_list("sku", flat=True))
    checked: list[ProductRow] = []
    first_line_of: dict[str, int] = {}
    for index, (line, values) in enumerate(rows, start=1):
        row, problems = _check_product_row(line, values, merchant=merchant, categories=categories, archive=archive)
        sku = values.get("sku", "")
        if sku and sku in first_line_of:
            problems.append(
                RowInvalid(
                    "sku",
                    _("La référence « %(sku)s » figure déjà ligne %(line)s.")
                    % {"sku": sku, "line": first_line_of[sku]},
                )
            )
            row = None
        elif sku:
            first_line_of[sku] = line
        for problem in problems:
            report.add_error(line, problem.column, problem.message)
        if row is not None:
            checked.append(row)
            if row.sku in existing_skus:
                report.updated += 1
            else:
                report.created += 1
        if progress and (index % 250 == 0 or index == len(rows)):
            progress(index, len(rows))
    if progress and not rows:
        progress(0, 0)
    if dry_run or not report.is_valid:
        return report
    try:
        with transaction.atomic():
            _write_products(merchant=merchant, rows=checked, present=present, archive=archive, report=report)
            if unpublish_missing:
                report.unpublished = _unpublish_missing(merchant=merchant, skus=[row.sku for row in checked])
    except (DatabaseError, ValidationError, OSError) as error:
        report.created = report.updated = report.unpublished = report.photos = 0
        report.add_error(None, "", _("L'enregistrement a échoué, rien n'a été modifié : %(error)s") % {"error": error})
        return report
    report.is_committed = True
    return report


PRODUCT_FIELDS_BY_COLUMN = {
    "titre": ("title",),
    "prix": ("price_cents",),
    "description": ("description",),
    "categorie": ("category_id",),
    "tva": ("vat_rate",),
    "unite": ("unit",),
    "publie": ("is_published",),
}


def _write_products(
    *, merchant: Merchant, rows: list[ProductRow], present: set[str], archive: ImageArchive | None, report: ImportReport
) -> None:
    # One import per merchant at a time: a second one waits here instead of racing on SKUs.
    Merchant.objects.select_for_update().filter(pk=merchant.pk).first()
    existing = {
        sku: (variant_id, product_id, is_published)
        for sku, variant_id, product_id, is_published in Variant.objects.filter(merchant=merchant).values_list(
            "sku", "pk", "product_id", "product__is_published"
        )
    }
    slugs = set(Product.objects.filter(merchant=merchant).values_list("slug", flat=True))
    now = timezone.now()
    new_rows = [row for row in rows if row.sku not in existing]
    old_rows = [row for row in rows if row.sku in existing]

    new_products = []
    for row in new_rows:
        product = Product(merchant=merchant, slug=_free_slug(row.title, slugs), **_product_values(row))
        product.is_published = bool(row.is_published)
        new_products.append(product)
    Product.objects.bulk_create(new_products, batch_size=CHUNK_SIZE)
    Variant.objects.bulk_create(
        (
            Variant(product=product, merchant=merchant, sku=row.sku, ean=row.ean, stock=row.stock)
            for product, row in zip(new_products, new_rows, strict=True)
        ),
        batch_size=CHUNK_SIZE,
    )

    product_columns = [name for column in present for name in PRODUCT_FIELDS_BY_COLUMN.get(column, ())]
    product_values: list[list[Any]] = []
    variant_values: list[list[Any]] = []
    for row in old_rows:
        variant_id, product_id, was_published = existing[row.sku]
        values = _product_values(row)
        values["is_published"] = was_published if row.is_published is None else row.is_published
        product_values.append([product_id, *(values[name] for name in product_columns), now])
        variant_values.append([variant_id, row.ean, row.stock])
    _update_rows("catalog_product", [*product_columns, "updated_at"], product_values)
    variant_columns = [name for name in ("ean", "stock") if name in present]
    _update_rows(
        "catalog_variant",
        variant_columns,
        [
            [values[0], *(values[1 + ("ean", "stock").index(name)] for name in variant_columns)]
            for values in variant_values
        ],
    )

    report.created, report.updated = len(new_rows), len(old_rows)
    products_by_sku = {row.sku: p.pk for row, p in zip(new_rows, new_products, strict=True)}
    products_by_sku.update({row.sku: existing[row.sku][1] for row in old_rows})
    if archive is not None:
        report.photos = _attach_photos(rows=rows, products_by_sku=products_by_sku, archive=archive)
    refresh_search_vectors(product_ids=products_by_sku.values())


# Column types for the unnest() updates below; only these names ever reach the SQL text.
UPDATABLE_COLUMNS = {
    "title": "text",
    "description": "text",
    "category_id": "bigint",
    "price_cents": "bigint",
    "vat_rate": "smallint",
    "unit": "text",
    "is_published": "boolean",
    "updated_at": "timestamptz",
    "ean": "text",
    "stock": "integer",
}


def _update_rows(table: str, columns: list[str], rows: list[list[Any]]) -> None:
    """One UPDATE ... FROM unnest(arrays) per chunk: Django's bulk_update builds a CASE per row and
    field, which took minutes for 10,000 products; this takes well under a second."""
    if not columns or not rows:
        return
    assert table in ("catalog_product", "catalog_variant")  # noqa: S101
    assignments = ", ".join(f"{name} = v.{name}" for name in columns)
    arrays = ", ".join(f"%s::{UPDATABLE_COLUMNS[name]}[]" for name in columns)
    sql = (
        f"UPDATE {table} t SET {assignments} "  # noqa: S608 - names come from UPDATABLE_COLUMNS only
        f"FROM unnest(%s::bigint[], {arrays}) AS v(id, {', '.join(columns)}) WHERE t.id = v.id"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK_SIZE * 5):
            chunk = rows[start : start + CHUNK_SIZE * 5]
            cursor.execute(sql, [list(column) for column in zip(*chunk, strict=True)])


def _product_values(row: ProductRow) -> dict[str, Any]:
    return {
        "title": row.title,
        "description": row.description,
        "category_id": row.category_id,
        "price_cents": row.price_cents,
        "vat_rate": row.vat_rate,
        "unit": row.unit,
    }


def _free_slug(title: str, taken: set[str]) -> str:
    base = slugify(title)[:210] or "produit"
    slug, counter = base, 2
    while slug in taken:
        slug, counter = f"{base}-{counter}", counter + 1
    taken.add(slug)
    return slug


def _attach_photos(*, rows: list[ProductRow], products_by_sku: dict[str, int], archive: ImageArchive) -> int:
    """Photos for products that have none yet: re-importing the same file adds no duplicates.

    Each goes through ``add_photo`` (the back-office's path): re-encoded, EXIF stripped,
    renditions queued after commit."""
    wanted = {products_by_sku[row.sku]: row for row in rows if row.images}
    with_photos = set(Photo.objects.filter(product_id__in=list(wanted)).values_list("product_id", flat=True))
    products = Product.objects.in_bulk([pk for pk in wanted if pk not in with_photos])
    count = 0
    for product_id, product in products.items():
        row = wanted[product_id]
        for name in row.images:
            content = archive.read(name)
            add_photo(upload=io.BytesIO(content), size=len(content), alt_text=row.title[:250], product=product)
            count += 1
    return count


UNPUBLISH_MISSING_SQL = """
    UPDATE catalog_product p SET is_published = false, updated_at = now()
    WHERE p.merchant_id = %s AND p.is_published
      AND NOT EXISTS (SELECT 1 FROM catalog_variant v WHERE v.product_id = p.id AND v.sku = ANY(%s))
"""


def _unpublish_missing(*, merchant: Merchant, skus: list[str]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(UNPUBLISH_MISSING_SQL, [merchant.pk, skus])
        return cursor.rowcount


# --- merchants ---------------------------------------------------------------------------------
@dataclass(slots=True)
class MerchantRow:
    line: int
    name: str
    values: dict[str, Any]
    category_ids: list[int] | None


MERCHANT_FIELDS_BY_COLUMN = {
    "type": "kind",
    "adresse": "address_line",
    "code_postal": "postcode",
    "commune": "city",
    "telephone": "phone",
    "email": "email",
    "siret": "siret",
    "site_web": "website",
    "description": "description",
}


def _check_merchant_row(
    line: int, values: dict[str, str], *, categories: CategoryIndex
) -> tuple[MerchantRow | None, list[RowInvalid]]:
    problems: list[RowInvalid] = []

    def attempt(function: Callable[[], Any], default: Any = "") -> Any:
        try:
            return function()
        except RowInvalid as problem:
            problems.append(problem)
            return default

    if values.get("__extra__"):
        problems.append(RowInvalid("", _("Plus de cellules que de colonnes : un séparateur en trop ?")))
    name = attempt(lambda: _limited(values, "nom", 160, label=gettext_lazy("Nom")))
    if not values.get("nom"):
        problems.append(RowInvalid("nom", _("Nom obligatoire.")))
    clean: dict[str, Any] = {
        "kind": attempt(lambda: parse_merchant_kind(values.get("type", ""))),
        "address_line": attempt(lambda: _limited(values, "adresse", 200, label=gettext_lazy("Adresse"))),
        "city": attempt(lambda: _limited(values, "commune", 100, label=gettext_lazy("Commune"))),
        "postcode": attempt(lambda: _postcode(values.get("code_postal", ""))),
        "phone": attempt(lambda: _phone(values.get("telephone", ""))),
        "email": attempt(lambda: _email(values.get("email", ""))),
        "siret": attempt(lambda: _siret(values.get("siret", ""))),
        "website": attempt(lambda: _website(values.get("site_web", ""))),
        "description": sanitise_description(
            attempt(lambda: _limited(values, "description", MAX_DESCRIPTION_CHARS, label=gettext_lazy("Description")))
        ),
    }
    category_ids = None
    if "categorie" in values:
        category_ids = [
            category.pk
            for part in values["categorie"].split(IMAGE_SEPARATOR)
            if part.strip() and (category := attempt(lambda part=part: categories.resolve(part), None))
        ]
    if problems:
        return None, problems
    return MerchantRow(line=line, name=name, values=clean, category_ids=category_ids), problems


def _postcode(text: str) -> str:
    compact = text.replace(" ", "")
    if compact.isdigit() and len(compact) == 4:  # Excel drops the leading zero of 01000
        compact = "0" + compact
    if compact and not re.fullmatch(r"\d{5}", compact):
        raise RowInvalid("code_postal", _("Code postal « %(value)s » : 5 chiffres attendus.") % {"value": text})
    return compact


def _phone(text: str) -> str:
    compact = re.sub(r"[\s.\-()]", "", text)
    if compact and not re.fullmatch(r"\+?\d{6,15}", compact):
        raise RowInvalid("telephone", _("Téléphone « %(value)s » illisible.") % {"value": text})
    return text if len(text) <= 20 else compact


def _email(text: str) -> str:
    if not text:
        return ""
    try:
        EmailValidator()(text)
    except ValidationError as error:
        raise RowInvalid("email", _("Adresse e-mail « %(value)s » invalide.") % {"value": text}) from error
    return text.lower()


def _siret(text: str) -> str:
    compact = re.sub(r"[\s.]", "", text)
    if not compact:
        return ""
    try:
        validate_siret(compact)
    except ValidationError as error:
        raise RowInvalid("siret", error.messages[0]) from error
    return compact


def _website(text: str) -> str:
    if not text:
        return ""
    url = text if re.match(r"^https?://", text, flags=re.IGNORECASE) else f"https://{text}"
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as error:
        raise RowInvalid("site_web", _("Adresse de site « %(value)s » invalide.") % {"value": text}) from error
    if len(url) > 200:
        raise RowInvalid("site_web", _("Adresse de site trop longue (200 caractères au plus)."))
    return url


def import_merchants(
    *, data: bytes, filename: str, dry_run: bool = False, progress: Progress | None = None
) -> ImportReport:
    """Check every row, then (unless a dry run or any row is wrong) create or update all merchants.

    A row matches an existing merchant by SIRET, else by name; new merchants start as drafts."""
    report = ImportReport(kind=ImportKind.MERCHANTS, is_dry_run=dry_run)
    try:
        present, rows, report.warnings = read_table(
            data, filename=filename, columns=MERCHANT_COLUMNS, required=MERCHANT_REQUIRED
        )
    except ImportRefused as refusal:
        report.add_error(None, "", str(refusal))
        return report
    report.total_rows = len(rows)
    categories = CategoryIndex()
    existing = list(Merchant.objects.values_list("pk", "name", "siret"))
    by_siret = {siret: pk for pk, _name, siret in existing if siret}
    by_name: dict[str, list[int]] = {}
    for pk, name, _siret_value in existing:
        by_name.setdefault(fold(name), []).append(pk)
    checked: list[tuple[MerchantRow, int | None]] = []
    seen: dict[str, int] = {}
    for index, (line, values) in enumerate(rows, start=1):
        row, problems = _check_merchant_row(line, values, categories=categories)
        target: int | None = None
        if row is not None:
            key = row.values["siret"] or fold(row.name)
            if key in seen:
                problems.append(RowInvalid("nom", _("Ce commerçant figure déjà ligne %(line)s.") % {"line": seen[key]}))
            seen.setdefault(key, line)
            if row.values["siret"] and row.values["siret"] in by_siret:
                target = by_siret[row.values["siret"]]
            elif len(by_name.get(fold(row.name), [])) > 1:
                problems.append(
                    RowInvalid(
                        "nom", _("Plusieurs commerçants portent ce nom : indiquez leur SIRET pour les distinguer.")
                    )
                )
            elif by_name.get(fold(row.name)):
                target = by_name[fold(row.name)][0]
        for problem in problems:
            report.add_error(line, problem.column, problem.message)
        if row is not None and not problems:
            checked.append((row, target))
            report.created += target is None
            report.updated += target is not None
        if progress and (index % 250 == 0 or index == len(rows)):
            progress(index, len(rows))
    if dry_run or not report.is_valid:
        return report
    try:
        with transaction.atomic():
            _write_merchants(rows=checked, present=present)
    except (DatabaseError, ValidationError) as error:
        report.created = report.updated = 0
        report.add_error(None, "", _("L'enregistrement a échoué, rien n'a été modifié : %(error)s") % {"error": error})
        return report
    report.is_committed = True
    return report


def _write_merchants(*, rows: list[tuple[MerchantRow, int | None]], present: set[str]) -> None:
    slugs = set(Merchant.objects.values_list("slug", flat=True))
    created = []
    for row, _target in (item for item in rows if item[1] is None):
        merchant = Merchant(name=row.name, slug="", status=MerchantStatus.DRAFT, **row.values)
        merchant.slug = _free_slug(row.name, slugs)[:180]
        created.append(merchant)
    Merchant.objects.bulk_create(created, batch_size=CHUNK_SIZE)
    fields = ["name", *(MERCHANT_FIELDS_BY_COLUMN[c] for c in present if c in MERCHANT_FIELDS_BY_COLUMN)]
    updated = [Merchant(pk=target, name=row.name, **row.values) for row, target in rows if target is not None]
    now = timezone.now()
    for merchant in updated:
        merchant.updated_at = now
    Merchant.objects.bulk_update(updated, [*fields, "updated_at"], batch_size=CHUNK_SIZE)
    merchant_ids = [merchant.pk for merchant in created] + [merchant.pk for merchant in updated]
    if "categorie" in present:
        ordered_rows = [row for row, target in rows if target is None] + [
            row for row, target in rows if target is not None
        ]
        through = Merchant.categories.through
        through.objects.filter(merchant_id__in=merchant_ids).delete()
        through.objects.bulk_create(
            (
                through(merchant_id=merchant_id, category_id=category_id)
                for merchant_id, row in zip(merchant_ids, ordered_rows, strict=True)
                for category_id in dict.fromkeys(row.category_ids or [])
            ),
            batch_size=CHUNK_SIZE,
        )
    refresh_search_vectors(
        merchant_ids=merchant_ids,
        product_ids=Product.objects.filter(merchant_id__in=[m.pk for m in updated]).values_list("pk", flat=True),
    )


# --- background jobs ---------------------------------------------------------------------------
def import_jobs_for(user: User) -> QuerySet[ImportJob]:
    """Jobs a user may see: of the merchants they manage; town-wide merchant imports for town staff."""
    jobs = ImportJob.objects.filter(merchant__in=merchants_for(user))
    if is_catalogue_manager(user):
        jobs = jobs | ImportJob.objects.filter(merchant__isnull=True)
    return jobs.select_related("merchant")


def run_import(*, job: ImportJob) -> ImportReport:
    """Run a queued job in the current town, recording progress and the final report on it."""
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, processed_rows=0)

    def progress(done: int, total: int) -> None:
        # Outside the import's transaction: the job page sees each step at once.
        ImportJob.objects.filter(pk=job.pk).update(processed_rows=done, total_rows=total)

    with job.source.open("rb") as source:
        data = source.read(MAX_FILE_BYTES + 1)
    if job.kind == ImportKind.MERCHANTS:
        report = import_merchants(data=data, filename=job.source.name, dry_run=job.is_dry_run, progress=progress)
    else:
        assert job.merchant is not None  # noqa: S101 - a product job always has its merchant
        archive = job.images_archive.open("rb") if job.images_archive else None
        try:
            report = import_products(
                merchant=job.merchant,
                data=data,
                filename=job.source.name,
                images=archive,
                dry_run=job.is_dry_run,
                unpublish_missing=job.unpublish_missing,
                progress=progress,
            )
        finally:
            if archive is not None:
                archive.close()
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.DONE if report.is_valid else ImportStatus.FAILED,
        report=report.as_dict(),
        total_rows=report.total_rows,
        processed_rows=report.total_rows,
        finished_at=timezone.now(),
    )
    return report


@shared_task(name="catalog.run_import_job", base=TownTask)
def run_import_job(job_id: int) -> str:
    """Idempotent: a finished job is left alone; a job interrupted mid-way runs again (all-or-nothing)."""
    job = ImportJob.objects.select_related("merchant").filter(pk=job_id).first()
    if job is None or job.status in (ImportStatus.DONE, ImportStatus.FAILED):
        return job.status if job else "missing"
    try:
        report = run_import(job=job)
    except Exception:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED,
            finished_at=timezone.now(),
            report={"errors": [{"line": None, "column": "", "message": _("Erreur inattendue : import abandonné.")}]},
        )
        raise
    return ImportStatus.DONE if report.is_valid else ImportStatus.FAILED


def queue_import(
    *,
    user: User,
    kind: str,
    merchant: Merchant | None,
    source: Any,
    images_archive: Any = None,
    is_dry_run: bool = False,
    unpublish_missing: bool = False,
) -> ImportJob:
    """Store the uploaded files on a new job and run it in the background once committed."""
    with transaction.atomic():
        job = ImportJob(
            kind=kind,
            merchant=merchant if kind == ImportKind.PRODUCTS else None,
            is_dry_run=is_dry_run,
            unpublish_missing=unpublish_missing and kind == ImportKind.PRODUCTS,
            created_by_id=user.pk,
        )
        job.source.save(PurePosixPath(source.name).name, source, save=False)
        if images_archive is not None and kind == ImportKind.PRODUCTS:
            job.images_archive.save(PurePosixPath(images_archive.name).name, images_archive, save=False)
        job.save()
        transaction.on_commit(lambda: run_import_job.delay(job.pk))
    return job
