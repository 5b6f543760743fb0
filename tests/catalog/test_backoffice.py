"""Catalogue back-office through HTTP: merchants, products, variants, stock, hours and photos."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role, User
from catalog.imports import import_merchants
from catalog.models import (
    Category,
    Closure,
    Merchant,
    MerchantMembership,
    MerchantStatus,
    OpeningPeriod,
    Photo,
    PhotoStatus,
    Product,
    Variant,
)
from tests.catalog.conftest import lenient, small_png
from tests.catalog.factories import MerchantFactory, ProductFactory, VariantFactory
from tests.catalog.test_photos import NOT_PHOTOS, image_bytes, jpeg_with_gps, pixel_flood_png

PASSWORD = "mot-de-passe-solide-42"


def sign_in(client: Client, town, *, role: str, merchant: Merchant | None = None, email: str | None = None) -> User:
    """A user of the town with the given role (member of ``merchant``), logged in on ``client``."""
    with town:
        user = User.objects.create_user(
            email=email or f"{role}-{User.objects.count()}@test.fr", password=PASSWORD, role=role
        )
        if merchant is not None:
            MerchantMembership.objects.create(merchant=merchant, user_id=user.pk)
        client.force_login(user)
    return user


def url(name: str, **kwargs: object) -> str:
    return reverse(f"backoffice:{name}", kwargs=kwargs)


@pytest.fixture
def shop(town_a) -> Merchant:
    with town_a:
        return MerchantFactory(name="Boulangerie Dupont", slug="boulangerie-dupont", status=MerchantStatus.DRAFT)


@pytest.fixture
def shopkeeper(client_a, town_a, shop) -> User:
    return sign_in(client_a, town_a, role=Role.MERCHANT_STAFF, merchant=shop)


@pytest.fixture
def agent(client_a, town_a) -> User:
    return sign_in(client_a, town_a, role=Role.TOWN_AGENT)


# --- who may enter -------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(client_a):
    response = client_a.get(url("merchant_list"))
    assert response.status_code == 302
    assert response["Location"] == "/compte/login/?next=/gestion/catalogue/"


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.COURIER])
def test_residents_and_couriers_get_403_for_the_whole_area(client_a, town_a, role):
    sign_in(client_a, town_a, role=role)
    assert client_a.get(url("merchant_list")).status_code == 403
    assert client_a.get(url("merchant_create")).status_code == 403


def test_merchant_staff_see_only_their_own_merchants(client_a, town_a, shop, shopkeeper):
    with town_a:
        MerchantFactory(name="Fromagerie Voisine")
    response = client_a.get(url("merchant_list"))
    assert response.status_code == 200
    assert "Boulangerie Dupont" in response.text
    assert "Fromagerie Voisine" not in response.text
    assert "Ajouter un commerçant" not in response.text


def test_merchant_staff_cannot_create_merchants(client_a, shopkeeper):
    assert client_a.get(url("merchant_create")).status_code == 403
    assert client_a.post(url("merchant_create"), {"name": "Ma boutique", "kind": "shop"}).status_code == 403


def test_town_staff_list_and_search_every_merchant(client_a, town_a, shop, agent):
    with town_a:
        MerchantFactory(name="Fromagerie Voisine", city="Coulogne")
    everything = client_a.get(url("merchant_list"))
    assert "Boulangerie Dupont" in everything.text
    assert "Fromagerie Voisine" in everything.text
    found = client_a.get(url("merchant_list"), {"q": "coulogne"})
    assert "Fromagerie Voisine" in found.text
    assert "Boulangerie Dupont" not in found.text


def test_merchant_list_query_count_does_not_grow_with_merchants(client_a, town_a, agent, django_assert_num_queries):
    with town_a:
        MerchantFactory.create_batch(5)
    client_a.get(url("merchant_list"))  # warm the town's connection state
    with CaptureQueriesContext(connection) as small:
        client_a.get(url("merchant_list"))
    with town_a:
        MerchantFactory.create_batch(30)
    with django_assert_num_queries(len(small.captured_queries)):
        assert client_a.get(url("merchant_list")).status_code == 200


# --- merchants -----------------------------------------------------------------------------------

MERCHANT_FORM = {
    "name": "Épicerie du Beffroi",
    "kind": "shop",
    "description": "<p>Produits <strong>locaux</strong></p><script>alert(1)</script>",
    "address_line": "1 place du Soldat Inconnu",
    "postcode": "62100",
    "city": "Calais",
    "phone": "03 21 00 00 00",
    "email": "bonjour@beffroi.fr",
    "website": "https://beffroi.fr",
    "siret": "732 829 320 00074",
    "sells_online": "on",
    "click_and_collect": "on",
}


def test_town_agent_creates_a_merchant_with_status_and_categories(client_a, town_a, agent):
    with town_a:
        bakery = Category.objects.get(slug="alimentation-boulangerie-et-patisserie")
    response = client_a.post(
        url("merchant_create"), {**MERCHANT_FORM, "status": "live", "is_featured": "on", "categories": [bakery.pk]}
    )
    with town_a:
        merchant = Merchant.objects.get(name="Épicerie du Beffroi")
        assert response["Location"] == url("merchant_edit", merchant_slug=merchant.slug)
        assert (merchant.slug, merchant.status, merchant.is_featured) == ("epicerie-du-beffroi", "live", True)
        assert merchant.description == "<p>Produits <strong>locaux</strong></p>"
        assert merchant.siret == "73282932000074"
        assert (merchant.sells_online, merchant.click_and_collect, merchant.delivery_eligible) == (True, True, False)
        assert list(merchant.categories.all()) == [bakery]


def test_the_merchant_form_and_the_merchant_import_read_a_siret_alike(client_a, town_a, town_b, agent):
    typed = "732.829.320.00074"  # as printed on invoices

    client_a.post(url("merchant_create"), {**MERCHANT_FORM, "status": "draft", "siret": typed})
    with town_b:  # the import would update the merchant of the same SIRET
        import_merchants(data=f"nom;siret\nÉpicerie importée;{typed}\n".encode(), filename="commerces.csv")

    with town_a:
        typed_in_form = Merchant.objects.values_list("siret", flat=True).get(name="Épicerie du Beffroi")
    with town_b:
        imported = Merchant.objects.values_list("siret", flat=True).get(name="Épicerie importée")
    assert typed_in_form == imported == "73282932000074"


def test_merchant_staff_edit_their_profile_but_not_status_or_featuring(client_a, town_a, shop, shopkeeper):
    response = client_a.post(
        url("merchant_edit", merchant_slug=shop.slug), {**MERCHANT_FORM, "status": "live", "is_featured": "on"}
    )
    assert response.status_code == 302
    with town_a:
        shop.refresh_from_db()
        assert (shop.name, shop.status, shop.is_featured) == ("Épicerie du Beffroi", MerchantStatus.DRAFT, False)
    page = client_a.get(url("merchant_edit", merchant_slug=shop.slug))
    assert 'name="status"' not in page.text
    assert 'name="is_featured"' not in page.text


def test_invalid_merchant_input_is_explained_next_to_the_field(client_a, town_a, shop, shopkeeper):
    response = client_a.post(
        url("merchant_edit", merchant_slug=shop.slug), {**MERCHANT_FORM, "siret": "73282932000075", "postcode": "621"}
    )
    assert response.status_code == 200
    html = response.text
    assert "Le formulaire contient des erreurs" in html
    assert 'id="id_siret_error"' in html
    assert 'aria-describedby="id_siret_helptext id_siret_error"' in html
    assert 'aria-invalid="true"' in html
    assert "Un code postal a 5 chiffres." in html
    assert "<h1>Boulangerie Dupont</h1>" in html  # the heading keeps the saved name
    with town_a:
        shop.refresh_from_db()
        assert shop.name == "Boulangerie Dupont"


def test_weekly_hours_are_replaced_and_overlaps_refused(client_a, town_a, shop, shopkeeper):
    def hours(*rows):
        data = {"plages-TOTAL_FORMS": str(len(rows)), "plages-INITIAL_FORMS": "0"}
        for index, (weekday, opens, closes) in enumerate(rows):
            data |= {
                f"plages-{index}-weekday": weekday,
                f"plages-{index}-opens_at": opens,
                f"plages-{index}-closes_at": closes,
            }
        return data

    ok = client_a.post(
        url("merchant_hours", merchant_slug=shop.slug), hours((1, "09:30", "12:30"), (1, "14:00", "19:00"))
    )
    assert ok.status_code == 302
    with town_a:
        assert [str(p) for p in OpeningPeriod.objects.filter(merchant=shop)] == [
            "mardi 09:30–12:30",
            "mardi 14:00–19:00",
        ]

    overlap = client_a.post(
        url("merchant_hours", merchant_slug=shop.slug), hours((2, "09:00", "13:00"), (2, "12:00", "18:00"))
    )
    assert "Deux plages horaires du même jour se chevauchent." in overlap.text
    backwards = client_a.post(url("merchant_hours", merchant_slug=shop.slug), hours((3, "18:00", "09:00")))
    assert "L&#x27;heure de fermeture doit suivre l&#x27;heure d&#x27;ouverture." in backwards.text
    with town_a:
        assert OpeningPeriod.objects.filter(merchant=shop).count() == 2


def test_closures_are_added_and_deleted(client_a, town_a, shop, shopkeeper):
    client_a.post(
        url("closure_add", merchant_slug=shop.slug),
        {"fermeture-starts_on": "2026-12-24", "fermeture-ends_on": "2026-12-26", "fermeture-reason": "Noël"},
    )
    with town_a:
        closure = Closure.objects.get(merchant=shop)
        assert (closure.starts_on, closure.ends_on, closure.reason) == (
            dt.date(2026, 12, 24),
            dt.date(2026, 12, 26),
            "Noël",
        )
    refused = client_a.post(
        url("closure_add", merchant_slug=shop.slug),
        {"fermeture-starts_on": "2026-12-26", "fermeture-ends_on": "2026-12-24"},
    )
    assert "La date de fin doit suivre la date de début." in refused.text
    client_a.post(url("closure_delete", closure_id=closure.pk))
    with town_a:
        assert not Closure.objects.filter(merchant=shop).exists()


# --- products, variants, stock -------------------------------------------------------------------

PRODUCT_FORM = {
    "title": "Éclair au café",
    "description": '<p>Crème <em>pâtissière</em></p><img src=x onerror="alert(1)">',
    "price": "12,50",
    "vat_rate": "550",
    "unit": "piece",
    "content_quantity": "0,12",
    "content_unit": "kg",
    "is_perishable": "on",
}


@pytest.mark.parametrize(("typed", "cents"), [("12,50", 1250), ("12.5", 1250), ("1 234,56 €", 123456), ("3", 300)])
def test_prices_are_typed_in_euros_with_a_decimal_comma(client_a, town_a, shop, shopkeeper, typed, cents):
    response = client_a.post(
        url("product_create", merchant_slug=shop.slug), {**PRODUCT_FORM, "price": typed, "sku": "ECL-1", "stock": "12"}
    )
    with town_a:
        product = Product.objects.get(merchant=shop)
        assert response["Location"] == url("product_edit", product_id=product.pk)
        assert product.price_cents == cents
        assert (product.vat_rate, product.is_perishable, product.is_published) == (550, True, False)
        assert str(product.content_quantity) == "0.120"
        assert product.description == "<p>Crème <em>pâtissière</em></p>"
        assert list(product.variants.values_list("sku", "stock")) == [("ECL-1", 12)]


def test_a_products_parcel_size_and_chilled_flag_are_set_on_its_form_for_the_delivery_rounds(
    client_a, town_a, shop, shopkeeper
):
    data = {**PRODUCT_FORM, "sku": "BEU-1", "stock": "4", "weight_grams": "250", "volume_ml": "300", "is_chilled": "on"}
    client_a.post(url("product_create", merchant_slug=shop.slug), data)
    with town_a:
        product = Product.objects.get(merchant=shop)
        assert (product.weight_grams, product.volume_ml, product.is_chilled) == (250, 300, True)

    client_a.post(url("product_edit", product_id=product.pk), {**data, "weight_grams": "", "volume_ml": "-5"})
    with town_a:
        product.refresh_from_db()
        assert product.volume_ml == 300  # refused: nothing changed


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-3", "Un prix ne peut pas être négatif."),
        ("12,505", "Saisissez un prix en euros, par exemple 12,50."),
        ("douze", "Saisissez un prix en euros, par exemple 12,50."),
        ("100000,01", "Un prix de plus de 100 000 € est refusé : vérifiez la saisie."),
    ],
)
def test_negative_or_absurd_prices_are_refused_and_nothing_is_created(
    client_a, town_a, shop, shopkeeper, typed, message
):
    response = client_a.post(url("product_create", merchant_slug=shop.slug), {**PRODUCT_FORM, "price": typed})
    assert response.status_code == 200
    assert message.replace("'", "&#x27;") in response.text
    assert 'aria-describedby="id_price_helptext id_price_error"' in response.text
    with town_a:
        assert not Product.objects.filter(merchant=shop).exists()


def test_vat_rate_must_match_the_merchants_vat_regime(client_a, town_a, shop, shopkeeper):
    refused = client_a.post(url("product_create", merchant_slug=shop.slug), {**PRODUCT_FORM, "vat_rate": "0"})
    assert "est réservé aux commerçants en franchise" in refused.text
    with town_a:
        Merchant.objects.filter(pk=shop.pk).update(is_vat_exempt=True)
    refused = client_a.post(url("product_create", merchant_slug=shop.slug), {**PRODUCT_FORM, "vat_rate": "2000"})
    assert "Ce commerçant est en franchise de TVA" in refused.text
    client_a.post(url("product_create", merchant_slug=shop.slug), {**PRODUCT_FORM, "vat_rate": "0"})
    with town_a:
        assert Product.objects.get(merchant=shop).vat_rate == 0


def test_duplicate_sku_is_refused_with_a_message(client_a, town_a, shop, shopkeeper):
    with town_a:
        VariantFactory(product=ProductFactory(merchant=shop), sku="ECL-1")
    response = client_a.post(url("product_create", merchant_slug=shop.slug), {**PRODUCT_FORM, "sku": "ECL-1"})
    assert "Cette référence est déjà utilisée par un autre produit." in response.text
    with town_a:
        assert Product.objects.filter(merchant=shop).count() == 1


def test_editing_a_product_keeps_its_price_in_euros(client_a, town_a, shop, shopkeeper):
    with town_a:
        product = ProductFactory(merchant=shop, price_cents=1250, title="Baguette")
    page = client_a.get(url("product_edit", product_id=product.pk))
    assert 'value="12,50"' in page.text
    client_a.post(
        url("product_edit", product_id=product.pk), {**PRODUCT_FORM, "title": "Baguette tradition", "price": "1,30"}
    )
    with town_a:
        product.refresh_from_db()
        assert (product.title, product.price_cents) == ("Baguette tradition", 130)


def test_merchant_staff_cannot_feature_their_own_product(client_a, town_a, shop, shopkeeper):
    with town_a:
        product = ProductFactory(merchant=shop)
    client_a.post(url("product_edit", product_id=product.pk), {**PRODUCT_FORM, "is_featured": "on"})
    with town_a:
        product.refresh_from_db()
        assert product.is_featured is False


def test_publish_and_unpublish(client_a, town_a, shop, shopkeeper):
    with town_a:
        product = ProductFactory(merchant=shop, is_published=False)
    response = client_a.post(
        url("product_publication", product_id=product.pk), {"is_published": "1", "return_to": "list"}
    )
    assert response["Location"] == f"{url('product_list', merchant_slug=shop.slug)}#produit-{product.pk}"
    with town_a:
        product.refresh_from_db()
        assert product.is_published is True
    client_a.post(url("product_publication", product_id=product.pk), {"is_published": "0"})
    with town_a:
        product.refresh_from_db()
        assert product.is_published is False


@pytest.mark.parametrize(("typed", "stock"), [("0", 0), ("", None), ("7", 7)])
def test_quick_stock_toggles(client_a, town_a, shop, shopkeeper, typed, stock):
    with town_a:
        variant = VariantFactory(product=ProductFactory(merchant=shop), stock=3)
    client_a.post(url("variant_stock", variant_id=variant.pk), {"stock": typed, "return_to": "list"})
    with town_a:
        variant.refresh_from_db()
        assert variant.stock == stock


def test_negative_stock_is_refused(client_a, town_a, shop, shopkeeper):
    with town_a:
        variant = VariantFactory(product=ProductFactory(merchant=shop), stock=3)
    response = client_a.post(url("variant_stock", variant_id=variant.pk), {"stock": "-1"}, follow=True)
    assert "Stock refusé" in response.text
    with town_a:
        variant.refresh_from_db()
        assert variant.stock == 3


def test_variants_are_added_with_checked_ean_and_deleted_but_never_the_last(client_a, town_a, shop, shopkeeper):
    with town_a:
        product = ProductFactory(merchant=shop)
        first = VariantFactory(product=product, sku="T-S")
    bad = client_a.post(
        url("variant_create", product_id=product.pk), {"name": "M", "sku": "T-M", "ean": "4006381333932"}
    )
    assert "n&#x27;est pas valide (chiffre de contrôle faux" in bad.text
    client_a.post(
        url("variant_create", product_id=product.pk),
        {"name": "M", "sku": "T-M", "ean": "4006381333931", "stock": "4", "price": "14,00"},
    )
    with town_a:
        second = Variant.objects.get(sku="T-M")
        assert (second.merchant_id, second.ean, second.stock, second.price_cents, second.position) == (
            shop.pk,
            "4006381333931",
            4,
            1400,
            1,
        )
    client_a.post(url("variant_delete", variant_id=second.pk))
    response = client_a.post(url("variant_delete", variant_id=first.pk), follow=True)
    assert "Un produit garde au moins une déclinaison." in response.text
    with town_a:
        assert list(product.variants.values_list("sku", flat=True)) == ["T-S"]


def test_product_list_query_count_does_not_grow_with_products(
    client_a, town_a, shop, shopkeeper, django_assert_num_queries
):
    with town_a:
        for _ in range(10):
            VariantFactory(product=ProductFactory(merchant=shop))
    list_url = url("product_list", merchant_slug=shop.slug)
    client_a.get(list_url)  # warm the town's connection state
    with CaptureQueriesContext(connection) as ten:
        client_a.get(list_url)
    with town_a:
        for _ in range(40):
            VariantFactory(product=ProductFactory(merchant=shop))
    with django_assert_num_queries(len(ten.captured_queries)):
        response = client_a.get(list_url)
    assert response.text.count('class="stock-form"') == 50


def test_quick_stock_of_ten_billion_is_refused_with_a_message_not_a_500(client_a, town_a, two_shops):
    """The quick stock form refuses a stock beyond the column's range with a message, never a 500 (integer
    out of range): the stock is written with ``.update()``, which skips the model's range validators."""
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


