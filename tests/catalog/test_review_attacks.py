"""Review: an attacker and a clumsy user against the storefront, the back-office, imports/exports
and the API of the catalogue. Bad input must get a sensible page or a French message, never a 500;
another merchant's or town's ids must answer 404; nothing is half-written."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.test import Client
from django.urls import reverse
from PIL import Image

import catalog.imports.products as products_module
from accounts.models import Role, User
from accounts.tokens import issue_api_token
from catalog.actions import add_photo, refresh_search_vectors
from catalog.export import write_products_csv
from catalog.imports import import_products, queue_import
from catalog.models import ImportJob, ImportKind, MerchantMembership, MerchantStatus, Photo, Product, Variant
from tests.catalog.factories import MerchantFactory, ProductFactory, VariantFactory
from tests.catalog.test_api import merchant_staff
from tests.catalog.test_backoffice import sign_in, url
from tests.catalog.test_imports import zip_of
from tests.catalog.test_photos import image_bytes, pixel_flood_png

XSS = '</script><script>alert("x")</script><img src=x onerror=alert(1)>'


def lenient(client: Client) -> Client:
    """A 500 comes back as a response (what a visitor sees) instead of an exception in the test."""
    client.raise_request_exception = False
    return client


def _png(size: tuple[int, int] = (8, 6)) -> bytes:
    return image_bytes("PNG", size=size)


def _gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), "red").save(buffer, "GIF")
    return buffer.getvalue()


HEADER = "sku;titre;prix;images\n"


# --- storefront: absurd query strings ---------------------------------------------------------------
@pytest.fixture
def shelf(town_a):
    with town_a:
        merchant = MerchantFactory(slug="fromagerie", name="Fromagerie du Beffroi")
        for index in range(3):
            ProductFactory(merchant=merchant, title=f"Comté affiné {index}", slug=f"comte-{index}")
        refresh_search_vectors(product_ids=Product.objects.values_list("pk", flat=True), merchant_ids=[merchant.pk])
    return merchant


@pytest.mark.parametrize(
    "query",
    [
        "page=-1",
        "page=0",
        f"page={10**20}",
        "page=abc",
        "page=1e5",
        "tri=inconnu",
        "tri=-price_cents",
        "prix=abc",
        "prix=%27%3B--",
        "categorie=inexistante",
        "commerce=inexistant",
        "q=" + "comte%20" * 2000,
        "q=%26%7C%21%3A*%28%29%27",
        "q=comte&tri=prix-desc&page=999999999999999999999",
    ],
)
def test_search_survives_absurd_query_strings(client_a, shelf, query):
    response = lenient(client_a).get(f"/recherche/?{query}")
    assert response.status_code == 200


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


def test_search_with_a_nul_byte_in_the_merchant_filter_is_not_a_500(client_a, shelf):
    """Found in review, now fixed: recherche/?commerce=%00 was a 500 (PostgreSQL refuses NUL in text,
    DataError). Any NUL in the address now gets the 400 page (config.middleware)."""
    response = lenient(client_a).get("/recherche/?q=comte&commerce=%00")
    assert response.status_code == 400


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


# --- stored XSS and JSON-LD ----------------------------------------------------------------------------
def test_names_alt_text_and_descriptions_cannot_inject_markup_or_end_the_json_ld(client_a, town_a):
    with town_a:
        merchant = MerchantFactory(slug="xss", name=XSS, description=XSS, city=XSS, address_line=XSS)
        product = ProductFactory(merchant=merchant, slug="p", title=XSS, description=f"<p>ok</p>{XSS}")
        VariantFactory(product=product, sku=XSS[:60])
        add_photo(upload=io.BytesIO(_png()), product=product, alt_text=XSS[:250])
        add_photo(upload=io.BytesIO(_png()), merchant=merchant, alt_text=XSS[:250])
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


# --- back-office: another merchant's objects ---------------------------------------------------------
@pytest.fixture
def two_shops(client_a, town_a):
    with town_a:
        mine = MerchantFactory(slug="ma-boutique")
        theirs = MerchantFactory(slug="leur-boutique")
        their_product = ProductFactory(merchant=theirs, title="Leur produit")
        their_variant = VariantFactory(product=their_product, stock=5)
        their_photo = add_photo(upload=io.BytesIO(_png()), merchant=theirs, alt_text="vitrine")
    sign_in(client_a, town_a, role=Role.MERCHANT_STAFF, merchant=mine)
    return mine, theirs, their_product, their_variant, their_photo


def test_import_jobs_and_exports_of_another_merchant_are_404(client_a, town_a, two_shops):
    _mine, theirs, *_ = two_shops
    with town_a:
        staff = User.objects.create_user(email="autre@test.fr", password="x" * 12, role=Role.TOWN_AGENT)
        job = queue_import(
            user=staff,
            kind=ImportKind.PRODUCTS,
            merchant=theirs,
            source=SimpleUploadedFile("p.csv", b"sku;titre;prix\nS1;Savon;2\n"),
            is_dry_run=True,
        )
    client = lenient(client_a)
    assert client.get(reverse("imports:job", kwargs={"job_id": job.pk})).status_code == 404
    assert client.get(reverse("imports:export", kwargs={"merchant_slug": theirs.slug})).status_code == 404
    assert "leur-boutique" not in client.get(reverse("imports:list")).text


def test_import_form_refuses_another_merchants_slug(client_a, town_a, two_shops):
    _mine, theirs, *_ = two_shops
    response = client_a.post(
        reverse("imports:list"),
        {"kind": "products", "merchant": theirs.slug, "source": SimpleUploadedFile("p.csv", b"sku;titre;prix\n")},
    )
    assert response.status_code == 200  # the form again, with the choice refused
    with town_a:
        assert not ImportJob.objects.filter(merchant=theirs).exists()


def test_photo_urls_of_another_merchant_are_404_and_change_nothing(client_a, town_a, two_shops):
    *_, their_photo = two_shops
    client = lenient(client_a)
    for name, data in (
        ("photo_alt_text", {f"photo-{their_photo.pk}-alt_text": "piraté"}),
        ("photo_move", {"direction": "up"}),
        ("photo_delete", {}),
    ):
        assert client.post(url(name, photo_id=their_photo.pk), data).status_code == 404
    with town_a:
        their_photo.refresh_from_db()
        assert their_photo.alt_text == "vitrine"


def test_state_changing_backoffice_urls_refuse_get(client_a, town_a, two_shops):
    mine, *_ = two_shops
    with town_a:
        product = ProductFactory(merchant=mine, is_published=True)
        variant = VariantFactory(product=product, stock=4)
        VariantFactory(product=product, stock=1)
    client = lenient(client_a)
    for name, kwargs in (
        ("product_publication", {"product_id": product.pk}),
        ("variant_stock", {"variant_id": variant.pk}),
        ("variant_delete", {"variant_id": variant.pk}),
    ):
        assert client.get(url(name, **kwargs) + "?is_published=0&stock=0").status_code == 405
    with town_a:
        product.refresh_from_db()
        variant.refresh_from_db()
        assert (product.is_published, variant.stock, Variant.objects.filter(pk=variant.pk).exists()) == (True, 4, True)


def test_backoffice_post_without_csrf_token_is_refused(town_a, two_shops):
    mine, *_ = two_shops
    with town_a:
        product = ProductFactory(merchant=mine, is_published=True)
        user = User.objects.create_user(email="csrf@test.fr", password="x" * 12, role=Role.MERCHANT_STAFF)
        MerchantMembership.objects.create(merchant=mine, user_id=user.pk)
    client = Client(HTTP_HOST=town_a.primary_host, enforce_csrf_checks=True)
    with town_a:
        client.force_login(user)
    response = client.post(url("product_publication", product_id=product.pk), {"is_published": "0"})
    assert response.status_code == 403
    with town_a:
        product.refresh_from_db()
        assert product.is_published is True


# --- back-office: absurd numbers -----------------------------------------------------------------------
def test_quick_stock_of_ten_billion_is_refused_with_a_message_not_a_500(client_a, town_a, two_shops):
    """Found in review, now fixed; before the fix: POST declinaisons/<id>/stock/ with stock=10000000000 → 500 (DataError: integer out of range).
    catalog/forms.py StockForm.stock is an IntegerField without max_value and
    actions.set_variant_stock writes it with .update(), skipping the model's range validators."""
    mine, *_ = two_shops
    with town_a:
        variant = VariantFactory(product=ProductFactory(merchant=mine), stock=3)
    response = lenient(client_a).post(url("variant_stock", variant_id=variant.pk), {"stock": "10000000000"})
    assert response.status_code == 302
    with town_a:
        variant.refresh_from_db()
        assert variant.stock == 3


