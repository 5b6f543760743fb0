"""Forms of the courier app and of the resident's choice after a failed delivery."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from logistics.models import FailureReason, ProofMode
from tenants.images import ACCEPT_ATTRIBUTE


class KeyedForm(forms.Form):
    # Chosen on the phone (crypto.randomUUID()); the page also renders one for a send without JavaScript.
    key = forms.UUIDField(widget=forms.HiddenInput)


class CollectForm(KeyedForm):
    code = forms.CharField(
        label=_("Code du ticket du commerce"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )


class DeliverForm(KeyedForm):
    proof_kind = forms.ChoiceField(
        label=_("Preuve de livraison"),
        choices=[(ProofMode.PHOTO, _("Photo")), (ProofMode.SIGNATURE, _("Signature")), (ProofMode.CODE, _("Code"))],
        widget=forms.RadioSelect,
    )
    code = forms.CharField(
        label=_("Code à 6 chiffres de l'habitant"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9 ]*"}),
    )
    signature = forms.CharField(required=False, widget=forms.HiddenInput, max_length=40_000)
    photo = forms.FileField(
        label=_("Photo du colis déposé"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE, "capture": "environment"}),
    )


class FailForm(KeyedForm):
    reason = forms.ChoiceField(label=_("Raison"), choices=FailureReason.choices, widget=forms.RadioSelect)
    note = forms.CharField(label=_("Précision (facultatif)"), max_length=300, required=False)


class ReloadForm(KeyedForm):
    pass


class NewDayForm(forms.Form):
    choice = forms.CharField(max_length=20)
