"""Every state change of the catalogue."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections.abc import Callable, Iterable
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from catalog.cache import bump_catalogue_version
from catalog.models import (
    Category,
    Closure,
    Merchant,
    OpeningPeriod,
    Photo,
    PhotoStatus,
    Product,
    Variant,
)
from catalog.sanitising import sanitise_description
from catalog.validators import MAX_STOCK
from tenants.images import clean_image

logger = logging.getLogger(__name__)

# The French default tree seeded in every new town (editable by the town afterwards).
DEFAULT_CATEGORY_TREE: list[tuple[str, list[str]]] = [
    (
        "Alimentation",
        [
            "Boulangerie et pâtisserie",
            "Boucherie et charcuterie",
            "Fruits et légumes",
            "Poissonnerie",
            "Fromagerie",
            "Épicerie",
            "Cave et boissons",
            "Produits locaux",
        ],
    ),
    (
        "Mode",
        ["Vêtements femme", "Vêtements homme", "Enfants", "Chaussures", "Maroquinerie et accessoires", "Bijouterie"],
    ),
    ("Maison", ["Décoration", "Cuisine et arts de la table", "Bricolage", "Jardinerie et fleurs", "Linge de maison"]),
    ("Beauté & santé", ["Parfumerie et cosmétiques", "Coiffure", "Institut de beauté", "Optique", "Pharmacie"]),
    ("Culture & loisirs", ["Librairie et presse", "Jeux et jouets", "Sport", "Musique", "Loisirs créatifs"]),
    ("Restaurants", ["Restaurants", "Cafés et bars", "Traiteurs", "Vente à emporter"]),
    ("Services", ["Immobilier", "Réparation", "Pressing et retouches", "Associations", "Services à la personne"]),
]


# What a slug is made of when a name has no letter or digit left ("!!!").
SLUG_FALLBACKS: dict[type[Any], str] = {Category: "categorie", Merchant: "commerce", Product: "produit"}


def free_slug(model: type[Any], text: str, *, is_taken: Callable[[str], bool]) -> str:
    """``text`` as a slug of ``model``, suffixed -2, -3… while ``is_taken``; never longer than its column.

    The one rule for the back-office (``unique_slug``) and the imports (a set of the slugs taken).
    """
    max_length = model._meta.get_field("slug").max_length
    base = slugify(text) or SLUG_FALLBACKS[model]
    slug, counter = base[:max_length], 2
    while is_taken(slug):
        suffix = f"-{counter}"
        slug, counter = f"{base[: max_length - len(suffix)]}{suffix}", counter + 1
    return slug


def unique_slug(model: type[Any], text: str, **scope: Any) -> str:
    """A slug no row of ``model`` in ``scope`` has yet."""
    return free_slug(model, text, is_taken=lambda slug: model.objects.filter(slug=slug, **scope).exists())


def seed_default_categories(sender: Any = None, **kwargs: Any) -> None:
    """Receiver of ``town_provisioned``: the French default category tree, once."""
    if Category.objects.exists():
        return
    # A new town may reuse the schema name of a deleted one, whose pages may still be cached.
    bump_catalogue_version()
    for position, (name, children) in enumerate(DEFAULT_CATEGORY_TREE):
        parent = Category.objects.create(name=name, slug=slugify(name), position=position)
        Category.objects.bulk_create(
            Category(name=child, slug=f"{parent.slug}-{slugify(child)}", parent=parent, position=index)
            for index, child in enumerate(children)
        )


# French stemming over accent-folded text (comptoir_unaccent, a plain SQL function in public, so
# the embedded PostgreSQL without the unaccent extension behaves like production): "eclair" finds
# "Éclair au café". The title weighs most, then the merchant and category names, then the text.
PRODUCT_VECTOR_SQL = """
    UPDATE catalog_product p SET search_vector =
        setweight(to_tsvector('french', comptoir_unaccent(p.title)), 'A')
        || setweight(to_tsvector('french', comptoir_unaccent(m.name)), 'B')
        || setweight(to_tsvector('french', comptoir_unaccent(coalesce(
               (SELECT c.name FROM catalog_category c WHERE c.id = p.category_id), ''))), 'B')
        || setweight(to_tsvector('french', comptoir_unaccent(
               regexp_replace(p.description, '<[^>]*>', ' ', 'g'))), 'C')
    FROM catalog_merchant m
    WHERE m.id = p.merchant_id AND p.id = ANY(%s)
"""
MERCHANT_VECTOR_SQL = """
    UPDATE catalog_merchant m SET search_vector =
        setweight(to_tsvector('french', comptoir_unaccent(m.name)), 'A')
        || setweight(to_tsvector('french', comptoir_unaccent(m.city)), 'C')
        || setweight(to_tsvector('french', comptoir_unaccent(
               regexp_replace(m.description, '<[^>]*>', ' ', 'g'))), 'C')
    WHERE m.id = ANY(%s)
