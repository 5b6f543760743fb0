"""The pipeline moves on by itself from what the catalogue sees happen (subscribed in ``OnboardingConfig.ready``).

* a merchant's product is saved published → « Catalogue »;
* a photo of one of its products is added → « Photos »;
* the merchant is saved with the status « En ligne » → « En ligne ».

The catalogue emits no event of its own for these: we listen to its models' ``post_save`` (Django's
documented event of the lower app) and move the prospect on *after the commit* (``advance_prospect``:
forward only, never a paused or declined business). The receiver itself runs no query, so saving rows
stays as cheap as before; the one query (and the move, once) happens after the commit.

What sends no ``post_save`` is caught up by ``catch_up_with_catalogue`` (beat, every 15 minutes, in
every town): ``bulk_create`` / ``bulk_update`` of the file imports, and the ``.update()`` of the
back-office's « Publier » switch (``catalog.actions.set_product_published``) and of photo renditions.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.db.models.signals import post_save

from catalog.models import Merchant, MerchantStatus, Photo, Product
from onboarding.models import PATH, Prospect, Step
from onboarding.pipeline import advance_prospect
from tenants.connection import connection

logger = logging.getLogger(__name__)


def connect() -> None:
    """Subscribes the pipeline to the catalogue's saves and registers its periodic tasks."""
    post_save.connect(_product_saved, sender=Product, dispatch_uid="onboarding-pipeline-product-saved")
    post_save.connect(_photo_saved, sender=Photo, dispatch_uid="onboarding-pipeline-photo-saved")
    post_save.connect(_merchant_saved, sender=Merchant, dispatch_uid="onboarding-pipeline-merchant-saved")
    from onboarding import tasks_pipeline  # noqa: F401  (the worker knows the digest and catch-up tasks)


def _in_a_town() -> str | None:
    schema = connection.schema_name
    return None if schema == "public" or schema.startswith("_") else schema


def _advance_after_commit(
    schema: str, to_step: Step, *, merchant_id: int | None = None, product_id: int | None = None
) -> None:
    """Moves the merchant's prospect on to ``to_step``, in the town the row was saved in."""
    from tenants.models import Town

    if connection.schema_name != schema:
        with Town.objects.get(schema_name=schema):
            _advance_after_commit(schema, to_step, merchant_id=merchant_id, product_id=product_id)
        return
    if merchant_id is None:
        if product_id is None:
            return
        merchant_id = Product.objects.filter(pk=product_id).values_list("merchant_id", flat=True).first()
        if merchant_id is None:
            return
    advance_prospect(merchant_id=merchant_id, to_step=to_step)


def _on_commit(to_step: Step, **ids: int | None) -> None:
    schema = _in_a_town()
    if schema is not None:
        transaction.on_commit(partial(_advance_after_commit, schema, to_step, **ids), robust=True)


def _product_saved(sender: type[Product], instance: Product, raw: bool = False, **kwargs: Any) -> None:
    if not raw and instance.is_published:
        _on_commit(Step.CATALOGUE, merchant_id=instance.merchant_id)


def _photo_saved(sender: type[Photo], instance: Photo, created: bool = False, raw: bool = False, **kwargs: Any) -> None:
    if raw or not created or instance.product_id is None:
        return
    product = instance.product if Photo.product.is_cached(instance) else None
    if product is not None:
        _on_commit(Step.PHOTOS, merchant_id=product.merchant_id)
    else:
        _on_commit(Step.PHOTOS, product_id=instance.product_id)


def _merchant_saved(sender: type[Merchant], instance: Merchant, raw: bool = False, **kwargs: Any) -> None:
    if not raw and instance.status == MerchantStatus.LIVE:
        _on_commit(Step.LIVE, merchant_id=instance.pk)


def _earlier_than(step: Step) -> list[str]:
    return [earlier.value for earlier in PATH[: PATH.index(step)]]


def catch_up_with_catalogue() -> int:
    """Moves on every prospect the catalogue has overtaken (live merchant, product photo, published
    product) without a save signal; one query per step looked at, then one move each. Returns the moves."""
    waiting = Prospect.objects.order_by()
    live = waiting.filter(step__in=_earlier_than(Step.LIVE), merchant__status=MerchantStatus.LIVE)
    with_photo = waiting.filter(step__in=_earlier_than(Step.PHOTOS)).filter(
        Exists(Photo.objects.filter(product__merchant_id=OuterRef("merchant_id")))
    )
    published = waiting.filter(step__in=_earlier_than(Step.CATALOGUE)).filter(
        Exists(Product.objects.filter(merchant_id=OuterRef("merchant_id"), is_published=True))
    )
    moved = 0
    # The furthest step first: a merchant already live gets one move, not three.
    for step, found in ((Step.LIVE, live), (Step.PHOTOS, with_photo), (Step.CATALOGUE, published)):
        for merchant_id in found.values_list("merchant_id", flat=True):
            moved += advance_prospect(merchant_id=merchant_id, to_step=step)
    return moved
