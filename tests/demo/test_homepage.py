"""The demo towns' home page and shop logos: seeded once through the real actions, never over the town's changes."""

from __future__ import annotations

import pytest

from catalog.homepage import save_home_block
from catalog.models import HomeBlock, HomeBlockKind, Merchant
from demo.catalog import generate_catalogue
from demo.homepage import SHOP_PICTURES, attach_demo_shop_images, seed_demo_home_page
from demo.shop_drawing import SHOP_MOTIFS


def test_every_trade_has_a_small_logo_and_cover_drawing():
    sizes = {entry.name: entry.stat().st_size for entry in SHOP_PICTURES.iterdir()}
    assert set(sizes) == {f"{kind}-{motif}.webp" for motif in SHOP_MOTIFS for kind in ("logo", "cover")}
    assert max(sizes.values()) < 25_000
    assert sum(sizes.values()) < 700_000


@pytest.mark.slow
def test_demo_home_page_and_shop_images_are_seeded_once(town_a, isolated_media):
    with town_a:
        generate_catalogue(merchants=15, products=120, supermarket_products=0, profile="calais", seed=5)

        images = attach_demo_shop_images()
        blocks = seed_demo_home_page()

        assert images is not None
        assert images.covers == Merchant.objects.exclude(cover="").count() >= 10
        assert 0 < images.logos == Merchant.objects.exclude(logo="").count() < images.covers
        # Each drawing stored once, by the image engine (as JPEG), then shared.
        assert Merchant.objects.exclude(cover="").values("cover").distinct().count() <= len(SHOP_MOTIFS)
        assert all(name.endswith(".jpg") for name in Merchant.objects.exclude(logo="").values_list("logo", flat=True))
        assert blocks == 6
        published = list(HomeBlock.objects.filter(is_draft=False).values_list("kind", "title"))
        assert published[0] == (HomeBlockKind.BANNER, "Bons d'achat : +30 %")
        assert [kind for kind, _title in published].count(HomeBlockKind.NEWS) == 2
        assert {HomeBlockKind.MERCHANTS, HomeBlockKind.PRODUCTS, HomeBlockKind.MAP} <= {kind for kind, _ in published}
        banner = HomeBlock.objects.get(is_draft=False, kind=HomeBlockKind.BANNER)
        assert banner.image
        assert banner.starts_on < banner.ends_on
        featured = HomeBlock.objects.get(is_draft=False, kind=HomeBlockKind.MERCHANTS)
        assert 0 < len(featured.merchant_ids) <= 8

        # The town changes its page and a shop's logo: seeding again leaves both alone.
        changed = HomeBlock.objects.filter(is_draft=True).first()
        save_home_block(block=changed, title="Notre propre titre")
        Merchant.objects.exclude(logo="").update(logo="")
        assert seed_demo_home_page() == 0
        assert attach_demo_shop_images() is None
        assert HomeBlock.objects.filter(title="Notre propre titre").count() == 1
        assert not Merchant.objects.exclude(logo="").exists()