# --- photos through HTTP -------------------------------------------------------------------------


def test_phone_photo_upload_strips_gps_and_is_ready_with_renditions(
    client_a, town_a, shop, shopkeeper, django_capture_on_commit_callbacks
):
    with town_a:
        product = ProductFactory(merchant=shop)
    upload = SimpleUploadedFile("IMG_0001.jpg", jpeg_with_gps(size=(1200, 900)), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(url("product_photos", product_id=product.pk), {"image": upload, "alt_text": "Éclair"})
    assert response.status_code == 302
    with town_a:
        photo = Photo.objects.get(product=product)
        assert (photo.status, photo.alt_text, sorted(photo.renditions)) == (
            PhotoStatus.READY,
            "Éclair",
            ["1600", "320", "800"],
        )
        assert "IMG_0001" not in photo.image.name
    page = client_a.get(url("product_photos", product_id=product.pk))
    assert 'alt="Éclair"' in page.text
    assert 'loading="lazy"' in page.text


@pytest.fixture
def broker_queue():
    """Celery as in production: tasks are sent to the broker (Kombu's in-memory one here) and nothing
    runs them in the request; the test reads what was queued."""
    from config.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    with app.connection_for_write() as broker:
        queue = broker.SimpleQueue(app.conf.task_default_queue)
        queue.clear()
        try:
            yield queue
        finally:
            queue.clear()
            queue.close()
            app.conf.task_always_eager = eager


def test_a_photo_upload_only_queues_its_renditions_for_the_worker(
    client_a, town_a, shop, shopkeeper, broker_queue, django_capture_on_commit_callbacks
):
    from django.core.files.storage import default_storage

    from catalog.tasks import make_photo_renditions_task

    upload = SimpleUploadedFile("vitrine.jpg", image_bytes("JPEG", size=(2000, 1500)), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(url("merchant_photos", merchant_slug=shop.slug), {"image": upload})

    assert response.status_code == 302
    with town_a:
        photo = Photo.objects.get(merchant=shop)
        base = photo.image.name.rsplit(".", 1)[0]
        assert (photo.status, photo.renditions, photo.width, photo.height) == (PhotoStatus.PROCESSING, {}, 2000, 1500)
        assert [default_storage.exists(f"{base}_{width}.webp") for width in (320, 800, 1600)] == [False] * 3
    message = broker_queue.get(timeout=5)
    message.ack()
    headers = message.headers
    assert (headers["task"], headers["argsrepr"], headers["_schema_name"]) == (
        "catalog.make_photo_renditions",
        f"({photo.pk},)",
        town_a.schema_name,
    )
    assert broker_queue.qsize() == 0

    with town_a:  # what the worker then runs
        make_photo_renditions_task.apply(args=[photo.pk])
        photo.refresh_from_db()
        assert (photo.status, sorted(photo.renditions)) == (PhotoStatus.READY, ["1600", "320", "800"])


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("facture.jpg", NOT_PHOTOS["pdf_renamed_jpg"], "Ce fichier n&#x27;est pas une photo utilisable."),
        ("logo.svg", NOT_PHOTOS["svg_with_script"], "Ce fichier n&#x27;est pas une photo utilisable."),
        ("page.html", NOT_PHOTOS["html"], "Ce fichier n&#x27;est pas une photo utilisable."),
        ("geant.png", pixel_flood_png(), "Cette image est trop grande"),
    ],
)
def test_bad_uploads_are_refused_with_a_french_message_and_nothing_stored(
    client_a, town_a, shop, shopkeeper, filename, content, message
):
    response = client_a.post(
        url("merchant_photos", merchant_slug=shop.slug), {"image": SimpleUploadedFile(filename, content)}
    )
    assert response.status_code == 200
    assert message in response.text
    assert 'aria-describedby="id_image_helptext id_image_error"' in response.text
    with town_a:
        assert not Photo.objects.exists()


