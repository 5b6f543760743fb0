"""Importing the products of one merchant, with their images from a ZIP archive."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.actions import add_photo, free_slug, refresh_search_vectors
from catalog.cache import bump_catalogue_version
from catalog.imports.base import (
    CHUNK_SIZE,
    IMAGE_SEPARATOR,
    MAX_ARCHIVE_BYTES,
    MAX_DESCRIPTION_CHARS,
    MAX_IMAGE_BYTES,
    PRODUCT_COLUMNS,
    PRODUCT_REQUIRED,
    ImportRefused,
    ImportReport,
    Progress,
    RowInvalid,
    RowProblems,
)
from catalog.imports.cells import (
    CategoryIndex,
    _limited,
    parse_ean,
    parse_flag,
    parse_price_cents,
    parse_stock,
    parse_unit,
    parse_vat_rate,
)
from catalog.imports.reading import read_table
from catalog.models import (
    ImportKind,
    Merchant,
    Photo,
    Product,
    SaleUnit,
    Variant,
    VatRate,
)
from catalog.sanitising import sanitise_description
from tenants.images import inspect_image


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
            # The engine's own checks, without decoding: the dry run refuses what the import would.
            inspect_image(io.BytesIO(self.zip.read(info)), size=info.file_size)
        except ValidationError as refusal:
            if refusal.code == "not_an_image":
                return _("« %(name)s » n'est pas une image acceptée (JPEG, PNG, WebP).") % {"name": name}
            return _("Image « %(name)s » : %(reason)s") % {"name": name, "reason": refusal.messages[0]}
        except (OSError, ValueError, zipfile.BadZipFile):
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
    product_ref: str = ""  # rows with the same reference are variants of one product
    variant_name: str = ""

    @property
    def group_key(self) -> tuple[str, str]:
        return ("ref", self.product_ref) if self.product_ref else ("sku", self.sku)


def _check_product_row(
    line: int, values: dict[str, str], *, merchant: Merchant, categories: CategoryIndex, archive: ImageArchive | None
) -> tuple[ProductRow | None, list[RowInvalid]]:
    problems = RowProblems(values)
    attempt = problems.attempt
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
    row.product_ref = attempt(lambda: _limited(values, "ref_produit", 64, label=gettext_lazy("Référence produit")), "")
    row.variant_name = attempt(lambda: _limited(values, "declinaison", 120, label=gettext_lazy("Déclinaison")), "")
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
    existing_products = dict(Variant.objects.filter(merchant=merchant).values_list("sku", "product_id"))
    product_of_group: dict[tuple[str, str], tuple[int, str]] = {}
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
        if row is not None and row.product_ref and row.sku in existing_products:
            # Two existing products are never merged by an import: that would orphan one of them.
            product_id = existing_products[row.sku]
            first_id, first_sku = product_of_group.setdefault(row.group_key, (product_id, row.sku))
            if first_id != product_id:
                problems.append(
                    RowInvalid(
                        "ref_produit",
                        _(
                            "La référence « %(sku)s » appartient à un autre produit que « %(other)s » : "
                            "une même référence produit ne peut pas réunir deux produits existants."
                        )
                        % {"sku": row.sku, "other": first_sku},
                    )
                )
                row = None
        for problem in problems:
            report.add_error(line, problem.column, problem.message)
        if row is not None:
            checked.append(row)
            if row.sku in existing_products:
                report.updated += 1
            else:
                report.created += 1
        if progress and (index % 250 == 0 or index == len(rows)):
            progress(index, len(rows))
    if progress and not rows:
        progress(0, 0)
    if dry_run or not report.is_valid:
        return report
    stored_photos: list[Photo] = []
    try:
        with transaction.atomic():
            _write_products(
                merchant=merchant,
                rows=checked,
                present=present,
                archive=archive,
                report=report,
                stored_photos=stored_photos,
            )
            if unpublish_missing:
                report.unpublished = _unpublish_missing(merchant=merchant, skus=[row.sku for row in checked])
            bump_catalogue_version()
    except BaseException as error:
        # The rows are rolled back; the photo files written on the way are not: remove them.
        for photo in stored_photos:
            photo.image.storage.delete(photo.image.name)
        if not isinstance(error, (DatabaseError, ValidationError, OSError)):
            raise
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
    *,
    merchant: Merchant,
    rows: list[ProductRow],
    present: set[str],
    archive: ImageArchive | None,
    report: ImportReport,
    stored_photos: list[Photo],
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
    groups: dict[tuple[str, str], list[ProductRow]] = {}
    for row in rows:
        groups.setdefault(row.group_key, []).append(row)
    # With product references, a variant keeps its own price where it differs from its product's
    # (the group's first row); without them every row is its own product, as before.
    has_variant_columns = "ref_produit" in present

    new_products: list[Product] = []
    new_variants: list[tuple[Product | int, ProductRow, int, int | None]] = []  # product, row, position, price
    product_columns = [name for column in present for name in PRODUCT_FIELDS_BY_COLUMN.get(column, ())]
    product_values: list[list[Any]] = []
    variant_columns = [name for name in VARIANT_FIELDS if VARIANT_FIELDS[name] in present]
    if has_variant_columns and "prix" in present:
        variant_columns.append("price_cents")
    variant_values: list[list[Any]] = []
    products_by_sku: dict[str, Product | int] = {}
    for members in groups.values():
        lead = members[0]
        known = next((existing[row.sku] for row in members if row.sku in existing), None)
        product: Product | int
        if known is None:
            product = Product(merchant=merchant, slug=_free_slug(Product, lead.title, slugs), **_product_values(lead))
            product.is_published = bool(lead.is_published)
            new_products.append(product)
        else:
            _variant_id, product, was_published = known
            values = _product_values(lead)
            values["is_published"] = was_published if lead.is_published is None else lead.is_published
            product_values.append([product, *(values[name] for name in product_columns), now])
        for position, row in enumerate(members):
            products_by_sku[row.sku] = product
            own_price = row.price_cents if has_variant_columns and row.price_cents != lead.price_cents else None
            if row.sku in existing:
                values = {"ean": row.ean, "stock": row.stock, "name": row.variant_name, "price_cents": own_price}
                variant_values.append([existing[row.sku][0], *(values[name] for name in variant_columns)])
            else:
                new_variants.append((product, row, position, own_price))

    Product.objects.bulk_create(new_products, batch_size=CHUNK_SIZE)
    Variant.objects.bulk_create(
        (
            Variant(
                product_id=product if isinstance(product, int) else product.pk,
                merchant=merchant,
                sku=row.sku,
                ean=row.ean,
                stock=row.stock,
                name=row.variant_name,
                price_cents=own_price,
                position=position,
            )
            for product, row, position, own_price in new_variants
        ),
        batch_size=CHUNK_SIZE,
    )
    if "is_published" in product_columns:
        # A row that publishes a draft from a photo shoot gives it its title and price: it is complete.
        published = product_columns.index("is_published") + 1
        completed = [row[0] for row in product_values if row[published]]
        Product.objects.filter(pk__in=completed, needs_details=True).update(needs_details=False)
    _update_rows("catalog_product", [*product_columns, "updated_at"], product_values)
    _update_rows("catalog_variant", variant_columns, variant_values)

    new_skus = {row.sku for _product, row, _position, _price in new_variants}
    report.created, report.updated = len(new_skus), len(rows) - len(new_skus)
    product_ids = {sku: product if isinstance(product, int) else product.pk for sku, product in products_by_sku.items()}
    if archive is not None:
        report.photos = _attach_photos(
            rows=rows, products_by_sku=product_ids, archive=archive, stored_photos=stored_photos
        )
    refresh_search_vectors(product_ids=set(product_ids.values()))


# Variant fields an import may update, and the column each comes from.
VARIANT_FIELDS = {"ean": "ean", "stock": "stock", "name": "declinaison"}


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
    "name": "text",
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


def _free_slug(model: type[Product | Merchant], text: str, taken: set[str]) -> str:
    """The back-office's slug rule (``free_slug``) against the slugs already taken, which it joins."""
    slug = free_slug(model, text, is_taken=taken.__contains__)
    taken.add(slug)
    return slug


def _attach_photos(
    *, rows: list[ProductRow], products_by_sku: dict[str, int], archive: ImageArchive, stored_photos: list[Photo]
) -> int:
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
            stored_photos.append(
                add_photo(upload=io.BytesIO(content), size=len(content), alt_text=row.title[:250], product=product)
            )
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