"""


def refresh_search_vectors(*, product_ids: Iterable[int] = (), merchant_ids: Iterable[int] = ()) -> None:
    """Recompute the full-text vectors of the given rows (one statement per kind)."""
    with connection.cursor() as cursor:
        if product_ids := list(product_ids):
            cursor.execute(PRODUCT_VECTOR_SQL, [product_ids])
        if merchant_ids := list(merchant_ids):
            cursor.execute(MERCHANT_VECTOR_SQL, [merchant_ids])


def save_merchant(*, merchant: Merchant, **fields: Any) -> Merchant:
    """Create or update a merchant: validated, description sanitised, search vector refreshed."""
    with transaction.atomic():
        for field, value in fields.items():
            setattr(merchant, field, value)
        merchant.description = sanitise_description(merchant.description)
        if not merchant.slug:
            merchant.slug = unique_slug(Merchant, merchant.name)
        merchant.full_clean(exclude=["categories"])
        merchant.save()
        refresh_search_vectors(merchant_ids=[merchant.pk], product_ids=merchant.products.values_list("pk", flat=True))
        bump_catalogue_version()
    return merchant


def save_product(*, product: Product, sku: str | None = None, stock: int | None = None, **fields: Any) -> Product:
    """Create or update a product and its default variant, in one transaction."""
    with transaction.atomic():
        for field, value in fields.items():
            setattr(product, field, value)
        product.description = sanitise_description(product.description)
        if not product.slug:
            product.slug = unique_slug(Product, product.title, merchant=product.merchant)
        product.full_clean()
        product.save()
        if not product.variants.exists():
            Variant.objects.create(product=product, merchant=product.merchant, sku=sku or f"P{product.pk}", stock=stock)
        refresh_search_vectors(product_ids=[product.pk])
        bump_catalogue_version()
    return product


# --- back-office: merchants ----------------------------------------------------------------------
def set_merchant_categories(*, merchant: Merchant, categories: Iterable[Category]) -> None:
    """Replace the merchant's categories (the storefront directory filters on them)."""
    with transaction.atomic():
        merchant.categories.set(list(categories))


def save_opening_hours(*, merchant: Merchant, periods: Iterable[tuple[int, dt.time, dt.time]]) -> None:
    """Replace the merchant's weekly opening hours with the given (weekday, opens, closes) spans."""
    spans = sorted(periods)
    for weekday, opens_at, closes_at in spans:
        if not 0 <= weekday <= 6 or closes_at <= opens_at:
            raise ValidationError(_("Une plage horaire doit fermer après son ouverture."), code="bad_period")
    for (day, _opens, closes), (next_day, next_opens, _closes) in itertools.pairwise(spans):
        if day == next_day and next_opens < closes:
            raise ValidationError(_("Deux plages horaires du même jour se chevauchent."), code="overlap")
    with transaction.atomic():
        OpeningPeriod.objects.filter(merchant=merchant).delete()
        OpeningPeriod.objects.bulk_create(
            OpeningPeriod(merchant=merchant, weekday=weekday, opens_at=opens_at, closes_at=closes_at)
            for weekday, opens_at, closes_at in spans
        )


def add_closure(*, merchant: Merchant, starts_on: dt.date, ends_on: dt.date, reason: str = "") -> Closure:
    """Record an exceptional closure (both dates included)."""
    closure = Closure(merchant=merchant, starts_on=starts_on, ends_on=ends_on, reason=reason.strip())
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("La date de fin doit suivre la date de début.")})
    with transaction.atomic():
        closure.full_clean()
        closure.save()
    return closure


def delete_closure(*, closure: Closure) -> None:
    closure.delete()


# --- back-office: products and variants ----------------------------------------------------------
def set_product_published(*, product: Product, is_published: bool) -> Product:
    """Publish or withdraw a product from the storefront (nothing else changes).

    A draft from a photo shoot (``needs_details``) is refused until it has its title and price; the
    database refuses it too (``product_draft_never_published``).
    """
    with transaction.atomic():
        if is_published and Product.objects.filter(pk=product.pk, needs_details=True).exists():
            raise ValidationError(
                _("« %(title)s » est à compléter (titre et prix) : il ne peut pas encore être publié.")
                % {"title": product.title},
                code="draft_not_publishable",
            )
        Product.objects.filter(pk=product.pk).update(is_published=is_published, updated_at=timezone.now())
        product.is_published = is_published
        bump_catalogue_version()
    return product


def save_variant(*, variant: Variant, **fields: Any) -> Variant:
    """Create or update a variant; SKU unique per merchant, EAN checksum and stock checked."""
    with transaction.atomic():
        for field, value in fields.items():
            setattr(variant, field, value)
        variant.merchant_id = variant.product.merchant_id
        if variant.position == 0 and variant.pk is None:
            last = variant.product.variants.aggregate(last=Max("position"))["last"]
            variant.position = 0 if last is None else last + 1
        variant.full_clean()
        variant.save()
    return variant


