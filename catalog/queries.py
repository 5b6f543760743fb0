"""Reads of the catalogue and the role checks that decide who may see or change what.

The schema isolates towns; these functions isolate roles inside a town. The only path from an id
in a request to a catalogue object goes through one of them.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404

from accounts.assisted import acting_merchant_id
from accounts.models import AnyUser, Role, User
from catalog.models import (
    Category,
    Closure,
    Merchant,
    MerchantMembership,
    MerchantStatus,
    Photo,
    PhotoStatus,
    Product,
    Variant,
)
from tenants.collation import by_name


# --- public storefront -------------------------------------------------------------------------
def live_merchants() -> QuerySet[Merchant]:
    """Merchants residents may see: live only (without the search vector, never read in Python)."""
    return Merchant.objects.filter(status=MerchantStatus.LIVE).defer("search_vector")


def _is_visible(product: str = "") -> Q:
    """The rule of what residents may see: a published product of a live merchant (``product``: the
    lookup that leads to the product from another model)."""
    return Q(**{f"{product}is_published": True, f"{product}merchant__status": MerchantStatus.LIVE})


def published_products() -> QuerySet[Product]:
    """Products residents may see: published, of a live merchant (without the search vector)."""
    return Product.objects.filter(_is_visible()).defer("search_vector")


def visible_variants() -> QuerySet[Variant]:
    """Variants of the products residents may see (``published_products``)."""
    return Variant.objects.filter(_is_visible("product__"))


def visible_photos() -> QuerySet[Photo]:
    """Photos residents are shown, in display order: a photo whose renditions failed still has its
    (cleaned) original; only broken ones are hidden."""
    return Photo.objects.exclude(status=PhotoStatus.FAILED).order_by("position", "pk")


def categories_in_display_order() -> QuerySet[Category]:
    """The town's categories in display order: by position, then by name in French alphabetical order."""
    return Category.objects.order_by("position", *by_name(), "pk")


def categories_in_tree_order() -> QuerySet[Category]:
    """The categories as a tree reads, each main category followed by its subcategories (with ``parent``).

    The tree has two levels (a subcategory's parent is a main category): a row sorts by its main
    category's position and name, then the main category itself comes before its children.
    """
    return Category.objects.select_related("parent").order_by(
        Coalesce("parent__position", "position"),
        *by_name(Coalesce("parent__name", "name")),
        Coalesce("parent_id", "id"),
        F("parent_id").asc(nulls_first=True),
        "position",
        *by_name(),
        "pk",
    )


def get_live_merchant(slug: str) -> Merchant:
    merchant = live_merchants().filter(slug=slug).first()
    if merchant is None:
        raise Http404(slug)
    return merchant


def get_published_product(merchant_slug: str, product_slug: str) -> Product:
    product = (
        published_products()
        .select_related("merchant", "category")
        .prefetch_related(
            Prefetch("variants", queryset=Variant.objects.order_by("position", "pk")),
            Prefetch("photos", queryset=Photo.objects.order_by("position", "pk")),
        )
        .filter(merchant__slug=merchant_slug, slug=product_slug)
        .first()
    )
    if product is None:
        raise Http404(product_slug)
    return product


# --- back-office -------------------------------------------------------------------------------
def is_catalogue_manager(user: AnyUser) -> bool:
    """Town admins and agents manage every merchant's catalogue."""
    return bool(user.is_authenticated and user.is_active and user.role in (Role.TOWN_ADMIN, Role.TOWN_AGENT))


def merchants_for(user: AnyUser) -> QuerySet[Merchant]:
    """The merchants a user may manage: all for town staff, their own for merchant staff, none else.

    A town agent acting for a merchant (assisted mode) is that merchant's staff for the request: that
    merchant alone.
    """
    if is_catalogue_manager(user):
        return Merchant.objects.all()
    if (merchant_id := acting_merchant_id(user)) is not None:
        return Merchant.objects.filter(pk=merchant_id)
    if user.is_authenticated and user.is_active and user.role == Role.MERCHANT_STAFF:
        return Merchant.objects.filter(pk__in=MerchantMembership.objects.filter(user_id=user.pk).values("merchant_id"))
    return Merchant.objects.none()


def get_merchant_for(user: User, merchant_slug: str) -> Merchant:
    """404 (never 403) for a merchant the user may not manage: no hint that it exists."""
    merchant = merchants_for(user).filter(slug=merchant_slug).first()
    if merchant is None:
        raise Http404(merchant_slug)
    return merchant


