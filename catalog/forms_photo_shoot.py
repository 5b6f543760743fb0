"""Forms of the photo shoot page: several photos at once, and the small form that completes a draft."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.forms import EuroPriceField
from catalog.models import Merchant, VatRate


class MultiplePhotoInput(forms.FileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several files under one name; each is judged later, one by one, by the image engine."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultiplePhotoInput(attrs={"multiple": True, "accept": "image/*"}))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultiplePhotoField, self).clean(file, initial) for file in files]


class PhotoShootForm(forms.Form):
    """The page's form without JavaScript: photos taken now and photos chosen from the phone, sent together.

    ``shoot_key`` is made when the page is shown: the n-th photo of this form gets a key derived from
    it, so the same form sent twice (a reload that posts again) makes its drafts once.
    """

    shoot_key = forms.UUIDField(widget=forms.HiddenInput)
    camera = MultiplePhotoField(
        label=gettext_lazy("Prendre des photos"),
        required=False,
        widget=MultiplePhotoInput(attrs={"multiple": True, "accept": "image/*", "capture": "environment"}),
    )
    gallery = MultiplePhotoField(
        label=gettext_lazy("Choisir des photos déjà prises"),
        required=False,
        help_text=gettext_lazy("JPEG, PNG, WebP ou HEIC (iPhone), 15 Mo au plus par photo."),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("camera") and not cleaned.get("gallery") and not self.errors:
            raise ValidationError(_("Prenez ou choisissez au moins une photo."), code="no_photo")
        return cleaned

    def photos_with_keys(self) -> list[tuple[Any, uuid.UUID]]:
        """Each photo sent with its key: the same for the same place in the same form."""
        shoot_key: uuid.UUID = self.cleaned_data["shoot_key"]
        files = [*self.cleaned_data.get("camera", []), *self.cleaned_data.get("gallery", [])]
        return [(file, uuid.uuid5(shoot_key, str(index))) for index, file in enumerate(files)]


class DraftDetailsForm(forms.Form):
    """What a draft lacks: its title, its price and its VAT rate."""

    required_css_class = "required"

    title = forms.CharField(label=gettext_lazy("Titre"), max_length=200)
    price = EuroPriceField(label=gettext_lazy("Prix TTC en euros"), help_text=gettext_lazy("Par exemple 12,50."))
    vat_rate = forms.TypedChoiceField(label=gettext_lazy("Taux de TVA"), coerce=int)

    def __init__(self, *args: Any, merchant: Merchant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(rate.value, rate.label) for rate in VatRate if (rate == VatRate.NONE) == merchant.is_vat_exempt]
        vat_field = self.fields["vat_rate"]
        assert isinstance(vat_field, forms.TypedChoiceField)  # noqa: S101 - declared just above
        vat_field.choices = choices
        self.fields["title"].widget.attrs["autocomplete"] = "off"
