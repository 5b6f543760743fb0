"""Catalogue fixtures shared by several modules: a cheese shop's shelf, and two shops of town A."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from PIL import Image

from accounts.models import Role
from catalog.actions import add_photo, refresh_search_vectors
from catalog.models import Product
from tests.catalog.factories import MerchantFactory, ProductFactory, VariantFactory


def lenient(client: Client) -> Client:
    """A 500 comes back as a response (what a visitor sees) instead of an exception in the test."""
    client.raise_request_exception = False
    return client


def small_png(size: tuple[int, int] = (8, 6)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def shelf(town_a):
    with town_a:
        merchant = MerchantFactory(slug="fromagerie", name="Fromagerie du Beffroi")
        for index in range(3):
            ProductFactory(merchant=merchant, title=f"Comté affiné {index}", slug=f"comte-{index}")
        refresh_search_vectors(product_ids=Product.objects.values_list("pk", flat=True), merchant_ids=[merchant.pk])
    return merchant


@pytest.fixture
def two_shops(client_a, town_a):
    """Two shops of town A, signed in as the staff of the first: (mine, theirs, their product, variant, photo)."""
    from tests.catalog.test_backoffice import sign_in  # imported here: test_backoffice imports this module

    with town_a:
        mine = MerchantFactory(slug="ma-boutique")
        theirs = MerchantFactory(slug="leur-boutique")
        their_product = ProductFactory(merchant=theirs, title="Leur produit")
        their_variant = VariantFactory(product=their_product, stock=5)
        their_photo = add_photo(upload=io.BytesIO(small_png()), merchant=theirs, alt_text="vitrine")
    sign_in(client_a, town_a, role=Role.MERCHANT_STAFF, merchant=mine)
    return mine, theirs, their_product, their_variant, their_photo
