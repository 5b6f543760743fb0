"""The demo's photo shoot: three products to complete on a shop, made once."""

from __future__ import annotations

import pytest

from catalog.models import Product
from demo.onboarding_photos import seed_photo_shoot_drafts
from tests.catalog.factories import MerchantFactory

pytestmark = pytest.mark.usefixtures("isolated_media")


def test_the_demo_adds_three_drafts_with_photos_to_a_shop_once(town_a):
    with town_a:
        shop = MerchantFactory(slug="boulangerie-demo")

        assert seed_photo_shoot_drafts() == 3
        assert seed_photo_shoot_drafts() == 0

        drafts = Product.objects.filter(merchant=shop, needs_details=True, is_published=False)
        assert drafts.count() == 3
        assert sorted(draft.photos.count() for draft in drafts) == [1, 1, 1]
