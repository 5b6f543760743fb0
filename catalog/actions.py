"""Every state change of the catalogue."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.utils.text import slugify

from catalog.models import Category, Merchant, Product, Variant
from catalog.sanitising import sanitise_description

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


def unique_slug(model: type[Any], text: str, *, max_length: int = 120, **scope: Any) -> str:
    base = slugify(text)[: max_length - 6] or "element"
    slug, counter = base, 2
    while model.objects.filter(slug=slug, **scope).exists():
        slug, counter = f"{base}-{counter}", counter + 1
    return slug


def seed_default_categories(sender: Any = None, **kwargs: Any) -> None:
    """Receiver of ``town_provisioned``: the French default category tree, once."""
    if Category.objects.exists():
        return
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
            merchant.slug = unique_slug(Merchant, merchant.name, max_length=180)
        merchant.full_clean(exclude=["categories"])
        merchant.save()
        refresh_search_vectors(merchant_ids=[merchant.pk], product_ids=merchant.products.values_list("pk", flat=True))
    return merchant


def save_product(*, product: Product, sku: str | None = None, stock: int | None = None, **fields: Any) -> Product:
    """Create or update a product and its default variant, in one transaction."""
    with transaction.atomic():
        for field, value in fields.items():
            setattr(product, field, value)
        product.description = sanitise_description(product.description)
        if not product.slug:
            product.slug = unique_slug(Product, product.title, max_length=220, merchant=product.merchant)
        product.full_clean()
        product.save()
        if not product.variants.exists():
            Variant.objects.create(product=product, merchant=product.merchant, sku=sku or f"P{product.pk}", stock=stock)
        refresh_search_vectors(product_ids=[product.pk])
    return product