def test_photo_alt_text_reorder_and_delete(client_a, town_a, shop, shopkeeper):
    for colour in ("a", "b"):
        client_a.post(
            url("merchant_photos", merchant_slug=shop.slug),
            {"image": SimpleUploadedFile(f"{colour}.png", image_bytes("PNG", size=(20, 20))), "alt_text": colour},
        )
    with town_a:
        first, second = Photo.objects.filter(merchant=shop)
    client_a.post(url("photo_alt_text", photo_id=first.pk), {f"photo-{first.pk}-alt_text": "Vitrine de Noël"})
    response = client_a.post(url("photo_move", photo_id=second.pk), {"direction": "up"})
    assert response["Location"] == url("merchant_photos", merchant_slug=shop.slug)
    with town_a:
        assert [p.alt_text for p in Photo.objects.filter(merchant=shop)] == ["b", "Vitrine de Noël"]
    client_a.post(url("photo_delete", photo_id=second.pk))
    with town_a:
        assert list(Photo.objects.filter(merchant=shop)) == [first]


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
        {"image": SimpleUploadedFile("../../evil.png", small_png((30, 20)))},
    )
    assert response.status_code == 302
    with town_a:
        photo = Photo.objects.get(merchant=mine)
        assert photo.image.name.startswith(f"photos/merchants/{mine.pk}/")
        assert ".." not in photo.image.name
        assert "evil" not in photo.image.name
        assert town_a.schema_name in photo.image.path