def set_variant_stock(*, variant: Variant, stock: int | None) -> Variant:
    """Set units on hand (``None``: not tracked, always available); never negative."""
    if stock is not None and stock < 0:
        raise ValidationError(_("Le stock ne peut pas être négatif."), code="negative_stock")
    if stock is not None and stock > MAX_STOCK:
        raise ValidationError(
            _("Le stock ne peut pas dépasser %(max)s unités.") % {"max": f"{MAX_STOCK:_}".replace("_", "\u202f")},
            code="stock_too_large",
        )
    with transaction.atomic():
        Variant.objects.filter(pk=variant.pk).update(stock=stock)
        variant.stock = stock
    return variant


def delete_variant(*, variant: Variant) -> None:
    """Remove a variant; a product always keeps at least one (what baskets and stock refer to)."""
    with transaction.atomic():
        siblings = Variant.objects.select_for_update().filter(product_id=variant.product_id)
        if siblings.count() <= 1:
            raise ValidationError(_("Un produit garde au moins une déclinaison."), code="last_variant")
        variant.delete()


# --- back-office: photos -------------------------------------------------------------------------
def add_photo(
    *,
    upload: IO[bytes],
    size: int | None = None,
    alt_text: str = "",
    merchant: Merchant | None = None,
    product: Product | None = None,
) -> Photo:
    """Check and re-encode an uploaded photo, store it last in order, and queue its renditions."""
    from catalog.tasks import make_photo_renditions_task

    if (merchant is None) == (product is None):
        raise ValueError("a photo belongs to exactly one merchant or one product")
    clean = clean_image(upload, size=size)
    with transaction.atomic():
        owner_photos = Photo.objects.filter(product=product) if product else Photo.objects.filter(merchant=merchant)
        last = owner_photos.aggregate(last=Max("position"))["last"]
        photo = Photo(
            merchant=merchant,
            product=product,
            alt_text=alt_text.strip(),
            position=0 if last is None else last + 1,
            status=PhotoStatus.PROCESSING,
        )
        photo.full_clean(exclude=["image"])
        # The file is written before the row: if the row fails, the orphan file is removed below.
        photo.image.save("photo.jpg", clean.content, save=False)
        try:
            photo.save()
        except Exception:
            photo.image.storage.delete(photo.image.name)
            raise
        photo_id = photo.pk
        transaction.on_commit(lambda: make_photo_renditions_task.delay(photo_id))
    return photo


MERCHANT_IMAGE_MAX_SIDES = {"logo": 400, "cover": 1600}


def set_merchant_images(
    *, merchant: Merchant, logo: IO[bytes] | None = None, cover: IO[bytes] | None = None, clear: Iterable[str] = ()
) -> Merchant:
    """Replace (or remove, ``clear``) a merchant's logo and cover photo; what is stored is the image
    engine's re-encoding (a transparent logo stays a transparent PNG), never the file as sent."""
    cleaned: dict[str, ContentFile] = {}
    errors: dict[str, list[str]] = {}
    for field, upload in (("logo", logo), ("cover", cover)):
        if upload is None:
            continue
        try:
            clean = clean_image(
                upload,
                size=getattr(upload, "size", None),
                max_side=MERCHANT_IMAGE_MAX_SIDES[field],
                keep_transparency=field == "logo",
            )
        except ValidationError as error:
            errors[field] = error.messages
        else:
            cleaned[field] = ContentFile(clean.content.read(), name=f"{field}.{clean.extension}")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for field in set(clear) & set(MERCHANT_IMAGE_MAX_SIDES):
            setattr(merchant, field, "")
        for field, content in cleaned.items():
            getattr(merchant, field).save(content.name, content, save=False)
        Merchant.objects.filter(pk=merchant.pk).update(logo=merchant.logo.name or "", cover=merchant.cover.name or "")
        bump_catalogue_version()
    return merchant


def make_photo_renditions(*, photo_id: int) -> Photo | None:
    """Build the WebP renditions of a photo and mark it ready (or failed); safe to run twice."""
    from catalog.photos import make_renditions

    photo = Photo.objects.filter(pk=photo_id).first()
    if photo is None:  # deleted before the task ran: nothing to do
        return None
    storage = photo.image.storage
    previous = [] if _shares_files(photo) else [rendition["name"] for rendition in photo.renditions.values()]
    try:
        renditions = make_renditions(storage=storage, name=photo.image.name)
    except Exception:
        logger.exception("photo renditions failed", extra={"photo_id": photo_id})
        Photo.objects.filter(pk=photo_id).update(status=PhotoStatus.FAILED)
        photo.status = PhotoStatus.FAILED
        return photo
    Photo.objects.filter(pk=photo_id).update(renditions=renditions, status=PhotoStatus.READY)
    for name in previous:
        if name not in {rendition["name"] for rendition in renditions.values()}:
            storage.delete(name)
    photo.renditions, photo.status = renditions, PhotoStatus.READY
    return photo


