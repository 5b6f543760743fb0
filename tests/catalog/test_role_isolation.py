"""Role isolation inside a town (T-ISO-08): merchant A's staff walk every back-office URL with
merchant B's slugs and ids, and with ids of another town's objects. Always 404, never a byte of B,
and no POST changes anything.

The category tree belongs to the town, not to a merchant: its URLs (``TOWN_WIDE``) answer 403 to
merchant staff whatever the id, and are walked separately."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, reverse

from accounts.models import Invitation, Role, User
from catalog import urls_backoffice
from catalog.actions import add_photo
from catalog.imports import queue_import
from catalog.models import (
    Category,
    Closure,
    ImportJob,
    ImportKind,
    Merchant,
    MerchantMembership,
    OpeningPeriod,
    Photo,
    Product,
    Variant,
)
from tests.catalog.conftest import lenient
from tests.catalog.factories import MerchantFactory, ProductFactory, VariantFactory
from tests.catalog.test_backoffice import sign_in, url
from tests.catalog.test_photos import image_bytes

SENTINEL = "SENTINELLE-B-7f3a"
ID_KINDS = {"product_id": Product, "variant_id": Variant, "photo_id": Photo, "closure_id": Closure}
TOWN_WIDE = {"category_list", "category_create", "category_edit", "category_delete"}
ALL_PATTERNS: list[URLPattern] = list(urls_backoffice.urlpatterns)
PATTERNS: list[URLPattern] = [pattern for pattern in ALL_PATTERNS if pattern.name not in TOWN_WIDE]
TOWN_WIDE_PATTERNS: list[URLPattern] = [pattern for pattern in ALL_PATTERNS if pattern.name in TOWN_WIDE]


def _objects_of(merchant: Merchant, *, suffix: str) -> dict[str, Any]:
    """A merchant with one of everything the back-office can reach, sentinel strings everywhere."""
    product = ProductFactory(merchant=merchant, title=f"{SENTINEL} produit {suffix}", description=SENTINEL)
    variant = VariantFactory(product=product, sku=f"{SENTINEL}-{suffix}", stock=5)
    photo = add_photo(upload=io.BytesIO(image_bytes("PNG", size=(8, 8))), product=product, alt_text=SENTINEL)
    closure = Closure.objects.create(
        merchant=merchant, starts_on=dt.date(2026, 8, 1), ends_on=dt.date(2026, 8, 15), reason=SENTINEL
    )
    OpeningPeriod.objects.create(merchant=merchant, weekday=0, opens_at=dt.time(9), closes_at=dt.time(18))
    return {
        "merchant_slug": merchant.slug,
        "product_id": product.pk,
        "variant_id": variant.pk,
        "photo_id": photo.pk,
        "closure_id": closure.pk,
        "category_id": Category.objects.order_by("pk").first().pk,
    }


def _snapshot(merchant_slug: str) -> list[Any]:
    """Everything a back-office POST could change about one merchant."""
    merchant = Merchant.objects.get(slug=merchant_slug)
    return [
        list(Merchant.objects.filter(pk=merchant.pk).values()),
        list(merchant.categories.values_list("pk", flat=True)),
        list(Product.objects.filter(merchant=merchant).order_by("pk").values()),
        list(Variant.objects.filter(merchant=merchant).order_by("pk").values()),
        list(Photo.objects.filter(product__merchant=merchant).order_by("pk").values()),
        list(Photo.objects.filter(merchant=merchant).order_by("pk").values()),
        list(Closure.objects.filter(merchant=merchant).order_by("pk").values()),
        list(OpeningPeriod.objects.filter(merchant=merchant).order_by("pk").values()),
        list(MerchantMembership.objects.filter(merchant=merchant).order_by("pk").values()),
        list(Invitation.objects.filter(merchant_ids__contains=[merchant.pk]).order_by("pk").values()),
    ]


def _post_payload() -> dict[str, Any]:
    """Valid-looking input for every form of the back-office at once."""
    return {
        "name": "Piraté",
        "title": "Piraté",
        "kind": "shop",
        "status": "live",
        "is_featured": "on",
        "price": "1,00",
        "vat_rate": "2000",
        "unit": "piece",
        "is_published": "1",
        "sku": "PIRATE",
        "stock": "0",
        "direction": "down",
        "alt_text": "Piraté",
        "plages-TOTAL_FORMS": "1",
        "plages-INITIAL_FORMS": "0",
        "plages-0-weekday": "3",
        "plages-0-opens_at": "08:00",
        "plages-0-closes_at": "09:00",
        "fermeture-starts_on": "2026-01-01",
        "fermeture-ends_on": "2026-01-02",
        "personne-email": "pirate@exemple.fr",
        "image": SimpleUploadedFile("x.png", image_bytes("PNG", size=(8, 8))),
        "logo": SimpleUploadedFile("logo.png", image_bytes("PNG", size=(8, 8))),
    }


def _url(pattern: URLPattern, ids: dict[str, Any]) -> str:
    return reverse(f"backoffice:{pattern.name}", kwargs={key: ids[key] for key in pattern.pattern.converters})


@pytest.fixture
def world(town_a, town_b, client_a):
    """Merchants A and B in town a (A's staff signed in), and merchant C in town b."""
    with town_a:
        merchant_a = MerchantFactory(name="Commerce A", slug="commerce-a")
        merchant_b = MerchantFactory(name=f"{SENTINEL} commerce", slug="commerce-b-sentinelle")
        own = _objects_of(merchant_a, suffix="a")
        other = _objects_of(merchant_b, suffix="b")
    with town_b:
        merchant_c = MerchantFactory(name=f"{SENTINEL} autre ville", slug="commerce-ville-b-sentinelle")
        other_town = _objects_of(merchant_c, suffix="c")
        # Ids are per town: when one of town b's ids is also one of A's own ids in town a, A may
        # legitimately open it. Create more rows in town b until no id of the other town is A's.
        make_another = {
            "product_id": lambda: ProductFactory(merchant=merchant_c, title=SENTINEL).pk,
            "variant_id": lambda: VariantFactory(product=ProductFactory(merchant=merchant_c), sku=SENTINEL).pk,
            "photo_id": lambda: add_photo(upload=io.BytesIO(image_bytes("PNG", size=(8, 8))), merchant=merchant_c).pk,
            "closure_id": lambda: (
                Closure.objects.create(
                    merchant=merchant_c, starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 1, 1)
                ).pk
            ),
        }
        for key in ID_KINDS:
            while other_town[key] == own[key]:
                other_town[key] = make_another[key]()
    sign_in(client_a, town_a, role=Role.MERCHANT_STAFF, merchant=merchant_a)
    return {"own": own, "other": other, "other_town": other_town}


