from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.images import ACCEPT_ATTRIBUTE
from tenants.models import DEFAULT_PRIMARY_COLOUR, DEFAULT_SECONDARY_COLOUR, Town, TownKind
from tenants.validators import SLUG_MAX_LENGTH, validate_brand_colour, validate_insee_code, validate_town_slug


def parse_insee_codes(raw: str) -> list[str]:
    codes = [code.strip().upper() for code in raw.replace(";", ",").replace(" ", ",").split(",") if code.strip()]
    for code in codes:
        validate_insee_code(code)
    return codes


class TownCreateForm(forms.Form):
    name = forms.CharField(label=_("Nom de la ville"), max_length=120)
    slug = forms.CharField(
        label=_("Identifiant (sous-domaine)"),
        max_length=SLUG_MAX_LENGTH + 10,
        validators=[validate_town_slug],
        help_text=_("Minuscules sans accent, chiffres et tirets. Exemple : saint-omer"),
    )
    kind = forms.ChoiceField(label=_("Type"), choices=TownKind.choices, initial=TownKind.COMMUNE)
    insee_codes = forms.CharField(
        label=_("Codes INSEE des communes couvertes"),
        required=False,
        help_text=_("Séparés par des virgules. Exemple : 62193"),
    )
    custom_domain = forms.CharField(label=_("Domaine personnalisé (facultatif)"), required=False, max_length=253)
    admin_email = forms.EmailField(label=_("E-mail du premier administrateur"), required=False)
    primary_color = forms.CharField(
        label=_("Couleur principale"),
        initial=DEFAULT_PRIMARY_COLOUR,
        validators=[validate_brand_colour],
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    secondary_color = forms.CharField(
        label=_("Couleur secondaire"),
        initial=DEFAULT_SECONDARY_COLOUR,
        validators=[validate_brand_colour],
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    tagline = forms.CharField(label=_("Accroche"), required=False, max_length=200)

    def clean_insee_codes(self) -> list[str]:
        return parse_insee_codes(self.cleaned_data.get("insee_codes", ""))


class TownBrandingForm(forms.ModelForm):
    insee_codes = forms.CharField(label=_("Codes INSEE des communes couvertes"), required=False)

    class Meta:
        model = Town
        fields = (
            "name",
            "kind",
            "insee_codes",
            "tagline",
            "primary_color",
            "secondary_color",
            "logo",
            "hero_image",
            "publisher_name",
            "publisher_address",
            "publisher_phone",
            "publisher_email",
            "publisher_siret",
            "publication_director",
            "payment_gateway",
            "stripe_account_id",
            "collector_mode",
            "pay_in_store_enabled",
            "max_units_per_product",
        )
        widgets = {
            "primary_color": forms.TextInput(attrs={"type": "color"}),
            "secondary_color": forms.TextInput(attrs={"type": "color"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["insee_codes"] = ", ".join(self.instance.insee_codes)
        self.fields["primary_color"].validators.append(validate_brand_colour)
        self.fields["secondary_color"].validators.append(validate_brand_colour)
        # Left empty (or not sent by an older form): the town keeps its cap.
        self.fields["max_units_per_product"].required = False

    def clean_insee_codes(self) -> list[str]:
        return parse_insee_codes(self.cleaned_data.get("insee_codes", ""))

    def clean_max_units_per_product(self) -> int:
        value = self.cleaned_data.get("max_units_per_product")
        return self.instance.max_units_per_product if value is None else value


class TownAppearanceForm(forms.ModelForm):
    """What a town's admin changes of its own look, on its back-office (the operator's console can too)."""

    # Plain file fields: the image checks (format, size, pixels) are the image engine's, in the action.
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("Carré de préférence, PNG transparent accepté ; affiché à côté du nom de la ville."),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
    )
    hero_image = forms.FileField(
        label=_("Image d’accueil"),
        required=False,
        help_text=_("Grande image de la page d’accueil, au format paysage. JPEG, PNG, WebP ou HEIC, 15 Mo au plus."),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
    )

    class Meta:
        model = Town
        fields = ("tagline", "primary_color", "secondary_color", "logo", "hero_image")
        widgets = {
            "primary_color": forms.TextInput(attrs={"type": "color"}),
            "secondary_color": forms.TextInput(attrs={"type": "color"}),
        }
        help_texts = {
            "tagline": _("Une phrase sous le nom de la ville, en haut de la page d’accueil."),
            "primary_color": _("Bandeau du site, liens et boutons : le texte blanc doit y rester lisible."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["primary_color"].validators.append(validate_brand_colour)
        self.fields["secondary_color"].validators.append(validate_brand_colour)
