"""Residents find their way (issue 11), in Chromium on a phone: the search shows products first with the
filters behind "Filtrer", a sort applies as soon as it is chosen, the header's basket count follows the
basket, the basket shows each product's photo, and the confirmation leads to the order's status page.
Screenshots of the search and the basket at 390 and 1366 px wide; axe on every page visited."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Iterator

import pytest

from catalog.actions import refresh_search_vectors
from catalog.models import Category, Merchant, MerchantKind, MerchantStatus, OpeningPeriod, Photo, Product, Variant
from tenants.actions import delete_town, provision_town
from tests.browser.conftest import screenshot, serious_accessibility_violations

# Marked browser, not django_db: the data must be committed for the server process to see it.
pytestmark = pytest.mark.browser


def _jpeg(colour: str, size: tuple[int, int]) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def cheese_town(django_db_setup: None, django_db_blocker: pytest.FixtureRequest, server_port: int) -> Iterator[str]:
    """A town with a cheese shop (three cheeses, two with photos) and a supermarket's fromage blanc; committed."""
    from django.db import connection

    from catalog.actions import add_photo

    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        town = provision_town(slug=f"chemin-{uuid.uuid4().hex[:6]}", name="Ville Chemin").town
        with town:
            cheese_shelf = Category.objects.get(slug="alimentation-fromagerie")
            shops = {}
            for key, name, kind, categories in (
                ("cloche", "La Cloche à Fromage", MerchantKind.SHOP, [cheese_shelf]),
                ("halles", "Supermarché des Halles", MerchantKind.PARTNER_SUPERMARKET, []),
            ):
                merchant = Merchant.objects.create(
                    name=name, slug=key, kind=kind, status=MerchantStatus.LIVE, click_and_collect=True, city="Calais"
                )
                merchant.categories.set(categories)
                OpeningPeriod.objects.bulk_create(
                    OpeningPeriod(merchant=merchant, weekday=day, opens_at=dt.time(0), closes_at=dt.time(23, 59))
                    for day in range(7)
                )
                shops[key] = merchant
            products = []
            for shop, title, price, colour, category in (
                ("cloche", "Comté 18 mois", 2490, "#e8c070", cheese_shelf),
                ("cloche", "Maroilles AOP", 900, "#d99a3d", cheese_shelf),
                ("cloche", "Chèvre frais", 350, None, cheese_shelf),
                ("halles", "Fromage blanc 4 × 125 g", 210, None, None),
            ):
                product = Product.objects.create(
                    merchant=shops[shop],
                    title=title,
                    slug=uuid.uuid4().hex[:8],
                    price_cents=price,
                    vat_rate=550,
                    category=category,
                    is_published=True,
                )
                Variant.objects.create(product=product, merchant=shops[shop], sku=uuid.uuid4().hex[:8], stock=20)
                if colour:  # committed at once: its renditions are made then (eager tasks)
                    add_photo(
                        upload=io.BytesIO(_jpeg(colour, (600, 400))), product=product, alt_text=f"{title}, à la coupe"
                    )
                products.append(product)
            refresh_search_vectors(
                product_ids=[product.pk for product in products], merchant_ids=[shop.pk for shop in shops.values()]
            )
            assert Photo.objects.filter(renditions__has_key="320").count() == 2
        connection.set_schema_to_public()
    try:
        yield f"http://{town.slug}.test:{server_port}"
    finally:
        with django_db_blocker.unblock():
            connection.set_schema_to_public()
            delete_town(town=town)


def _titles(page: object) -> list[str]:
    return page.eval_on_selector_all(".search-results .card-title a", "links => links.map(link => link.textContent)")


