"""Back-office form of delivery zones: it parses and checks input; the actions save it."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.forms import EuroPriceField
from delivery.geometry import geometry_text, parse_zone_geometry
from delivery.models import DeliverySlot, DeliveryZone
from tenants.validators import validate_insee_code


def parse_insee_codes(text: str) -> list[str]:
    """ "62193, 62239 62548" → sorted unique codes; every wrong code named in one French message."""
    codes = [code.upper() for code in re.split(r"[\s,;]+", text or "") if code]
    wrong = []
    for code in codes:
        try:
            validate_insee_code(code)
        except ValidationError:
            wrong.append(code)
    if wrong:
        raise ValidationError(
            _(
                "Ces codes ne sont pas des codes INSEE de commune : %(codes)s. Un code INSEE a 5 caractères "
                "(par exemple 62193 pour Calais, 2A004 pour Ajaccio) ; ce n'est pas le code postal."
            )
            % {"codes": ", ".join(wrong)},
            code="invalid_insee",
        )
    return sorted(set(codes))


class DeliveryZoneForm(forms.ModelForm):
    geometry_text = forms.CharField(
        label=gettext_lazy("Périmètre dessiné (GeoJSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false", "autocomplete": "off"}),
        help_text=gettext_lazy(
            "Collez un Polygon ou MultiPolygon GeoJSON (par exemple exporté de geojson.io), points en "
            "[longitude, latitude]. Laissez vide pour une zone définie par communes."
        ),
    )
    insee_codes_text = forms.CharField(
        label=gettext_lazy("Communes desservies (codes INSEE)"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=gettext_lazy(
            "Codes INSEE séparés par des virgules ou des espaces, par exemple : 62193, 62239. "
            "Une adresse dans un périmètre dessiné est servie par celui-ci en priorité."
        ),
    )
    fee = EuroPriceField(
        label=gettext_lazy("Frais de livraison en euros"), help_text=gettext_lazy("Par exemple 3,50 ; 0 si gratuit.")
    )
    minimum_basket = EuroPriceField(
        label=gettext_lazy("Panier minimum en euros"), help_text=gettext_lazy("Par exemple 15,00 ; 0 sans minimum.")
    )

    field_order = (
        "name", "vehicle", "geometry_text", "insee_codes_text", "fee", "minimum_basket",
        "cutoff_time", "daily_capacity", "position", "is_active",
    )  # fmt: skip

    class Meta:
        model = DeliveryZone
        fields = ("name", "vehicle", "cutoff_time", "daily_capacity", "position", "is_active")
        widgets = {"cutoff_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}
        help_texts = {
            "cutoff_time": gettext_lazy(
                "Heure de la ville. Une commande passée avant est livrée le jour même, après le jour de livraison suivant."
            ),
            "daily_capacity": gettext_lazy("Nombre de livraisons que le partenaire assure par jour dans cette zone."),
            "position": gettext_lazy("Les zones s'affichent et se comparent dans cet ordre (0 en premier)."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone = self.instance
        self.fields["name"].widget.attrs["autocomplete"] = "off"
        self.fields["daily_capacity"].validators.append(
            MinValueValidator(1, message=_("Le partenaire doit pouvoir assurer au moins une livraison par jour."))
        )
        self.fields["daily_capacity"].widget.attrs["min"] = 1
        if not self.is_bound:
            self.initial.update(
                geometry_text=geometry_text(zone.geometry),
                insee_codes_text=", ".join(zone.insee_codes or []),
                fee=zone.fee_cents,
                minimum_basket=zone.minimum_basket_cents,
            )

    def clean_geometry_text(self) -> dict[str, Any] | None:
        text = self.cleaned_data["geometry_text"].strip()
        return parse_zone_geometry(text) if text else None

    def clean_insee_codes_text(self) -> list[str]:
        return parse_insee_codes(self.cleaned_data["insee_codes_text"])

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what Form.clean() returns, typed as never None
        geometry_ok = "geometry_text" not in self.errors
        codes_ok = "insee_codes_text" not in self.errors
        if geometry_ok and codes_ok and cleaned.get("geometry_text") is None and not cleaned.get("insee_codes_text"):
            raise ValidationError(
                _("Indiquez le périmètre de la zone : un polygone GeoJSON, des codes INSEE de communes, ou les deux."),
                code="no_perimeter",
            )
        # Onto the instance before the model validation that runs next (constraints included).
        if geometry_ok:
            self.instance.geometry = cleaned.get("geometry_text")
        if codes_ok:
            self.instance.insee_codes = cleaned.get("insee_codes_text") or []
        if cleaned.get("fee") is not None:
            self.instance.fee_cents = cleaned["fee"]
        if cleaned.get("minimum_basket") is not None:
            self.instance.minimum_basket_cents = cleaned["minimum_basket"]
        return cleaned


class DeliverySlotForm(forms.ModelForm):
    """A delivery slot: its hours (town time) and how many deliveries it takes a day. Overlaps with
    other active slots are refused by ``actions.save_slot``, under its lock."""

    class Meta:
        model = DeliverySlot
        fields = ("start_time", "end_time", "capacity", "position", "is_active")
        widgets = {
            "start_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "end_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
        labels = {"start_time": gettext_lazy("Début du créneau"), "end_time": gettext_lazy("Fin du créneau")}
        help_texts = {
            "start_time": gettext_lazy("Heure de la ville, par exemple 14:00."),
            "end_time": gettext_lazy("Après le début, par exemple 16:00. Les créneaux actifs ne se recouvrent pas."),
            "capacity": gettext_lazy(
                "Nombre de livraisons que le partenaire assure dans ce créneau chaque jour, toutes zones confondues."
            ),
            "position": gettext_lazy("Pour départager deux créneaux qui commencent à la même heure (0 en premier)."),
            "is_active": gettext_lazy(
                "Un créneau désactivé n'est plus proposé ; les livraisons déjà réservées restent."
            ),
        }
        error_messages = {
            "start_time": {
                "required": gettext_lazy("Indiquez l'heure de début."),
                "invalid": gettext_lazy("Heure invalide, par exemple 14:00."),
            },
            "end_time": {
                "required": gettext_lazy("Indiquez l'heure de fin."),
                "invalid": gettext_lazy("Heure invalide, par exemple 16:00."),
            },
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["capacity"].validators.append(
            MinValueValidator(1, message=_("Un créneau doit accepter au moins une livraison."))
        )
        self.fields["capacity"].widget.attrs["min"] = 1


class ZoneActiveForm(forms.Form):
    is_active = forms.BooleanField(required=False)


class AddressQueryForm(forms.Form):
    q = forms.CharField(max_length=200, required=False, strip=True)
    format = forms.ChoiceField(choices=(("html", "html"), ("json", "json")), required=False)
