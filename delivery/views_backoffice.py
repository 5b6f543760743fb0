"""Delivery zone editor of the town, at /gestion/livraison/.

Every zone comes from ``delivery.queries.get_zone_for(user, ...)`` (404 when the user may not
manage it) and every change goes through a ``delivery.actions`` function.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog.formatting import format_price
from delivery import actions, queries
from delivery.forms import DeliveryZoneForm, ZoneActiveForm
from delivery.models import DeliveryZone

View = Callable[..., HttpResponse]


def delivery_manager_view(view: View) -> View:
    """Anonymous → login page; signed in without a town staff role → 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        queries.require_delivery_manager(request.user)
        return view(request, *args, **kwargs)

    return wrapper


@delivery_manager_view
def zone_list(request: HttpRequest) -> HttpResponse:
    zones = list(queries.zones_for(request.user))
    for zone in zones:
        zone.fee_display = format_price(zone.fee_cents)
        zone.minimum_display = format_price(zone.minimum_basket_cents)
    return render(request, "delivery/backoffice/zone_list.html", {"zones": zones})


@delivery_manager_view
def zone_create(request: HttpRequest) -> HttpResponse:
    form = DeliveryZoneForm(request.POST or None, instance=DeliveryZone())
    if request.method == "POST" and form.is_valid():
        zone = actions.save_zone(zone=form.instance)
        messages.success(request, _("La zone « %(name)s » est créée.") % {"name": zone.name})
        return redirect("delivery:zone_list")
    return render(request, "delivery/backoffice/zone_form.html", {"form": form, "zone": None})


@delivery_manager_view
def zone_edit(request: HttpRequest, zone_id: int) -> HttpResponse:
    zone = queries.get_zone_for(request.user, zone_id)
    saved_name = zone.name  # the form writes typed values onto the instance, even invalid ones
    form = DeliveryZoneForm(request.POST or None, instance=zone)
    if request.method == "POST" and form.is_valid():
        actions.save_zone(zone=form.instance)
        messages.success(request, _("La zone « %(name)s » est enregistrée.") % {"name": zone.name})
        return redirect("delivery:zone_list")
    return render(request, "delivery/backoffice/zone_form.html", {"form": form, "zone": zone, "zone_name": saved_name})


@delivery_manager_view
def zone_delete(request: HttpRequest, zone_id: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes."""
    zone = queries.get_zone_for(request.user, zone_id)
    error = ""
    if request.method == "POST":
        try:
            actions.delete_zone(zone=zone)
        except ValidationError as refusal:
            error = refusal.messages[0]
        else:
            messages.success(request, _("La zone « %(name)s » est supprimée.") % {"name": zone.name})
            return redirect("delivery:zone_list")
    return render(request, "delivery/backoffice/zone_confirm_delete.html", {"zone": zone, "error": error})


@delivery_manager_view
@require_POST
def zone_active(request: HttpRequest, zone_id: int) -> HttpResponse:
    zone = queries.get_zone_for(request.user, zone_id)
    form = ZoneActiveForm(request.POST)
    is_active = form.is_valid() and form.cleaned_data["is_active"]
    actions.set_zone_active(zone=zone, is_active=is_active)
    if is_active:
        messages.success(
            request, _("La zone « %(name)s » est active : elle prend des commandes.") % {"name": zone.name}
        )
    else:
        messages.success(
            request,
            _("La zone « %(name)s » est désactivée : plus aucune commande n'y sera livrée.") % {"name": zone.name},
        )
    return redirect("delivery:zone_list")
