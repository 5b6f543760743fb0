"""The pipeline moves on by itself from what the catalogue does: first published product, first product
photo, the merchant put live — after the commit, forward only — and the catch-up of what sent no signal."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog.actions import add_photo, save_merchant, save_product, set_product_published
from catalog.models import MerchantStatus, Product
from onboarding.models import Prospect, ProspectMove, Step
from onboarding.pipeline import move_prospect
from onboarding.receivers import _advance_after_commit, catch_up_with_catalogue
from tenants.models import Town
from tests.catalog.factories import MerchantFactory, ProductFactory
from tests.onboarding.factories import make_prospect


def _jpeg() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(buffer, format="JPEG")
    return SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")


def ours(callbacks: list[object]) -> list[object]:
    """The pipeline's after-commit callbacks (the catalogue queues its own cache bump too)."""
    return [callback for callback in callbacks if getattr(callback, "func", None) is _advance_after_commit]


def step_of(merchant_id: int) -> str:
    return Prospect.objects.get(merchant_id=merchant_id).step


def test_a_first_published_product_moves_the_prospect_to_catalogue_after_commit(
    town_a: Town, django_capture_on_commit_callbacks: object
) -> None:
    with town_a:
        prospect = make_prospect()
        with django_capture_on_commit_callbacks(execute=True) as callbacks:  # type: ignore[operator]
            save_product(
                product=Product(
                    merchant=prospect.merchant, title="Pain de campagne", price_cents=350, is_published=True
                )
            )
        assert len(ours(callbacks)) == 1
        assert step_of(prospect.merchant_id) == Step.CATALOGUE
        last = ProspectMove.objects.filter(prospect=prospect).last()
        assert (last.from_step, last.to_step, last.moved_by_id) == (Step.TO_CONTACT, Step.CATALOGUE, None)


def test_an_unpublished_product_moves_nothing(town_a: Town, django_capture_on_commit_callbacks: object) -> None:
    with town_a:
        prospect = make_prospect()
        with django_capture_on_commit_callbacks(execute=True) as callbacks:  # type: ignore[operator]
            save_product(product=Product(merchant=prospect.merchant, title="Brouillon", price_cents=350))
        assert ours(callbacks) == []
        assert step_of(prospect.merchant_id) == Step.TO_CONTACT


def test_a_rolled_back_save_moves_nothing(town_a: Town, django_capture_on_commit_callbacks: object) -> None:
    with town_a:
        prospect = make_prospect()
        with django_capture_on_commit_callbacks(execute=False) as callbacks:  # type: ignore[operator]
            ProductFactory(merchant=prospect.merchant)
        # The callback is registered, and only run at commit (never here: the test rolls back).
        assert len(ours(callbacks)) == 1
        assert step_of(prospect.merchant_id) == Step.TO_CONTACT


def test_a_first_product_photo_moves_the_prospect_to_photos(
    town_a: Town, django_capture_on_commit_callbacks: object, isolated_media: object
) -> None:
    with town_a:
        prospect = make_prospect()
        move_prospect(prospect=prospect, to_step=Step.CATALOGUE, actor=None)
        product = ProductFactory(merchant=prospect.merchant, is_published=False)
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            add_photo(upload=_jpeg(), product=product, alt_text="Le pain")
        assert step_of(prospect.merchant_id) == Step.PHOTOS


def test_a_merchant_put_live_moves_the_prospect_to_live(
    town_a: Town, django_capture_on_commit_callbacks: object
) -> None:
    with town_a:
        prospect = make_prospect()
        merchant = prospect.merchant
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            save_merchant(merchant=merchant, status=MerchantStatus.LIVE)
        assert step_of(merchant.pk) == Step.LIVE
        assert ProspectMove.objects.filter(prospect=prospect).count() == 2


def test_the_catalogue_never_moves_a_paused_or_further_prospect_back(
    town_a: Town, django_capture_on_commit_callbacks: object
) -> None:
    with town_a:
        paused = make_prospect()
        move_prospect(prospect=paused, to_step=Step.PAUSED, actor=None, reason="Travaux")
        further = make_prospect()
        move_prospect(prospect=further, to_step=Step.PHOTOS, actor=None)
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            ProductFactory(merchant=paused.merchant)
            ProductFactory(merchant=further.merchant)
        assert (step_of(paused.merchant_id), step_of(further.merchant_id)) == (Step.PAUSED, Step.PHOTOS)


def test_saving_a_hundred_products_runs_no_query_before_the_commit(
    town_a: Town, django_assert_num_queries: object
) -> None:
    with town_a:
        prospect = make_prospect()
        products = [
            Product(merchant=prospect.merchant, title=f"P{n}", slug=f"p{n}", price_cents=100, is_published=True)
            for n in range(100)
        ]
        # One INSERT per save, nothing more: the receiver only queues an after-commit callback.
        with django_assert_num_queries(100):  # type: ignore[operator]
            for product in products:
                product.save()


def test_the_catch_up_moves_on_what_sent_no_signal(town_a: Town) -> None:
    with town_a:
        published = make_prospect()
        product = ProductFactory(merchant=published.merchant, is_published=False)
        # The back-office's « Publier » switch is an UPDATE: no post_save.
        set_product_published(product=product, is_published=True)
        live = make_prospect()
        type(live.merchant).objects.filter(pk=live.merchant_id).update(status=MerchantStatus.LIVE)
        # Imports create products in bulk: no post_save either.
        imported = make_prospect()
        Product.objects.bulk_create(
            [Product(merchant=imported.merchant, title="Importé", slug="importe", price_cents=100, is_published=True)]
        )
        untouched = make_prospect()
        assert catch_up_with_catalogue() == 3
        assert catch_up_with_catalogue() == 0
        assert step_of(published.merchant_id) == Step.CATALOGUE
        assert step_of(live.merchant_id) == Step.LIVE
        assert step_of(imported.merchant_id) == Step.CATALOGUE
        assert step_of(untouched.merchant_id) == Step.TO_CONTACT
        # One move for the live merchant, not one per step it skipped.
        assert ProspectMove.objects.filter(prospect=live).count() == 2


def test_a_live_merchant_without_a_prospect_is_enrolled_live(
    town_a: Town, django_capture_on_commit_callbacks: object
) -> None:
    with town_a, django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        merchant = MerchantFactory(status=MerchantStatus.LIVE)
    with town_a:
        assert step_of(merchant.pk) == Step.LIVE


@pytest.mark.parametrize("status", [MerchantStatus.DRAFT, MerchantStatus.PAUSED])
def test_a_merchant_saved_not_live_moves_nothing(
    town_a: Town, django_capture_on_commit_callbacks: object, status: str
) -> None:
    with town_a:
        prospect = make_prospect()
        with django_capture_on_commit_callbacks(execute=True) as callbacks:  # type: ignore[operator]
            save_merchant(merchant=prospect.merchant, status=status)
        assert ours(callbacks) == []
        assert step_of(prospect.merchant_id) == Step.TO_CONTACT