# --- method and CSRF -----------------------------------------------------------------------------


def test_state_changes_are_post_only(client_a, town_a, shop, shopkeeper):
    with town_a:
        product = ProductFactory(merchant=shop, is_published=False)
    assert client_a.get(url("product_publication", product_id=product.pk), {"is_published": "1"}).status_code == 405
    with town_a:
        product.refresh_from_db()
        assert product.is_published is False


def test_posts_without_csrf_token_are_refused(town_a, shop):
    client = Client(HTTP_HOST=town_a.primary_host, enforce_csrf_checks=True)
    sign_in(client, town_a, role=Role.MERCHANT_STAFF, merchant=shop)
    with town_a:
        product = ProductFactory(merchant=shop, is_published=False)
    assert client.post(url("product_publication", product_id=product.pk), {"is_published": "1"}).status_code == 403
    with town_a:
        product.refresh_from_db()
        assert product.is_published is False


def test_pages_have_one_heading_and_load_the_backoffice_styles(client_a, town_a, shop, shopkeeper):
    with town_a:
        product = ProductFactory(merchant=shop)
    for page_url in (
        url("merchant_list"),
        url("merchant_edit", merchant_slug=shop.slug),
        url("merchant_hours", merchant_slug=shop.slug),
        url("product_list", merchant_slug=shop.slug),
        url("product_create", merchant_slug=shop.slug),
        url("product_edit", product_id=product.pk),
        url("product_photos", product_id=product.pk),
        url("merchant_photos", merchant_slug=shop.slug),
        url("variant_create", product_id=product.pk),
    ):
        response = client_a.get(page_url)
        assert response.status_code == 200, page_url
        assert response.text.count("<h1") == 1, page_url
        assert "/static/css/backoffice.css" in response.text


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


