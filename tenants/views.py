from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tenants import actions, queries
from tenants.forms import TownBrandingForm, TownCreateForm
from tenants.hosts import find_town_for_host
from tenants.models import Domain


def home(request: HttpRequest) -> HttpResponse:
    towns = [(town, actions.town_url(town)) for town in queries.list_live_towns()]
    return render(request, "tenants/home.html", {"towns": towns})


def _operator_or_login(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    queries.ensure_operator(request.user)
    return None


def town_list(request: HttpRequest) -> HttpResponse:
    if response := _operator_or_login(request):
        return response
    towns = [(town, actions.town_url(town)) for town in queries.list_towns_for_operator(request.user)]
    return render(request, "tenants/console/town_list.html", {"towns": towns})


def _apply_errors(form: TownCreateForm | TownBrandingForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def town_create(request: HttpRequest) -> HttpResponse:
    # The time the operator waits, measured from the start of the request's handling here, not the
    # action's own clock: that one stopped before the work that followed it (the spare-pool refill
    # once ran in this request, after it, and the page still said "0,14 s").
    started = time.perf_counter()
    if response := _operator_or_login(request):
        return response
    form = TownCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = actions.provision_town(**form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            waited = time.perf_counter() - started
            messages.success(
                request,
                _("La ville « %(name)s » est créée en %(seconds)s s : %(url)s")
                % {"name": result.town.name, "seconds": f"{waited:.2f}".replace(".", ","), "url": result.url},
            )
            return redirect("console:town_list")
    return render(request, "tenants/console/town_form.html", {"form": form})


def town_edit(request: HttpRequest, slug: str) -> HttpResponse:
    if response := _operator_or_login(request):
        return response
    town = queries.get_town_for_operator(request.user, slug)
    form = TownBrandingForm(request.POST or None, request.FILES or None, instance=town)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            actions.update_branding(town=queries.get_town_for_operator(request.user, slug), **fields)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Les informations de %(name)s sont enregistrées.") % {"name": town.name})
            return redirect("console:town_list")
    return render(request, "tenants/console/town_edit.html", {"form": form, "edited_town": town})


@require_POST
def town_suspend(request: HttpRequest, slug: str) -> HttpResponse:
    if response := _operator_or_login(request):
        return response
    town = actions.suspend_town(town=queries.get_town_for_operator(request.user, slug))
    messages.success(request, _("%(name)s est suspendue.") % {"name": town.name})
    return redirect("console:town_list")


@require_POST
def town_resume(request: HttpRequest, slug: str) -> HttpResponse:
    if response := _operator_or_login(request):
        return response
    town = actions.resume_town(town=queries.get_town_for_operator(request.user, slug))
    messages.success(request, _("%(name)s est de nouveau en ligne.") % {"name": town.name})
    return redirect("console:town_list")


@require_GET
def tls_ask(request: HttpRequest) -> HttpResponse:
    """Caddy's on-demand TLS asks here before getting a certificate for a host."""
    domain = (request.GET.get("domain") or "").lower().rstrip(".")
    town = find_town_for_host(domain) if domain else None
    known = town is not None and Domain.objects.filter(domain=domain, is_verified=True).exists()
    return JsonResponse({"domain": domain, "allowed": known}, status=200 if known else 404)
