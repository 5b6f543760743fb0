from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

from accounts.models import Role, User
from accounts.tokens import issue_api_token
from catalog.actions import refresh_search_vectors
from catalog.api import CatalogueAnonThrottle
from catalog.models import Category, MerchantMembership, MerchantStatus, Product, Variant
from tests.catalog.conftest import lenient
from tests.catalog.factories import MerchantFactory, ProductFactory, VariantFactory


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


def merchant_staff(merchant, email="commercant@example.fr"):
    user = User.objects.create_user(email=email, password="x" * 12, role=Role.MERCHANT_STAFF)
    MerchantMembership.objects.create(merchant=merchant, user_id=user.pk)
    return user


# --- public reads ------------------------------------------------------------------------------
def test_only_live_merchants_are_listed(town_a, client_a):
    with town_a:
        MerchantFactory(name="Boulangerie Dupont", slug="dupont")
        MerchantFactory(name="Brouillon", slug="brouillon", status=MerchantStatus.DRAFT)

    body = client_a.get("/api/v1/merchants/").json()

    assert [merchant["slug"] for merchant in body["results"]] == ["dupont"]
    assert body["count"] == 1
    assert client_a.get("/api/v1/merchants/brouillon/").status_code == 404


def test_categories_list_the_town_tree(town_a, client_a):
    body = client_a.get("/api/v1/categories/?page=1").json()

    first = body["results"][0]
    assert (first["slug"], first["name"], first["parent"]) == ("alimentation", "Alimentation", None)
    assert body["count"] == 45  # 7 roots and their 38 children


def test_products_are_published_ones_of_live_merchants_and_paginated(town_a, client_a, django_assert_num_queries):
    with town_a:
        live, paused = MerchantFactory(slug="live"), MerchantFactory(slug="pause", status=MerchantStatus.PAUSED)
        for n in range(12):
            VariantFactory(product__merchant=live, product__title=f"Produit {n:02d}", sku=f"S{n}")
        ProductFactory(merchant=live, title="Caché", is_published=False)
        ProductFactory(merchant=paused, title="Boutique en pause")

    with django_assert_num_queries(6):  # town routing (3), then count, page, variants
        body = client_a.get("/api/v1/products/").json()

    assert body["count"] == 12
    assert body["results"][0]["title"] == "Produit 00"
    assert body["results"][0]["merchant"] == "live"
    assert body["results"][0]["variants"] == [
        {"sku": "S0", "name": "", "ean": "", "price_cents": 1250, "is_in_stock": True}
    ]


def test_search_is_french_full_text_and_accent_insensitive(town_a, client_a):
    with town_a:
        merchant = MerchantFactory(name="Pâtisserie Lune")
        ids = [
            ProductFactory(merchant=merchant, title=title).pk
            for title in ("Éclair au café", "Chaussure de randonnée", "Tarte aux pommes")
        ]
        refresh_search_vectors(product_ids=ids)

    titles = lambda query: [p["title"] for p in client_a.get("/api/v1/products/", {"search": query}).json()["results"]]  # noqa: E731

    assert titles("eclair") == ["Éclair au café"]
    assert titles("chaussures") == ["Chaussure de randonnée"]
    assert titles('"tarte aux" -eclair') == ["Tarte aux pommes"]
    assert titles("') OR 1=1 --") == []


def test_search_corrects_a_misspelling_like_the_site(town_a, client_a, django_assert_num_queries):
    with town_a:
        merchant = MerchantFactory(name="Fromagerie du Beffroi")
        ids = [ProductFactory(merchant=merchant, title=title).pk for title in ("Maroilles AOP", "Mimolette")]
        refresh_search_vectors(product_ids=ids, merchant_ids=[merchant.pk])
    client_a.get("/api/v1/products/", {"search": "marolles"})  # fills the cached town lexicon

    with django_assert_num_queries(5):  # search path; any product matching; count, page, variants
        exact = client_a.get("/api/v1/products/", {"search": "maroilles"}).json()
    misspelled = client_a.get("/api/v1/products/", {"search": "marolles"}).json()

    assert [product["title"] for product in exact["results"]] == ["Maroilles AOP"]
    assert misspelled == exact


