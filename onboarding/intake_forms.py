"""Forms of the new businesses: the agent's directory search and creation form, the public application,
and the town's NAF filing rules. They parse and check; ``onboarding.intake`` saves."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.forms import CategoryChoiceField, CoordinateField
from catalog.models import MerchantKind
from catalog.queries import categories_in_tree_order
from catalog.validators import compact_siret, validate_siret
from onboarding.directory import MIN_NAME_LENGTH, DirectoryUnavailable, Establishment, find_establishment
from onboarding.intake import ApplicationForm, BusinessDetails
from onboarding.models import NafRule
from onboarding.naf import display_naf, normalise_naf

UNKNOWN_SIRET = gettext_lazy(
    "Ce SIRET est inconnu de l’annuaire des entreprises : vérifiez les 14 chiffres (sur un Kbis ou une facture)."
)


class SiretField(forms.CharField):
    """14 digits with a valid checksum, spaces and dots allowed: a bad number never reaches the directory."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", gettext_lazy("SIRET"))
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("help_text", gettext_lazy("14 chiffres, par exemple 812 345 676 00017."))
        super().__init__(widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}), **kwargs)

    def clean(self, value: Any) -> str:
        siret = compact_siret(super().clean(value) or "")
        if siret:
            validate_siret(siret)
        return siret


