"""Fleet, shifts and settings of the town's deliveries, at /gestion/livraisons/ (dispatchers only)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role, User
from accounts.requests import AuthenticatedRequest
from logistics import fleet
from logistics.forms_fleet import (
    CopyWeekForm,
    HubForm,
    LogisticsSettingsForm,
    ShiftForm,
    VehicleForm,
    VehicleTypeForm,
)
from logistics.models import Hub, LogisticsSettings, Shift, Vehicle, VehicleType
from logistics.permissions import dispatcher_view
from tenants.current import town_today


@dispatcher_view
def home(request: AuthenticatedRequest) -> HttpResponse:
    return redirect("dispatch:board")


@dispatcher_view
def fleet_page(request: AuthenticatedRequest) -> HttpResponse:
    context = {
        "hubs": list(Hub.objects.all()),
        "vehicle_types": list(VehicleType.objects.all()),
        "vehicles": list(Vehicle.objects.select_related("vehicle_type", "hub")),
        "couriers": list(User.objects.filter(role=Role.COURIER).order_by("-is_active", "last_name", "first_name")),
        "dispatch_tab": "fleet",
    }
    return render(request, "logistics/dispatch/fleet.html", context)


def _object_page(
    request: AuthenticatedRequest,
    form_class: type[forms.ModelForm],
    instance: Model,
    *,
    title: str,
    saved: str,
    back: str,
    tab: str = "fleet",
) -> HttpResponse:
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, saved)
        return HttpResponseRedirect(back)
    context = {"form": form, "title": title, "back": back, "dispatch_tab": tab}
    return render(request, "logistics/dispatch/object_form.html", context)


@dispatcher_view
def hub_edit(request: AuthenticatedRequest, hub_id: int | None = None) -> HttpResponse:
    hub = get_object_or_404(Hub, pk=hub_id) if hub_id else Hub()
    title = hub.name if hub.pk else _("Nouveau dépôt")
    return _object_page(
        request, HubForm, hub, title=title, saved=_("Le dépôt est enregistré."), back=reverse("dispatch:fleet")
    )


@dispatcher_view
def vehicle_type_edit(request: AuthenticatedRequest, type_id: int | None = None) -> HttpResponse:
    vehicle_type = get_object_or_404(VehicleType, pk=type_id) if type_id else VehicleType()
    title = vehicle_type.name if vehicle_type.pk else _("Nouveau type de véhicule")
    return _object_page(
        request,
        VehicleTypeForm,
        vehicle_type,
        title=title,
        saved=_("Le type de véhicule est enregistré."),
        back=reverse("dispatch:fleet"),
    )


@dispatcher_view
def vehicle_edit(request: AuthenticatedRequest, vehicle_id: int | None = None) -> HttpResponse:
    vehicle = get_object_or_404(Vehicle, pk=vehicle_id) if vehicle_id else Vehicle()
    if not Hub.objects.exists() or not VehicleType.objects.exists():
        messages.error(request, _("Ajoutez d'abord un dépôt et un type de véhicule."))
        return redirect("dispatch:fleet")
    title = vehicle.name if vehicle.pk else _("Nouveau véhicule")
    return _object_page(
        request,
        VehicleForm,
        vehicle,
        title=title,
        saved=_("Le véhicule est enregistré."),
        back=reverse("dispatch:fleet"),
    )


@dispatcher_view
def settings_page(request: AuthenticatedRequest) -> HttpResponse:
    return _object_page(
        request,
        LogisticsSettingsForm,
        LogisticsSettings.current(),
        title=_("Réglages des livraisons"),
        saved=_("Les réglages des livraisons sont enregistrés."),
        back=reverse("dispatch:settings"),
        tab="settings",
    )


# --- shifts ---------------------------------------------------------------------------------------


def _monday(request: AuthenticatedRequest) -> dt.date:
    field = forms.DateField(required=False)
    try:
        day = field.clean(request.GET.get("semaine", ""))
    except ValidationError:
        day = None
    return fleet.week_start(day or town_today())


def week_url(monday: dt.date) -> str:
    return reverse("dispatch:shifts") + "?" + urlencode({"semaine": monday.isoformat()})


@dispatcher_view
def shifts_page(request: AuthenticatedRequest) -> HttpResponse:
    monday = _monday(request)
    shifts = fleet.shifts_of_week(monday)
    capacity = fleet.week_capacity(monday, shifts)
    days: list[dict[str, Any]] = [
        {"date": date, "capacity": day_capacity, "shifts": [shift for shift in shifts if shift.date == date]}
        for date, day_capacity in capacity.items()
    ]
    context = {
        "monday": monday,
        "sunday": monday + dt.timedelta(days=6),
        "previous_monday": monday - dt.timedelta(days=7),
        "next_monday": monday + dt.timedelta(days=7),
        "days": days,
        "warnings": [day["capacity"] for day in days if day["capacity"].is_over_promised],
        "dispatch_tab": "shifts",
    }
    return render(request, "logistics/dispatch/shifts.html", context)


@dispatcher_view
def shift_edit(request: AuthenticatedRequest, shift_id: int | None = None) -> HttpResponse:
    shift = get_object_or_404(Shift, pk=shift_id) if shift_id else Shift()
    initial = {}
    if not shift.pk:
        try:
            initial["date"] = forms.DateField().clean(request.GET.get("date", "")) or town_today()
        except ValidationError:
            initial["date"] = town_today()
    form = ShiftForm(request.POST or None, instance=shift, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            fleet.save_shift(shift=form.instance)
        except ValidationError as problems:
            form.add_error(None, problems)
        else:
            messages.success(request, _("Le service est enregistré."))
            return HttpResponseRedirect(week_url(fleet.week_start(form.instance.date)))
    back = week_url(fleet.week_start(shift.date or initial["date"]))
    title = _("Modifier le service") if shift.pk else _("Nouveau service")
    context = {"form": form, "title": title, "back": back, "shift": shift, "dispatch_tab": "shifts"}
    return render(request, "logistics/dispatch/object_form.html", context)


@require_POST
@dispatcher_view
def shift_delete(request: AuthenticatedRequest, shift_id: int) -> HttpResponse:
    shift = get_object_or_404(Shift, pk=shift_id)
    try:
        fleet.delete_shift(shift=shift)
    except ValidationError as refusal:
        messages.error(request, refusal.messages[0])
    else:
        messages.success(request, _("Le service est supprimé."))
    return HttpResponseRedirect(week_url(fleet.week_start(shift.date)))


@require_POST
@dispatcher_view
def copy_week(request: AuthenticatedRequest) -> HttpResponse:
    form = CopyWeekForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Semaine inconnue."))
        return redirect("dispatch:shifts")
    monday = fleet.week_start(form.cleaned_data["monday"])
    copied, skipped = fleet.copy_previous_week(monday=monday)
    if skipped:
        messages.warning(
            request,
            _(
                "%(copied)d services copiés de la semaine précédente ; %(skipped)d non copiés car le livreur "
                "ou le véhicule est déjà pris."
            )
            % {"copied": copied, "skipped": skipped},
        )
    else:
        messages.success(request, _("%(copied)d services copiés de la semaine précédente.") % {"copied": copied})
    return HttpResponseRedirect(week_url(monday))