def _all_pages(client, path, params, read):
    ids, number = [], 1
    while True:
        response = client.get(path, {**params, "page": number})
        page_ids, has_next = read(response)
        ids += page_ids
        if not has_next:
            return ids
        number += 1


def test_a_category_lists_the_same_products_in_the_api_as_on_its_page(town_a, client_a):
    with town_a:
        categories = {slug: Category.objects.get(slug=slug) for slug in ("alimentation", "mode-chaussures")}
        children = list(categories["alimentation"].children.order_by("position")[:3])
        merchant = MerchantFactory()
        for index in range(60):
            ProductFactory(merchant=merchant, title=f"Produit {index % 7}", category=children[index % 3])
        ProductFactory(merchant=merchant, title="Produit à la racine", category=categories["alimentation"])
        ProductFactory(merchant=merchant, title="Chaussure", category=categories["mode-chaussures"])

    def site(response):
        page = response.context["page"]
        return [product.pk for product in page.object_list], page.has_next()

    def api(response):
        body = response.json()
        return [product["id"] for product in body["results"]], bool(body["next"])

    found = {}
    for category in ("alimentation", children[0].slug, "mode-chaussures"):
        found[category] = _all_pages(client_a, f"/categories/{category}/", {}, site)
        assert _all_pages(client_a, "/api/v1/products/", {"category": category}, api) == found[category], category
    assert [len(ids) for ids in found.values()] == [61, 20, 1]  # a root holds its subcategories' products
    assert client_a.get("/api/v1/products/", {"category": "inconnue"}).json()["results"] == []


def test_another_towns_products_are_invisible(town_a, town_b, client_a):
    with town_b:
        product = ProductFactory(title="Sentinelle de B")

    assert client_a.get(f"/api/v1/products/{product.pk}/").status_code == 404
    assert "Sentinelle" not in client_a.get("/api/v1/products/").content.decode()


def test_anonymous_reads_are_throttled(town_a, client_a, monkeypatch):
    monkeypatch.setattr(CatalogueAnonThrottle, "get_rate", lambda self: "2/min")

    statuses = [client_a.get("/api/v1/categories/").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_openapi_schema_is_served_and_valid(client_a):
    response = client_a.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    assert "/api/v1/products/" in response.json()["paths"]
    call_command("spectacular", "--urlconf", "config.urls_town", "--validate", "--fail-on-warn", "--file", "/dev/null")


@pytest.mark.parametrize("query", ["merchant=%00", "category=%00", "search=%00pain"])
def test_public_api_filters_with_a_nul_byte_are_not_a_500(client_a, shelf, query):
    """``GET /api/v1/products/?merchant=%00`` (or ``category=``, ``search=``) is never a 500: the filters
    reach SQL, and PostgreSQL refuses NUL in text."""
    response = lenient(client_a).get(f"/api/v1/products/?{query}")
    assert response.status_code in (200, 400)


@pytest.mark.parametrize("query", ["page=-1", "page=abc", f"page={10**20}", "search=" + "a%20-b%20%22" * 500])
def test_public_api_survives_absurd_pages_and_searches(client_a, shelf, query):
    assert lenient(client_a).get(f"/api/v1/products/?{query}").status_code in (200, 404)


# --- writes ------------------------------------------------------------------------------------
def test_merchant_staff_creates_and_updates_their_own_product_with_a_token(town_a, client_a):
    with town_a:
        merchant = MerchantFactory(slug="epicerie", is_vat_exempt=False)
        token = issue_api_token(user=merchant_staff(merchant))
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}

    created = client_a.post(
        "/api/v1/manage/products/",
        {
            "merchant": "epicerie",
            "title": "Miel",
            "price_cents": 850,
            "vat_rate": 550,
            "sku": "MIEL",
            "stock": 4,
            "category": "alimentation-epicerie",
            "description": "<p>Bon</p><script>x()</script>",
        },
        content_type="application/json",
        **auth,
    )
    assert created.status_code == 201, created.json()
    product_id = created.json()["id"]

    updated = client_a.patch(
        f"/api/v1/manage/products/{product_id}/",
        {"price_cents": 900, "stock": 2},
        content_type="application/json",
        **auth,
    )
    assert updated.status_code == 200
    published = client_a.post(
        f"/api/v1/manage/products/{product_id}/publication/",
        {"is_published": True},
        content_type="application/json",
        **auth,
    )
    assert published.json()["is_published"] is True
    stocked = client_a.post(
        f"/api/v1/manage/products/{product_id}/stock/",
        {"sku": "MIEL", "stock": None},
        content_type="application/json",
        **auth,
    )
    assert stocked.json()["variants"][0]["stock"] is None
    with town_a:
        product = Product.objects.get(pk=product_id)
        assert (product.title, product.price_cents, product.description, product.is_published) == (
            "Miel",
            900,
            "<p>Bon</p>",
            True,
        )
        assert list(Variant.objects.filter(product=product).values_list("sku", "stock")) == [("MIEL", None)]


