"""Product cards (built in Python, no per-card URL reversal) and the search's fixed query budget."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db.models import Count
from django.urls import reverse

from catalog.actions import (
    make_photo_renditions,
    save_merchant,
    save_product,
    update_photo_alt_text,
)
from catalog.models import Category, Merchant, MerchantStatus, Photo, PhotoStatus, Product, SaleUnit
from catalog.search import PRICE_BANDS, parse_filters, search_catalogue
from catalog.views_storefront import PRODUCTS_PER_PAGE, product_cards


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def _merchant(name: str) -> Merchant:
    return save_merchant(merchant=Merchant(name=name, city="Calais", status=MerchantStatus.LIVE))


def _product(merchant: Merchant, title: str, price_cents: int, **fields: object) -> Product:
    return save_product(
        product=Product(merchant=merchant, title=title, price_cents=price_cents, is_published=True, **fields)
    )


def _card(html: str, title: str) -> str:
    """The <li> of the card whose link text is ``title``."""
    cards = re.findall(r'<li class="product-card">.*?</li>', html, re.S)
    matching = [card for card in cards if f">{title}</a>" in card]
    assert len(matching) == 1, cards
    return matching[0]


@pytest.fixture
def cheese(town_a):
    with town_a:
        merchant = _merchant("Fromagerie Lemaire")
        product = _product(merchant, "Comté 18 mois", 1250, unit=SaleUnit.KILOGRAM)
    return product


def test_a_card_links_to_the_product_and_shows_merchant_price_and_price_per_kilo(cheese, town_a, client_a):
    html = client_a.get("/recherche/?q=comte").content.decode()

    card = _card(html, "Comté 18 mois")
    with town_a:
        url = reverse("storefront:product", args=[cheese.merchant.slug, cheese.slug])
    assert url == "/commerces/fromagerie-lemaire/comte-18-mois/"
    assert f'<a href="{url}">Comté 18 mois</a>' in card
    assert '<p class="card-merchant">Fromagerie Lemaire</p>' in card
    assert '<strong>12,50\u00a0€</strong> <span class="unit">12,50\u00a0€ le kg</span>' in card
    assert '<span class="placeholder" aria-hidden="true">C</span>' in card


def test_a_card_escapes_what_merchants_type(town_a, client_a):
    with town_a:
        _product(_merchant("Chez <b>Léa</b>"), "Tarte <script>alert(1)</script>", 900)

    card = _card(client_a.get("/recherche/?q=tarte").content.decode(), "Tarte &lt;script&gt;alert(1)&lt;/script&gt;")

    assert "<script>" not in card
    assert '<p class="card-merchant">Chez &lt;b&gt;Léa&lt;/b&gt;</p>' in card


def test_editing_price_title_merchant_name_or_photo_changes_the_card(cheese, town_a, client_a):
    with town_a:
        save_product(product=cheese, title="Comté 24 mois", price_cents=1590)
    card = _card(client_a.get("/recherche/?q=comte").content.decode(), "Comté 24 mois")
    assert "15,90\u00a0€" in card
    assert "12,50" not in card

    with town_a:
        save_merchant(merchant=cheese.merchant, name="Fromagerie du Beffroi")
    card = _card(client_a.get("/recherche/?q=comte").content.decode(), "Comté 24 mois")
    assert '<p class="card-merchant">Fromagerie du Beffroi</p>' in card

    with town_a:
        photo = Photo.objects.create(product=cheese, image="photos/products/9/comte.jpg", width=900, height=600)
    card = _card(client_a.get("/recherche/?q=comte").content.decode(), "Comté 24 mois")
    assert '<img src="/media/' in card
    assert 'comte.jpg" width="900" height="600" alt=""' in card

    with town_a:
        update_photo_alt_text(photo=photo, alt_text="Meule de comté")
        Photo.objects.filter(pk=photo.pk).update(
            status=PhotoStatus.READY,
            renditions={"320": {"name": "photos/products/9/comte-320.webp", "width": 320, "height": 213}},
        )
    card = _card(client_a.get("/recherche/?q=comte").content.decode(), "Comté 24 mois")
    assert 'comte-320.webp" srcset="' in card
    assert 'alt="Meule de comté"' in card

    with town_a:
        Photo.objects.filter(pk=photo.pk).update(status=PhotoStatus.FAILED)
    card = _card(client_a.get("/recherche/?q=comte").content.decode(), "Comté 24 mois")
    assert "<img" not in card


def test_the_card_shows_the_first_visible_photo_in_order(cheese, town_a, client_a):
    with town_a:
        Photo.objects.create(
            product=cheese, image="photos/p/second.jpg", position=1, status=PhotoStatus.READY, width=8, height=6
        )
        Photo.objects.create(
            product=cheese, image="photos/p/broken.jpg", position=0, status=PhotoStatus.FAILED, width=8, height=6
        )
        Photo.objects.create(
            product=cheese, image="photos/p/third.jpg", position=2, status=PhotoStatus.READY, width=8, height=6
        )

    card = _card(client_a.get("/recherche/?q=comte").content.decode(), "Comté 18 mois")

    assert "second.jpg" in card
    assert "broken.jpg" not in card
    assert "third.jpg" not in card


def test_renditions_made_by_the_task_reach_the_card(cheese, town_a, client_a, monkeypatch):
    renditions = {"320": {"name": "photos/products/9/made-320.webp", "width": 320, "height": 240}}
    monkeypatch.setattr("catalog.photos.make_renditions", lambda **kwargs: renditions)
    with town_a:
        photo = Photo.objects.create(product=cheese, image="photos/products/9/made.jpg", width=640, height=480)
        make_photo_renditions(photo_id=photo.pk)

    card = _card(client_a.get("/recherche/?q=comte").content.decode(), "Comté 18 mois")

    assert 'src="/media/' in card
    assert 'made-320.webp" srcset="' in card
    assert 'width="320" height="240"' in card


# --- the search's queries --------------------------------------------------------------------------
@pytest.fixture
def shelves(town_a):
    """Products over three merchants, two categories (one a child) and every price band."""
    with town_a:
        food = Category.objects.get(slug="alimentation")
        bakery = Category.objects.get(slug="alimentation-boulangerie-et-patisserie")
        shoes = Category.objects.get(slug="mode-chaussures")
        merchants = [_merchant(name) for name in ("Biscuiterie Nord", "Biscuits Opale", "Atelier Sablé")]
        prices = [250, 990, 1000, 2499, 2500, 4999, 5000, 9999, 10000, 25000]
        for index, price in enumerate(prices * 2):
            category = (food, bakery, shoes, None)[index % 4]
            _product(merchants[index % 3], f"Biscuit numéro {index}", price, category=category)
        _merchant("Biscuiterie en sommeil")  # live, no products: its facet never appears
    return town_a


def _reference_facets(text: str, filters) -> dict[str, list[tuple[str, int, bool]]]:
    """The per-facet queries the single grouped query replaced, kept here as the specification."""
    outcome = search_catalogue(text=text)
    matches = outcome.products.model.objects.filter(pk__in=outcome.products.values("pk"))
    by_category = (
        filters.apply(matches, skip="category")
        .filter(category__isnull=False)
        .values("category__slug")
        .annotate(count=Count("pk"))
        .order_by("-count", "category__name", "category__slug")[:12]
    )
    by_merchant = (
        filters.apply(matches, skip="merchant")
        .values("merchant__slug")
        .annotate(count=Count("pk"))
        .order_by("-count", "merchant__name", "merchant__slug")[:12]
    )
    bands = filters.apply(matches, skip="price").aggregate(
        **{band.key: Count("pk", filter=band.condition()) for band in PRICE_BANDS}
    )
    selected = (
        filters.category.slug if filters.category else None,
        filters.merchant.slug if filters.merchant else None,
        filters.price_band.key if filters.price_band else None,
    )
    return {
        "category": [
            (row["category__slug"], row["count"], row["category__slug"] == selected[0]) for row in by_category
        ],
        "merchant": [
            (row["merchant__slug"], row["count"], row["merchant__slug"] == selected[1]) for row in by_merchant
        ],
        "price": [(band.key, bands[band.key], band.key == selected[2]) for band in PRICE_BANDS if bands[band.key]],
        "total": [("", filters.apply(matches).count(), False)],
    }


@pytest.mark.parametrize(
    "filter_values",
    [
        {},
        {"category_slug": "alimentation"},
        {"category_slug": "mode-chaussures", "price_key": "plus-de-100"},
        {"merchant_slug": "biscuits-opale"},
        {"merchant_slug": "biscuits-opale", "price_key": "10-25", "category_slug": "alimentation"},
        {"price_key": "moins-de-10"},
        {"price_key": "50-100", "merchant_slug": "atelier-sable"},
    ],
)
def test_one_grouped_query_counts_facets_like_one_query_per_facet(shelves, filter_values):
    with shelves:
        filters = parse_filters(**filter_values)

        outcome = search_catalogue(text="biscuit", filters=filters)

        expected = _reference_facets("biscuit", filters)
        assert [(f.value, f.count, f.is_selected) for f in outcome.category_facets] == expected["category"]
        assert [(f.value, f.count, f.is_selected) for f in outcome.merchant_facets] == expected["merchant"]
        assert [(f.value, f.count, f.is_selected) for f in outcome.price_facets] == expected["price"]
        assert outcome.product_count == expected["total"][0][1] == outcome.products.count()


def test_facet_counts_of_a_query_without_products_are_empty(shelves):
    with shelves:
        outcome = search_catalogue(text="sommeil")  # a merchant without products

        assert [merchant.name for merchant in outcome.merchants] == ["Biscuiterie en sommeil"]
        assert outcome.has_matches
        assert (outcome.category_facets, outcome.merchant_facets, outcome.price_facets) == ([], [], [])
        assert outcome.product_count == 0


def test_a_search_costs_two_queries_and_its_page_one_more(shelves, django_assert_num_queries):
    with shelves:
        filters = parse_filters(price_key="10-25")
        Category.objects.exists()  # the town's search path is set on a first query
        with django_assert_num_queries(2):  # matching merchants; facets with the totals
            outcome = search_catalogue(text="biscuit", filters=filters)
        with django_assert_num_queries(1):  # the page, with each card's merchant and first photo
            page = list(product_cards(outcome.products)[:PRODUCTS_PER_PAGE])
    assert len(page) == outcome.product_count == 4


def test_a_corrected_search_costs_two_more_queries(shelves, django_assert_num_queries):
    with shelves:
        search_catalogue(text="biscuti")  # fills the cached town lexicon
        with django_assert_num_queries(4):
            outcome = search_catalogue(text="biscuti")
    assert outcome.effective_query == "biscuit"
    assert outcome.product_count == 20


def test_the_search_page_count_comes_from_the_facet_query(shelves, client_a):
    html = client_a.get("/recherche/?q=biscuit&prix=plus-de-100").content.decode()

    assert "4 produits" in html
    assert html.count('<li class="product-card">') == 4