def update_photo_alt_text(*, photo: Photo, alt_text: str) -> Photo:
    """Alt text is what a screen reader says instead of the photo."""
    photo.alt_text = alt_text.strip()
    photo.full_clean(exclude=["image"])
    Photo.objects.filter(pk=photo.pk).update(alt_text=photo.alt_text)
    return photo


def move_photo(*, photo: Photo, direction: str) -> None:
    """Swap a photo with its neighbour ("up": earlier, "down": later); positions become 0..n-1."""
    if direction not in ("up", "down"):
        raise ValueError(direction)
    with transaction.atomic():
        owner: dict[str, int | None] = (
            {"product_id": photo.product_id} if photo.product_id else {"merchant_id": photo.merchant_id}
        )
        ordered = list(Photo.objects.select_for_update().filter(**owner).order_by("position", "pk"))
        index = next(i for i, candidate in enumerate(ordered) if candidate.pk == photo.pk)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(ordered):
            ordered[index], ordered[other] = ordered[other], ordered[index]
        for position, candidate in enumerate(ordered):
            if candidate.position != position:
                Photo.objects.filter(pk=candidate.pk).update(position=position)


def _shares_files(photo: Photo) -> bool:
    """Whether another photo shows the same stored files (the demo seeds thousands of products with a
    few drawings stored once): such files stay as long as one photo uses them."""
    return Photo.objects.filter(image=photo.image.name).exclude(pk=photo.pk).exists()


def delete_photo(*, photo: Photo) -> None:
    """Delete a photo row, then its files once the deletion is committed."""
    storage = photo.image.storage
    names = [photo.image.name, *(rendition["name"] for rendition in photo.renditions.values())]
    if _shares_files(photo):
        names = []
    with transaction.atomic():
        photo.delete()
        transaction.on_commit(lambda: [storage.delete(name) for name in names if name])


# --- back-office: the town's category tree ----------------------------------------------------------
def _parent_error(message: str, code: str) -> ValidationError:
    return ValidationError({"parent": ValidationError(message, code=code)})


def save_category(*, category: Category, **fields: Any) -> Category:
    """Create, rename, move or reorder a category of the two-level tree.

    A parent must be a root category other than the category itself, and a category that has
    children stays a root. The slug is made once, on creation: storefront links keep working
    after a rename.
    """
    with transaction.atomic():
        for field, value in fields.items():
            setattr(category, field, value)
        category.name = (category.name or "").strip()
        parent = Category.objects.filter(pk=category.parent_id).first() if category.parent_id else None
        if parent is not None:
            if category.pk is not None and parent.pk == category.pk:
                raise _parent_error(_("Une catégorie ne peut pas être sa propre parente."), "own_parent")
            if parent.parent_id is not None:
                raise _parent_error(
                    _("Choisissez une catégorie principale : l'arborescence a deux niveaux."), "parent_not_root"
                )
            if category.pk is not None and Category.objects.filter(parent_id=category.pk).exists():
                raise _parent_error(
                    _(
                        "Cette catégorie a des sous-catégories : elle reste une catégorie principale. "
                        "Déplacez ou supprimez d'abord ses sous-catégories."
                    ),
                    "has_children",
                )
        renamed = (
            category.pk is not None and Category.objects.filter(pk=category.pk).exclude(name=category.name).exists()
        )
        if not category.slug:
            category.slug = unique_slug(Category, category.name)
        category.full_clean()
        category.save()
        if renamed:  # product vectors carry the category name
            refresh_search_vectors(product_ids=category.products.values_list("pk", flat=True))
        bump_catalogue_version()
    return category


def delete_category(*, category: Category) -> None:
    """Delete an unused category: no sub-category, no product and no merchant may refer to it."""
    with transaction.atomic():
        locked = Category.objects.select_for_update().filter(pk=category.pk).first()
        if locked is None:
            return
        reasons = []
        if Category.objects.filter(parent_id=category.pk).exists():
            reasons.append(_("elle a des sous-catégories"))
        if locked.products.exists():
            reasons.append(_("des produits y sont classés"))
        if locked.merchants.exists():
            reasons.append(_("des commerçants y sont rattachés"))
        if reasons:
            raise ValidationError(
                _("La catégorie « %(name)s » ne peut pas être supprimée : %(reasons)s. Rien n'a été modifié.")
                % {"name": locked.name, "reasons": ", ".join(reasons)},
                code="category_in_use",
            )
        locked.delete()
        bump_catalogue_version()
