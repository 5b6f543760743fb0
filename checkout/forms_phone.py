"""Forms of the orders taken by phone or at the desk: the same checkout form, worded for the agent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils.translation import gettext_lazy

from checkout.forms import CheckoutForm
from checkout.models import PaymentMethod
from checkout.models_phone import OrderChannel

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class StartPhoneOrderForm(forms.Form):
    channel = forms.ChoiceField(
        label=gettext_lazy("La commande est prise"),
        choices=OrderChannel.choices,
        initial=OrderChannel.PHONE,
        widget=forms.RadioSelect,
    )


class PhoneOrderForm(CheckoutForm):
    """The checkout form (fulfilment per shop, pickup windows, delivery address and slot, contact), with an
    e-mail that is optional and the payment as the agent offers it: a card link, or in the shop."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        email = cast(forms.EmailField, self.fields["email"])
        email.required = False
        email.label = gettext_lazy("Adresse e-mail (facultatif)")
        email.help_text = gettext_lazy("Le lien de paiement et la confirmation y sont aussi envoyés.")
        self.fields["phone"].help_text = gettext_lazy(
            "Un mobile (06 ou 07) reçoit par SMS le lien de paiement, puis le code de retrait. Exemple : 06 12 34 56 78"
        )
        self.fields["address"].help_text = gettext_lazy("Numéro, rue et commune, pour une livraison.")
        labels: dict[str, StrOrPromise] = {
            PaymentMethod.CARD: gettext_lazy("Lien de paiement par carte envoyé par SMS ou e-mail"),
            PaymentMethod.IN_STORE: gettext_lazy("Paiement en boutique au retrait (retrait en boutique seulement)"),
        }
        payment_method = cast(forms.ChoiceField, self.fields["payment_method"])
        # The town's choices as the checkout form left them (paying in store only where the town allows it).
        offered = [str(value) for value, _label in cast(list[tuple[str, str]], payment_method.choices)]
        payment_method.choices = [(value, labels[value]) for value in offered]
        accept_terms = self.fields["accept_terms"]
        accept_terms.label = gettext_lazy(
            "Le client a pris connaissance des conditions générales de vente et les accepte."
        )
        accept_terms.error_messages["required"] = gettext_lazy(
            "Confirmez que le client accepte les conditions générales de vente."
        )