@pytest.mark.parametrize("stock", ["10000000000", "-5", "abc"])
def test_variant_form_refuses_absurd_stock(client_a, town_a, two_shops, stock):
    mine, *_ = two_shops
    with town_a:
        variant = VariantFactory(product=ProductFactory(merchant=mine), stock=3, sku="V1")
    response = lenient(client_a).post(url("variant_edit", variant_id=variant.pk), {"sku": "V1", "stock": stock})
    assert response.status_code == 200
    with town_a:
        variant.refresh_from_db()
        assert variant.stock == 3


@pytest.mark.parametrize("price", ["99999999999999999999999", "1e5", "12,345", "-0,01", "NaN"])
def test_product_form_refuses_absurd_prices_with_a_form_not_a_500(client_a, town_a, two_shops, price):
    mine, *_ = two_shops
    data = {"title": "Pain", "price": price, "vat_rate": "2000", "unit": "piece"}
    response = lenient(client_a).post(url("product_create", merchant_slug=mine.slug), data)
    assert response.status_code == 200
    with town_a:
        assert not Product.objects.filter(merchant=mine).exists()


def test_category_position_out_of_range_is_a_form_error(client_a, town_a):
    sign_in(client_a, town_a, role=Role.TOWN_ADMIN)
    response = lenient(client_a).post(url("category_create"), {"name": "Nouvelle", "position": "99999999999"})
    assert response.status_code == 200


