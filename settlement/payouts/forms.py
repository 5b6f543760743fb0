"""Forms of the payout pages: merchants' bank details, the town's payout settings, statement upload."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from settlement.ledger.models import PayoutSchedule, SepaVersionChoice, SettlementPolicy
from settlement.payouts.iban import BICFormField, IBANFormField, validate_bic_matches_iban
from settlement.payouts.models import validate_stripe_account_id

# A month of a town's camt.053 is a few hundred kilobytes; anything far larger is not a statement.
MAX_STATEMENT_BYTES = 5 * 1024 * 1024


class _AddressMixin(forms.Form):
    street = forms.CharField(label=_("Voie"), max_length=70, help_text=_("Par exemple : rue Royale"))
    building_number = forms.CharField(label=_("Numéro"), max_length=16, required=False)
    postcode = forms.CharField(label=_("Code postal"), max_length=16)
    town = forms.CharField(label=_("Commune"), max_length=35)
    country = forms.CharField(label=_("Pays (code à deux lettres)"), max_length=2, initial="FR")

    def clean_country(self) -> str:
        country = self.cleaned_data["country"].strip().upper()
        if len(country) != 2 or not country.isalpha():
            raise ValidationError(_("Indiquez le code du pays en deux lettres (FR pour la France)."))
        return country


class PayoutAccountForm(_AddressMixin):
    """The merchant's account for payouts; the IBAN is checked down to the French RIB key."""

    holder_name = forms.CharField(
        label=_("Titulaire du compte"), max_length=140, help_text=_("Le nom exact qui figure sur le RIB.")
    )
    iban = IBANFormField(label=_("IBAN"), help_text=_("27 caractères pour un compte français, espaces acceptés."))
    bic = BICFormField(label=_("BIC (facultatif)"))
    field_order = ("holder_name", "iban", "bic", "street", "building_number", "postcode", "town", "country")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("bic") and cleaned.get("iban"):
            try:
                validate_bic_matches_iban(cleaned["bic"], cleaned["iban"])
            except ValidationError as error:
                self.add_error("bic", error)
        return cleaned


class ConnectedAccountForm(forms.Form):
    """Connect towns: the merchant's Stripe connected account, which receives transfers and payouts."""

    stripe_account_id = forms.CharField(
        label=_("Compte Stripe connecté"),
        max_length=64,
        validators=[validate_stripe_account_id],
        help_text=_("L’identifiant commence par « acct_ » ; il figure dans le tableau de bord Stripe Connect."),
    )
    lift_block = forms.BooleanField(
        label=_("Le commerçant a corrigé son compte bancaire chez Stripe : reprendre les versements."), required=False
    )

    def clean_stripe_account_id(self) -> str:
        return self.cleaned_data["stripe_account_id"].strip()


class PayoutSettingsForm(_AddressMixin):
    """The town's treasury account (debtor of the SEPA files) and its payout schedule."""

    treasury_holder_name = forms.CharField(label=_("Titulaire du compte de la régie"), max_length=140)
    treasury_iban = IBANFormField(label=_("IBAN du compte de la régie"))
    treasury_bic = BICFormField(label=_("BIC du compte de la régie (facultatif)"))
    payout_schedule = forms.ChoiceField(label=_("Fréquence des reversements"), choices=PayoutSchedule.choices)
    payout_cut_off_hour = forms.IntegerField(
        label=_("Heure d’arrêté (heure de Paris)"),
        min_value=0,
        max_value=23,
        help_text=_("0 : l’arrêté a lieu à minuit ; les ventes libérées avant cette heure sont reversées."),
    )
    minimum_payout_euros = forms.DecimalField(
        label=_("Montant minimum d’un virement (en euros)"),
        min_value=Decimal("0.01"),
        max_digits=9,
        decimal_places=2,
        help_text=_("En dessous, le montant est reporté au reversement suivant."),
        localize=True,
    )
    sepa_version = forms.ChoiceField(label=_("Format des fichiers SEPA"), choices=SepaVersionChoice.choices)
    field_order = ("treasury_holder_name", "treasury_iban", "treasury_bic")

    @classmethod
    def initial_from(cls, policy: SettlementPolicy) -> dict[str, Any]:
        return {
            "treasury_holder_name": policy.treasury_holder_name,
            "treasury_iban": policy.treasury_iban,
            "treasury_bic": policy.treasury_bic,
            "street": policy.treasury_street,
            "building_number": policy.treasury_building_number,
            "postcode": policy.treasury_postcode,
            "town": policy.treasury_town,
            "country": policy.treasury_country,
            "payout_schedule": policy.payout_schedule,
            "payout_cut_off_hour": policy.payout_cut_off_hour,
            "minimum_payout_euros": Decimal(policy.minimum_payout_cents) / 100,
            "sepa_version": policy.sepa_version,
        }

    def settings(self) -> dict[str, Any]:
        """The cleaned values under the policy's field names, amounts in cents."""
        data = self.cleaned_data
        return {
            "treasury_holder_name": data["treasury_holder_name"],
            "treasury_iban": data["treasury_iban"],
            "treasury_bic": data["treasury_bic"] or "",
            "treasury_street": data["street"],
            "treasury_building_number": data["building_number"],
            "treasury_postcode": data["postcode"],
            "treasury_town": data["town"],
            "treasury_country": data["country"],
            "payout_schedule": data["payout_schedule"],
            "payout_cut_off_hour": data["payout_cut_off_hour"],
            "minimum_payout_cents": int(data["minimum_payout_euros"] * 100),
            "sepa_version": data["sepa_version"],
        }


class StatementUploadForm(forms.Form):
    statement = forms.FileField(
        label=_("Relevé bancaire"),
        help_text=_("Fichier camt.053, camt.054 (XML) ou CSV du compte de la régie."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xml,.csv,.txt,application/xml,text/csv"}),
    )

    def clean_statement(self) -> Any:
        upload = self.cleaned_data["statement"]
        if upload.size > MAX_STATEMENT_BYTES:
            raise ValidationError(_("Ce fichier dépasse 5 Mo : ce n’est pas un relevé attendu."))
        return upload