def test_every_backoffice_url_is_covered_by_the_walk():
    converters = {key for pattern in PATTERNS for key in pattern.pattern.converters}
    assert converters == {"merchant_slug", *ID_KINDS}
    assert len(PATTERNS) == 25
    assert {pattern.name for pattern in TOWN_WIDE_PATTERNS} == TOWN_WIDE
    assert {key for pattern in TOWN_WIDE_PATTERNS for key in pattern.pattern.converters} == {"category_id"}
    assert len(ALL_PATTERNS) == 29


def _categories() -> list[Any]:
    return list(Category.objects.order_by("pk").values())


@pytest.mark.slow
def test_merchant_staff_get_403_on_the_town_wide_category_pages(client_a, town_a, world):
    with town_a:
        before = _categories()
    for pattern in TOWN_WIDE_PATTERNS:
        target_url = _url(pattern, world["own"])
        assert client_a.get(target_url).status_code in (403, 405), pattern.name
        response = client_a.post(target_url, {**_post_payload(), "parent": "", "position": "0"})
        assert response.status_code == 403, pattern.name
    with town_a:
        assert _categories() == before


@pytest.mark.parametrize("target", ["other", "other_town"])
def test_merchant_staff_get_404_for_every_url_with_another_merchants_ids(client_a, town_a, town_b, world, target):
    ids = world[target]
    missing = {"merchant_slug": "nexiste-pas", **dict.fromkeys(ID_KINDS, 2_000_000_000)}
    with town_a:
        before = _snapshot(world["other"]["merchant_slug"])
    with town_b:
        before_other_town = _snapshot(world["other_town"]["merchant_slug"])

    walked = 0
    for pattern in PATTERNS:
        if not pattern.pattern.converters:
            continue
        target_url = _url(pattern, ids)
        response = client_a.get(target_url)
        # POST-only URLs answer 405 to GET whatever the id: the same answer as for an id that does
        # not exist, so the status tells nothing. Every other URL must be a plain 404.
        assert response.status_code == client_a.get(_url(pattern, missing)).status_code, target_url
        assert response.status_code in (404, 405), target_url
        assert SENTINEL not in response.content.decode(), target_url

        response = client_a.post(target_url, _post_payload())
        assert response.status_code == 404, target_url
        assert SENTINEL not in response.content.decode(), target_url
        walked += 1
    assert walked == 23

    with town_a:
        assert _snapshot(world["other"]["merchant_slug"]) == before
    with town_b:
        assert _snapshot(world["other_town"]["merchant_slug"]) == before_other_town


def test_merchant_staff_still_reach_their_own_objects(client_a, world):
    own = world["own"]
    for pattern in PATTERNS:
        if not pattern.pattern.converters:
            continue
        response = client_a.get(_url(pattern, own))
        assert response.status_code in (200, 405), pattern.name


def test_lists_and_area_pages_never_show_another_merchant(client_a, world):
    listing = client_a.get(reverse("backoffice:merchant_list"), {"q": "SENTINELLE"})
    assert listing.status_code == 200
    assert SENTINEL not in listing.content.decode()
    assert "commerce-b-sentinelle" not in listing.content.decode()
    assert client_a.get(reverse("backoffice:merchant_create")).status_code == 403
    assert client_a.post(reverse("backoffice:merchant_create"), _post_payload()).status_code == 403


@pytest.mark.slow
def test_a_resident_gets_403_everywhere_and_changes_nothing(client_b, town_b, world):
    # A resident of town b, on town b's site, with town b's own ids.
    sign_in(client_b, town_b, role=Role.RESIDENT)
    ids = world["other_town"]
    with town_b:
        before = _snapshot(ids["merchant_slug"])
        categories_before = _categories()
    for pattern in ALL_PATTERNS:
        assert client_b.get(_url(pattern, ids)).status_code in (403, 405), pattern.name
        assert client_b.post(_url(pattern, ids), _post_payload()).status_code == 403, pattern.name
    with town_b:
        assert _snapshot(ids["merchant_slug"]) == before
        assert _categories() == categories_before


# --- another merchant's imports, exports and photos ------------------------------------------------


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
