"""Importing the merchants of the town: matched by SIRET, else by name; new ones start as drafts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.actions import refresh_search_vectors
from catalog.cache import bump_catalogue_version
from catalog.imports.base import (
    CHUNK_SIZE,
    IMAGE_SEPARATOR,
    MAX_DESCRIPTION_CHARS,
    MERCHANT_COLUMNS,
    MERCHANT_REQUIRED,
    ImportRefused,
    ImportReport,
    Progress,
    RowInvalid,
    RowProblems,
    fold,
)
from catalog.imports.cells import CategoryIndex, _limited, parse_merchant_kind
from catalog.imports.products import _free_slug
from catalog.imports.reading import read_table
from catalog.models import (
    ImportKind,
    Merchant,
    MerchantStatus,
    Product,
)
from catalog.sanitising import sanitise_description
from catalog.validators import compact_siret, validate_siret


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


def check_merchant_row(
    line: int, values: dict[str, str], *, categories: CategoryIndex
) -> tuple[MerchantRow | None, list[RowInvalid]]:
    problems = RowProblems(values, default="")
    attempt = problems.attempt
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
            if part.strip() and (category := attempt(partial(categories.resolve, part), None))
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
    compact = compact_siret(text)
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
        row, problems = check_merchant_row(line, values, categories=categories)
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
            bump_catalogue_version()
    except (DatabaseError, ValidationError) as error:
        report.created = report.updated = 0
        report.add_error(None, "", _("L'enregistrement a échoué, rien n'a été modifié : %(error)s") % {"error": error})
        return report
    report.is_committed = True
    return report


def create_draft_merchants(rows: list[MerchantRow]) -> list[Merchant]:
    """New merchants as drafts, one per checked row, with free slugs, in bulk (in the caller's transaction)."""
    slugs = set(Merchant.objects.values_list("slug", flat=True))
    created = []
    for row in rows:
        merchant = Merchant(name=row.name, slug="", status=MerchantStatus.DRAFT, **row.values)
        merchant.slug = _free_slug(Merchant, row.name, slugs)
        created.append(merchant)
    Merchant.objects.bulk_create(created, batch_size=CHUNK_SIZE)
    return created


def _write_merchants(*, rows: list[tuple[MerchantRow, int | None]], present: set[str]) -> None:
    created = create_draft_merchants([row for row, target in rows if target is None])
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
