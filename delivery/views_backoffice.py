"""Delivery zone and slot editors of the town, at /gestion/livraison/ and /gestion/livraison/creneaux/.

Every zone comes from ``delivery.queries.get_zone_for(user, ...)`` and every slot from
``get_slot_for`` (404 when the user may not manage it); every change goes through a
``delivery.actions`` function.
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
from delivery.forms import DeliverySlotForm, DeliveryZoneForm, ZoneActiveForm
from delivery.models import DeliverySlot, DeliveryZone

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


# --- slots -------------------------------------------------------------------------------------
@delivery_manager_view
def slot_list(request: AuthenticatedRequest) -> HttpResponse:
    slots = list(queries.slots_for(request.user))
    return render(request, "delivery/backoffice/slot_list.html", {"slots": slots})


def _save_slot_form(request: AuthenticatedRequest, form: DeliverySlotForm) -> bool:
    """True once saved; else the refusal (an overlap, found under the editors' lock) is on the form."""
    if not form.is_valid():
        return False
    try:
        actions.save_slot(slot=form.instance)
    except ValidationError as refusal:
        form.add_error(None, refusal)
        return False
    return True


@delivery_manager_view
def slot_create(request: AuthenticatedRequest) -> HttpResponse:
    form = DeliverySlotForm(request.POST or None, instance=DeliverySlot())
    if request.method == "POST" and _save_slot_form(request, form):
        messages.success(request, _("Le créneau %(slot)s est créé.") % {"slot": form.instance.label})
        return redirect("delivery:slot_list")
    return render(request, "delivery/backoffice/slot_form.html", {"form": form, "slot": None})


@delivery_manager_view
def slot_edit(request: AuthenticatedRequest, slot_id: int) -> HttpResponse:
    slot = queries.get_slot_for(request.user, slot_id)
    saved_label = slot.label  # the form writes typed values onto the instance, even invalid ones
    form = DeliverySlotForm(request.POST or None, instance=slot)
    if request.method == "POST" and _save_slot_form(request, form):
        messages.success(request, _("Le créneau %(slot)s est enregistré.") % {"slot": slot.label})
        return redirect("delivery:slot_list")
    return render(
        request, "delivery/backoffice/slot_form.html", {"form": form, "slot": slot, "slot_label": saved_label}
    )


@delivery_manager_view
@require_POST
def slot_active(request: AuthenticatedRequest, slot_id: int) -> HttpResponse:
    slot = queries.get_slot_for(request.user, slot_id)
    form = ZoneActiveForm(request.POST)
    is_active = form.is_valid() and form.cleaned_data["is_active"]
    try:
        actions.set_slot_active(slot=slot, is_active=is_active)
    except ValidationError as refusal:
        messages.error(request, refusal.messages[0])
        return redirect("delivery:slot_list")
    if is_active:
        messages.success(request, _("Le créneau %(slot)s est proposé aux habitants.") % {"slot": slot.label})
    else:
        messages.success(
            request,
            _("Le créneau %(slot)s n'est plus proposé ; les livraisons déjà réservées sont maintenues.")
            % {"slot": slot.label},
        )
    return redirect("delivery:slot_list")