def test_another_merchants_product_is_a_404_for_every_write(town_a, client_a):
    with town_a:
        mine, theirs = MerchantFactory(slug="a-moi"), MerchantFactory(slug="pas-a-moi")
        other = VariantFactory(product__merchant=theirs, sku="X").product
        token = issue_api_token(user=merchant_staff(mine))
    auth = {"HTTP_AUTHORIZATION": f"Token {token}", "content_type": "application/json"}

    assert client_a.get(f"/api/v1/manage/products/{other.pk}/", **auth).status_code == 404
    assert client_a.patch(f"/api/v1/manage/products/{other.pk}/", {"price_cents": 1}, **auth).status_code == 404
    assert (
        client_a.post(f"/api/v1/manage/products/{other.pk}/publication/", {"is_published": False}, **auth).status_code
        == 404
    )
    assert client_a.post(f"/api/v1/manage/products/{other.pk}/stock/", {"stock": 0}, **auth).status_code == 404
    created = client_a.post(
        "/api/v1/manage/products/", {"merchant": "pas-a-moi", "title": "Intrus", "price_cents": 1}, **auth
    )
    assert created.status_code == 400
    assert client_a.get("/api/v1/manage/products/", **auth).json()["count"] == 0
    with town_a:
        other.refresh_from_db()
        assert (other.price_cents, other.is_published, Product.objects.filter(title="Intrus").exists()) == (
            1250,
            True,
            False,
        )


def test_absurd_prices_are_refused(town_a, client_a):
    with town_a:
        merchant = MerchantFactory(slug="epicerie")
        token = issue_api_token(user=merchant_staff(merchant))
    auth = {"HTTP_AUTHORIZATION": f"Token {token}", "content_type": "application/json"}

    for price in (-1, 10_000_001):
        response = client_a.post(
            "/api/v1/manage/products/", {"merchant": "epicerie", "title": "X", "price_cents": price}, **auth
        )
        assert response.status_code == 400
        assert "price_cents" in response.json()


def test_tokens_are_bound_to_their_town_and_revocable(town_a, town_b, client_a, client_b):
    with town_a:
        user = merchant_staff(MerchantFactory())
        token = issue_api_token(user=user)
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}

    assert client_a.get("/api/v1/manage/products/", **auth).status_code == 200
    assert client_b.get("/api/v1/manage/products/", **auth).status_code == 401
    assert client_a.get("/api/v1/manage/products/", HTTP_AUTHORIZATION=f"Token {token}x").status_code == 401
    with town_a:
        user.api_tokens.all().delete()
    assert client_a.get("/api/v1/manage/products/", **auth).status_code == 401


