"""Photo shoots: in a shop, each photo taken becomes a draft product of that merchant.

A draft is an ordinary ``Product`` with ``needs_details``: a placeholder title (« Photo du 08/12/2026
n° 3 »), a 0 € price, never published (``product_draft_never_published`` in the database) until
someone gives it a title and a price, on the spot or later (``complete_draft_product``).

Phones lose their network in shops: the page uploads one photo at a time and retries, each photo
with a key the phone made (a UUID). The key is unique per merchant in the database, so a photo sent
again after the server stored it (the answer was lost) finds its draft again and creates nothing.
Photos go through the one image engine (``tenants.images`` via ``catalog.actions.add_photo``): the
file is judged by its content, turned upright from its EXIF orientation, then stripped of every
metadata (GPS position included) before it is stored.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from catalog.actions import add_photo, save_product, unique_slug
from catalog.cache import bump_catalogue_version
from catalog.models import Merchant, Photo, Product, VatRate
from catalog.queries import products_for
from tenants.current import town_today
from tenants.images import inspect_image


@dataclass(frozen=True)
class DraftUpload:
    product: Product
    is_new: bool  # False: the key was already known, nothing was created


def default_vat_rate(merchant: Merchant) -> int:
    """The VAT rate a new product of this merchant starts with."""
    return VatRate.NONE if merchant.is_vat_exempt else VatRate.STANDARD


def parse_upload_key(value: object) -> uuid.UUID:
    """The key a phone sent (a UUID in any usual spelling); a French error otherwise."""
    try:
        return uuid.UUID(str(value or "").strip())
    except ValueError:
        raise ValidationError(_("Identifiant d'envoi manquant ou invalide."), code="bad_upload_key") from None


def add_draft_product_from_photo(
    *, merchant: Merchant, upload: IO[bytes], upload_key: uuid.UUID, size: int | None = None
) -> DraftUpload:
    """One draft product with this photo, once per (merchant, key): a repeated key returns the first draft.

    Raises ``ValidationError`` (French message) for a file that is not a usable photo; then nothing
    is stored. Drafts of one merchant are made one at a time (the merchant row is locked), so their
    numbers in the day follow each other.
    """
    if existing := Product.objects.filter(merchant=merchant, upload_key=upload_key).first():
        return DraftUpload(product=existing, is_new=False)
    inspect_image(upload, size=size)  # cheap refusals (size, format, pixels) before any lock or write
    try:
        with transaction.atomic():
            Merchant.objects.select_for_update().filter(pk=merchant.pk).first()
            if existing := Product.objects.filter(merchant=merchant, upload_key=upload_key).first():
                return DraftUpload(product=existing, is_new=False)
            today = town_today()
            number = (
                Product.objects.filter(merchant=merchant, upload_key__isnull=False, created_at__date__gte=today).count()
                + 1
            )
            title = _("Photo du %(date)s n° %(number)s") % {"date": today.strftime("%d/%m/%Y"), "number": number}
            product = save_product(
                product=Product(
                    merchant=merchant,
                    title=title,
                    price_cents=0,
                    vat_rate=default_vat_rate(merchant),
                    needs_details=True,
                    is_published=False,
                    upload_key=upload_key,
                )
            )
            add_photo(upload=upload, size=size, product=product)
    except IntegrityError:
        # The same key sent twice at once (a retry racing the first try): the other one made the draft.
        product = Product.objects.get(merchant=merchant, upload_key=upload_key)
        return DraftUpload(product=product, is_new=False)
    return DraftUpload(product=product, is_new=True)


def complete_draft_product(*, product: Product, title: str, price_cents: int, vat_rate: int) -> Product:
    """Give a draft its title and price: it becomes an ordinary unpublished product (publishable).

    A draft was never public, so its address (slug) is made again from the real title.
    """
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("Donnez un titre au produit.")})
    with transaction.atomic():
        product = Product.objects.select_for_update().get(pk=product.pk)
        was_draft = product.needs_details
        if was_draft:
            product.slug = unique_slug(Product, title, merchant_id=product.merchant_id)
        product = save_product(
            product=product, title=title, price_cents=price_cents, vat_rate=vat_rate, needs_details=False
        )
        if was_draft:
            bump_catalogue_version()
    return product


# --- reads --------------------------------------------------------------------------------------
def drafts_of_merchant_for(user: User, merchant: Merchant) -> QuerySet[Product]:
    """The merchant's drafts still to title and price, newest first, with their photos (fixed queries)."""
    return (
        products_for(user)
        .filter(merchant=merchant, needs_details=True)
        .prefetch_related(Prefetch("photos", queryset=Photo.objects.order_by("position", "pk")))
        .defer("search_vector", "description")
        .order_by("-created_at", "-pk")
    )