# --- photos -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("catalogue.pdf", b"%PDF-1.7\n" + b"0" * (16 * 1024 * 1024)),
        ("../../../etc/passwd.jpg", b"<?php system($_GET['c']); ?>"),
        ("bombe.png", pixel_flood_png()),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("vide.jpg", b""),
    ],
)
def test_bad_photo_uploads_get_a_french_message_and_store_nothing(client_a, town_a, two_shops, name, content):
    mine, *_ = two_shops
    response = lenient(client_a).post(
        url("merchant_photos", merchant_slug=mine.slug), {"image": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 200
    assert "photo" in response.text.lower()
    with town_a:
        assert not Photo.objects.filter(merchant=mine).exists()


def test_a_photo_uploaded_with_a_traversal_name_is_stored_under_the_town_with_a_random_name(
    client_a, town_a, two_shops
):
    mine, *_ = two_shops
    response = client_a.post(
        url("merchant_photos", merchant_slug=mine.slug),
        {"image": SimpleUploadedFile("../../evil.png", _png((30, 20)))},
    )
    assert response.status_code == 302
    with town_a:
        photo = Photo.objects.get(merchant=mine)
        assert photo.image.name.startswith(f"photos/merchants/{mine.pk}/")
        assert ".." not in photo.image.name
        assert "evil" not in photo.image.name
        assert town_a.schema_name in photo.image.path


# --- imports and exports ------------------------------------------------------------------------------
def test_export_neutralises_every_formula_a_merchant_can_type(town_a):
    with town_a:
        merchant = MerchantFactory()
        product = ProductFactory(
            merchant=merchant, title='=HYPERLINK("http://evil","x")', description="@SUM(1+1)*cmd|' /C calc'!A0"
        )
        VariantFactory(product=product, sku="+SKU", name="-2+3")
        stream = io.StringIO()
        write_products_csv(merchant=merchant, stream=stream)
    cells = [cell for line in stream.getvalue().splitlines()[1:] for cell in line.split(";")]
    assert all(not cell.lstrip('"').startswith(("=", "+", "-", "@")) for cell in cells), cells


def test_a_broken_row_in_the_middle_writes_nothing(town_a):
    with town_a:
        merchant = MerchantFactory()
        data = b"sku;titre;prix\nA;Pain;1,20\nB;Croissant;douze\nC;Brioche;3\n"
        report = import_products(merchant=merchant, data=data, filename="p.csv")
        assert not report.is_valid
        assert report.errors[0]["line"] == 3
        assert not Product.objects.filter(merchant=merchant).exists()


def test_zip_entries_with_traversal_names_are_only_matched_by_base_name(town_a):
    with town_a:
        merchant = MerchantFactory()
        archive = zip_of({"../../../../tmp/evil.png": _png(), "/abs/ok.png": _png()})
        data = (HEADER + "A;Pain;1,20;ok.png\nB;Brioche;2;../../../../tmp/evil.png\n").encode()
        report = import_products(merchant=merchant, data=data, filename="p.csv", images=archive)
        # "../../../../tmp/evil.png" is not a name in the archive's flat namespace: refused, nothing written
        assert not report.is_valid
        assert not Product.objects.filter(merchant=merchant).exists()


def test_a_dry_run_flags_a_zip_image_in_a_format_the_real_import_refuses(town_a):
    """An import ZIP holding a GIF (or BMP, TIFF, ICO...): the dry run says every row is fine, the
    real import then fails as a whole with a generic "L'enregistrement a échoué" and no line number.
    catalog/imports/products.py ImageArchive._check opens entries with ``Image.open(...)`` without
    ``formats=``, while add_photo (catalog/photos.py) only accepts JPEG, PNG, WebP and HEIF."""
    with town_a:
        merchant = MerchantFactory()
        data = (HEADER + "A;Pain;1,20;pain.gif\n").encode()
        report = import_products(
            merchant=merchant, data=data, filename="p.csv", images=zip_of({"pain.gif": _gif()}), dry_run=True
        )
    assert [(error["line"], error["column"]) for error in report.errors] == [(2, "images")]


def test_a_failed_import_leaves_no_photo_files_behind(town_a, monkeypatch):
    """An import whose write phase fails after some photos were attached rolls the rows back but
    leaves the re-encoded JPEGs on the storage for good (orphans of a catalogue that does not exist).
    catalog/actions.py add_photo saves the file before the row and only deletes it if *its own*
    save fails; catalog/imports/products.py _write_products runs it inside the import's transaction
    and nothing removes the files when that transaction rolls back."""

    def fail(**kwargs):
        raise DatabaseError("panne")

    with town_a:
        merchant = MerchantFactory()
        monkeypatch.setattr(products_module, "refresh_search_vectors", fail)
        data = (HEADER + "A;Pain;1,20;a.png\nB;Brioche;2;b.png\n").encode()
        saved: list[str] = []
        original_save = default_storage.save

        def spy(name, content, *args, **kwargs):
            saved.append(original_save(name, content, *args, **kwargs))
            return saved[-1]

        monkeypatch.setattr(default_storage, "save", spy)
        report = import_products(
            merchant=merchant, data=data, filename="p.csv", images=zip_of({"a.png": _png(), "b.png": _png()})
        )
        assert not report.is_committed
        assert not Product.objects.filter(merchant=merchant).exists()
        assert saved, "the photos were written during the import"
        assert [name for name in saved if default_storage.exists(name)] == []


# --- API ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("query", ["merchant=%00", "category=%00", "search=%00pain"])
def test_public_api_filters_with_a_nul_byte_are_not_a_500(client_a, shelf, query):
    """Found in review, now fixed; before the fix: GET /api/v1/products/?merchant=%00 (or category=, search=) → 500: catalog/api.py
    ProductViewSet.get_queryset passes query parameters straight into SQL and PostgreSQL refuses NUL."""
    response = lenient(client_a).get(f"/api/v1/products/?{query}")
    assert response.status_code in (200, 400)


@pytest.mark.parametrize("query", ["page=-1", "page=abc", f"page={10**20}", "search=" + "a%20-b%20%22" * 500])
def test_public_api_survives_absurd_pages_and_searches(client_a, shelf, query):
    assert lenient(client_a).get(f"/api/v1/products/?{query}").status_code in (200, 404)


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
    """Found in review, now fixed; before the fix: POST /api/v1/manage/products/ with "merchant": "\\u0000" (or "category") → 500 (DataError).
    DRF's SlugRelatedField (catalog/serializers.py ManagedProductSerializer.merchant/category) runs
    ``queryset.get(slug=data)`` and only catches DoesNotExist/TypeError/ValueError; validate_sku
    then does the same with ``self.initial_data.get("merchant")``, the raw unvalidated value."""
    _merchant, auth = api_auth
    payload = {"merchant": "epicerie", "title": "Miel", "price_cents": 850, "vat_rate": 550, "sku": "MIEL"}
    payload[field] = "epi\u0000cerie"
    response = lenient(client_a).post("/api/v1/manage/products/", payload, **auth)
    assert response.status_code == 400


def test_api_create_with_a_stock_beyond_the_integer_range_is_a_400(client_a, town_a, api_auth):
    """Found in review, now fixed; before the fix: POST /api/v1/manage/products/ with "stock": 10**12 → 500 (DataError, integer out of range).
    catalog/serializers.py ManagedProductSerializer.stock has min_value=0 but no max_value (the
    /stock/ action's StockSerializer caps at 10,000,000; imports at MAX_STOCK)."""
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
