"""Forms of the fleet and shifts pages: hubs, vehicle types, vehicles, shifts, the delivery settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role, User
from delivery.geocoding import GeocodingError, get_geocoder
from logistics import fleet
from logistics.models import Hub, LogisticsSettings, Shift, Vehicle, VehicleType


class HubForm(forms.ModelForm):
    """Latitude and longitude come from the town's geocoder when left empty."""

    latitude = forms.FloatField(label=gettext_lazy("latitude"), required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(label=gettext_lazy("longitude"), required=False, min_value=-180, max_value=180)

    class Meta:
        model = Hub
        fields = ("name", "address", "latitude", "longitude", "is_active")
        help_texts = {"address": gettext_lazy("Laissez la latitude et la longitude vides : l'adresse les donne.")}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("address") and (data.get("latitude") is None or data.get("longitude") is None):
            try:
                found = get_geocoder().search(data["address"], limit=1)
            except GeocodingError:
                found = []
            if not found:
                raise ValidationError(
                    _("Adresse introuvable : corrigez-la ou indiquez la latitude et la longitude du dépôt.")
                )
            data["latitude"], data["longitude"] = found[0].latitude, found[0].longitude
            self.instance.latitude, self.instance.longitude = found[0].latitude, found[0].longitude
        return data


class VehicleTypeForm(forms.ModelForm):
    class Meta:
        model = VehicleType
        fields = (
            "name",
            "is_bike",
            "centre_only",
            "speed_kmh",
            "capacity_parcels",
            "capacity_kg",
            "capacity_litres",
            "position",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("speed_kmh", "capacity_parcels", "capacity_kg", "capacity_litres"):
            if data.get(name) == 0:
                self.add_error(name, _("Indiquez une valeur supérieure à zéro."))
        return data


class VehicleForm(forms.ModelForm):
    class Meta:
        model = Vehicle
        fields = ("name", "vehicle_type", "hub", "is_active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["hub"].queryset = Hub.objects.filter(is_active=True)  # type: ignore[attr-defined]


class CourierChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.email


class ShiftForm(forms.ModelForm):
    """A courier's shift; the checks (times, break, courier or vehicle already busy) are fleet.shift_problems."""

    courier = CourierChoiceField(queryset=User.objects.none(), label=gettext_lazy("livreur"))

    class Meta:
        model = Shift
        fields = ("date", "courier", "vehicle", "starts_at", "ends_at", "break_starts_at", "break_minutes")
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "starts_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "ends_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "break_starts_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
        help_texts = {"break_minutes": gettext_lazy("0 : pas de pause.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        couriers = User.objects.filter(role=Role.COURIER, is_active=True)
        if self.instance.pk:  # a courier since deactivated stays readable on their old shifts
            couriers = couriers | User.objects.filter(pk=self.instance.courier_id)
        self.fields["courier"].queryset = couriers.order_by("last_name", "first_name", "email")  # type: ignore[attr-defined]
        vehicles = Vehicle.objects.filter(is_active=True)
        if self.instance.pk:
            vehicles = vehicles | Vehicle.objects.filter(pk=self.instance.vehicle_id)
        self.fields["vehicle"].queryset = vehicles.select_related("vehicle_type")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        required = ("date", "courier", "vehicle", "starts_at", "ends_at")
        if any(data.get(name) is None for name in required):
            return data  # each missing field has its own error already
        candidate = Shift(
            pk=self.instance.pk,
            date=data["date"],
            courier=data["courier"],
            vehicle=data["vehicle"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            break_starts_at=data.get("break_starts_at"),
            break_minutes=data.get("break_minutes") or 0,
        )
        for field, messages in fleet.shift_problems(candidate).items():
            for message in messages:
                self.add_error(field, message)
        return data


class LogisticsSettingsForm(forms.ModelForm):
    class Meta:
        model = LogisticsSettings
        fields = (
            "max_ride_minutes",
            "proof_mode",
            "detour_factor",
            "pickup_minutes",
            "drop_minutes",
            "reload_minutes",
            "default_grams_per_piece",
            "default_ml_per_piece",
            "ml_per_kg",
            "items_per_parcel",
            "co2_grams_per_car_km",
            "planning_seconds",
        )
        localized_fields = ("detour_factor",)  # "1,3" as the town types it

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("detour_factor") is not None and data["detour_factor"] < 1:
            self.add_error("detour_factor", _("Le coefficient de détour vaut au moins 1 (la ligne droite)."))
        if data.get("items_per_parcel") == 0:
            self.add_error("items_per_parcel", _("Un colis contient au moins un article."))
        if data.get("planning_seconds") is not None and not 1 <= data["planning_seconds"] <= 120:
            self.add_error("planning_seconds", _("Entre 1 et 120 secondes."))
        return data


class CopyWeekForm(forms.Form):
    monday = forms.DateField()
