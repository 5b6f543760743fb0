"""The merchant's agreement page under /gestion/reversements/convention/<merchant>/: read the current
version, sign it (the merchant's staff only), see past acceptances and download their documents.
Town staff see the page too but record paper copies from the onboarding pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.network import client_ip
from accounts.requests import AuthenticatedRequest
from catalog.models import Merchant
from settlement.agreements import actions, queries
from settlement.agreements.forms import BankDetailsAgreementForm, OnlineAcceptanceForm
from settlement.agreements.models import AgreementAcceptance


@require_http_methods(["GET", "POST"])
@login_required
def merchant_agreement(request: AuthenticatedRequest, merchant_slug: str) -> HttpResponse:
    merchant = queries.get_merchant_agreement_for(request.user, merchant_slug)
    shown = queries.render_for(queries.current_version(), merchant)
    may_accept = queries.may_accept_online(request.user, merchant)
    form = OnlineAcceptanceForm(request.POST or None, initial=OnlineAcceptanceForm.initial_for(shown))
    if request.method == "POST":
        if not may_accept:
            raise PermissionDenied
        if form.is_valid():
            try:
                actions.accept_agreement_online(
                    merchant=merchant,
                    actor=request.user,
                    version_id=form.cleaned_data["version_id"],
                    shown_sha256=form.cleaned_data["text_sha256"],
                    signer_name=form.cleaned_data["signer_name"],
                    ip_address=client_ip(request) or None,
                    user_agent=request.headers.get("user-agent", ""),
                )
            except ValidationError as error:
                for message in error.messages:
                    messages.error(request, message)
            else:
                messages.success(request, _("Convention acceptée. Le document signé est disponible ci-dessous."))
            # Either way the page is read again: a refusal shows the version now in force.
            return redirect("payouts:agreement", merchant_slug=merchant.slug)
    acceptances = list(queries.acceptances_of(merchant))
    accepted_current = next((a for a in acceptances if a.version_id == shown.version.pk), None)
    context = {
        "merchant": merchant,
        "shown": shown,
        "paragraphs": [part for part in shown.text.split("\n\n") if part.strip()],
        "acceptances": acceptances,
        "accepted_current": accepted_current,
        "newer_to_accept": accepted_current is None and bool(acceptances),
        "may_accept": may_accept,
        "form": form,
        "payout_tab": "bank_details",
    }
    return render(request, "settlement/agreements/merchant.html", context)


@require_GET
@login_required
def acceptance_document(request: AuthenticatedRequest, merchant_slug: str, acceptance_id: int) -> FileResponse:
    """The signed PDF (online) or the scan (paper), as an attachment."""
    merchant = queries.get_merchant_agreement_for(request.user, merchant_slug)
    acceptance = queries.get_acceptance_for(request.user, merchant, acceptance_id)
    document = acceptance.signed_pdf or acceptance.scan
    if not document:
        raise Http404(acceptance_id)
    content_type = "application/pdf" if acceptance.signed_pdf else acceptance.scan_content_type
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(content_type, "bin")
    response = FileResponse(
        document.open("rb"),
        as_attachment=True,
        filename=f"convention-v{acceptance.version.number}-{merchant.slug}.{extension}",
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@dataclass(frozen=True)
class BankDetailsAgreement:
    """The agreement as the bank details page shows it: the current version, the merchant's acceptance
    of it, and (merchant's staff only, while not accepted) the box to accept the version shown."""

    shown: queries.ShownAgreement
    accepted: AgreementAcceptance | None
    form: BankDetailsAgreementForm | None


def bank_details_agreement(request: AuthenticatedRequest, merchant: Merchant) -> BankDetailsAgreement:
    shown = queries.render_for(queries.current_version(), merchant)
    accepted = queries.acceptances_of(merchant).filter(version=shown.version).first()
    form = None
    if accepted is None and queries.may_accept_online(request.user, merchant):
        form = BankDetailsAgreementForm(
            request.POST or None, initial=BankDetailsAgreementForm.initial_for(shown), number=shown.version.number
        )
    return BankDetailsAgreement(shown=shown, accepted=accepted, form=form)


def accept_from_bank_details(
    request: AuthenticatedRequest, merchant: Merchant, agreement: BankDetailsAgreement
) -> None:
    """After the bank details are saved: the box ticked records an online acceptance of the version shown."""
    if agreement.form is None or not agreement.form.cleaned_data.get("accept"):
        return
    data = agreement.form.cleaned_data
    try:
        actions.accept_agreement_online(
            merchant=merchant,
            actor=request.user,
            version_id=data["version_id"],
            shown_sha256=data["text_sha256"],
            signer_name=data["signer_name"],
            ip_address=client_ip(request) or None,
            user_agent=request.headers.get("user-agent", ""),
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Convention acceptée. Le document signé est sur la page de la convention."))
