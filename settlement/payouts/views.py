"""Payout pages under /gestion/reversements/: batches, statements, settings, merchants' bank details.

Thin views: a form or a query, then an action from ``settlement.payouts`` (runs, returns, bank_details, treasury); refusals of an action
(``PayoutError``) come back as messages on the page. Anonymous visitors go to the login page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.requests import AuthenticatedRequest
from catalog.models import Merchant
from catalog.queries import get_merchant_for
from payments.collectors import current_collector
from settlement.agreements import views as agreement_views
from settlement.agreements.queries import note_agreements
from settlement.ledger.rules import get_policy
from settlement.payouts import queries, returns, runs, treasury
from settlement.payouts.bank_statements import BankStatementError
from settlement.payouts.forms import PayoutSettingsForm, StatementUploadForm
from settlement.payouts.guards import PayoutError
from settlement.payouts.iban import mask_iban
from settlement.payouts.models import BLOCKING_REASONS, PayoutBatchState, PayoutLine
from tenants.current import town_zone

View = Callable[..., HttpResponse]


def _refused(request: HttpRequest, error: PayoutError | ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# --- Batches --------------------------------------------------------------------------------------


@require_GET
@login_required
def batch_list(request: AuthenticatedRequest) -> HttpResponse:
    batches = list(queries.batches_for(request.user)[:100])
    policy = get_policy()
    now = timezone.now()
    context = {
        "batches": batches,
        "latest_cut_off": runs.latest_cut_off(now=now, policy=policy, time_zone=town_zone()),
        # What the town's collector needs before paying (a régie's treasury account; nothing for Connect).
        "treasury_problems": current_collector().town_payout_problems(policy),
        "payout_tab": "batches",
    }
    return render(request, "settlement/payouts/batch_list.html", context)


@require_POST
@login_required
def prepare_batch(request: AuthenticatedRequest) -> HttpResponse:
    queries.require_payouts_desk(request.user)
    cut_off = runs.latest_cut_off(now=timezone.now(), policy=get_policy(), time_zone=town_zone())
    try:
        run = runs.run_payout(cut_off=cut_off, actor=request.user)
    except PayoutError as error:
        _refused(request, error)
        return redirect("payouts:batch_list")
    if run.created:
        messages.success(request, _("Le lot %(reference)s a été préparé.") % {"reference": run.batch.reference})
    else:
        messages.info(request, _("Le lot de cette échéance existe déjà : le voici."))
    return redirect("payouts:batch_detail", batch_id=run.batch.pk)


@dataclass(frozen=True)
class BatchLineRow:
    """A line of a batch as the approver reads it."""

    line: PayoutLine
    masked_iban: str
    # The file pays the snapshot: the town is told when the merchant has changed account since.
    iban_changed: bool
    paid_before: bool
    # A first payment to an account: who typed that account and when (the "changement de RIB" fraud).
    typed_by: str | None
    typed_at: dt.datetime | None


@require_GET
@login_required
def batch_detail(request: AuthenticatedRequest, batch_id: int) -> HttpResponse:
    batch = queries.get_batch_for(request.user, batch_id)
    lines = [(line, queries.loaded_payout_account(line.merchant)) for line in queries.lines_of(batch)]
    typists = queries.names_of_users(
        current.iban_changed_by_id for line, current in lines if current is not None and not line.paid_before
    )
    rows = []
    for line, current in lines:
        typed_by, typed_at = None, None
        if current is not None and not line.paid_before and current.iban == line.iban and current.iban_changed_at:
            changed_by = current.iban_changed_by_id
            typed_by, typed_at = typists.get(changed_by) if changed_by is not None else None, current.iban_changed_at
        rows.append(
            BatchLineRow(
                line=line,
                masked_iban=mask_iban(line.iban),
                iban_changed=current is not None and current.iban != line.iban,
                paid_before=line.paid_before,
                typed_by=typed_by,
                typed_at=typed_at,
            )
        )
    blocks = list(queries.blocks_of(batch))
    context = {
        "batch": batch,
        "rows": rows,
        "blocked": [block for block in blocks if block.reason in BLOCKING_REASONS],
        "carried": [block for block in blocks if block.reason not in BLOCKING_REASONS],
        "can_approve": batch.state == PayoutBatchState.DRAFT and batch.created_by_id != request.user.pk,
        "collector": current_collector(),
        "payout_tab": "batches",
    }
    return render(request, "settlement/payouts/batch_detail.html", context)


def _batch_action(action: Callable[..., Any], success: Any) -> View:
    @require_POST
    @login_required
    def view(request: AuthenticatedRequest, batch_id: int) -> HttpResponse:
        batch = queries.get_batch_for(request.user, batch_id)
        try:
            action(batch=batch, actor=request.user)
        except PayoutError as error:
            _refused(request, error)
        else:
            messages.success(request, str(success) % {"reference": batch.reference})
        return redirect("payouts:batch_detail", batch_id=batch.pk)

    return view


approve_batch = _batch_action(runs.approve_batch, gettext_lazy("Le lot %(reference)s est approuvé."))


def export_batch(request: HttpRequest, batch_id: int) -> HttpResponse:
    # The message says what the export did: a file to download, or payouts sent (the collector's).
    return _batch_action(runs.export_batch, current_collector().pages.exported_message)(request, batch_id)


cancel_batch = _batch_action(
    runs.cancel_batch, gettext_lazy("Le lot %(reference)s est annulé ; les montants sont reportés.")
)
mark_executed = _batch_action(
    returns.mark_batch_executed, gettext_lazy("Les virements du lot %(reference)s sont marqués exécutés.")
)


@require_GET
@login_required
def download_file(request: AuthenticatedRequest, batch_id: int) -> HttpResponse:
    batch_file = queries.get_batch_file_for(request.user, batch_id)
    response = HttpResponse(batch_file.xml, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="virements-{batch_file.reference}.xml"'
    response["X-Content-SHA256"] = batch_file.sha256
    return response


# --- Statements -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def statements(request: AuthenticatedRequest) -> HttpResponse:
    queries.require_payouts_desk(request.user)
    form = StatementUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["statement"]
        try:
            result = returns.import_bank_statement(data=upload.read(), file_name=upload.name, actor=request.user)
        except BankStatementError as error:
            form.add_error("statement", str(error))
        else:
            if not result.created:
                messages.info(request, _("Ce relevé a déjà été importé : rien n’a changé."))
            else:
                messages.success(
                    request,
                    _(
                        "Relevé importé : %(executed)d virements exécutés, %(returned)d retournés, "
                        "%(unmatched)d opérations non rapprochées."
                    )
                    % {"executed": result.executed, "returned": result.returned, "unmatched": result.unmatched},
                )
            return redirect("payouts:statements")
    context = {
        "form": form,
        "imports": list(queries.statement_imports_for(request.user)[:20]),
        "suspense": list(queries.suspense_lines_for(request.user)[:200]),
        "payout_tab": "statements",
    }
    return render(request, "settlement/payouts/statements.html", context)


# --- Settings -------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def payout_settings(request: AuthenticatedRequest) -> HttpResponse:
    queries.require_payout_settings(request.user)
    policy = get_policy()
    form = PayoutSettingsForm(request.POST or None, initial=PayoutSettingsForm.initial_from(policy))
    if request.method == "POST" and form.is_valid():
        try:
            treasury.update_payout_settings(actor=request.user, **form.settings())
        except (PayoutError, ValidationError) as error:
            _refused(request, error)
        else:
            messages.success(request, _("Les paramètres de reversement sont enregistrés."))
            return redirect("payouts:settings")
    context = {"form": form, "masked_iban": mask_iban(policy.treasury_iban), "payout_tab": "settings"}
    return render(request, "settlement/payouts/settings.html", context)


# --- Merchants' bank details ----------------------------------------------------------------------


@dataclass(frozen=True)
class PayeeRow:
    """A merchant in the list of bank details: whom the town pays, and why it cannot yet."""

    merchant: Merchant
    masked_iban: str
    # (reason, message) from the town's collector; None when the merchant can be paid.
    payout_problem: tuple[str, str] | None


@require_GET
@login_required
def bank_details_list(request: AuthenticatedRequest) -> HttpResponse:
    collector = current_collector()
    rows = []
    merchants = list(queries.bank_details_overview(request.user))
    note_agreements(account for account in map(queries.loaded_payout_account, merchants) if account)
    for merchant in merchants:
        account = queries.loaded_payout_account(merchant)
        rows.append(
            PayeeRow(
                merchant=merchant,
                masked_iban=mask_iban(account.iban) if account else "",
                payout_problem=collector.payout_problem(account),
            )
        )
    context = {"rows": rows, "collector": collector, "payout_tab": "bank_details"}
    return render(request, "settlement/payouts/bank_details_list.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def bank_details_edit(request: AuthenticatedRequest, merchant_slug: str) -> HttpResponse:
    """The details the town's collector pays a merchant with: an IBAN (régie) or a connected account (Connect)."""
    queries.require_bank_details(request.user)
    merchant = get_merchant_for(request.user, merchant_slug)
    account = queries.payout_account_of(merchant)
    collector = current_collector()
    form = collector.pages.bank_details_form(
        request.POST or None, initial=collector.bank_details_initial(merchant, account)
    )
    agreement = agreement_views.bank_details_agreement(request, merchant)
    if request.method == "POST" and form.is_valid() and (agreement.form is None or agreement.form.is_valid()):
        try:
            collector.save_bank_details(merchant=merchant, actor=request.user, data=form.cleaned_data)
        except (PayoutError, ValidationError) as error:
            _refused(request, error)
        else:
            messages.success(request, str(collector.pages.bank_details_saved_message) % {"name": merchant.name})
            agreement_views.accept_from_bank_details(request, merchant, agreement)
            return redirect("payouts:bank_details_list")
    context = {
        "merchant": merchant,
        "account": account,
        "agreement": agreement,
        "masked_iban": mask_iban(account.iban) if account else "",
        "form": form,
        "collector": collector,
        "payout_tab": "bank_details",
    }
    return render(request, "settlement/payouts/bank_details_form.html", context)
