"""The town's sitemap: an index of paged sections, on the town's own host, cached until the catalogue changes."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from defusedxml import ElementTree
from django.test import Client

from catalog.actions import save_category, save_merchant, save_product, set_product_published
from catalog.imports import import_products
from catalog.models import Category, Merchant, MerchantStatus, Product
from tests.catalog.conftest import lenient
from tests.catalog.factories import MerchantFactory, ProductFactory
from tests.catalog.test_imports import csv_bytes

SECTIONS = ["pages", "merchants", "products", "categories"]


def _locations(response) -> list[str]:
    """The <loc> of every entry, in order (parsing the document also proves it is well-formed XML)."""
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/xml"
    document = ElementTree.fromstring(response.content)
    return [element.text for element in document.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]


@pytest.fixture
def shop(town_a) -> Merchant:
    with town_a:
        merchant = MerchantFactory(slug="chez-paul")
        ProductFactory(merchant=merchant, slug="tarte")
        return merchant


# --- what it lists, and where -------------------------------------------------------------------
def test_the_index_lists_one_sitemap_per_section_on_the_towns_own_host(client_a, shop):
    assert _locations(client_a.get("/sitemap.xml")) == [
        f"https://ville-a.test/sitemap-{section}.xml" for section in SECTIONS
    ]


def test_sections_list_live_merchants_published_products_and_categories(town_a, client_a, shop):
    with town_a:
        ProductFactory(merchant=shop, slug="cachee", is_published=False)
        MerchantFactory(slug="brouillon", status=MerchantStatus.DRAFT)
        ProductFactory(merchant=MerchantFactory(slug="en-pause", status=MerchantStatus.PAUSED), slug="invisible")
        category_count = Category.objects.count()

    assert _locations(client_a.get("/sitemap-pages.xml")) == [
        "https://ville-a.test/",
        "https://ville-a.test/commerces/",
    ]
    assert _locations(client_a.get("/sitemap-merchants.xml")) == ["https://ville-a.test/commerces/chez-paul/"]
    assert _locations(client_a.get("/sitemap-products.xml")) == ["https://ville-a.test/commerces/chez-paul/tarte/"]
    categories = _locations(client_a.get("/sitemap-categories.xml"))
    assert len(categories) == category_count
    assert "https://ville-a.test/categories/alimentation/" in categories


@pytest.mark.parametrize("host", ["ville-a.test:6666", "VILLE-A.Test", "Ville-A.test.:6666"])
def test_addresses_are_on_the_towns_primary_host_whatever_the_request_host(town_a, shop, host):
    client = Client(HTTP_HOST=host)

    index = _locations(client.get("/sitemap.xml"))
    products = _locations(client.get("/sitemap-products.xml"))

    assert index[2] == "https://ville-a.test/sitemap-products.xml"
    assert products == ["https://ville-a.test/commerces/chez-paul/tarte/"]


@pytest.mark.slow
def test_a_section_past_5000_addresses_is_split_into_pages_listed_by_the_index(town_a, client_a, shop):
    with town_a:
        Product.objects.bulk_create(
            Product(merchant=shop, title=f"Pot {number}", slug=f"pot-{number}", price_cents=300, is_published=True)
            for number in range(5_000)
        )

    index = _locations(client_a.get("/sitemap.xml"))
    first_page = _locations(client_a.get("/sitemap-products.xml"))
    second_page = _locations(client_a.get("/sitemap-products.xml?p=2"))

    assert index == [
        "https://ville-a.test/sitemap-pages.xml",
        "https://ville-a.test/sitemap-merchants.xml",
        "https://ville-a.test/sitemap-products.xml",
        "https://ville-a.test/sitemap-products.xml?p=2",
        "https://ville-a.test/sitemap-categories.xml",
    ]
    assert (len(first_page), first_page[0]) == (5_000, "https://ville-a.test/commerces/chez-paul/tarte/")
    assert second_page == ["https://ville-a.test/commerces/chez-paul/pot-4999/"]
    assert client_a.get("/sitemap-products.xml?p=3").status_code == 404


@pytest.mark.parametrize("path", ["/sitemap-inconnue.xml", "/sitemap-products.xml?p=0", "/sitemap-products.xml?p=x"])
def test_unknown_sections_and_pages_are_404(client_a, shop, path):
    assert client_a.get(path).status_code == 404


def test_sitemap_pages_out_of_range_are_404_not_500(client_a, shelf):
    client = lenient(client_a)
    assert client.get("/sitemap-products.xml").status_code == 200
    assert client.get("/sitemap-products.xml?p=abc").status_code == 404
    assert client.get(f"/sitemap-products.xml?p={10**20}").status_code == 404


def test_sitemap_lists_only_this_towns_live_catalogue(client_a, town_a, town_b):
    with town_b:
        MerchantFactory(slug="secret-de-b")
    with town_a:
        MerchantFactory(slug="brouillon-a", status=MerchantStatus.DRAFT)
        MerchantFactory(slug="en-ligne-a")
    body = client_a.get("/sitemap-merchants.xml").text
    assert "en-ligne-a" in body
    assert "secret-de-b" not in body
    assert "brouillon-a" not in body


# --- cache ---------------------------------------------------------------------------------------
def test_a_second_request_is_answered_from_the_cache_without_a_query(client_a, shop, django_assert_num_queries):
    cold_index = client_a.get("/sitemap.xml").content
    cold_products = client_a.get("/sitemap-products.xml").content

    with django_assert_num_queries(0):
        warm_index = client_a.get("/sitemap.xml").content
        warm_products = client_a.get("/sitemap-products.xml").content

    assert (warm_index, warm_products) == (cold_index, cold_products)


def test_each_town_has_its_own_cached_sitemap(town_b, client_a, client_b, shop):
    with town_b:
        MerchantFactory(slug="chez-b")

    assert _locations(client_a.get("/sitemap-merchants.xml")) == ["https://ville-a.test/commerces/chez-paul/"]
    assert _locations(client_b.get("/sitemap-merchants.xml")) == ["https://ville-b.test/commerces/chez-b/"]


def test_withdrawing_and_publishing_a_product_shows_on_the_next_request(
    town_a, client_a, shop, django_capture_on_commit_callbacks
):
    with town_a:
        tart = Product.objects.get(slug="tarte")
        ProductFactory(merchant=shop, slug="flan")
    assert len(_locations(client_a.get("/sitemap-products.xml"))) == 2

    with town_a, django_capture_on_commit_callbacks(execute=True):
        set_product_published(product=tart, is_published=False)
    assert _locations(client_a.get("/sitemap-products.xml")) == ["https://ville-a.test/commerces/chez-paul/flan/"]

    with town_a, django_capture_on_commit_callbacks(execute=True):
        set_product_published(product=tart, is_published=True)
    assert len(_locations(client_a.get("/sitemap-products.xml"))) == 2


def test_renaming_a_product_updates_its_last_change_on_the_next_request(
    town_a, client_a, django_capture_on_commit_callbacks
):
    # Three hours apart (well within the cache's lifetime), on either side of midnight in Paris.
    with time_machine.travel(dt.datetime(2026, 3, 2, 20, 0, tzinfo=dt.UTC)):
        with town_a:
            tart = ProductFactory(slug="tarte")
        assert "<lastmod>2026-03-02</lastmod>" in client_a.get("/sitemap-products.xml").content.decode()

    with time_machine.travel(dt.datetime(2026, 3, 2, 23, 30, tzinfo=dt.UTC)):
        with town_a, django_capture_on_commit_callbacks(execute=True):
            save_product(product=tart, title="Tarte aux pommes")
        xml = client_a.get("/sitemap-products.xml").content.decode()

    assert "<lastmod>2026-03-03</lastmod>" in xml


def test_pausing_a_merchant_removes_it_and_its_products_on_the_next_request(
    town_a, client_a, shop, django_capture_on_commit_callbacks
):
    assert len(_locations(client_a.get("/sitemap-merchants.xml"))) == 1
    assert len(_locations(client_a.get("/sitemap-products.xml"))) == 1

    with town_a, django_capture_on_commit_callbacks(execute=True):
        save_merchant(merchant=shop, status=MerchantStatus.PAUSED)

    assert _locations(client_a.get("/sitemap-merchants.xml")) == []
    assert _locations(client_a.get("/sitemap-products.xml")) == []


def test_a_new_category_shows_on_the_next_request(town_a, client_a, django_capture_on_commit_callbacks):
    assert "https://ville-a.test/categories/vrac/" not in _locations(client_a.get("/sitemap-categories.xml"))

    with town_a, django_capture_on_commit_callbacks(execute=True):
        save_category(category=Category(name="Vrac"))

    assert "https://ville-a.test/categories/vrac/" in _locations(client_a.get("/sitemap-categories.xml"))


def test_an_import_shows_its_products_on_the_next_request(town_a, client_a, shop, django_capture_on_commit_callbacks):
    assert len(_locations(client_a.get("/sitemap-products.xml"))) == 1

    with town_a, django_capture_on_commit_callbacks(execute=True):
        report = import_products(merchant=shop, data=csv_bytes("S1;Savon;;3;;;;;oui"), filename="p.csv")
    assert report.is_committed

    assert "https://ville-a.test/commerces/chez-paul/savon/" in _locations(client_a.get("/sitemap-products.xml"))