# --- merchants: coordinates, INSEE code and social links -----------------------------------------


def test_merchant_location_insee_code_and_social_links_are_saved(client_a, town_a, shop, shopkeeper):
    response = client_a.post(
        url("merchant_edit", merchant_slug=shop.slug),
        {
            **MERCHANT_FORM,
            "insee_code": "62193",
            "latitude": "50,9512345",  # decimal comma, 7 decimals: rounded to the 6 stored
            "longitude": "1.858686",
            "facebook": "https://www.facebook.com/beffroi",
            "instagram": "www.instagram.com/beffroi",  # no scheme: https is assumed
        },
    )
    assert response.status_code == 302
    with town_a:
        shop.refresh_from_db()
        assert shop.insee_code == "62193"
        assert (str(shop.latitude), str(shop.longitude)) == ("50.951235", "1.858686")
        assert shop.social_links == {
            "facebook": "https://www.facebook.com/beffroi",
            "instagram": "https://www.instagram.com/beffroi",
        }
    page = client_a.get(url("merchant_edit", merchant_slug=shop.slug)).text
    assert "Code INSEE de la commune" in page
    assert 'value="50,951235"' in page
    assert 'value="https://www.facebook.com/beffroi"' in page

    # Emptied fields clear the coordinates and drop the links; Corsican INSEE codes are accepted.
    cleared = client_a.post(
        url("merchant_edit", merchant_slug=shop.slug),
        {**MERCHANT_FORM, "insee_code": "2a004", "latitude": "", "longitude": "", "facebook": "", "instagram": ""},
    )
    assert cleared.status_code == 302
    with town_a:
        shop.refresh_from_db()
        assert (shop.insee_code, shop.latitude, shop.longitude, shop.social_links) == ("2A004", None, None, {})


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"latitude": "91", "longitude": "1"}, "inférieure ou égale à 90"),
        ({"latitude": "-90.5", "longitude": "1"}, "supérieure ou égale à -90"),
        ({"latitude": "50", "longitude": "180,01"}, "inférieure ou égale à 180"),
        ({"latitude": "50", "longitude": "-181"}, "supérieure ou égale à -180"),
        ({"latitude": "nord", "longitude": "1"}, "Saisissez un nombre."),
        ({"latitude": "50,95", "longitude": ""}, "Indiquez la latitude et la longitude, ou aucune des deux."),
        ({"latitude": "", "longitude": "1,85"}, "Indiquez la latitude et la longitude, ou aucune des deux."),
        ({"insee_code": "6219"}, "n&#x27;est pas un code INSEE de commune"),
        ({"insee_code": "2C004"}, "n&#x27;est pas un code INSEE de commune"),
        ({"facebook": "http://www.facebook.com/beffroi"}, "Seules les adresses en https:// sont acceptées."),
        ({"instagram": "javascript:alert(1)"}, "Saisissez une URL valide."),
    ],
)
def test_invalid_location_insee_code_or_social_link_is_refused(client_a, town_a, shop, shopkeeper, fields, message):
    with town_a:
        before = list(Merchant.objects.filter(pk=shop.pk).values())
    response = client_a.post(url("merchant_edit", merchant_slug=shop.slug), {**MERCHANT_FORM, **fields})
    assert response.status_code == 200
    assert "Le formulaire contient des erreurs" in response.text
    assert message in response.text
    with town_a:
        assert list(Merchant.objects.filter(pk=shop.pk).values()) == before


