"""The town's catalogue: merchants, their opening hours, categories, products and variants.

Everything here lives in the town's schema. Money is integer cents; VAT rates are basis points.
"""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from catalog.formatting import format_address
from catalog.validators import validate_ean, validate_price_cents, validate_siret
from tenants.private_files import private_storage, random_private_name


class MerchantKind(models.TextChoices):
    SHOP = "shop", _("Commerce")
    RESTAURANT = "restaurant", _("Restaurant")
    ARTISAN = "artisan", _("Artisan")
    ESTATE_AGENT = "estate_agent", _("Agence immobilière")
    ASSOCIATION = "association", _("Association")
    MARKET_TRADER = "market_trader", _("Commerçant du marché")
    PARTNER_SUPERMARKET = "partner_supermarket", _("Supermarché partenaire")


class MerchantStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    LIVE = "live", _("En ligne")
    PAUSED = "paused", _("En pause")


class Category(models.Model):
    """The town's category tree (seeded with a French default tree, editable by the town)."""

    name = models.CharField(_("nom"), max_length=100)
    slug = models.SlugField(_("identifiant"), max_length=120, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("catégorie")
        verbose_name_plural = _("catégories")
        ordering = ("position", "name")
        constraints = [
            models.CheckConstraint(condition=~Q(parent=F("pk")), name="category_not_its_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name


class Merchant(models.Model):
    name = models.CharField(_("nom"), max_length=160)
    slug = models.SlugField(_("identifiant"), max_length=180, unique=True)
    kind = models.CharField(_("type"), max_length=24, choices=MerchantKind.choices, default=MerchantKind.SHOP)
    status = models.CharField(_("état"), max_length=10, choices=MerchantStatus.choices, default=MerchantStatus.DRAFT)
    description = models.TextField(
        _("présentation"), blank=True, help_text=_("HTML simple, nettoyé à l'enregistrement.")
    )

    address_line = models.CharField(_("adresse"), max_length=200, blank=True)
    postcode = models.CharField(_("code postal"), max_length=5, blank=True)
    city = models.CharField(_("commune"), max_length=100, blank=True)
    insee_code = models.CharField(_("code INSEE"), max_length=5, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)

    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("site web"), blank=True)
    social_links = models.JSONField(_("réseaux sociaux"), default=dict, blank=True)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True, validators=[validate_siret])
    is_vat_exempt = models.BooleanField(
        _("TVA non applicable (art. 293 B du CGI)"),
        default=False,
        help_text=_("Micro-entreprise en franchise de TVA : les prix s'affichent sans TVA avec la mention légale."),
    )

    sells_online = models.BooleanField(_("vend en ligne"), default=True)
    click_and_collect = models.BooleanField(_("retrait en boutique"), default=True)
    delivery_eligible = models.BooleanField(_("livraison possible"), default=False)
    is_featured = models.BooleanField(_("mis en avant"), default=False)
    # Checked and re-encoded by the image engine (``catalog.actions.set_merchant_images``), never as sent;
    # under photos/, the one public media folder of a town (config.media).
    logo = models.ImageField(_("logo"), upload_to="photos/merchants/logos/", blank=True)
    cover = models.ImageField(_("photo de couverture"), upload_to="photos/merchants/covers/", blank=True)
    categories = models.ManyToManyField(Category, blank=True, related_name="merchants", verbose_name=_("catégories"))

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        verbose_name = _("commerçant")
        verbose_name_plural = _("commerçants")
        ordering = ("name",)
        indexes = [
            models.Index(fields=["status", "kind"]),
            models.Index(fields=["status", "-created_at"]),
            GinIndex(fields=["search_vector"], name="merchant_search_gin"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(siret="") | Q(siret__regex=r"^[0-9]{14}$"), name="merchant_siret_14_digits"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def postal_address(self) -> str:
        """ "12 Rue Royale, 62100 Calais" (``catalog.formatting.format_address``)."""
        return format_address(self.address_line, self.postcode, self.city)

    @property
    def is_live(self) -> bool:
        return self.status == MerchantStatus.LIVE


class MerchantMembership(models.Model):
    """Which merchant(s) a merchant-staff account works for.

    The user's id is kept as a value: the user model also exists in public, where a foreign key from
    this town-only table would make deleting an operator account query a missing table.
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="memberships")
    user_id = models.BigIntegerField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("merchant", "user_id"), name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.merchant} / user {self.user_id}"


WEEKDAY_CHOICES = [
    (0, _("lundi")),
    (1, _("mardi")),
    (2, _("mercredi")),
    (3, _("jeudi")),
    (4, _("vendredi")),
    (5, _("samedi")),
    (6, _("dimanche")),
]


class OpeningPeriod(models.Model):
    """One opening span on a weekday (a shop closed at lunch has two per day)."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="opening_periods")
    weekday = models.PositiveSmallIntegerField(_("jour"), choices=WEEKDAY_CHOICES)
    opens_at = models.TimeField(_("ouverture"))
    closes_at = models.TimeField(_("fermeture"))

    class Meta:
        ordering = ("weekday", "opens_at")
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="opening_weekday_0_6"),
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="opening_closes_after_opening"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"


class Closure(models.Model):
    """Exceptional closure (holidays, works), both dates included."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="closures")
    starts_on = models.DateField(_("du"))
    ends_on = models.DateField(_("au"))
    reason = models.CharField(_("motif"), max_length=200, blank=True)

    class Meta:
        ordering = ("starts_on",)
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="closure_dates_ordered")]

    def __str__(self) -> str:
        return f"{self.starts_on} → {self.ends_on}"


class VatRate(models.IntegerChoices):
    """In basis points: 2000 = 20 %. ``NONE`` is the 293 B franchise (no VAT charged)."""

    STANDARD = 2000, _("20 %")
    INTERMEDIATE = 1000, _("10 %")
    REDUCED = 550, _("5,5 %")
    SUPER_REDUCED = 210, _("2,1 %")
    NONE = 0, _("TVA non applicable, art. 293 B du CGI")


class SaleUnit(models.TextChoices):
    PIECE = "piece", _("à la pièce")
    KILOGRAM = "kg", _("au kilo")
    LITRE = "litre", _("au litre")


class ContentUnit(models.TextChoices):
    GRAM = "g", "g"
    KILOGRAM = "kg", "kg"
    MILLILITRE = "ml", "ml"
    CENTILITRE = "cl", "cl"
    LITRE = "l", "l"


class Product(models.Model):
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="products")
    title = models.CharField(_("titre"), max_length=200)
    slug = models.SlugField(_("identifiant"), max_length=220)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="products",
        verbose_name=_("catégorie"),
    )
    price_cents = models.BigIntegerField(_("prix TTC (centimes)"), validators=[validate_price_cents])
    vat_rate = models.PositiveSmallIntegerField(_("taux de TVA"), choices=VatRate.choices, default=VatRate.STANDARD)
    unit = models.CharField(_("vendu"), max_length=8, choices=SaleUnit.choices, default=SaleUnit.PIECE)
    # For pre-packed pieces: the net content, so the price per kg or per litre can be shown (French law).
    content_quantity = models.DecimalField(_("contenance"), max_digits=8, decimal_places=3, null=True, blank=True)
    content_unit = models.CharField(_("unité de contenance"), max_length=3, choices=ContentUnit.choices, blank=True)
    is_perishable = models.BooleanField(_("périssable"), default=False)
    # Parcel size for the delivery rounds; empty: the town's defaults per unit (logistics settings).
    weight_grams = models.PositiveIntegerField(_("poids (grammes)"), null=True, blank=True)
    volume_ml = models.PositiveIntegerField(_("volume (millilitres)"), null=True, blank=True)
    is_chilled = models.BooleanField(
        _("produit frais"), default=False, help_text=_("À garder au frais : temps de transport limité.")
    )
    is_alcohol = models.BooleanField(_("alcool"), default=False)
    is_published = models.BooleanField(_("publié"), default=False)
    is_featured = models.BooleanField(_("mis en avant"), default=False)
    # A draft from a photo shoot (catalog.photo_shoot): a placeholder title and a 0 € price until
    # someone titles and prices it; never published meanwhile (product_draft_never_published).
    needs_details = models.BooleanField(_("à compléter"), default=False)
    # The key the phone gave the photo it was made from: a retried upload finds its draft again.
    upload_key = models.UUIDField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        verbose_name = _("produit")
        verbose_name_plural = _("produits")
        ordering = ("title",)
        indexes = [
            models.Index(fields=["merchant", "is_published"]),
            models.Index(fields=["category", "is_published"]),
            models.Index(fields=["is_published", "-created_at"]),
            models.Index(fields=["is_published", "price_cents"]),
            models.Index(
                fields=["merchant", "-created_at"], condition=Q(needs_details=True), name="product_needs_details"
            ),
            GinIndex(fields=["search_vector"], name="product_search_gin"),
        ]
        constraints = [
            models.UniqueConstraint(fields=("merchant", "slug"), name="product_slug_unique_per_merchant"),
            models.CheckConstraint(
                condition=Q(price_cents__gte=0) & Q(price_cents__lte=10_000_000), name="product_price_range"
            ),
            models.CheckConstraint(condition=Q(vat_rate__in=[2000, 1000, 550, 210, 0]), name="product_vat_rate_known"),
            models.CheckConstraint(
                condition=Q(content_quantity__isnull=True) | Q(content_quantity__gt=0), name="product_content_positive"
            ),
            models.CheckConstraint(
                condition=Q(needs_details=False) | Q(is_published=False),
                name="product_draft_never_published",
                violation_error_message=_(
                    "Ce produit est à compléter (titre et prix) : il ne peut pas être publié avant."
                ),
            ),
            models.UniqueConstraint(fields=("merchant", "upload_key"), name="product_upload_key_unique_per_merchant"),
        ]

    def __str__(self) -> str:
        return self.title


class Variant(models.Model):
    """What is actually sold and stocked: every product has at least one (its default variant)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    # Denormalised from the product: SKUs are unique per merchant, and imports upsert by them.
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="variants")
    name = models.CharField(_("déclinaison"), max_length=120, blank=True)
    attributes = models.JSONField(_("caractéristiques"), default=dict, blank=True)
    sku = models.CharField(_("référence (SKU)"), max_length=64)
    ean = models.CharField(_("code-barres EAN"), max_length=14, blank=True, validators=[validate_ean])
    price_cents = models.BigIntegerField(
        _("prix TTC propre (centimes)"), null=True, blank=True, validators=[validate_price_cents]
    )
    # NULL: stock not tracked (made to order, services); otherwise units on hand, never negative.
    stock = models.IntegerField(_("stock"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("position", "pk")
        constraints = [
            models.UniqueConstraint(fields=("merchant", "sku"), name="variant_sku_unique_per_merchant"),
            models.CheckConstraint(
                condition=Q(stock__isnull=True) | Q(stock__gte=0), name="variant_stock_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(price_cents__isnull=True) | (Q(price_cents__gte=0) & Q(price_cents__lte=10_000_000)),
                name="variant_price_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.title} — {self.name}" if self.name else self.product.title

    @property
    def effective_price_cents(self) -> int:
        return self.price_cents if self.price_cents is not None else self.product.price_cents

    def can_supply(self, units: int) -> bool:
        """Whether ``units`` can be taken from the stock (always, when the stock is not tracked)."""
        return self.stock is None or units <= self.stock

    @property
    def is_in_stock(self) -> bool:
        return self.can_supply(1)


def photo_upload_path(instance: Photo, filename: str) -> str:
    """Random names: the original file name (and whatever it reveals) is never kept."""
    import secrets

    owner = f"products/{instance.product_id}" if instance.product_id else f"merchants/{instance.merchant_id}"
    return f"photos/{owner}/{secrets.token_hex(12)}.jpg"


class PhotoStatus(models.TextChoices):
    PROCESSING = "processing", _("en préparation")
    READY = "ready", _("prête")
    FAILED = "failed", _("échec")


class Photo(models.Model):
    """A photo of a merchant (shop window) or of a product, with its alt text and renditions."""

    merchant = models.ForeignKey(Merchant, null=True, blank=True, on_delete=models.CASCADE, related_name="photos")
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to=photo_upload_path, width_field="width", height_field="height")
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    alt_text = models.CharField(_("description de la photo"), max_length=250, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    # {"320": {"name": "...", "width": 320, "height": 213}, ...} filled by the renditions task.
    renditions = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=12, choices=PhotoStatus.choices, default=PhotoStatus.PROCESSING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("position", "pk")
        constraints = [
            models.CheckConstraint(
                condition=(Q(merchant__isnull=False) & Q(product__isnull=True))
                | (Q(merchant__isnull=True) & Q(product__isnull=False)),
                name="photo_belongs_to_merchant_or_product",
            ),
        ]

    def __str__(self) -> str:
        return self.alt_text or self.image.name


class ImportKind(models.TextChoices):
    MERCHANTS = "merchants", _("commerçants")
    PRODUCTS = "products", _("produits")
    # The town's list of businesses, to bring online (run by the onboarding app, registered there).
    PROSPECTS = "prospects", _("commerces à accompagner")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("en attente")
    RUNNING = "running", _("en cours")
    DONE = "done", _("terminé")
    FAILED = "failed", _("refusé")


def import_upload_path(instance: ImportJob, filename: str) -> str:
    return random_private_name("imports", filename)


class ImportJob(models.Model):
    """A catalogue import run in the background, with its progress and row-by-row report.

    The uploaded files are a merchant's whole catalogue: they are private files (never under
    /media/), under random names, deleted once the job has ended.
    """

    kind = models.CharField(max_length=12, choices=ImportKind.choices)
    merchant = models.ForeignKey(Merchant, null=True, blank=True, on_delete=models.CASCADE, related_name="imports")
    source = models.FileField(storage=private_storage, upload_to=import_upload_path)
    # The name the file had on the uploader's computer, shown on the job page; never a path.
    source_name = models.CharField(max_length=255, blank=True)
    images_archive = models.FileField(storage=private_storage, upload_to=import_upload_path, blank=True)
    is_dry_run = models.BooleanField(default=False)
    unpublish_missing = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    # {"created": n, "updated": n, "errors": [{"line": 12, "column": "prix", "message": "..."}]}
    report = models.JSONField(default=dict, blank=True)
    created_by_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Each delivery of the job's task counts: a job killed again and again is abandoned, not re-run.
    attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def progress_percent(self) -> int:
        return round(100 * self.processed_rows / self.total_rows) if self.total_rows else 0


class HomeBlockKind(models.TextChoices):
    BANNER = "banner", _("Bannière")
    NEWS = "news", _("Actualité")
    MERCHANTS = "merchants", _("Commerces à la une")
    PRODUCTS = "products", _("Produits à la une")
    MAP = "map", _("Carte des commerces")


class HomeBlock(models.Model):
    """One block of the town's home page, in the draft the town admin edits or in the published page.

    Edits only ever touch draft rows; publishing replaces the published rows with a copy of the draft
    (``catalog.homepage.publish_home_blocks``), so residents never see a half-edited page.
    """

    kind = models.CharField(_("type de bloc"), max_length=12, choices=HomeBlockKind.choices)
    is_draft = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("titre"), max_length=120)
    text = models.TextField(_("texte"), max_length=600, blank=True)
    link_url = models.CharField(_("lien"), max_length=300, blank=True)
    link_label = models.CharField(_("texte du lien"), max_length=80, blank=True)
    image = models.ImageField(_("image"), upload_to="photos/home/", blank=True)
    starts_on = models.DateField(_("affichée à partir du"), null=True, blank=True)
    ends_on = models.DateField(_("affichée jusqu'au"), null=True, blank=True)
    published_on = models.DateField(_("date de l'actualité"), null=True, blank=True)
    # The chosen merchants' ids, in the order shown (empty: the merchants marked "mis en avant").
    merchant_ids = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("bloc de la page d'accueil")
        verbose_name_plural = _("blocs de la page d'accueil")
        ordering = ("position", "pk")
        indexes = [models.Index(fields=["is_draft", "position"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True) | Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="home_block_ends_after_it_starts",
                violation_error_message=_("La date de fin doit venir après la date de début."),
            ),
        ]

    def __str__(self) -> str:
        return self.title