def test_a_resident_on_a_phone_searches_sorts_fills_the_basket_and_follows_the_order(page, cheese_town):
    base = cheese_town
    axe: dict[str, list[str]] = {}

    # The search: the cheese shop first, the filters folded behind "Filtrer", the products on the first screen.
    page.goto(f"{base}/recherche/?q=fromage")
    assert _titles(page) == ["Chèvre frais", "Comté 18 mois", "Maroilles AOP", "Fromage blanc 4 × 125 g"]
    assert page.is_visible("details.facets-disclosure > summary")
    assert not page.is_visible("aside.facets")
    first_card = page.locator(".search-results .product-card").first.bounding_box()
    assert first_card["y"] < 844  # on the first screen of the phone
    search_box = page.locator("#search-q-page").bounding_box()
    assert search_box["width"] >= 340  # the whole width of a 390 px screen, less its margins
    screenshot(page, "finding-search-390")
    axe["search"] = serious_accessibility_violations(page)
    page.get_by_text("Filtrer", exact=True).click()
    assert page.is_visible("aside.facets")
    screenshot(page, "finding-search-390-filters")
    axe["search, filters open"] = serious_accessibility_violations(page)

    # Sorting applies on choosing: no button to press (the "Trier" button is only for browsers without JS).
    assert not page.is_visible("form.sort-form button")
    with page.expect_navigation():
        page.select_option("#sort", "prix-desc")
    assert "tri=prix-desc" in page.url
    assert _titles(page) == ["Comté 18 mois", "Maroilles AOP", "Chèvre frais", "Fromage blanc 4 × 125 g"]

    # Into the basket; the header's count says so on the next page.
    assert page.get_by_role("link", name="Panier", exact=True).is_visible()
    page.get_by_role("link", name="Comté 18 mois").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Ajouter au panier").click()
    page.goto(f"{base}/commerces/")
    assert page.get_by_role("link", name="Panier, 1 article").is_visible()
    assert page.locator(".basket-count").inner_text() == "1"
    page.goto(f"{base}/recherche/?q=chevre")
    page.get_by_role("link", name="Chèvre frais").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Ajouter au panier").click()
    page.get_by_role("link", name="Panier, 2 articles").click()

    # The basket: the Comté's photo (its small rendition, its alt text), the chèvre's initial.
    page.wait_for_url("**/panier/")
    photo = page.locator(".basket-line img.line-photo")
    assert photo.count() == 1
    assert photo.get_attribute("alt") == "Comté 18 mois, à la coupe"
    assert "_320" in photo.get_attribute("src")  # the small rendition, not the 600 px one
    # Loaded, from the 320 px rendition (naturalWidth is in CSS pixels: the 5rem of ``sizes``).
    assert photo.evaluate("img => img.complete && img.naturalWidth > 0 && img.currentSrc.includes('_320')")
    assert page.locator(".basket-line .line-media .placeholder").inner_text() == "C"
    screenshot(page, "finding-basket-390")
    axe["basket"] = serious_accessibility_violations(page)

    # The same pages on a desktop screen: the filters open beside the results, no "Filtrer" button.
    page.set_viewport_size({"width": 1366, "height": 900})
    screenshot(page, "finding-basket-1366")
    axe["basket, desktop"] = serious_accessibility_violations(page)
    page.goto(f"{base}/recherche/?q=fromage")
    assert page.is_visible("aside.facets")
    assert not page.is_visible("details.facets-disclosure > summary")
    screenshot(page, "finding-search-1366")
    axe["search, desktop"] = serious_accessibility_violations(page)
    page.set_viewport_size({"width": 390, "height": 844})

    # The order, paid through the test gateway; the confirmation leads to the order's status page.
    page.goto(f"{base}/panier/")
    page.get_by_role("link", name="Commander").click()
    page.fill("#id_first_name", "Jeanne")
    page.fill("#id_last_name", "Martin")
    page.fill("#id_email", "jeanne@exemple.fr")
    page.fill("#id_phone", "06 12 34 56 78")
    page.check("#id_accept_terms")
    with page.expect_navigation():
        page.get_by_role("button", name="Valider la commande").click()
    with page.expect_navigation():
        page.get_by_role("button", name="(carte de test acceptée)").click()
    page.wait_for_url("**/confirmation/")
    assert "est confirmée" in page.content()
    assert page.get_by_role("link", name="Panier", exact=True).is_visible()  # the basket became the order
    screenshot(page, "finding-confirmation-390")
    axe["confirmation"] = serious_accessibility_violations(page)
    page.get_by_role("link", name="Suivre cette commande").click()
    page.wait_for_url("**/commande/suivi/**")
    assert page.locator("h1").inner_text().startswith("Suivi de la commande")
    assert "Paiement confirmé" in page.content()
    axe["status"] = serious_accessibility_violations(page)

    assert {name: found for name, found in axe.items() if found} == {}
