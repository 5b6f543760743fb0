"""Catalogue imports: merchants of the town and products of one merchant, from CSV or Excel files.

Two phases. *Check* reads every row and builds clean values or a row-by-row report (line as in the
file, column, French message); it writes nothing. *Write* runs only when no row is wrong, in one
transaction: products are upserted by SKU per merchant with bulk statements in chunks, then the
search vectors are refreshed once. A dry run stops after the check.

The package re-exports every public name, so ``from catalog.imports import ...`` keeps working:
``base`` (limits, column spellings, report, exceptions), ``reading`` (CSV and Excel files),
``cells`` (single cells and categories), ``products``, ``merchants`` and ``jobs`` (the Celery task).
The limits (``MAX_FILE_BYTES``, ``MAX_ROWS``, ``MAX_COLUMNS``...) are read from this package at call
time, so setting them here takes effect.
"""

from __future__ import annotations

from catalog.imports.base import (
    CHUNK_SIZE,
    FORMULA_STARTS,
    IMAGE_SEPARATOR,
    MAX_ARCHIVE_BYTES,
    MAX_BLANK_ROWS,
    MAX_COLUMNS,
    MAX_DESCRIPTION_CHARS,
    MAX_FILE_BYTES,
    MAX_HEADER_CHARS,
    MAX_IMAGE_BYTES,
    MAX_IMPORT_ATTEMPTS,
    MAX_LINE_CHARS,
    MAX_REPORTED_ERRORS,
    MAX_ROWS,
    MAX_STOCK,
    MAX_XLSX_UNCOMPRESSED_BYTES,
    MERCHANT_COLUMNS,
    MERCHANT_REQUIRED,
    PRODUCT_COLUMNS,
    PRODUCT_REQUIRED,
    ImportRefused,
    ImportReport,
    Progress,
    RowInvalid,
    column_key,
    fold,
)
from catalog.imports.cells import (
    FALSE_WORDS,
    TRUE_WORDS,
    UNIT_WORDS,
    VAT_BASIS_POINTS,
    VAT_EXEMPT_WORDS,
    CategoryIndex,
    parse_ean,
    parse_flag,
    parse_merchant_kind,
    parse_price_cents,
    parse_stock,
    parse_unit,
    parse_vat_rate,
)
from catalog.imports.jobs import (
    discard_import_files,
    fail_import_job,
    fail_stalled_import_jobs,
    import_jobs_for,
    queue_import,
    run_import,
    run_import_job,
)
from catalog.imports.merchants import MERCHANT_FIELDS_BY_COLUMN, MerchantRow, import_merchants
from catalog.imports.products import (
    PRODUCT_FIELDS_BY_COLUMN,
    UNPUBLISH_MISSING_SQL,
    UPDATABLE_COLUMNS,
    ImageArchive,
    ProductRow,
    import_products,
)
from catalog.imports.reading import Row, read_table

__all__ = [
    "CHUNK_SIZE",
    "FALSE_WORDS",
    "FORMULA_STARTS",
    "IMAGE_SEPARATOR",
    "MAX_ARCHIVE_BYTES",
    "MAX_BLANK_ROWS",
    "MAX_COLUMNS",
    "MAX_DESCRIPTION_CHARS",
    "MAX_FILE_BYTES",
    "MAX_HEADER_CHARS",
    "MAX_IMAGE_BYTES",
    "MAX_IMPORT_ATTEMPTS",
    "MAX_LINE_CHARS",
    "MAX_REPORTED_ERRORS",
    "MAX_ROWS",
    "MAX_STOCK",
    "MAX_XLSX_UNCOMPRESSED_BYTES",
    "MERCHANT_COLUMNS",
    "MERCHANT_FIELDS_BY_COLUMN",
    "MERCHANT_REQUIRED",
    "PRODUCT_COLUMNS",
    "PRODUCT_FIELDS_BY_COLUMN",
    "PRODUCT_REQUIRED",
    "TRUE_WORDS",
    "UNIT_WORDS",
    "UNPUBLISH_MISSING_SQL",
    "UPDATABLE_COLUMNS",
    "VAT_BASIS_POINTS",
    "VAT_EXEMPT_WORDS",
    "CategoryIndex",
    "ImageArchive",
    "ImportRefused",
    "ImportReport",
    "MerchantRow",
    "ProductRow",
    "Progress",
    "Row",
    "RowInvalid",
    "column_key",
    "discard_import_files",
    "fail_import_job",
    "fail_stalled_import_jobs",
    "fold",
    "import_jobs_for",
    "import_merchants",
    "import_products",
    "parse_ean",
    "parse_flag",
    "parse_merchant_kind",
    "parse_price_cents",
    "parse_stock",
    "parse_unit",
    "parse_vat_rate",
    "queue_import",
    "read_table",
    "run_import",
    "run_import_job",
]
