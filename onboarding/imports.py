"""The town's list of businesses (CSV or Excel) imported into the pipeline, through the catalogue's import jobs.

The same machinery as the catalogue's merchant import — the same reading of files, the same checks
of a merchant's cells, the same job page with progress and a row-by-row report, all or nothing —
with two differences: a ``naf`` column files each business (``onboarding.naf``) when the file gives
no type or category, and a business the town already has (same SIRET; without a SIRET, the same
name) is not touched: it is only put in the pipeline if it was not there yet. New businesses become
draft merchants, each with its prospect at « À contacter ».
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from catalog.actions import refresh_search_vectors
from catalog.cache import bump_catalogue_version
from catalog.imports import (
    CHUNK_SIZE,
    MERCHANT_COLUMNS,
    MERCHANT_REQUIRED,
    CategoryIndex,
    ImportRefused,
    ImportReport,
    MerchantRow,
    Progress,
    RowInvalid,
    check_merchant_row,
    create_draft_merchants,
    fold,
    read_table,
)
from catalog.models import ImportJob, ImportKind, Merchant
from onboarding.models import Prospect, ProspectSource
from onboarding.naf import NafClassifier, normalise_naf
from onboarding.pipeline import enrol_merchants

PROSPECT_COLUMNS: dict[str, tuple[str, ...]] = {
    **MERCHANT_COLUMNS,
    # The national directory's own column names among the spellings (SIRENE exports).
    "naf": ("naf", "code_naf", "ape", "code_ape", "activite_principale", "activiteprincipaleetablissement"),
    "contact": ("contact", "personne_a_contacter", "interlocuteur", "gerant", "responsable"),
}


@dataclass(slots=True)
class ProspectRow:
    merchant: MerchantRow
    naf_code: str
    contact_name: str


def _check_prospect_row(
    line: int, values: dict[str, str], *, categories: CategoryIndex, classifier: NafClassifier
) -> tuple[ProspectRow | None, list[RowInvalid]]:
    merchant, problems = check_merchant_row(line, values, categories=categories)
    naf_code = normalise_naf(values.get("naf", ""))
    if values.get("naf") and not naf_code:
        problems.append(
            RowInvalid("naf", _("Code NAF « %(value)s » illisible (exemple : 47.24Z).") % {"value": values["naf"]})
        )
    contact_name = values.get("contact", "").strip()
    if len(contact_name) > 120:
        problems.append(RowInvalid("contact", _("Contact trop long (120 caractères au plus).")))
    if merchant is None or problems:
        return None, problems
    if naf_code:
        filing = classifier.classify(naf_code)
        if not values.get("type"):
            merchant.values["kind"] = filing.kind
        if not merchant.category_ids and filing.category_id is not None:
            merchant.category_ids = [filing.category_id]
    return ProspectRow(merchant=merchant, naf_code=naf_code, contact_name=contact_name), problems


def import_prospects(
    *, data: bytes, filename: str, dry_run: bool = False, progress: Progress | None = None, actor: User | None = None
) -> ImportReport:
    """Check every row, then (unless a dry run or any row is wrong) add the new businesses and enrol them all.

    ``created``: new businesses; ``updated``: businesses the town already had, left as they were."""
    report = ImportReport(kind=ImportKind.PROSPECTS, is_dry_run=dry_run)
    try:
        _present, rows, report.warnings = read_table(
            data, filename=filename, columns=PROSPECT_COLUMNS, required=MERCHANT_REQUIRED
        )
    except ImportRefused as refusal:
        report.add_error(None, "", str(refusal))
        return report
    report.total_rows = len(rows)
    categories, classifier = CategoryIndex(), NafClassifier()
    by_siret: dict[str, int] = {}
    by_name: dict[str, int] = {}
    for pk, name, siret in Merchant.objects.values_list("pk", "name", "siret"):
        if siret:
            by_siret[siret] = pk
        by_name.setdefault(fold(name), pk)
    new_rows: list[ProspectRow] = []
    known_ids: list[int] = []
    seen: dict[str, int] = {}
    for index, (line, values) in enumerate(rows, start=1):
        row, problems = _check_prospect_row(line, values, categories=categories, classifier=classifier)
        if row is not None:
            siret = row.merchant.values["siret"]
            key = siret or fold(row.merchant.name)
            if key in seen:
                problems.append(RowInvalid("nom", _("Ce commerce figure déjà ligne %(line)s.") % {"line": seen[key]}))
            seen.setdefault(key, line)
        for problem in problems:
            report.add_error(line, problem.column, problem.message)
        if row is not None and not problems:
            siret = row.merchant.values["siret"]
            # A SIRET names one business: the name is only trusted when the file gives none.
            known = by_siret.get(siret) if siret else by_name.get(fold(row.merchant.name))
            if known is None:
                new_rows.append(row)
            else:
                known_ids.append(known)
        if progress and (index % 250 == 0 or index == len(rows)):
            progress(index, len(rows))
    report.created, report.updated = len(new_rows), len(known_ids)
    if dry_run or not report.is_valid:
        return report
    try:
        with transaction.atomic():
            _write_prospects(new_rows=new_rows, known_ids=known_ids, actor=actor)
            bump_catalogue_version()
    except DatabaseError as error:
        report.created = report.updated = 0
        report.add_error(None, "", _("L'enregistrement a échoué, rien n'a été modifié : %(error)s") % {"error": error})
        return report
    report.is_committed = True
    return report


def _write_prospects(*, new_rows: list[ProspectRow], known_ids: list[int], actor: User | None) -> None:
    created = create_draft_merchants([row.merchant for row in new_rows])
    through = Merchant.categories.through
    through.objects.bulk_create(
        (
            through(merchant_id=merchant.pk, category_id=category_id)
            for merchant, row in zip(created, new_rows, strict=True)
            for category_id in dict.fromkeys(row.merchant.category_ids or [])
        ),
        batch_size=CHUNK_SIZE,
    )
    refresh_search_vectors(merchant_ids=[merchant.pk for merchant in created])
    enrol_merchants(merchant_ids=[m.pk for m in created] + known_ids, source=ProspectSource.IMPORT, actor=actor)
    details = {merchant.pk: row for merchant, row in zip(created, new_rows, strict=True)}
    prospects = list(Prospect.objects.filter(merchant_id__in=details))
    for prospect in prospects:
        prospect.naf_code = details[prospect.merchant_id].naf_code
        prospect.contact_name = details[prospect.merchant_id].contact_name
    Prospect.objects.bulk_update(prospects, ["naf_code", "contact_name"], batch_size=CHUNK_SIZE)


def run_prospect_import(*, job: ImportJob, data: bytes, progress: Progress) -> ImportReport:
    """The catalogue's import job runner for ``ImportKind.PROSPECTS`` (registered from ``OnboardingConfig.ready``)."""
    actor = User.objects.filter(pk=job.created_by_id).first() if job.created_by_id else None
    return import_prospects(data=data, filename=job.source.name, dry_run=job.is_dry_run, progress=progress, actor=actor)