def test_editing_keeps_other_social_networks_imported_earlier(client_a, town_a, shop, shopkeeper):
    with town_a:
        Merchant.objects.filter(pk=shop.pk).update(
            social_links={"facebook": "https://www.facebook.com/ancien", "tiktok": "https://www.tiktok.com/@dupont"}
        )
    page = client_a.get(url("merchant_edit", merchant_slug=shop.slug)).text
    assert 'value="https://www.facebook.com/ancien"' in page
    client_a.post(
        url("merchant_edit", merchant_slug=shop.slug),
        {**MERCHANT_FORM, "facebook": "", "instagram": "https://www.instagram.com/dupont"},
    )
    with town_a:
        shop.refresh_from_db()
        assert shop.social_links == {
            "tiktok": "https://www.tiktok.com/@dupont",
            "instagram": "https://www.instagram.com/dupont",
        }


def test_the_merchant_list_sorts_names_in_french_alphabetical_order(client_a, town_a, agent):
    names = ["atelier Bleu", "Céramiques de la Côte", "Coiffure Élodie", "Coiffure Thomas", "Cycles Martin"]
    with town_a:
        for name in reversed(names):
            MerchantFactory(name=name)

    html = client_a.get(url("merchant_list")).content.decode()

    assert sorted(names, key=html.index) == names


