"""The storefront as residents see it on a phone: axe finds no serious or critical violation."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from catalog.actions import refresh_search_vectors
from catalog.models import (
    Category,
    Merchant,
    MerchantKind,
    MerchantStatus,
    OpeningPeriod,
    Photo,
    PhotoStatus,
    Product,
    Variant,
)
from tenants.models import Town
from tests.browser.conftest import screenshot, serious_accessibility_violations, watch_csp_violations

# Makes pytest-django build the test database even when only browser tests are selected.
pytestmark = pytest.mark.django_db


def _jpeg(colour: str, size: tuple[int, int] = (800, 533)) -> ContentFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return ContentFile(buffer.getvalue(), name="photo.jpg")


@pytest.fixture(scope="module")
def storefront(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
    """Committed catalogue in ville-a (the server is another process), removed afterwards."""
    with django_db_blocker.unblock():
        town = Town.objects.get(slug="ville-a")
        with town:
            bakery_category = Category.objects.get(slug="alimentation-boulangerie-et-patisserie")
            bakery = Merchant.objects.create(
                name="Boulangerie Navigateur",
                slug="boulangerie-navigateur",
                status=MerchantStatus.LIVE,
                is_featured=True,
                description="<p>Pain au levain cuit au feu de bois, viennoiseries pur beurre.</p>",
                address_line="12 rue Royale",
                postcode="62100",
                city="Calais",
                phone="03 21 00 00 00",
                email="bonjour@boulangerie.test",
                website="https://boulangerie.test/",
                latitude=Decimal("50.951290"),
                longitude=Decimal("1.858686"),
            )
            bakery.categories.add(bakery_category)
            bistro = Merchant.objects.create(
                name="Bistrot Navigateur",
                slug="bistrot-navigateur",
                kind=MerchantKind.RESTAURANT,
                status=MerchantStatus.LIVE,
                phone="03 21 11 22 33",
                city="Calais",
            )
            for merchant in (bakery, bistro):
                OpeningPeriod.objects.bulk_create(
                    OpeningPeriod(merchant=merchant, weekday=day, opens_at=dt.time(7), closes_at=dt.time(19, 30))
                    for day in range(0, 6)
                )
            Photo.objects.create(
                merchant=bakery, image=_jpeg("#c8a165"), alt_text="La devanture", status=PhotoStatus.READY
            )
            products = []
            for index, (title, price) in enumerate(
                [
                    ("Éclair au café", 290),
                    ("Baguette tradition", 120),
                    ("Pain de campagne", 480),
                    ("Tarte au citron", 2400),
                ]
            ):
                product = Product.objects.create(
                    merchant=bakery,
                    title=title,
                    slug=f"produit-navigateur-{index}",
                    price_cents=price,
                    vat_rate=550,
                    category=bakery_category,
                    is_published=True,
                    is_featured=True,
                    is_perishable=True,
                    content_quantity=Decimal(250) if index == 2 else None,
                    content_unit="g" if index == 2 else "",
                    description="<p>Fait maison chaque matin.</p>",
                )
                Variant.objects.create(
                    product=product, merchant=bakery, sku=f"NAV-{index}", stock=5 - index * 2 if index < 3 else None
                )
                Photo.objects.create(
                    product=product,
                    image=_jpeg(["#8b5a2b", "#d9b26f", "#a0522d", "#f0e68c"][index]),
                    status=PhotoStatus.READY,
                )
                products.append(product)
            Variant.objects.create(product=products[0], merchant=bakery, name="Boîte de 6", sku="NAV-BOX", stock=0)
            Product.objects.create(
                merchant=bistro,
                title="Moules frites",
                slug="moules-frites",
                price_cents=1650,
                is_published=True,
                category=Category.objects.get(slug="restaurants-restaurants"),
            )
            refresh_search_vectors(
                product_ids=Product.objects.values_list("pk", flat=True), merchant_ids=[bakery.pk, bistro.pk]
            )
        yield
        with town:
            bakery.delete()
            bistro.delete()


def _open(page: object, url: str) -> None:
    """Load the page and scroll through it so lazy images are in the screenshot."""
    page.goto(url)
    height = page.evaluate("document.body.scrollHeight")
    for top in range(0, height, 400):
        page.evaluate(f"window.scrollTo(0, {top})")
        page.wait_for_timeout(50)
    page.wait_for_function("Array.from(document.images).every(image => image.complete)")
    page.evaluate("window.scrollTo(0, 0)")


PAGES = [
    ("storefront-home", "/", "Les commerces de Ville A"),
    ("storefront-directory", "/commerces/", "Boulangerie Navigateur"),
    ("storefront-merchant", "/commerces/boulangerie-navigateur/", "Horaires"),
    ("storefront-restaurant", "/commerces/bistrot-navigateur/", "La carte"),
    ("storefront-category", "/categories/alimentation/", "Éclair au café"),
    ("storefront-product", "/commerces/boulangerie-navigateur/produit-navigateur-0/", "Boîte de 6"),
    ("storefront-search", "/recherche/?q=eclair", "Éclair au café"),
    ("storefront-search-corrected", "/recherche/?q=boulangrie", "Résultats pour « boulangerie »"),
    ("storefront-search-empty", "/recherche/?q=zzqxw", "Aucun résultat"),
]


@pytest.mark.browser
@pytest.mark.parametrize(("name", "path", "expected"), PAGES, ids=[p[0] for p in PAGES])
def test_storefront_pages_have_no_serious_accessibility_violations(page, server_port, storefront, name, path, expected):
    _open(page, f"http://ville-a.test:{server_port}{path}")
    screenshot(page, name)

    assert expected in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways on a phone"
    assert serious_accessibility_violations(page) == []


@pytest.mark.browser
def test_storefront_on_a_desktop_screen(browser, server_port, storefront):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    violations = watch_csp_violations(context)
    page = context.new_page()
    try:
        for name, path in [("storefront-home-desktop", "/"), ("storefront-search-desktop", "/recherche/?q=pain")]:
            _open(page, f"http://ville-a.test:{server_port}{path}")
            screenshot(page, name)
            assert serious_accessibility_violations(page) == []
    finally:
        context.close()
    assert violations == [], violations


@pytest.mark.browser
def test_directory_filters_work_with_the_keyboard(page, server_port, storefront):
    page.goto(f"http://ville-a.test:{server_port}/commerces/")
    page.focus("#filter-type")
    page.select_option("#filter-type", "restaurant")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert "type=restaurant" in page.url
    assert "ouvert=1" in page.url
    assert "Boulangerie Navigateur" not in page.content()
