"""Delivery zone editor of the town, at /gestion/livraison/.

Every zone comes from ``delivery.queries.get_zone_for(user, ...)`` (404 when the user may not
manage it) and every change goes through a ``delivery.actions`` function.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.requests import AuthenticatedRequest, signed_in_view
from delivery import actions, queries
from delivery.forms import DeliveryZoneForm, ZoneActiveForm
from delivery.models import DeliveryZone

# Anonymous → login page; signed in without a town staff role → 403.
delivery_manager_view = signed_in_view(queries.require_delivery_manager)


@delivery_manager_view
def zone_list(request: AuthenticatedRequest) -> HttpResponse:
    zones = list(queries.zones_for(request.user))
    return render(request, "delivery/backoffice/zone_list.html", {"zones": zones})


@delivery_manager_view
def zone_create(request: AuthenticatedRequest) -> HttpResponse:
    form = DeliveryZoneForm(request.POST or None, instance=DeliveryZone())
    if request.method == "POST" and form.is_valid():
        zone = actions.save_zone(zone=form.instance)
        messages.success(request, _("La zone « %(name)s » est créée.") % {"name": zone.name})
        return redirect("delivery:zone_list")
    return render(request, "delivery/backoffice/zone_form.html", {"form": form, "zone": None})


@delivery_manager_view
def zone_edit(request: AuthenticatedRequest, zone_id: int) -> HttpResponse:
    zone = queries.get_zone_for(request.user, zone_id)
    saved_name = zone.name  # the form writes typed values onto the instance, even invalid ones
    form = DeliveryZoneForm(request.POST or None, instance=zone)
    if request.method == "POST" and form.is_valid():
        actions.save_zone(zone=form.instance)
        messages.success(request, _("La zone « %(name)s » est enregistrée.") % {"name": zone.name})
        return redirect("delivery:zone_list")
    return render(request, "delivery/backoffice/zone_form.html", {"form": form, "zone": zone, "zone_name": saved_name})


@delivery_manager_view
def zone_delete(request: AuthenticatedRequest, zone_id: int) -> HttpResponse:
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
def zone_active(request: AuthenticatedRequest, zone_id: int) -> HttpResponse:
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