class DirectorySearchForm(forms.Form):
    """The agent's search: a SIRET, or a name in a commune (postcode or INSEE code)."""

    siret = SiretField(required=False)
    nom = forms.CharField(label=gettext_lazy("Nom du commerce"), required=False, max_length=100)
    commune = forms.CharField(
        label=gettext_lazy("Commune"),
        required=False,
        max_length=5,
        help_text=gettext_lazy("Code postal ou code INSEE, par exemple 62100."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors or data.get("siret"):
            return data
        if len(" ".join((data.get("nom") or "").split())) < MIN_NAME_LENGTH:
            raise ValidationError(_("Saisissez un SIRET, ou au moins 3 lettres du nom et la commune."))
        if not re.fullmatch(r"[0-9][0-9AB][0-9]{3}", (data.get("commune") or "").upper()):
            self.add_error("commune", _("Saisissez le code postal ou le code INSEE de la commune (5 caractères)."))
        return data


class ProspectForm(forms.Form):
    """A new business, typed by the agent or filled from the directory (every field stays editable)."""

    name = forms.CharField(label=gettext_lazy("Nom du commerce"), max_length=160)
    siret = SiretField(required=False)
    naf_code = forms.CharField(
        label=gettext_lazy("Code NAF"),
        required=False,
        max_length=7,
        help_text=gettext_lazy("L’activité principale, par exemple 47.24Z : elle donne le type et la catégorie."),
    )
    address_line = forms.CharField(label=gettext_lazy("Adresse"), required=False, max_length=200)
    postcode = forms.CharField(label=gettext_lazy("Code postal"), required=False, max_length=5)
    city = forms.CharField(label=gettext_lazy("Commune"), required=False, max_length=100)
    insee_code = forms.CharField(label=gettext_lazy("Code INSEE"), required=False, max_length=5)
    latitude = CoordinateField(limit=90, label=gettext_lazy("Latitude"))
    longitude = CoordinateField(limit=180, label=gettext_lazy("Longitude"))
    contact_name = forms.CharField(label=gettext_lazy("Personne à contacter"), required=False, max_length=120)
    notes = forms.CharField(label=gettext_lazy("Notes"), required=False, max_length=5000, widget=forms.Textarea)

    @classmethod
    def initial_from(cls, establishment: Establishment) -> dict[str, Any]:
        return {
            "name": establishment.name,
            "siret": establishment.siret,
            "naf_code": display_naf(establishment.naf_code),
            "address_line": establishment.address_line,
            "postcode": establishment.postcode,
            "city": establishment.city,
            "insee_code": establishment.insee_code,
            "latitude": establishment.latitude,
            "longitude": establishment.longitude,
        }

    def clean_naf_code(self) -> str:
        typed = self.cleaned_data["naf_code"]
        code = normalise_naf(typed)
        if typed.strip() and len(code) != 5:
            raise ValidationError(_("Un code NAF s’écrit 2 chiffres, un point, 2 chiffres et une lettre : 47.24Z."))
        return code

    def clean_postcode(self) -> str:
        postcode = self.cleaned_data["postcode"].strip()
        if postcode and not re.fullmatch(r"[0-9]{5}", postcode):
            raise ValidationError(_("Un code postal compte 5 chiffres."))
        return postcode

    def clean_insee_code(self) -> str:
        code = self.cleaned_data["insee_code"].strip().upper()
        if code and not re.fullmatch(r"[0-9][0-9AB][0-9]{3}", code):
            raise ValidationError(_("Un code INSEE compte 5 caractères, par exemple 62193."))
        return code

    def details(self) -> BusinessDetails:
        data = self.cleaned_data
        return BusinessDetails(
            **{field: data[field] for field in BusinessDetails.__dataclass_fields__ if field in data}
        )


# The kinds a business may say it is on the public page (a partner supermarket is the town's choice).
APPLICANT_KINDS = [(kind.value, kind.label) for kind in MerchantKind if kind != MerchantKind.PARTNER_SUPERMARKET]


class ApplyForm(forms.Form):
    """The public « Vendre sur … » application. ``website`` is a trap: hidden from people, filled by robots."""

    siret = SiretField()
    business_name = forms.CharField(label=gettext_lazy("Nom du commerce"), max_length=160)
    contact_name = forms.CharField(
        label=gettext_lazy("Vos nom et prénom"),
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=gettext_lazy("Votre e-mail"),
        help_text=gettext_lazy("Nous vous envoyons une confirmation à cette adresse."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=gettext_lazy("Votre téléphone"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    kind = forms.ChoiceField(label=gettext_lazy("Type d’activité"), choices=APPLICANT_KINDS)
    message = forms.CharField(
        label=gettext_lazy("Votre message"),
        required=False,
        max_length=2000,
        help_text=gettext_lazy("Ce que vous vendez, vos questions, quand vous joindre… (facultatif)"),
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    website = forms.CharField(
        label=gettext_lazy("Ne pas remplir ce champ"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    honeypot_field = "website"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # What the directory said of the SIRET: the establishment, or None when it could not be asked.
        self.establishment: Establishment | None = None

    @property
    def is_trapped(self) -> bool:
        """A robot filled the field people never see."""
        return bool(self.data.get(self.honeypot_field, "").strip())

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if phone and not re.fullmatch(r"\+?[0-9 .()-]{10,20}", phone):
            raise ValidationError(_("Saisissez un numéro de téléphone, par exemple 03 21 46 62 00."))
        return phone

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if siret := data.get("siret"):
            try:
                self.establishment = find_establishment(siret)
            except DirectoryUnavailable:
                return data  # accepted, marked « à vérifier »
            if self.establishment is None:
                self.add_error("siret", str(UNKNOWN_SIRET))
            elif not self.establishment.is_active:
                self.add_error(
                    "siret", _("Ce SIRET est celui d’un établissement fermé d’après l’annuaire des entreprises.")
                )
        return data

    @classmethod
    def checked_siret(cls, data: Any) -> tuple[ApplyForm, str, Establishment | None]:
        """The « Vérifier mon SIRET » button: a fresh form keeping what was typed, the business's name
        filled from the directory when it knows the SIRET, and what to tell the applicant."""
        typed = {name: data.get(name, "") for name in cls.base_fields if name != cls.honeypot_field}
        establishment = None
        try:
            typed["siret"] = siret = SiretField().clean(typed["siret"])
            if not siret:
                return cls(initial=typed), _("Saisissez les 14 chiffres de votre SIRET."), None
            establishment = find_establishment(siret)
        except ValidationError as error:
            return cls(initial=typed), error.messages[0], None
        except DirectoryUnavailable as failure:
            return (
                cls(initial=typed),
                _("%(down)s Vous pouvez envoyer votre candidature : nous vérifierons.") % {"down": failure.message},
                None,
            )
        if establishment is None:
            return cls(initial=typed), str(UNKNOWN_SIRET), None
        typed["business_name"] = typed["business_name"] or establishment.name
        return cls(initial=typed), "", establishment

    def application(self) -> ApplicationForm:
        data = self.cleaned_data
        return ApplicationForm(**{field: data[field].strip() for field in ApplicationForm.__dataclass_fields__})


class NafRuleForm(forms.ModelForm):
    """A town rule: businesses whose NAF code starts with ``code`` get this kind and category."""

    # Typed with its dot ("47.24Z"): longer than the stored code until normalised.
    code = forms.CharField(
        label=gettext_lazy("Code NAF ou début de code"),
        max_length=8,
        help_text=gettext_lazy("Un code complet (47.24Z) ou son début (47.24, 47, 56)."),
    )
    category = CategoryChoiceField(
        queryset=categories_in_tree_order(), required=False, label=gettext_lazy("Catégorie"), empty_label="—"
    )

    class Meta:
        model = NafRule
        fields = ("code", "label", "kind", "category")

    def clean_code(self) -> str:
        code = normalise_naf(self.cleaned_data["code"])
        if not code:
            raise ValidationError(_("Ce n’est pas un code NAF : saisissez par exemple 47.24Z, 47.24 ou 47."))
        return code
