"""The residents' storefront through HTTP: what each page shows, who is public, SEO, query counts."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.actions import add_photo, refresh_search_vectors
from catalog.hours import Period, opening_state
from catalog.models import (
    Category,
    Closure,
    Merchant,
    MerchantKind,
    MerchantStatus,
    OpeningPeriod,
    Photo,
    PhotoStatus,
    Product,
    SaleUnit,
    Variant,
)
from catalog.views_storefront import open_now
from tests.catalog.conftest import lenient, small_png
from tests.catalog.factories import CategoryFactory, MerchantFactory, ProductFactory, VariantFactory

# Friday 27 November 2026, 17:00 in Paris.
FRIDAY_5PM_PARIS = dt.datetime(2026, 11, 27, 16, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def _shop_hours(merchant, *, days=range(0, 6)) -> None:
    OpeningPeriod.objects.bulk_create(
        [
            OpeningPeriod(merchant=merchant, weekday=day, opens_at=dt.time(9, 30), closes_at=dt.time(12, 30))
            for day in days
        ]
        + [OpeningPeriod(merchant=merchant, weekday=day, opens_at=dt.time(14), closes_at=dt.time(19)) for day in days]
    )


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _json_ld(html: str) -> list[dict]:
    return [
        json.loads(block) for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    ]


# --- home --------------------------------------------------------------------------------------
def test_home_shows_the_hero_featured_items_categories_and_new_merchants(town_a, client_a):
    with town_a:
        featured = MerchantFactory(name="Fromagerie du Beffroi", is_featured=True)
        ProductFactory(merchant=featured, title="Maroilles fermier", is_featured=True)
        MerchantFactory(name="Brouillon Secret", status=MerchantStatus.DRAFT, is_featured=True)
        MerchantFactory(name="Librairie Nouvelle")

    html = _html(client_a.get("/"))

    assert "Les commerces de Ville A" in html
    assert "Commerces à la une" in html
    assert "Fromagerie du Beffroi" in html
    assert "Maroilles fermier" in html
    assert "Librairie Nouvelle" in html
    assert "Brouillon Secret" not in html
    assert 'href="/categories/alimentation/"' in html
    assert 'href="/pages/mentions-legales/"' in html


def test_home_without_featured_products_shows_the_newest(town_a, client_a):
    with town_a:
        ProductFactory(title="Pain de campagne")

    html = _html(client_a.get("/"))

    assert "Nouveautés" in html
    assert "Pain de campagne" in html


# --- directory ---------------------------------------------------------------------------------
def test_directory_filters_by_kind_and_category_including_subcategories(town_a, client_a):
    with town_a:
        bakery = MerchantFactory(name="Boulangerie Dupont")
        bakery.categories.add(Category.objects.get(slug="alimentation-boulangerie-et-patisserie"))
        MerchantFactory(name="Bistrot du Port", kind=MerchantKind.RESTAURANT)
        MerchantFactory(name="Caché En Pause", status=MerchantStatus.PAUSED)

    by_kind = _html(client_a.get("/commerces/?type=restaurant"))
    by_category = _html(client_a.get("/commerces/?categorie=alimentation"))
    everything = _html(client_a.get("/commerces/?type=inconnu"))

    assert "Bistrot du Port" in by_kind
    assert "Boulangerie Dupont" not in by_kind
    assert "Boulangerie Dupont" in by_category
    assert "Bistrot du Port" not in by_category
    assert "Boulangerie Dupont" in everything
    assert "Bistrot du Port" in everything
    assert "Caché En Pause" not in everything


@time_machine.travel(FRIDAY_5PM_PARIS, tick=False)
def test_directory_open_now_uses_the_town_time_zone_and_closures(town_a, client_a):
    with town_a:
        open_shop = MerchantFactory(name="Ouvert Vendredi")
        _shop_hours(open_shop)
        saturday_only = MerchantFactory(name="Ouvert Samedi")
        _shop_hours(saturday_only, days=[5])
        on_holiday = MerchantFactory(name="En Congés")
        _shop_hours(on_holiday)
        Closure.objects.create(merchant=on_holiday, starts_on=dt.date(2026, 11, 26), ends_on=dt.date(2026, 11, 28))

    html = _html(client_a.get("/commerces/?ouvert=1"))
    everything = _html(client_a.get("/commerces/"))

    assert "Ouvert Vendredi" in html
    assert "Ouvert Samedi" not in html
    assert "En Congés" not in html
    assert "Ouvert · ferme à 19 h" in html
    assert "Fermé · ouvre demain à 9 h 30" in everything
    assert "Fermé · ouvre lundi à 9 h 30" in everything


@pytest.mark.slow
def test_the_open_now_filter_and_the_open_label_agree_at_every_quarter_hour_of_a_week(town_a):
    """Two code paths for one rule: the directory filters in SQL (one query before pagination), the
    cards label in Python (``opening_state``). Both are asked the same question all week long."""
    with town_a:
        merchants = [MerchantFactory(name=name) for name in ("Semaine", "Samedi", "Congés", "Soirée", "Sans horaires")]
        _shop_hours(merchants[0])
        _shop_hours(merchants[1], days=[5])
        _shop_hours(merchants[2])
        Closure.objects.create(merchant=merchants[2], starts_on=dt.date(2026, 11, 26), ends_on=dt.date(2026, 11, 28))
        OpeningPeriod.objects.create(
            merchant=merchants[3], weekday=4, opens_at=dt.time(18, 15), closes_at=dt.time(23, 59)
        )
        zone = ZoneInfo(town_a.time_zone)
        periods = {
            m.pk: [Period(p.weekday, p.opens_at, p.closes_at) for p in m.opening_periods.all()] for m in merchants
        }
        closures = {m.pk: [(c.starts_on, c.ends_on) for c in m.closures.all()] for m in merchants}
        start = dt.datetime(2026, 11, 23, tzinfo=zone)  # a Monday
        for quarter in range(7 * 24 * 4):
            now = start + dt.timedelta(minutes=15 * quarter)
            labelled_open = {
                m.name
                for m in merchants
                if opening_state(
                    periods=periods[m.pk], closures=closures[m.pk], now=now, time_zone=town_a.time_zone
                ).is_open
            }
            filtered_open = set(
                open_now(Merchant.objects.filter(pk__in=[m.pk for m in merchants]), now=now).values_list(
                    "name", flat=True
                )
            )
            assert filtered_open == labelled_open, now


def test_directory_is_paginated(town_a, client_a):
    with town_a:
        for index in range(30):
            MerchantFactory(name=f"Commerce {index:02d}")

    first, second = _html(client_a.get("/commerces/")), _html(client_a.get("/commerces/?page=2"))

    assert "Commerce 00" in first
    assert "Commerce 24" not in first
    assert "Commerce 24" in second
    assert "Page 2 sur 2" in second
    assert 'rel="prev"' in second
    assert '<link rel="canonical" href="https://ville-a.test/commerces/?page=2">' in second


# --- merchant page -----------------------------------------------------------------------------
@time_machine.travel(FRIDAY_5PM_PARIS, tick=False)
def test_merchant_page_is_a_shop_window(town_a, client_a):
    with town_a:
        merchant = MerchantFactory(
            name="Boulangerie Dupont",
            slug="boulangerie-dupont",
            description="<p>Pain au levain</p>",
            address_line="12 rue Royale",
            postcode="62100",
            phone="03 21 00 00 00",
            email="contact@dupont.fr",
            website="https://www.dupont.fr/",
            latitude=Decimal("50.951290"),
            longitude=Decimal("1.858686"),
        )
        _shop_hours(merchant)
        ProductFactory(merchant=merchant, title="Baguette tradition")
        ProductFactory(merchant=merchant, title="Gâteau en préparation", is_published=False)
        Photo.objects.create(
            merchant=merchant,
            image="photos/merchants/1/vitrine.jpg",
            width=1600,
            height=1067,
            alt_text="La vitrine de la boulangerie",
            status=PhotoStatus.READY,
            renditions={
                "320": {"name": "photos/merchants/1/vitrine-320.webp", "width": 320, "height": 213},
                "800": {"name": "photos/merchants/1/vitrine-800.webp", "width": 800, "height": 533},
            },
        )

    html = _html(client_a.get("/commerces/boulangerie-dupont/"))

    assert "<h1>Boulangerie Dupont</h1>" in html
    assert "Ouvert · ferme à 19 h" in html
    assert (
        '<tr><th scope="row">Lundi</th><td>9\u00a0h\u00a030 – 12\u00a0h\u00a030, 14\u00a0h – 19\u00a0h</td></tr>'
        in html
    )
    assert '<tr><th scope="row">Dimanche</th><td>Fermé</td></tr>' in html
    assert 'href="tel:0321000000"' in html
    assert 'href="mailto:contact@dupont.fr"' in html
    assert "https://www.openstreetmap.org/?mlat=50.951290&amp;mlon=1.858686#map=18/50.951290/1.858686" in html
    assert "Également en boutique" in html
    assert "Baguette tradition" in html
    assert "Gâteau en préparation" not in html
    assert "<script" not in html.split("application/ld+json")[-1].split("</script>", 1)[1]
    assert (
        'srcset="/media/ville-a/photos/merchants/1/vitrine-320.webp 320w, ' in html or "vitrine-320.webp 320w" in html
    )
    image = re.search(r'<img src="[^"]*vitrine-800.webp"[^>]*>', html).group(0)
    assert 'width="800" height="533"' in image
    assert 'alt="La vitrine de la boulangerie"' in image
    assert 'loading="lazy"' in image


@time_machine.travel(FRIDAY_5PM_PARIS, tick=False)
def test_merchant_json_ld_is_a_local_business_with_hours_and_geo(town_a, client_a):
    with town_a:
        merchant = MerchantFactory(
            name="Caviste </script><script>alert(1)</script>",
            slug="caviste",
            address_line="1 place d'Armes",
            postcode="62100",
            latitude=Decimal("50.95"),
            longitude=Decimal("1.85"),
        )
        _shop_hours(merchant, days=[0])

    html = _html(client_a.get("/commerces/caviste/"))
    data = _json_ld(html)[0]

    assert "<script>alert(1)" not in html
    assert data["@type"] == "Store"
    assert data["name"] == "Caviste </script><script>alert(1)</script>"
    assert data["url"] == "https://ville-a.test/commerces/caviste/"
    assert data["address"]["postalCode"] == "62100"
    assert data["geo"] == {"@type": "GeoCoordinates", "latitude": "50.950000", "longitude": "1.850000"}
    assert data["openingHoursSpecification"][0] == {
        "@type": "OpeningHoursSpecification",
        "dayOfWeek": "https://schema.org/Monday",
        "opens": "09:30",
        "closes": "12:30",
    }
    assert '<meta property="og:title" content="Caviste &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;">' in html
    assert '<link rel="canonical" href="https://ville-a.test/commerces/caviste/">' in html


def test_restaurant_page_shows_its_menu_and_phone(town_a, client_a):
    with town_a:
        restaurant = MerchantFactory(
            name="Le Grand Bleu", slug="le-grand-bleu", kind=MerchantKind.RESTAURANT, phone="03 21 11 22 33"
        )
        starters = CategoryFactory(name="Entrées", position=0)
        mains = CategoryFactory(name="Plats", position=1)
        ProductFactory(merchant=restaurant, title="Moules frites", category=mains, price_cents=1650)
        ProductFactory(merchant=restaurant, title="Soupe de poissons", category=starters, price_cents=900)

    html = _html(client_a.get("/commerces/le-grand-bleu/"))

    assert "La carte" in html
    assert "Réserver : 03 21 11 22 33" in html
    assert html.index("<h3>Entrées</h3>") < html.index("Soupe de poissons") < html.index("<h3>Plats</h3>")
    assert html.index("<h3>Plats</h3>") < html.index("Moules frites")
    assert "16,50\u00a0€" in html
    assert _json_ld(html)[0]["@type"] == "Restaurant"


def test_showcase_only_merchant_says_its_products_are_bought_in_store(town_a, client_a):
    with town_a:
        MerchantFactory(name="Galerie", slug="galerie", sells_online=False)

    html = _html(client_a.get("/commerces/galerie/"))

    assert "Vitrine : achat en boutique uniquement" in html
    assert "les produits s’achètent en boutique" in html


@pytest.mark.parametrize("status", [MerchantStatus.DRAFT, MerchantStatus.PAUSED])
def test_merchants_that_are_not_live_are_not_found(town_a, client_a, status):
    with town_a:
        merchant = MerchantFactory(slug="pas-en-ligne", status=status)
        ProductFactory(merchant=merchant, slug="produit")

    assert client_a.get("/commerces/pas-en-ligne/").status_code == 404
    assert client_a.get("/commerces/pas-en-ligne/produit/").status_code == 404
    assert client_a.get("/commerces/inconnu/").status_code == 404


# --- product page ------------------------------------------------------------------------------
def test_product_page_shows_french_price_vat_unit_price_variants_and_perishable_note(town_a, client_a):
    with town_a:
        merchant = MerchantFactory(name="Fromagerie", slug="fromagerie")
        product = ProductFactory(
            merchant=merchant,
            title="Maroilles AOP",
            slug="maroilles",
            price_cents=350,
            vat_rate=550,
            content_quantity=Decimal(250),
            content_unit="g",
            is_perishable=True,
            description="<p>Affiné <strong>5 semaines</strong></p>",
        )
        Variant.objects.create(product=product, merchant=merchant, name="Entier", sku="M1", stock=0)
        Variant.objects.create(product=product, merchant=merchant, name="Demi", sku="M2", stock=2)
        Variant.objects.create(product=product, merchant=merchant, name="Quart", sku="M3", stock=None)

    html = _html(client_a.get("/commerces/fromagerie/maroilles/"))

    assert "3,50\u00a0€" in html
    assert "TTC, dont TVA 5,5 %" in html
    assert "soit 14,00\u00a0€ le kg" in html
    assert "les 250\u00a0g" in html
    assert "Épuisé" in html
    assert "Plus que 2 en stock" in html
    assert "Disponible" in html
    assert "pas de droit de rétractation" in html
    assert "<strong>5 semaines</strong>" in html
    data = _json_ld(html)[0]
    assert data["@type"] == "Product"
    assert data["offers"]["price"] == "3.50"
    assert data["offers"]["priceCurrency"] == "EUR"
    assert data["offers"]["availability"] == "https://schema.org/InStock"
    assert '<meta property="og:type" content="product">' in html


def test_product_sold_by_the_kilo_and_vat_exempt_merchant(town_a, client_a):
    with town_a:
        merchant = MerchantFactory(name="Primeur", slug="primeur", is_vat_exempt=True)
        product = ProductFactory(
            merchant=merchant, title="Pommes", slug="pommes", price_cents=290, unit=SaleUnit.KILOGRAM, vat_rate=0
        )
        VariantFactory(product=product, stock=0)

    html = _html(client_a.get("/commerces/primeur/pommes/"))

    assert "2,90\u00a0€" in html
    assert "le kg" in html
    assert "TVA non applicable, art. 293 B du CGI" in html
    assert "Épuisé" in html
    assert _json_ld(html)[0]["offers"]["availability"] == "https://schema.org/OutOfStock"


def test_product_photos_fall_back_to_the_original_with_its_size_and_the_title_as_alt(town_a, client_a):
    with town_a:
        product = ProductFactory(title="Vase en grès", slug="vase", merchant=MerchantFactory(slug="poterie"))
        Photo.objects.create(product=product, image="photos/products/1/vase.jpg", width=1200, height=900)
        Photo.objects.create(
            product=product, image="photos/products/1/broken.jpg", status=PhotoStatus.FAILED, width=1, height=1
        )

    html = _html(client_a.get("/commerces/poterie/vase/"))

    image = re.search(r'<img src="[^"]*vase.jpg"[^>]*>', html).group(0)
    assert 'width="1200" height="900"' in image
    assert 'alt="Vase en grès"' in image
    assert 'loading="lazy"' in image
    assert "broken.jpg" not in html


def test_unpublished_and_foreign_products_are_not_found(town_a, town_b, client_a):
    with town_a:
        merchant = MerchantFactory(slug="epicerie")
        ProductFactory(merchant=merchant, slug="brouillon", is_published=False)
        ProductFactory(merchant=MerchantFactory(slug="autre"), slug="ailleurs")
    with town_b:
        ProductFactory(merchant=MerchantFactory(slug="epicerie-b"), slug="de-b")

    assert client_a.get("/commerces/epicerie/brouillon/").status_code == 404
    assert client_a.get("/commerces/epicerie/ailleurs/").status_code == 404
    assert client_a.get("/commerces/epicerie-b/de-b/").status_code == 404


# --- categories ----------------------------------------------------------------------------------
def test_category_page_includes_products_of_its_subcategories(town_a, client_a):
    with town_a:
        bakery = Category.objects.get(slug="alimentation-boulangerie-et-patisserie")
        ProductFactory(title="Croissant", category=bakery, price_cents=120)
        ProductFactory(title="Tarte aux pommes", category=Category.objects.get(slug="alimentation"), price_cents=1800)
        ProductFactory(title="Écharpe", category=Category.objects.get(slug="mode"))

    html = _html(client_a.get("/categories/alimentation/?tri=prix-desc"))

    assert "<h1>Alimentation</h1>" in html
    assert html.index("Tarte aux pommes") < html.index("Croissant")
    assert "Écharpe" not in html
    assert 'href="/categories/alimentation-boulangerie-et-patisserie/"' in html
    assert client_a.get("/categories/inconnue/").status_code == 404


# --- query counts ------------------------------------------------------------------------------
def _catalogue(count: int, *, start: int = 0) -> None:
    """``count`` products with a photo and a variant, over one merchant (with hours and photo) per five."""
    category = Category.objects.get(slug="alimentation-epicerie")
    for index in range(start, start + count, 5):
        merchant = MerchantFactory(name=f"Épicerie {index:03d}", is_featured=True)
        merchant.categories.add(category)
        _shop_hours(merchant)
        Photo.objects.create(merchant=merchant, image=f"m{index}.jpg", width=800, height=600, status=PhotoStatus.READY)
        products = Product.objects.bulk_create(
            Product(
                merchant=merchant,
                title=f"Confiture maison {number:03d}",
                slug=f"confiture-{number}",
                price_cents=300 + number,
                category=category,
                is_published=True,
                is_featured=True,
            )
            for number in range(index, min(index + 5, start + count))
        )
        Variant.objects.bulk_create(Variant(product=p, merchant=merchant, sku=f"S{p.pk}", stock=5) for p in products)
        Photo.objects.bulk_create(
            Photo(product=p, image=f"p{p.pk}.jpg", width=800, height=600, status=PhotoStatus.READY) for p in products
        )
    refresh_search_vectors(
        product_ids=Product.objects.values_list("pk", flat=True),
        merchant_ids=Product.objects.values_list("merchant_id", flat=True),
    )


LIST_PAGES = {
    "home": "/",
    "directory": "/commerces/?categorie=alimentation&ouvert=0",
    "merchant": "/commerces/{merchant}/",
    "category": "/categories/alimentation/",
    "search": "/recherche/?q=confiture&tri=prix",
}


@pytest.mark.parametrize("page", list(LIST_PAGES))
def test_list_pages_do_not_grow_their_query_count_with_the_catalogue(town_a, client_a, django_assert_num_queries, page):
    with town_a:
        _catalogue(10)
        first_merchant = Product.objects.order_by("pk").first().merchant
    url = LIST_PAGES[page].format(merchant=first_merchant.slug)
    if page == "merchant":
        with town_a:  # the merchant page lists its own products: grow that one merchant's shelf
            Product.objects.filter(merchant__isnull=False).update(merchant=first_merchant)
            Variant.objects.update(merchant=first_merchant)
    _html(client_a.get(url))  # warm-up: per-process caches (content types)
    cache.clear()  # the home's catalogue fragment and the host lookup are cached: measure them cold
    with CaptureQueriesContext(connection) as at_ten:
        html = _html(client_a.get(url))
    assert "Confiture maison" in html or "Épicerie" in html

    with town_a:
        _catalogue(90, start=10)
        if page == "merchant":
            Product.objects.update(merchant=first_merchant)
            Variant.objects.update(merchant=first_merchant)
    cache.clear()
    with django_assert_num_queries(len(at_ten)):
        html = _html(client_a.get(url))
    assert len(at_ten) <= 15


# --- absurd addresses and hostile names: a page, never a 500 or a script ----------------------------


@pytest.mark.parametrize("path", ["/commerces/", "/categories/alimentation/", "/commerces/fromagerie/", "/"])
@pytest.mark.parametrize("query", ["page=-1", f"page={10**20}", "tri=zzz", "type=inconnu", "categorie=zz", "ouvert=2"])
def test_list_pages_survive_absurd_query_strings(client_a, shelf, path, query):
    assert lenient(client_a).get(f"{path}?{query}").status_code == 200


@pytest.mark.parametrize("path", ["/commerces/", "/categories/alimentation/", "/commerces/fromagerie/", "/"])
@pytest.mark.parametrize("query", ["type=%00", "categorie=%00", "%00=1"])
def test_a_nul_character_in_the_address_gets_the_french_400_page_not_a_500(client_a, shelf, path, query):
    response = lenient(client_a).get(f"{path}?{query}")
    assert response.status_code == 400
    assert "Adresse invalide" in response.content.decode()


XSS = '</script><script>alert("x")</script><img src=x onerror=alert(1)>'


def test_names_alt_text_and_descriptions_cannot_inject_markup_or_end_the_json_ld(client_a, town_a):
    with town_a:
        merchant = MerchantFactory(slug="xss", name=XSS, description=XSS, city=XSS, address_line=XSS)
        product = ProductFactory(merchant=merchant, slug="p", title=XSS, description=f"<p>ok</p>{XSS}")
        VariantFactory(product=product, sku=XSS[:60])
        add_photo(upload=io.BytesIO(small_png()), product=product, alt_text=XSS[:250])
        add_photo(upload=io.BytesIO(small_png()), merchant=merchant, alt_text=XSS[:250])
    for path in ("/commerces/xss/", "/commerces/xss/p/", "/", "/commerces/", "/recherche/?q=alert"):
        body = client_a.get(path).text
        assert "<script>alert" not in body, path
        assert "<img src=x" not in body, path
        # every <script> element still closes where it opened: one </script> per <script
        assert body.count("<script") == body.count("</script>"), path
    product_page = client_a.get("/commerces/xss/p/").text
    start = product_page.index('<script type="application/ld+json">') + len('<script type="application/ld+json">')
    data = json.loads(product_page[start : product_page.index("</script>", start)])
    assert data["name"] == XSS


FRENCH_ORDER = [
    "atelier Bleu",
    "Céramiques de la Côte",
    "Coiffure Élodie",
    "Coiffure Thomas",
    "Cycles Martin",
    "Zoé Fleurs",
]


def in_page_order(html: str, names: list[str]) -> list[str]:
    """``names`` in the order the page shows them (each must be on it)."""
    return sorted(names, key=html.index)


def test_the_directory_sorts_names_in_french_alphabetical_order(town_a, client_a):
    with town_a:
        for name in reversed(FRENCH_ORDER):
            MerchantFactory(name=name)

    html = _html(client_a.get("/commerces/"))

    assert in_page_order(html, FRENCH_ORDER) == FRENCH_ORDER


def test_a_shop_window_sorts_product_titles_in_french_alphabetical_order(town_a, client_a):
    titles = ["éclair au café", "Écrin de chocolats", "Eau de fleur", "Œufs frais", "Olives vertes"]
    expected = ["Eau de fleur", "éclair au café", "Écrin de chocolats", "Œufs frais", "Olives vertes"]
    with town_a:
        shop = MerchantFactory(slug="epicerie", name="Épicerie")
        for title in titles:
            ProductFactory(merchant=shop, title=title)

    html = _html(client_a.get("/commerces/epicerie/"))

    assert in_page_order(html, expected) == expected