def test_an_operator_token_does_not_authenticate_on_a_town_host(town_a, client_a):
    operator = User.objects.create_user(email="op@comptoir.test", role=Role.OPERATOR, is_staff=True)
    key = issue_api_token(user=operator)
    with town_a:
        merchant_staff(MerchantFactory())  # a town user that may share the operator's id

    response = client_a.get("/api/v1/manage/products/", HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 401


def test_residents_and_anonymous_visitors_cannot_write(town_a, client_a):
    response = client_a.post("/api/v1/manage/products/", {}, content_type="application/json")
    assert response.status_code in (401, 403)
    with town_a:
        resident = User.objects.create_user(email="habitant@example.fr", password="x" * 12, role=Role.RESIDENT)
        token = issue_api_token(user=resident)

    assert client_a.get("/api/v1/manage/products/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 403


def test_session_users_use_the_api_from_the_back_office(town_a, client_a):
    with town_a:
        merchant = MerchantFactory(slug="epicerie")
        VariantFactory(product__merchant=merchant, sku="S1")
        client_a.force_login(merchant_staff(merchant))

    assert client_a.get("/api/v1/manage/products/").json()["count"] == 1


# --- writes: malformed input is a 400, another town's ids a 404 -------------------------------------


@pytest.fixture
def api_auth(town_a):
    with town_a:
        merchant = MerchantFactory(slug="epicerie")
        token = issue_api_token(user=merchant_staff(merchant))
    return merchant, {"HTTP_AUTHORIZATION": f"Token {token}", "content_type": "application/json"}


@pytest.mark.parametrize("merchant", [["epicerie"], {"slug": "epicerie"}, 12, None])
def test_api_create_with_a_malformed_merchant_is_a_400(client_a, town_a, api_auth, merchant):
    _merchant, auth = api_auth
    payload = {"merchant": merchant, "title": "Miel", "price_cents": 850, "vat_rate": 550, "sku": "MIEL"}
    response = lenient(client_a).post("/api/v1/manage/products/", payload, **auth)
    assert response.status_code == 400
    with town_a:
        assert not Product.objects.filter(title="Miel").exists()


@pytest.mark.parametrize("field", ["merchant", "category"])
def test_api_create_with_a_nul_byte_in_a_slug_is_a_400(client_a, town_a, api_auth, field):
    """A NUL in the merchant or category slug is a 400, never a 500 (DataError): DRF's SlugRelatedField only
    catches DoesNotExist, TypeError and ValueError, and the SKU check reads the raw merchant value."""
    _merchant, auth = api_auth
    payload = {"merchant": "epicerie", "title": "Miel", "price_cents": 850, "vat_rate": 550, "sku": "MIEL"}
    payload[field] = "epi\u0000cerie"
    response = lenient(client_a).post("/api/v1/manage/products/", payload, **auth)
    assert response.status_code == 400


def test_api_create_with_a_stock_beyond_the_integer_range_is_a_400(client_a, town_a, api_auth):
    """``"stock": 10**12`` is a 400, never a 500 (integer out of range): capped as in the /stock/ action
    (10,000,000) and in imports (MAX_STOCK)."""
    _merchant, auth = api_auth
    payload = {"merchant": "epicerie", "title": "Miel", "price_cents": 850, "vat_rate": 550, "stock": 10**12}
    response = lenient(client_a).post("/api/v1/manage/products/", payload, **auth)
    assert response.status_code == 400


def test_api_stock_action_and_csrf(client_a, town_a, api_auth):
    merchant, auth = api_auth
    with town_a:
        product = VariantFactory(product__merchant=merchant, sku="S", stock=1).product
    client = lenient(client_a)
    assert client.post(f"/api/v1/manage/products/{product.pk}/stock/", {"stock": 10**12}, **auth).status_code == 400
    assert client.get(f"/api/v1/manage/products/{product.pk}/stock/", **auth).status_code == 405
    # session auth without the CSRF token: refused
    with town_a:
        user = User.objects.get(email="commercant@example.fr")
    session = Client(HTTP_HOST=town_a.primary_host, enforce_csrf_checks=True)
    with town_a:
        session.force_login(user)
    response = session.post(
        f"/api/v1/manage/products/{product.pk}/publication/", {"is_published": False}, content_type="application/json"
    )
    assert response.status_code == 403


def test_api_ids_of_another_town_are_404(client_a, town_a, town_b, api_auth):
    _merchant, auth = api_auth
    with town_b:
        other = VariantFactory(product__merchant__slug="epicerie", sku="B").product
    client = lenient(client_a)
    assert client.get(f"/api/v1/products/{other.pk}/", **auth).status_code in (404,)
    assert client.patch(f"/api/v1/manage/products/{other.pk}/", {"price_cents": 1}, **auth).status_code == 404
    with town_b:
        other.refresh_from_db()
        assert other.price_cents == 1250


def test_merchants_are_listed_in_french_alphabetical_order(town_a, client_a):
    names = ["atelier Bleu", "Céramiques de la Côte", "Coiffure Élodie", "Coiffure Thomas", "Cycles Martin"]
    with town_a:
        for name in reversed(names):
            MerchantFactory(name=name)

    body = client_a.get("/api/v1/merchants/").json()

    assert [merchant["name"] for merchant in body["results"]] == names
