"""Back-office forms of the catalogue: they parse and check input; the actions save it."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.formatting import AmountError, format_amount, parse_amount
from catalog.models import WEEKDAY_CHOICES, Category, HomeBlock, HomeBlockKind, Merchant, Product, Variant, VatRate
from catalog.queries import categories_in_tree_order
from catalog.validators import MAX_STOCK, compact_siret, validate_price_cents
from tenants.collation import by_name
from tenants.images import ACCEPT_ATTRIBUTE
from tenants.validators import validate_insee_code


def category_label(category: Category) -> str:
    """A category as the back-office lists it: "Parent › Child" for a subcategory, its name alone for a main one."""
    return f"{category.parent.name} › {category.name}" if category.parent is not None else category.name


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return category_label(obj)


class CategoryMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return category_label(obj)


def parse_euros(text: str) -> int:
    """A price typed in euros → cents, read as the import reads its price cells (``parse_amount``)."""
    try:
        cents = parse_amount(text or "")
    except AmountError:
        raise ValidationError(_("Saisissez un prix en euros, par exemple 12,50."), code="invalid_price") from None
    if cents < 0:
        raise ValidationError(_("Un prix ne peut pas être négatif."), code="negative_price")
    return cents


class EuroPriceField(forms.CharField):
    """A price typed in euros (decimal comma), cleaned to integer cents."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # No max_length: its validator would run on the cleaned value, which is an int of cents.
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off", "maxlength": "20"})

    def prepare_value(self, value: Any) -> Any:
        return format_amount(value) if isinstance(value, int) else value

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]  # text on screen, cents once cleaned
        text = super().to_python(value)
        if text is None or text in self.empty_values:
            return None
        return parse_euros(text)

    def validate(self, value: Any) -> None:
        super().validate("" if value is None else str(value))
        if value is not None:
            validate_price_cents(value)


class MerchantSearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Rechercher un commerçant"), required=False, max_length=100)


COORDINATE_PLACES = Decimal("0.000001")  # what Merchant.latitude / longitude store
SOCIAL_NETWORKS = ("facebook", "instagram")


class CoordinateField(forms.DecimalField):
    """Degrees typed with a decimal comma or point; more than 6 decimals are rounded, not refused."""

    def __init__(self, *, limit: int, **kwargs: Any) -> None:
        super().__init__(
            required=False,
            min_value=-limit,
            max_value=limit,
            localize=True,
            widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            **kwargs,
        )

    def clean(self, value: Any) -> Decimal | None:
        number = super().clean(value)
        return None if number is None else number.quantize(COORDINATE_PLACES, rounding=ROUND_HALF_UP)


