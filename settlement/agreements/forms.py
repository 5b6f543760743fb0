"""Forms of the agreement: accepting it online (its own page, or the box of the bank details page),
recording a paper copy, editing the town's text. Each acceptance form carries the version and the
SHA-256 of the text it showed, which the action compares with the current ones."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from settlement.agreements.queries import ShownAgreement
from settlement.agreements.rendering import unknown_fields
from settlement.agreements.scans import MAX_SCAN_BYTES


class _ShownForm(forms.Form):
    version_id = forms.IntegerField(widget=forms.HiddenInput)
    text_sha256 = forms.RegexField(regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput)

    @classmethod
    def initial_for(cls, shown: ShownAgreement) -> dict[str, Any]:
        return {"version_id": shown.version.pk, "text_sha256": shown.sha256}


class OnlineAcceptanceForm(_ShownForm):
    signer_name = forms.CharField(
        label=_("Votre nom et prénom"),
        max_length=140,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        help_text=_("Saisir votre nom vaut signature de la convention."),
    )
    accept = forms.BooleanField(label=_("J’ai lu la convention ci-dessus et je l’accepte."))


class BankDetailsAgreementForm(_ShownForm):
    """The box under the bank details (merchant's staff only): accept the version shown, or not yet."""

    accept = forms.BooleanField(required=False)
    signer_name = forms.CharField(
        label=_("Votre nom et prénom (vaut signature)"),
        max_length=140,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def __init__(self, *args: Any, number: int, **kwargs: Any) -> None:
        kwargs["prefix"] = "agreement"
        super().__init__(*args, **kwargs)
        # Leaving the box unticked is fine: the bank details are saved without it.
        self.fields["version_id"].required = False
        self.fields["text_sha256"].required = False
        self.fields["accept"].label = _("J’accepte la version %(number)d de la convention de partenariat.") % {
            "number": number
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("accept") and not (cleaned.get("signer_name") or "").strip():
            self.add_error("signer_name", _("Indiquez votre nom et prénom pour signer."))
        if cleaned.get("accept") and not (cleaned.get("version_id") and cleaned.get("text_sha256")):
            self.add_error("accept", _("Rechargez la page : la version de la convention lue est inconnue."))
        return cleaned


class PaperAcceptanceForm(_ShownForm):
    signer_name = forms.CharField(label=_("Nom du signataire"), max_length=140)
    signed_on = forms.DateField(label=_("Date de signature"), widget=forms.DateInput(attrs={"type": "date"}))
    scan = forms.FileField(
        label=_("Scan de la convention signée"),
        help_text=_("PDF, JPEG ou PNG, 10 Mo au plus."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )

    def clean_scan(self) -> Any:
        scan = self.cleaned_data["scan"]
        if scan.size > MAX_SCAN_BYTES:
            raise ValidationError(_("Ce fichier dépasse 10 Mo : numérisez la convention en 300 dpi au plus."))
        return scan


class AgreementTextForm(forms.Form):
    text = forms.CharField(
        label=_("Texte de la convention"),
        widget=forms.Textarea(attrs={"rows": 24}),
        max_length=60_000,
        help_text=_("Paragraphes séparés par une ligne vide ; champs de fusion entre doubles accolades."),
    )

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        unknown = unknown_fields(text)
        if unknown:
            raise ValidationError(
                _("Champs inconnus : %(fields)s. Utilisez ceux de la liste.")
                % {"fields": ", ".join(f"{{{{ {name} }}}}" for name in unknown)}
            )
        return text
