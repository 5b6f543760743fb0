"""Checkout forms: contact details, one fulfilment choice per merchant, address, terms."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum.exceptions import ValidationError as NumberError

from checkout.actions import Contact, FulfilmentChoice
from checkout.basket import PricedBasket
from checkout.models import Fulfilment, PaymentMethod
from checkout.pickup import pickup_windows
from delivery.provider import SlotsOfTheDay
from tenants.models import Town


class SlotRadioSelect(forms.RadioSelect):
    """Radio buttons of the delivery slots; a full slot is shown, disabled."""

    def __init__(self, *args: Any, full: frozenset[int] = frozenset(), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.full = full

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(name, value, *args, **kwargs)
        if value in self.full:
            option["attrs"]["disabled"] = True
        return option


def normalise_french_phone(value: str) -> str:
    """06 12 34 56 78 / +33 6 12 34 56 78 → 0612345678; other countries kept as +CC…"""
    # Only ASCII digits: str.isdigit() also takes Arabic-Indic, full-width or superscript ones, which
    # no phone network dials.
    digits = "".join(ch for ch in value if ch in "0123456789+")
    if digits.startswith("+33"):
        digits = "0" + digits[3:]
    elif digits.startswith("0033"):
        digits = "0" + digits[4:]
    if digits.startswith("+") and 8 <= len(digits) <= 16:
        return digits
    if len(digits) == 10 and digits.startswith("0") and digits[1] != "0":
        return digits
    raise NumberError()


class CheckoutForm(forms.Form):
    first_name = forms.CharField(label=gettext_lazy("Prénom"), max_length=80)
    last_name = forms.CharField(label=gettext_lazy("Nom"), max_length=80)
    email = forms.EmailField(
        label=gettext_lazy("Adresse e-mail"), help_text=gettext_lazy("Pour la confirmation et le suivi de la commande.")
    )
    phone = forms.CharField(
        label=gettext_lazy("Téléphone"),
        max_length=20,
        help_text=gettext_lazy("Le commerçant ou le livreur peut vous appeler. Exemple : 06 12 34 56 78"),
    )
    address = forms.CharField(
        label=gettext_lazy("Adresse de livraison"),
        max_length=250,
        required=False,
        help_text=gettext_lazy("Numéro, rue et commune. Exemple : 12 rue Royale, Calais"),
    )
    delivery_instructions = forms.CharField(
        label=gettext_lazy("Instructions pour le livreur (facultatif)"), max_length=300, required=False
    )
    payment_method = forms.ChoiceField(
        label=gettext_lazy("Paiement"),
        choices=PaymentMethod.choices,
        initial=PaymentMethod.CARD,
        widget=forms.RadioSelect,
    )
    accept_terms = forms.BooleanField(
        label=gettext_lazy("J’ai lu et j’accepte les conditions générales de vente."),
        required=True,
        error_messages={"required": gettext_lazy("Cochez la case pour accepter les conditions générales de vente.")},
    )

    def __init__(
        self,
        *args: Any,
        basket: PricedBasket,
        town: Town,
        now: dt.datetime,
        delivery_available: bool = True,
        delivery_slots: SlotsOfTheDay | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.basket = basket
        self.delivery_slots = delivery_slots if delivery_available and delivery_slots and delivery_slots.slots else None
        if self.delivery_slots is not None:
            self.fields["delivery_slot"] = self._slot_field(self.delivery_slots)
        self.merchant_fields: list[tuple[Any, str, str | None]] = []
        if not town.pay_in_store_enabled:
            payment_method = cast(forms.ChoiceField, self.fields["payment_method"])
            payment_method.choices = [(PaymentMethod.CARD, PaymentMethod.CARD.label)]
        for group in basket.groups:
            merchant = group.merchant
            choices = []
            if merchant.click_and_collect:
                choices.append((Fulfilment.COLLECT, Fulfilment.COLLECT.label))
            # Delivery is offered only when the town delivers (zones and partner set up).
            if merchant.delivery_eligible and delivery_available:
                choices.append((Fulfilment.DELIVERY, Fulfilment.DELIVERY.label))
            name = f"fulfilment_{merchant.pk}"
            if choices:
                required_message = _("Choisissez le retrait ou la livraison pour %(shop)s.") % {"shop": merchant.name}
            else:
                required_message = _(
                    "%(shop)s ne propose pour le moment ni retrait ni livraison : retirez ses articles du panier."
                ) % {"shop": merchant.name}
            self.fields[name] = forms.ChoiceField(
                label=_("Chez %(shop)s") % {"shop": merchant.name},
                choices=choices,
                initial=choices[0][0] if choices else None,
                widget=forms.RadioSelect,
                error_messages={"required": required_message},
            )
            pickup_name = None
            if merchant.click_and_collect:
                windows = pickup_windows(merchant=merchant, now=now, time_zone=town.time_zone)
                pickup_name = f"pickup_{merchant.pk}"
                self.fields[pickup_name] = forms.ChoiceField(
                    label=_("Créneau de retrait chez %(shop)s") % {"shop": merchant.name},
                    choices=[(w.key, w.label(town.time_zone)) for w in windows]
                    or [("", _("Horaires à convenir avec la boutique"))],
                    required=False,
                )
            self.merchant_fields.append((group, name, pickup_name))

    @staticmethod
    def _slot_field(day: SlotsOfTheDay) -> forms.TypedChoiceField:
        """« 14 h – 16 h » radios, full ones disabled and said « complet », the first with room checked.

        Not required: a POST without a slot gets the first with room, chosen when the order is placed."""
        full = frozenset(slot.slot_id for slot in day.slots if slot.is_full)
        first = next((slot.slot_id for slot in day.slots if not slot.is_full), None)
        return forms.TypedChoiceField(
            label=gettext_lazy("Créneau de livraison"),
            choices=[
                (slot.slot_id, _("%(slot)s — complet") % {"slot": slot.label} if slot.is_full else slot.label)
                for slot in day.slots
            ],
            coerce=int,
            empty_value=None,
            required=False,
            initial=first,
            widget=SlotRadioSelect(full=full),
            error_messages={
                "invalid_choice": gettext_lazy("Ce créneau de livraison n’est plus proposé : choisissez-en un autre.")
            },
        )

    def clean_phone(self) -> str:
        try:
            return normalise_french_phone(self.cleaned_data["phone"])
        except NumberError:
            raise ValidationError(_("Numéro de téléphone invalide. Exemple : 06 12 34 56 78")) from None

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean() returns, typed as never None
        wants_delivery = any(data.get(name) == Fulfilment.DELIVERY for _group, name, _pickup in self.merchant_fields)
        if wants_delivery and not (data.get("address") or "").strip():
            self.add_error("address", _("Indiquez l’adresse de livraison."))
        return data

    def contact(self) -> Contact:
        data = self.cleaned_data
        return Contact(
            first_name=data["first_name"].strip(),
            last_name=data["last_name"].strip(),
            email=data["email"],
            phone=data["phone"],
        )

    def fulfilments(self) -> dict[int, FulfilmentChoice]:
        data = self.cleaned_data
        return {
            group.merchant.pk: FulfilmentChoice(kind=data[name], pickup_window_key=data.get(pickup or "", "") or "")
            for group, name, pickup in self.merchant_fields
        }


class RefuseLineForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Motif (facultatif)"), max_length=200, required=False)


class PickupCodeForm(forms.Form):
    pickup_code = forms.CharField(
        label=gettext_lazy("Code de retrait donné par le client"),
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


# Far above any order; bounds the number before it is rounded to the cent.
MAX_REFUND_EUROS = Decimal(1_000_000)


class RefundForm(forms.Form):
    amount = forms.CharField(
        label=gettext_lazy("Montant à rembourser (en euros)"), max_length=12, help_text=gettext_lazy("Exemple : 12,50")
    )
    reason = forms.CharField(label=gettext_lazy("Motif"), max_length=200)
    request_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean() returns, typed as never None
        raw = (data.get("amount") or "").replace("€", "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
        try:
            amount = Decimal(raw)
        except InvalidOperation:
            self.add_error("amount", _("Indiquez un montant en euros, par exemple 12,50."))
            return data
        # Bounded before quantize: "1e30" would overflow the decimal context (InvalidOperation).
        if not amount.is_finite() or amount <= 0 or amount >= MAX_REFUND_EUROS:
            self.add_error("amount", _("Indiquez un montant positif, au centime près."))
            return data
        if amount != amount.quantize(Decimal("0.01")):
            self.add_error("amount", _("Indiquez un montant positif, au centime près."))
            return data
        data["amount_cents"] = int(amount * 100)
        return data