class SocialLinkField(forms.URLField):
    """A social network page: https only (the storefront links nothing else)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, max_length=300, assume_scheme="https", **kwargs)

    def clean(self, value: Any) -> str:
        url = super().clean(value)
        if url and not url.lower().startswith("https://"):
            raise ValidationError(_("Seules les adresses en https:// sont acceptées."), code="not_https")
        return url


class MerchantForm(forms.ModelForm):
    """What a merchant edits about their own business."""

    required_css_class = "required"
    field_order = (
        "name",
        "kind",
        "description",
        "address_line",
        "postcode",
        "city",
        "insee_code",
        "latitude",
        "longitude",
        "phone",
        "email",
        "website",
        "facebook",
        "instagram",
    )

    # Longer than the 14 digits: people paste SIRETs with spaces ("732 829 320 00074").
    siret = forms.CharField(
        label=gettext_lazy("SIRET"),
        required=False,
        max_length=20,
        help_text=gettext_lazy("14 chiffres, les espaces et les points sont retirés."),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    insee_code = forms.CharField(
        label=gettext_lazy("Code INSEE de la commune"),
        required=False,
        max_length=5,
        help_text=gettext_lazy(
            "5 caractères (par exemple 62193 pour Calais, 2A004 en Corse) ; différent du code postal."
        ),
    )
    latitude = CoordinateField(
        label=gettext_lazy("Latitude"),
        limit=90,
        help_text=gettext_lazy(
            "En degrés décimaux, entre -90 et 90 (par exemple 50,9513). Pour le lien vers la carte."
        ),
    )
    longitude = CoordinateField(
        label=gettext_lazy("Longitude"),
        limit=180,
        help_text=gettext_lazy("En degrés décimaux, entre -180 et 180 (par exemple 1,8587)."),
    )
    website = forms.URLField(label=gettext_lazy("Site web"), required=False, assume_scheme="https")
    facebook = SocialLinkField(
        label=gettext_lazy("Page Facebook"),
        help_text=gettext_lazy("Adresse complète en https://, par exemple https://www.facebook.com/maboutique."),
    )
    instagram = SocialLinkField(
        label=gettext_lazy("Compte Instagram"),
        help_text=gettext_lazy("Adresse complète en https://, par exemple https://www.instagram.com/maboutique."),
    )
    categories = CategoryMultipleChoiceField(
        label=gettext_lazy("Catégories"),
        queryset=categories_in_tree_order(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Merchant
        fields: tuple[str, ...] = (
            "name",
            "kind",
            "description",
            "address_line",
            "postcode",
            "city",
            "insee_code",
            "latitude",
            "longitude",
            "phone",
            "email",
            "website",
            "siret",
            "is_vat_exempt",
            "sells_online",
            "click_and_collect",
            "delivery_eligible",
        )
        widgets = {
            "description": forms.Textarea(attrs={"rows": 6}),
            "postcode": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("categories", list(self.instance.categories.values_list("pk", flat=True)))
        links = self.instance.social_links if isinstance(self.instance.social_links, dict) else {}
        for network in SOCIAL_NETWORKS:
            self.initial.setdefault(network, links.get(network, ""))

    def clean_siret(self) -> str:
        return compact_siret(self.cleaned_data.get("siret", ""))

    def clean_postcode(self) -> str:
        postcode = self.cleaned_data.get("postcode", "").strip()
        if postcode and not re.fullmatch(r"\d{5}", postcode):
            raise ValidationError(_("Un code postal a 5 chiffres."), code="invalid_postcode")
        return postcode

    def clean_insee_code(self) -> str:
        code = self.cleaned_data.get("insee_code", "").strip().upper()
        if code:
            validate_insee_code(code)
        return code

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        latitude, longitude = cleaned.get("latitude"), cleaned.get("longitude")
        if "latitude" in cleaned and "longitude" in cleaned and (latitude is None) != (longitude is None):
            self.add_error(
                "longitude" if longitude is None else "latitude",
                _("Indiquez la latitude et la longitude, ou aucune des deux."),
            )
        if all(network in cleaned for network in SOCIAL_NETWORKS):
            previous = self.instance.social_links if isinstance(self.instance.social_links, dict) else {}
            links = {key: value for key, value in previous.items() if key not in SOCIAL_NETWORKS}
            links |= {network: cleaned[network] for network in SOCIAL_NETWORKS if cleaned[network]}
            self.instance.social_links = links
        return cleaned


class MerchantStaffForm(MerchantForm):
    """Town staff also decide whether a merchant is online and featured on the home page."""

    class Meta(MerchantForm.Meta):
        fields = (*MerchantForm.Meta.fields, "status", "is_featured")


class OpeningPeriodForm(forms.Form):
    weekday = forms.TypedChoiceField(label=gettext_lazy("Jour"), coerce=int, choices=WEEKDAY_CHOICES)
    opens_at = forms.TimeField(label=gettext_lazy("Ouverture"), widget=forms.TimeInput(attrs={"type": "time"}))
    closes_at = forms.TimeField(label=gettext_lazy("Fermeture"), widget=forms.TimeInput(attrs={"type": "time"}))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        opens_at, closes_at = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens_at and closes_at and closes_at <= opens_at:
            self.add_error("closes_at", _("L'heure de fermeture doit suivre l'heure d'ouverture."))
        return cleaned


OpeningPeriodFormSet = forms.formset_factory(OpeningPeriodForm, extra=2, can_delete=True, max_num=28)


class ClosureForm(forms.Form):
    starts_on = forms.DateField(
        label=gettext_lazy("Fermé du"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    ends_on = forms.DateField(
        label=gettext_lazy("au (inclus)"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    reason = forms.CharField(label=gettext_lazy("Motif (facultatif)"), required=False, max_length=200)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("La date de fin doit suivre la date de début."))
        return cleaned


class ProductForm(forms.ModelForm):
    """A product of one merchant (``instance.merchant`` is set by the view before binding)."""

    required_css_class = "required"

    price = EuroPriceField(
        label=gettext_lazy("Prix TTC en euros"), help_text=gettext_lazy("Par exemple 12,50 (prix à l'unité vendue).")
    )

    class Meta:
        model = Product
        fields: tuple[str, ...] = (
            "title",
            "description",
            "category",
            "vat_rate",
            "unit",
            "content_quantity",
            "content_unit",
            "is_perishable",
            "is_chilled",
            "is_alcohol",
            "weight_grams",
            "volume_ml",
            "is_published",
        )
        widgets = {"description": forms.Textarea(attrs={"rows": 6})}
        field_classes = {"category": CategoryChoiceField}
        localized_fields = ("content_quantity",)
        help_texts = {
            "content_quantity": gettext_lazy("Pour un produit préemballé : 250 pour 250 g, 0,75 pour 0,75 l."),
            "is_perishable": gettext_lazy("Pas de droit de rétractation de 14 jours (denrée périssable)."),
            "is_chilled": gettext_lazy(
                "À garder au frais : en livraison à domicile, son temps de transport est limité."
            ),
            "weight_grams": gettext_lazy(
                "Poids d'un article emballé, pour la livraison à domicile. Vide : la valeur par défaut de la ville."
            ),
            "volume_ml": gettext_lazy("Volume d'un article emballé (1 litre = 1000). Vide : la valeur par défaut."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A draft from a photo shoot has no real price yet (0 € stands in): the field starts empty.
        if self.instance.pk and not self.instance.needs_details:
            self.initial.setdefault("price", self.instance.price_cents)
        cast(CategoryChoiceField, self.fields["category"]).queryset = categories_in_tree_order()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("price") is not None:
            self.instance.price_cents = cleaned["price"]
            # Title and price typed in the full form: a draft from a photo shoot is complete.
            self.instance.needs_details = False
        vat_rate = cleaned.get("vat_rate")
        merchant = self.instance.merchant
        if vat_rate is not None and merchant.is_vat_exempt and vat_rate != VatRate.NONE:
            self.add_error("vat_rate", _("Ce commerçant est en franchise de TVA : choisissez « TVA non applicable »."))
        if vat_rate == VatRate.NONE and not merchant.is_vat_exempt:
            self.add_error(
                "vat_rate", _("« TVA non applicable » est réservé aux commerçants en franchise (art. 293 B du CGI).")
            )
        if bool(cleaned.get("content_quantity")) != bool(cleaned.get("content_unit")):
            self.add_error("content_unit", _("Indiquez la contenance et son unité, ou aucune des deux."))
        return cleaned


class ProductStaffForm(ProductForm):
    class Meta(ProductForm.Meta):
        fields = (*ProductForm.Meta.fields, "is_featured")


class NewProductMixin(forms.Form):
    """A new product also gets its first variant: its SKU and stock are asked right away."""

    instance: Product  # mixed into a ProductForm

    sku = forms.CharField(
        label=gettext_lazy("Référence (SKU)"),
        required=False,
        max_length=64,
        help_text=gettext_lazy("Facultatif : une référence est créée sinon."),
    )
    stock = forms.IntegerField(
        label=gettext_lazy("Stock"),
        required=False,
        min_value=0,
        help_text=gettext_lazy("Laissez vide si vous ne suivez pas le stock (fait sur commande, services)."),
    )

    def clean_sku(self) -> str:
        sku = self.cleaned_data.get("sku", "").strip()
        merchant = self.instance.merchant
        if sku and Variant.objects.filter(merchant=merchant, sku=sku).exists():
            raise ValidationError(_("Cette référence est déjà utilisée par un autre produit."), code="duplicate_sku")
        return sku


class NewProductForm(NewProductMixin, ProductForm):
    pass


class NewProductStaffForm(NewProductMixin, ProductStaffForm):
    pass


class VariantForm(forms.ModelForm):
    required_css_class = "required"

    price = EuroPriceField(
        label=gettext_lazy("Prix TTC propre en euros"),
        required=False,
        help_text=gettext_lazy("Laissez vide pour reprendre le prix du produit."),
    )

    class Meta:
        model = Variant
        fields = ("name", "sku", "ean", "stock")
        widgets = {
            "ean": forms.TextInput(attrs={"inputmode": "numeric"}),
            "stock": forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
        }
        help_texts = {
            "name": gettext_lazy("Par exemple « Taille M, bleu » ; vide pour la déclinaison unique."),
            "stock": gettext_lazy("Laissez vide si vous ne suivez pas le stock."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("price", self.instance.price_cents)

    def clean_stock(self) -> int | None:
        stock = self.cleaned_data.get("stock")
        if stock is not None and stock < 0:
            raise ValidationError(_("Le stock ne peut pas être négatif."), code="negative_stock")
        return stock

    def clean_sku(self) -> str:
        sku = self.cleaned_data.get("sku", "").strip()
        duplicates = Variant.objects.filter(merchant_id=self.instance.merchant_id, sku=sku).exclude(pk=self.instance.pk)
        if duplicates.exists():
            raise ValidationError(_("Cette référence est déjà utilisée par un autre produit."), code="duplicate_sku")
        return sku

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "price" in cleaned:
            self.instance.price_cents = cleaned["price"]
        return cleaned


class StockForm(forms.Form):
    stock = forms.IntegerField(label=gettext_lazy("Stock"), required=False, min_value=0, max_value=MAX_STOCK)


class PhotoUploadForm(forms.Form):
    # A plain FileField: the real image checks (format, pixels, bombs) live in tenants.images, and
    # Django's ImageField would decode the file once more without our limits.
    image = forms.FileField(
        label=gettext_lazy("Photo"),
        help_text=gettext_lazy("JPEG, PNG, WebP ou HEIC (iPhone), 15 Mo au plus."),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
    )
    alt_text = forms.CharField(
        label=gettext_lazy("Description de la photo"),
        required=False,
        max_length=250,
        help_text=gettext_lazy("Ce qu'on y voit, pour les personnes qui ne voient pas l'image."),
    )


class PhotoAltTextForm(forms.Form):
    alt_text = forms.CharField(label=gettext_lazy("Description de la photo"), required=False, max_length=250)


class PhotoMoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")])


class CategoryForm(forms.ModelForm):
    """A category of the town's two-level tree: its name, its parent (a root category) and its rank."""

    required_css_class = "required"

    class Meta:
        model = Category
        fields = ("name", "parent", "position")
        labels = {
            "name": gettext_lazy("Nom"),
            "parent": gettext_lazy("Catégorie parente"),
            "position": gettext_lazy("Position"),
        }
        help_texts = {
            "parent": gettext_lazy("Laissez vide pour une catégorie principale."),
            "position": gettext_lazy("Les plus petits nombres s'affichent en premier."),
        }
        widgets = {"position": forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        roots = Category.objects.filter(parent__isnull=True).order_by("position", *by_name(), "pk")
        if self.instance.pk:
            roots = roots.exclude(pk=self.instance.pk)
        parent = cast(forms.ModelChoiceField, self.fields["parent"])
        parent.queryset = roots
        parent.empty_label = _("— Aucune (catégorie principale) —")
        self.fields["position"].required = False

    def clean_name(self) -> str:
        return self.cleaned_data.get("name", "").strip()

    def clean_position(self) -> int:
        position = self.cleaned_data.get("position")
        return 0 if position is None else position


class MerchantImagesForm(forms.Form):
    """A merchant's logo and cover photo (checked by the image engine in ``set_merchant_images``)."""

    logo = forms.FileField(
        label=gettext_lazy("Logo"),
        required=False,
        help_text=gettext_lazy(
            "Carré de préférence ; PNG transparent accepté. Affiché sur la vitrine et dans l'annuaire."
        ),
        widget=forms.FileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
    )
    clear_logo = forms.BooleanField(label=gettext_lazy("Retirer le logo"), required=False)
    cover = forms.FileField(
        label=gettext_lazy("Photo de couverture"),
        required=False,
        help_text=gettext_lazy(
            "Au format paysage (bandeau en haut de la vitrine). JPEG, PNG, WebP ou HEIC, 15 Mo au plus."
        ),
        widget=forms.FileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
    )
    clear_cover = forms.BooleanField(label=gettext_lazy("Retirer la photo de couverture"), required=False)


class HomeBlockForm(forms.ModelForm):
    """A block of the home page; the fields shown depend on its kind (``fields_for``)."""

    FIELDS_BY_KIND = {
        HomeBlockKind.BANNER: ("title", "text", "link_url", "link_label", "image", "starts_on", "ends_on"),
        HomeBlockKind.NEWS: ("title", "published_on", "text", "link_url", "link_label"),
        HomeBlockKind.MERCHANTS: ("title", "merchants"),
        HomeBlockKind.PRODUCTS: ("title",),
        HomeBlockKind.MAP: ("title", "text"),
    }

    image = forms.FileField(
        label=gettext_lazy("Image (facultative)"),
        required=False,
        help_text=gettext_lazy("Format paysage. JPEG, PNG, WebP ou HEIC, 15 Mo au plus."),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
    )
    merchants = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Commerces montrés"),
        queryset=Merchant.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Huit au plus. Sans choix : les commerces marqués « mis en avant »."),
    )

    class Meta:
        model = HomeBlock
        fields = ("title", "text", "link_url", "link_label", "starts_on", "ends_on", "published_on")
        widgets = {
            "text": forms.Textarea(attrs={"rows": 4}),
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "published_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {
            "link_url": gettext_lazy("Une page du site (/commerces/) ou une adresse complète (https://…)."),
            "starts_on": gettext_lazy("Vide : dès la publication."),
            "ends_on": gettext_lazy("Vide : sans fin. La bannière disparaît d'elle-même le lendemain."),
        }

    def __init__(self, *args: Any, kind: str, merchants: QuerySet[Merchant], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        cast(forms.ModelMultipleChoiceField, self.fields["merchants"]).queryset = merchants
        if self.instance.pk and not self.is_bound:
            self.initial["merchants"] = list(self.instance.merchant_ids)
        shown = self.FIELDS_BY_KIND[HomeBlockKind(kind)]
        for name in list(self.fields):
            if name not in shown:
                del self.fields[name]
        self.order_fields(shown)

    def clean_merchants(self) -> list[int]:
        chosen = self.cleaned_data.get("merchants") or []
        if len(chosen) > 8:
            raise forms.ValidationError(gettext_lazy("Choisissez huit commerces au plus."))
        return [merchant.pk for merchant in chosen]