def test_the_category_choices_read_as_a_tree_main_categories_first(client_a, town_a, shop, shopkeeper):
    with town_a:
        food = Category.objects.get(slug="alimentation")
        bakery = Category.objects.get(slug="alimentation-boulangerie-et-patisserie")
        fashion = Category.objects.get(slug="mode")
        Category.objects.filter(parent=food).update(position=0)  # the children's order is then by name alone
        expected = [food.pk, *Category.objects.filter(parent=food).order_by("slug").values_list("pk", flat=True)]

    html = client_a.get(url("product_create", merchant_slug=shop.slug)).content.decode()

    options = [int(value) for value in re.findall(r'<option value="(\d+)"', html)]
    # "Alimentation", then its children from "Boucherie…" to "Produits locaux", "Épicerie" among the E's.
    assert options[: len(expected)] == expected
    assert options.index(fashion.pk) == len(expected)  # the next main category follows its predecessor's children
    assert options.index(bakery.pk) < options.index(fashion.pk)


def test_form_rows_read_box_then_label_for_a_check_box_and_label_then_control_otherwise_help_last(
    client_a, town_a, shop, shopkeeper
):
    html = client_a.get(url("product_create", merchant_slug=shop.slug)).content.decode()

    box = html.index('<input type="checkbox" name="is_perishable"')
    box_label = html.index('<label for="id_is_perishable">Périssable</label>')
    box_help = html.index('<div class="helptext" id="id_is_perishable_helptext">')
    assert box < box_label < box_help
    label = html.index('<label for="id_content_quantity">')
    control = html.index('<input type="text" name="content_quantity"')
    help_text = html.index('<div class="helptext" id="id_content_quantity_helptext">')
    assert label < control < help_text
    assert 'aria-describedby="id_is_perishable_helptext"' in html


def test_a_new_towns_staff_see_how_to_add_the_first_merchant_not_the_merchants_message(client_a, town_a):
    sign_in(client_a, town_a, role=Role.TOWN_ADMIN)

    html = client_a.get(url("merchant_list")).content.decode()

    assert "Aucun commerçant n'est encore inscrit sur le site de la ville." in html.replace("&#x27;", "'")
    assert f'<a href="{url("merchant_create")}">Remplir la fiche d' in html
    assert f'<a href="{reverse("imports:list")}">Importer une liste de commerçants' in html
    assert "Contactez la mairie" not in html


def test_a_shopkeeper_without_a_shop_is_told_to_contact_the_town(client_a, town_a):
    sign_in(client_a, town_a, role=Role.MERCHANT_STAFF)

    html = client_a.get(url("merchant_list")).content.decode()

    assert "Contactez la mairie pour être ajouté." in html
    assert url("merchant_create") not in html
