"""The town's agreement desk: the current text, its versions, a preview of a new text with a sample
merchant and its publication (admins), where each merchant stands, and a copy signed on paper
recorded with its scan (admins and agents). The actions are settlement's (``settlement.agreements``)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.requests import AuthenticatedRequest
from catalog.queries import get_merchant_for, merchants_for
from onboarding.permissions import onboarding_view
from settlement.agreements import actions, queries
from settlement.agreements.forms import AgreementTextForm, PaperAcceptanceForm
from settlement.agreements.rendering import MERGE_FIELDS
from tenants.collation import by_name


@onboarding_view
def agreement_home(request: AuthenticatedRequest) -> HttpResponse:
    current = queries.current_version()
    form = AgreementTextForm(request.POST or None, initial={"text": current.text})
    preview = None
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["text"]
        if "publish" in request.POST:
            try:
                version = actions.publish_agreement_version(actor=request.user, text=text)
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                messages.success(
                    request,
                    _("Version %(number)d publiée : chaque commerçant doit l’accepter avant son prochain reversement.")
                    % {"number": version.number},
                )
                return redirect("onboarding:agreement")
        preview = [part for part in queries.preview(text).split("\n\n") if part.strip()]
    merchants = queries.merchants_with_agreement(
        merchants_for(request.user).only("pk", "name", "slug", "status").order_by(*by_name(), "pk")
    )
    context = {
        "current": current,
        "current_preview": [part for part in queries.preview(current.text).split("\n\n") if part.strip()],
        "versions": list(queries.versions_with_counts()),
        "form": form,
        "preview": preview,
        "may_publish": request.user.role == Role.TOWN_ADMIN,
        "merge_fields": MERGE_FIELDS.items(),
        "merchants": list(merchants),
        "onboarding_tab": "agreement",
    }
    return render(request, "onboarding/agreements/home.html", context)


@onboarding_view
def paper_agreement(request: AuthenticatedRequest, merchant_slug: str) -> HttpResponse:
    merchant = get_merchant_for(request.user, merchant_slug)
    shown = queries.render_for(queries.current_version(), merchant)
    form = PaperAcceptanceForm(
        request.POST or None, request.FILES or None, initial=PaperAcceptanceForm.initial_for(shown)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.record_paper_agreement(
                merchant=merchant,
                actor=request.user,
                version_id=data["version_id"],
                shown_sha256=data["text_sha256"],
                signer_name=data["signer_name"],
                signed_on=data["signed_on"],
                scan=data["scan"],
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _("Convention signée sur papier enregistrée pour %(name)s (version %(number)d).")
                % {"name": merchant.name, "number": shown.version.number},
            )
            return redirect("onboarding:agreement")
    context = {
        "merchant": merchant,
        "shown": shown,
        "paragraphs": [part for part in shown.text.split("\n\n") if part.strip()],
        "form": form,
        "onboarding_tab": "agreement",
    }
    return render(request, "onboarding/agreements/paper.html", context)
