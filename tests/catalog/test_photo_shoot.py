"""Photo shoot from a phone: each photo becomes a draft product, once, whatever the network does."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from PIL import Image

from accounts.models import Role
from accounts.tokens import issue_api_token
from catalog.actions import set_product_published
from catalog.imports.products import import_products
from catalog.models import Merchant, MerchantStatus, Photo, Product, Variant
from catalog.photo_shoot import add_draft_product_from_photo
from checkout.basket import add_to_basket, get_or_create_basket
from tenants.current import town_today
from tests.catalog.factories import MerchantFactory
from tests.catalog.test_backoffice import sign_in
from tests.catalog.test_photos import image_bytes, jpeg_with_gps
from tests.conftest import run_concurrently

pytestmark = pytest.mark.usefixtures("isolated_media")

FORTY_MB_PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"0" * (40 * 1024 * 1024)


def url(name: str, **kwargs: object) -> str:
    return reverse(f"backoffice:{name}", kwargs=kwargs)


def jpeg(colour: tuple[int, int, int] = (200, 30, 30), size: tuple[int, int] = (60, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def stored_files(media: Path) -> list[str]:
    return sorted(str(path.relative_to(media)) for path in media.rglob("*") if path.is_file())


@pytest.fixture
def bakery(town_a) -> Merchant:
    with town_a:
        return MerchantFactory(
            name="Boulangerie du Courgain", slug="boulangerie-du-courgain", status=MerchantStatus.LIVE
        )


@pytest.fixture
def agent(client_a, town_a):
    return sign_in(client_a, town_a, role=Role.TOWN_AGENT)


def upload(client, merchant_slug: str, data: bytes, *, key: str, name: str = "IMG_0001.jpg", content_type="image/jpeg"):
    return client.post(
        url("photo_shoot_upload", merchant_slug=merchant_slug),
        {"photo": SimpleUploadedFile(name, data, content_type=content_type)},
        headers={"Idempotency-Key": key, "X-Requested-With": "fetch"},
    )


# --- several photos in a row ---------------------------------------------------------------------
def test_several_photos_sent_at_once_make_one_draft_each_and_resending_the_form_makes_none(
    client_a, town_a, agent, bakery
):
    shoot_key = str(uuid.uuid4())
    files = {
        "camera": [SimpleUploadedFile("a.jpg", jpeg((200, 0, 0))), SimpleUploadedFile("b.jpg", jpeg((0, 200, 0)))],
        "gallery": [SimpleUploadedFile("c.heic", image_bytes("HEIF", size=(80, 60)), content_type="image/heic")],
    }

    response = client_a.post(url("photo_shoot", merchant_slug=bakery.slug), {"shoot_key": shoot_key, **files})

    assert response.status_code == 302
    assert response["Location"] == url("photo_shoot", merchant_slug=bakery.slug) + "#a-completer"
    with town_a:
        today = town_today().strftime("%d/%m/%Y")
        drafts = list(Product.objects.filter(merchant=bakery).order_by("pk"))
        assert [product.title for product in drafts] == [f"Photo du {today} n° {n}" for n in (1, 2, 3)]
        assert {(p.needs_details, p.is_published, p.price_cents, p.vat_rate) for p in drafts} == {
            (True, False, 0, 2000)
        }
        assert [product.photos.count() for product in drafts] == [1, 1, 1]
        assert Variant.objects.filter(product__in=drafts).count() == 3
        assert Photo.objects.get(product=drafts[2]).image.name.endswith(".jpg")  # the HEIC, stored as JPEG

    # The same form posted again (a reload that resends it): its photos carry the same keys.
    files = {
        "camera": [SimpleUploadedFile("a.jpg", jpeg((200, 0, 0))), SimpleUploadedFile("b.jpg", jpeg((0, 200, 0)))],
        "gallery": [SimpleUploadedFile("c.heic", image_bytes("HEIF", size=(80, 60)), content_type="image/heic")],
    }
    client_a.post(url("photo_shoot", merchant_slug=bakery.slug), {"shoot_key": shoot_key, **files})
    with town_a:
        assert Product.objects.filter(merchant=bakery).count() == 3
        assert Photo.objects.count() == 3


def test_the_page_offers_the_camera_and_lists_the_drafts_to_complete(client_a, town_a, agent, bakery):
    with town_a:
        add_draft_product_from_photo(merchant=bakery, upload=io.BytesIO(jpeg()), upload_key=uuid.uuid4())

    page = client_a.get(url("photo_shoot", merchant_slug=bakery.slug)).content.decode()

    assert 'accept="image/*" capture="environment"' in page
    assert 'type="file" name="camera" multiple' in page
    assert "Produits à compléter" in page
    assert 'src="/static/js/photo-shoot.js" defer' in page
    assert "<script>" not in page  # CSP: no inline script


# --- a bad network ------------------------------------------------------------------------------
def test_a_photo_upload_retried_after_the_server_stored_it_returns_the_same_draft(
    client_a, town_a, agent, bakery, isolated_media
):
    media, _private = isolated_media
    key = str(uuid.uuid4())
    first = upload(client_a, bakery.slug, jpeg(), key=key)
    files_after_first = stored_files(media)

    again = upload(client_a, bakery.slug, jpeg(), key=key)  # the answer was lost: the phone sends it again

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["product_id"] == first.json()["product_id"]
    assert again.json()["created"] is False
    assert f'id="brouillon-{first.json()["product_id"]}"' in again.json()["html"]
    with town_a:
        assert Product.objects.filter(merchant=bakery).count() == 1
        assert Product.objects.get().upload_key == uuid.UUID(key)
        assert Photo.objects.count() == 1
    assert stored_files(media) == files_after_first


def test_the_same_key_for_another_merchant_is_another_photo(client_a, town_a, agent, bakery):
    with town_a:
        other = MerchantFactory(slug="poissonnerie")
    key = str(uuid.uuid4())

    assert upload(client_a, bakery.slug, jpeg(), key=key).status_code == 201
    assert upload(client_a, other.slug, jpeg(), key=key).status_code == 201

    with town_a:
        assert Product.objects.filter(upload_key=key).count() == 2


def test_an_upload_without_a_key_is_refused_and_stores_nothing(client_a, town_a, agent, bakery, isolated_media):
    media, _private = isolated_media

    response = upload(client_a, bakery.slug, jpeg(), key="pas-une-cle")

    assert response.status_code == 400
    assert response.json() == {"error": "Identifiant d'envoi manquant ou invalide."}
    with town_a:
        assert Product.objects.count() == 0
    assert stored_files(media) == []


@pytest.mark.slow
def test_the_same_photo_sent_four_times_at_once_makes_one_draft(committed_town, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media-concurrent"
    settings.STORAGES = {**settings.STORAGES}
    key = uuid.uuid4()
    with committed_town:
        merchant = MerchantFactory(slug="concurrence")
    photo = jpeg()

    def send(_index: int) -> tuple[int, bool]:
        with committed_town:
            done = add_draft_product_from_photo(merchant=merchant, upload=io.BytesIO(photo), upload_key=key)
            return done.product.pk, done.is_new

    results = run_concurrently(4, send)

    assert not [result for result in results if isinstance(result, Exception)], results
    assert len({product_id for product_id, _is_new in results}) == 1
    assert sorted(is_new for _product_id, is_new in results) == [False, False, False, True]
    with committed_town:
        assert Product.objects.filter(merchant=merchant).count() == 1
        assert Photo.objects.filter(product__merchant=merchant).count() == 1


# --- what is not a photo -----------------------------------------------------------------------
def test_a_40_mb_photo_that_is_a_pdf_is_refused_before_it_is_read(client_a, town_a, agent, bakery, isolated_media):
    media, _private = isolated_media

    response = upload(client_a, bakery.slug, FORTY_MB_PDF, key=str(uuid.uuid4()), name="IMG_0002.jpg")

    assert response.status_code == 413
    assert "Mo" in response.content.decode()
    with town_a:
        assert Product.objects.count() == 0
        assert Photo.objects.count() == 0
    assert stored_files(media) == []


def test_a_40_mb_pdf_reaching_the_action_is_refused_in_french_and_stores_nothing(town_a, bakery, isolated_media):
    media, _private = isolated_media
    with town_a, pytest.raises(ValidationError) as refused:
        add_draft_product_from_photo(
            merchant=bakery, upload=io.BytesIO(FORTY_MB_PDF), upload_key=uuid.uuid4(), size=len(FORTY_MB_PDF)
        )

    assert refused.value.messages == ["Cette photo pèse plus de 15 Mo : envoyez une version plus légère."]
    with town_a:
        assert Product.objects.count() == 0
    assert stored_files(media) == []


def test_a_pdf_named_like_a_photo_is_refused_in_french_and_stores_nothing(
    client_a, town_a, agent, bakery, isolated_media
):
    media, _private = isolated_media
    pdf = FORTY_MB_PDF[:200_000]

    response = upload(client_a, bakery.slug, pdf, key=str(uuid.uuid4()), name="IMG_0003.jpg")

    assert response.status_code == 400
    assert response.json() == {
        "error": "Ce fichier n'est pas une photo utilisable. Formats acceptés : JPEG, PNG, WebP et HEIC (iPhone)."
    }
    with town_a:
        assert Product.objects.count() == 0
    assert stored_files(media) == []


def test_a_pdf_among_photos_sent_without_javascript_is_named_and_the_photos_are_kept(client_a, town_a, agent, bakery):
    files = [SimpleUploadedFile("facture.pdf", FORTY_MB_PDF[:5000]), SimpleUploadedFile("a.jpg", jpeg())]

    response = client_a.post(
        url("photo_shoot", merchant_slug=bakery.slug), {"shoot_key": str(uuid.uuid4()), "gallery": files}, follow=True
    )

    page = response.content.decode()
    assert "Photo refusée, facture.pdf : Ce fichier n&#x27;est pas une photo utilisable." in page
    assert "1 produit à compléter est créé." in page
    with town_a:
        assert Product.objects.filter(merchant=bakery).count() == 1


# --- orientation and privacy ---------------------------------------------------------------------
def test_a_portrait_photo_is_stored_upright_without_exif_or_gps(client_a, town_a, agent, bakery):
    # A phone held upright writes a landscape sensor image with Orientation=6 (turn 90° clockwise).
    response = upload(client_a, bakery.slug, jpeg_with_gps(size=(60, 40), orientation=6), key=str(uuid.uuid4()))

    assert response.status_code == 201
    with town_a:
        photo = Photo.objects.get(product_id=response.json()["product_id"])
        assert (photo.width, photo.height) == (40, 60)
        with default_storage.open(photo.image.name, "rb") as stored:
            image = Image.open(stored)
            assert image.size == (40, 60)
            assert dict(image.getexif()) == {}
            assert "exif" not in image.info


# --- a draft is neither published nor sold ---------------------------------------------------------
@pytest.fixture
def draft(town_a, bakery) -> Product:
    with town_a:
        return add_draft_product_from_photo(merchant=bakery, upload=io.BytesIO(jpeg()), upload_key=uuid.uuid4()).product


def test_a_draft_cannot_be_published_by_the_action_the_button_or_the_database(client_a, town_a, agent, draft):
    with town_a, pytest.raises(ValidationError) as refused:
        set_product_published(product=draft, is_published=True)
    assert refused.value.messages == [
        f"« {draft.title} » est à compléter (titre et prix) : il ne peut pas encore être publié."
    ]

    response = client_a.post(url("product_publication", product_id=draft.pk), {"is_published": "1"}, follow=True)
    assert "est à compléter (titre et prix)" in response.content.decode()

    with town_a:
        assert Product.objects.get(pk=draft.pk).is_published is False
        with pytest.raises(IntegrityError), transaction.atomic():
            Product.objects.filter(pk=draft.pk).update(is_published=True)


def test_a_draft_cannot_be_put_in_a_basket(town_a, draft):
    with town_a:
        basket = get_or_create_basket(token=None, user_id=None)
        variant = draft.variants.get()
        with pytest.raises(ValidationError) as refused:
            add_to_basket(basket=basket, variant_id=variant.pk, quantity=1)
        assert refused.value.messages == ["Ce produit n'est pas ou plus en vente."]
        assert basket.lines.count() == 0


def test_a_draft_titled_and_priced_on_the_spot_becomes_a_normal_product_that_can_be_published(
    client_a, town_a, agent, draft
):
    prefix = f"brouillon-{draft.pk}"

    response = client_a.post(
        url("draft_complete", product_id=draft.pk),
        {f"{prefix}-title": "Tarte au sucre", f"{prefix}-price": "12,50", f"{prefix}-vat_rate": "550"},
        headers={"X-Requested-With": "fetch"},
    )

    assert response.status_code == 200
    assert "complété" in response.content.decode()
    with town_a:
        product = Product.objects.get(pk=draft.pk)
        assert (product.title, product.slug, product.price_cents, product.vat_rate) == (
            "Tarte au sucre",
            "tarte-au-sucre",
            1250,
            550,
        )
        assert (product.needs_details, product.is_published) == (False, False)
        set_product_published(product=product, is_published=True)
        assert Product.objects.get(pk=draft.pk).is_published is True


def test_a_draft_without_a_price_stays_a_draft(client_a, town_a, agent, draft):
    prefix = f"brouillon-{draft.pk}"

    response = client_a.post(
        url("draft_complete", product_id=draft.pk),
        {f"{prefix}-title": "Tarte au sucre", f"{prefix}-price": "", f"{prefix}-vat_rate": "550"},
    )

    assert response.status_code == 400
    with town_a:
        product = Product.objects.get(pk=draft.pk)
        assert (product.title, product.needs_details, product.price_cents) == (draft.title, True, 0)


def test_the_full_product_form_completes_a_draft_only_once_a_price_is_typed(client_a, town_a, agent, draft):
    page = client_a.get(url("product_edit", product_id=draft.pk)).content.decode()
    assert 'name="price" value=' not in page  # the 0 € stand-in is not offered as the price

    form = {"title": "Pain de campagne", "price": "3,20", "vat_rate": "550", "unit": "piece", "is_published": "on"}
    response = client_a.post(url("product_edit", product_id=draft.pk), form)

    assert response.status_code == 302
    with town_a:
        product = Product.objects.get(pk=draft.pk)
        assert (product.needs_details, product.is_published, product.price_cents) == (False, True, 320)


def test_through_the_api_a_draft_is_refused_publication_until_a_price_is_given(client_a, town_a, bakery, draft):
    with town_a:
        token = issue_api_token(user=sign_in(client_a, town_a, role=Role.MERCHANT_STAFF, merchant=bakery))
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    publication = f"/api/v1/manage/products/{draft.pk}/publication/"

    refused = client_a.post(publication, {"is_published": True}, content_type="application/json", **auth)
    priced = client_a.patch(
        f"/api/v1/manage/products/{draft.pk}/",
        {"title": "Brioche", "price_cents": 450},
        content_type="application/json",
        **auth,
    )
    published = client_a.post(publication, {"is_published": True}, content_type="application/json", **auth)

    assert refused.status_code == 400
    assert "est à compléter (titre et prix)" in str(refused.json())
    assert priced.status_code == 200
    assert published.json()["is_published"] is True
    with town_a:
        product = Product.objects.get(pk=draft.pk)
        assert (product.title, product.price_cents, product.needs_details, product.is_published) == (
            "Brioche",
            450,
            False,
            True,
        )


def test_an_import_row_that_publishes_a_draft_completes_it_and_one_that_does_not_leaves_it_a_draft(town_a, bakery):
    with town_a:
        first, second = (
            add_draft_product_from_photo(merchant=bakery, upload=io.BytesIO(jpeg()), upload_key=uuid.uuid4()).product
            for _ in range(2)
        )
        csv = (
            "sku;titre;prix;publie\n"
            f"{first.variants.get().sku};Brioche;4,50;oui\n"
            f"{second.variants.get().sku};Photo du jour;0,00;non\n"
        )

        report = import_products(merchant=bakery, data=csv.encode(), filename="produits.csv")

        assert (report.created, report.updated, report.errors) == (0, 2, [])
        rows = Product.objects.order_by("pk").values_list("title", "price_cents", "is_published", "needs_details")
        assert list(rows) == [("Brioche", 450, True, False), ("Photo du jour", 0, False, True)]


# --- who may -----------------------------------------------------------------------------------
def test_another_towns_merchant_is_not_found(client_b, town_a, town_b, bakery):
    sign_in(client_b, town_b, role=Role.TOWN_ADMIN)

    assert client_b.get(url("photo_shoot", merchant_slug=bakery.slug)).status_code == 404
    assert upload(client_b, bakery.slug, jpeg(), key=str(uuid.uuid4())).status_code == 404


def test_staff_of_another_merchant_cannot_shoot_nor_complete_its_drafts(client_a, town_a, bakery, draft):
    with town_a:
        mine = MerchantFactory(slug="ma-boutique")
    sign_in(client_a, town_a, role=Role.MERCHANT_STAFF, merchant=mine)
    prefix = f"brouillon-{draft.pk}"

    assert client_a.get(url("photo_shoot", merchant_slug=bakery.slug)).status_code == 404
    assert upload(client_a, bakery.slug, jpeg(), key=str(uuid.uuid4())).status_code == 404
    completed = client_a.post(
        url("draft_complete", product_id=draft.pk),
        {f"{prefix}-title": "Volé", f"{prefix}-price": "1,00", f"{prefix}-vat_rate": "2000"},
    )
    assert completed.status_code == 404
    with town_a:
        assert Product.objects.filter(merchant=bakery).count() == 1
        assert Product.objects.get(pk=draft.pk).needs_details is True


def test_the_merchants_own_staff_may_shoot(client_a, town_a, bakery):
    sign_in(client_a, town_a, role=Role.MERCHANT_STAFF, merchant=bakery)

    assert upload(client_a, bakery.slug, jpeg(), key=str(uuid.uuid4())).status_code == 201


def test_the_drafts_list_takes_the_same_queries_for_two_or_six_drafts(
    client_a, town_a, agent, bakery, django_assert_num_queries
):
    def add(count: int) -> None:
        with town_a:
            for _ in range(count):
                add_draft_product_from_photo(merchant=bakery, upload=io.BytesIO(jpeg()), upload_key=uuid.uuid4())

    add(2)
    client_a.get(url("drafts_to_complete", merchant_slug=bakery.slug))  # warm the session and caches
    with django_assert_num_queries(QUERIES_ON_DRAFTS_LIST):
        two = client_a.get(url("drafts_to_complete", merchant_slug=bakery.slug))
    add(4)
    with django_assert_num_queries(QUERIES_ON_DRAFTS_LIST):
        six = client_a.get(url("drafts_to_complete", merchant_slug=bakery.slug))

    assert two.content.decode().count('class="row draft-item"') == 2
    assert six.content.decode().count('class="row draft-item"') == 6


QUERIES_ON_DRAFTS_LIST = 6  # measured with two drafts; it must not grow with their number
