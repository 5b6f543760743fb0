"""Agents' pages for new businesses: a prospect typed or picked from the company directory, and the
town's NAF filing rules."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.requests import AuthenticatedRequest
from catalog.models import Merchant, MerchantKind
from onboarding import directory
from onboarding.intake import AlreadyFollowed, add_prospect, delete_naf_rule, save_naf_rule
from onboarding.intake_forms import UNKNOWN_SIRET, DirectorySearchForm, NafRuleForm, ProspectForm, SiretField
from onboarding.intake_queries import get_naf_rule_for, naf_rules_for
from onboarding.models import NafRule
from onboarding.naf import DEFAULT_RULES, display_naf
from onboarding.permissions import onboarding_view
from tenants.current import current_town


def _look_up(request: AuthenticatedRequest, search: DirectorySearchForm) -> dict[str, Any]:
    """The directory's candidates for the search, or the one picked (its details fill the form)."""
    found: dict[str, Any] = {"candidates": None, "initial": {}, "directory_error": ""}
    try:
        if picked := request.GET.get("choisir"):
            siret = SiretField().clean(picked)
            establishment = directory.find_establishment(siret)
            if establishment is None:
                found["directory_error"] = str(UNKNOWN_SIRET)
            else:
                found["initial"] = ProspectForm.initial_from(establishment)
                if not establishment.is_active:
                    messages.warning(request, _("Attention : l’annuaire indique que cet établissement est fermé."))
        elif search.is_bound and search.is_valid():
            data = search.cleaned_data
            if data["siret"]:
                one = directory.find_establishment(data["siret"])
                candidates = [one] if one else []
            else:
                commune = data["commune"].upper()
                is_insee = commune in current_town().insee_codes or not commune.isdigit()
                candidates = directory.search_establishments(
                    data["nom"], **({"insee_code": commune} if is_insee else {"postcode": commune})
                )
            known = dict(Merchant.objects.filter(siret__in=[c.siret for c in candidates]).values_list("siret", "slug"))
            found["candidates"] = [(candidate, known.get(candidate.siret)) for candidate in candidates]
    except ValidationError as error:
        found["directory_error"] = error.messages[0]
    except directory.DirectoryUnavailable as failure:
        found["directory_error"] = failure.message
    return found


def _warn_if_unverified(request: AuthenticatedRequest, siret: str) -> None:
    """An agent may save a SIRET the directory does not know (or could not check): saved, with a warning."""
    if not siret or not directory.is_enabled():
        return
    try:
        if directory.find_establishment(siret) is None:
            messages.warning(
                request,
                _("Le SIRET %(siret)s est inconnu de l’annuaire des entreprises : vérifiez-le.") % {"siret": siret},
            )
    except directory.DirectoryUnavailable:
        messages.warning(request, _("L’annuaire des entreprises ne répond pas : le SIRET n’a pas pu être vérifié."))


@onboarding_view
def prospect_new(request: AuthenticatedRequest) -> HttpResponse:
    """Search the directory (GET), pick a candidate to fill the form, save a draft merchant and its prospect (POST)."""
    searching = any(name in request.GET for name in ("siret", "nom", "commune"))
    search = DirectorySearchForm(request.GET if searching else None)
    found = _look_up(request, search) if request.method == "GET" else {"initial": {}}
    form = ProspectForm(request.POST or None, initial=found.pop("initial"))
    already_followed = None
    if request.method == "POST" and form.is_valid():
        try:
            prospect = add_prospect(
                details=form.details(),
                actor=request.user,
                contact_name=form.cleaned_data["contact_name"],
                notes=form.cleaned_data["notes"],
            )
        except AlreadyFollowed as known:
            already_followed = known.merchant
        else:
            _warn_if_unverified(request, prospect.merchant.siret)
            messages.success(
                request, _("« %(name)s » est ajouté à l’accompagnement.") % {"name": prospect.merchant.name}
            )
            return redirect("backoffice:merchant_edit", merchant_slug=prospect.merchant.slug)
    context = {
        "search": search,
        "form": form,
        "already_followed": already_followed,
        "directory_enabled": directory.is_enabled(),
        "onboarding_tab": "new",
        **found,
    }
    return render(request, "onboarding/prospect_new.html", context, status=409 if already_followed else 200)


@onboarding_view
def naf_rules(request: AuthenticatedRequest) -> HttpResponse:
    """The town's rules, and the platform's defaults they come before."""
    kinds = dict(MerchantKind.choices)
    town_codes = set()
    rules = list(naf_rules_for(request.user))
    for rule in rules:
        town_codes.add(rule.code)
    defaults = [
        {"code": display_naf(code), "kind": kinds[kind], "label": label, "overridden": code in town_codes}
        for code, kind, label in sorted(DEFAULT_RULES)
    ]
    context = {"rules": rules, "defaults": defaults, "onboarding_tab": "naf"}
    return render(request, "onboarding/naf_rules.html", context)


@onboarding_view
def naf_rule_edit(request: AuthenticatedRequest, rule_id: int | None = None) -> HttpResponse:
    rule = get_naf_rule_for(request.user, rule_id) if rule_id is not None else NafRule()
    form = NafRuleForm(
        request.POST or None, instance=rule, initial={"code": display_naf(rule.code)} if rule.pk else None
    )
    if request.method == "POST" and form.is_valid():
        saved = save_naf_rule(rule=form.instance)
        messages.success(request, _("La correspondance %(code)s est enregistrée.") % {"code": display_naf(saved.code)})
        return redirect("onboarding:naf_rules")
    return render(request, "onboarding/naf_rule_form.html", {"form": form, "rule": rule, "onboarding_tab": "naf"})


@require_POST
@onboarding_view
def naf_rule_delete(request: AuthenticatedRequest, rule_id: int) -> HttpResponse:
    rule = get_naf_rule_for(request.user, rule_id)
    delete_naf_rule(rule=rule)
    messages.success(request, _("La correspondance %(code)s est supprimée.") % {"code": display_naf(rule.code)})
    return redirect("onboarding:naf_rules")