def products_for(user: AnyUser) -> QuerySet[Product]:
    return Product.objects.filter(merchant__in=merchants_for(user))


def get_product_for(user: User, product_id: int) -> Product:
    product = products_for(user).select_related("merchant", "category").filter(pk=product_id).first()
    if product is None:
        raise Http404(product_id)
    return product


def get_photo_for(user: User, photo_id: int) -> Photo:
    photo = (
        Photo.objects.filter(pk=photo_id).filter(merchant__in=merchants_for(user))
        | Photo.objects.filter(pk=photo_id, product__in=products_for(user))
    ).first()
    if photo is None:
        raise Http404(photo_id)
    return photo


# --- back-office: area checks and the remaining objects ------------------------------------------
def can_use_catalogue_backoffice(user: AnyUser) -> bool:
    """Town staff and merchant staff may enter the back-office; residents and couriers may not."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.role in (Role.TOWN_ADMIN, Role.TOWN_AGENT, Role.MERCHANT_STAFF)
    )


def require_catalogue_backoffice(user: User) -> None:
    """403 for a signed-in user whose role has no business in the catalogue back-office."""
    if not can_use_catalogue_backoffice(user):
        raise PermissionDenied


def require_catalogue_manager(user: User) -> None:
    """403 unless the user is town staff (creating merchants, status and featuring are theirs)."""
    if not is_catalogue_manager(user):
        raise PermissionDenied


def search_merchants_for(user: User, text: str = "") -> QuerySet[Merchant]:
    """The merchants a user may manage, optionally filtered by name, city or SIRET."""
    merchants = merchants_for(user).annotate(product_count=Count("products"))
    if text := text.strip():
        merchants = merchants.filter(Q(name__icontains=text) | Q(city__icontains=text) | Q(siret__startswith=text))
    return merchants.order_by(*by_name(), "pk")


def products_of_merchant_for(user: User, merchant: Merchant) -> QuerySet[Product]:
    """A merchant's products with their variants and first photo, in a fixed number of queries."""
    return (
        products_for(user)
        .filter(merchant=merchant)
        .select_related("category")
        .prefetch_related(
            Prefetch("variants", queryset=Variant.objects.order_by("position", "pk")),
            Prefetch("photos", queryset=Photo.objects.order_by("position", "pk")),
        )
        .order_by(*by_name("title"), "pk")
    )


def get_variant_for(user: User, variant_id: int) -> Variant:
    variant = (
        Variant.objects.filter(pk=variant_id, merchant__in=merchants_for(user))
        .select_related("product", "merchant")
        .first()
    )
    if variant is None:
        raise Http404(variant_id)
    return variant


def get_closure_for(user: User, closure_id: int) -> Closure:
    closure = Closure.objects.filter(pk=closure_id, merchant__in=merchants_for(user)).select_related("merchant").first()
    if closure is None:
        raise Http404(closure_id)
    return closure


def photos_of(*, merchant: Merchant | None = None, product: Product | None = None) -> QuerySet[Photo]:
    """Photos of one owner (already checked by the caller's ``get_*_for``), in display order."""
    if product is not None:
        return Photo.objects.filter(product=product).order_by("position", "pk")
    return Photo.objects.filter(merchant=merchant).order_by("position", "pk")


# --- back-office: the town's category tree (town staff only) --------------------------------------
def _categories_with_usage() -> QuerySet[Category]:
    return Category.objects.annotate(
        product_count=Count("products", distinct=True), merchant_count=Count("merchants", distinct=True)
    ).order_by("position", *by_name(), "pk")


def category_tree_for(user: User) -> list[Category]:
    """Root categories with their children (``children_list``) and usage counts, in display order."""
    require_catalogue_manager(user)
    return list(
        _categories_with_usage()
        .filter(parent__isnull=True)
        .prefetch_related(Prefetch("children", queryset=_categories_with_usage(), to_attr="children_list"))
    )


def get_category_for(user: User, category_id: int) -> Category:
    """403 for anyone but town staff (the tree is the town's), 404 for a missing category."""
    require_catalogue_manager(user)
    category = Category.objects.select_related("parent").filter(pk=category_id).first()
    if category is None:
        raise Http404(category_id)
    return category
