"""The demo's pictures: a drawing for each product and shop, each drawing through the photo action once."""

from __future__ import annotations

from collections import Counter

from django.core.files.storage import default_storage

from catalog.actions import delete_photo
from catalog.models import Merchant, Photo, PhotoStatus, Product
from demo.catalog import generate_catalogue
from demo.pictures import DRAWINGS, PICTURES, attach_demo_pictures, brand_demo_town, picture_for
from tenants.models import Town


def _stored_files(photo: Photo) -> list[str]:
    return [photo.image.name, *(rendition["name"] for rendition in photo.renditions.values())]


def test_titles_and_categories_pick_fitting_drawings():
    bakery = "alimentation-boulangerie-et-patisserie"
    assert picture_for("Croissant pur beurre", bakery).startswith("croissant-")
    assert picture_for("Tarte au sucre", bakery).startswith("cake-")
    assert picture_for("Baguette de tradition", bakery).startswith("bread-")
    assert picture_for("Pommes de terre Bintje", "alimentation-fruits-et-legumes").startswith("vegetable-")
    assert picture_for("Pommes Jonagold", "alimentation-fruits-et-legumes").startswith("fruit-")
    assert picture_for("Bouquet de saison", "maison-jardinerie-et-fleurs").startswith("flowers-")
    assert picture_for("Carottes", "alimentation-fruits-et-legumes") == "vegetable-0.webp"
    assert picture_for("Cabinet du Centre", "services-juridique") is None
    # The same title always shows the same drawing.
    assert picture_for("Comté 18 mois", "alimentation-fromagerie") == picture_for("Comté 18 mois", None)


def test_the_drawings_are_small_files():
    sizes = [entry.stat().st_size for entry in PICTURES.iterdir() if entry.is_file()]
    assert len(DRAWINGS) == 37
    assert {len(files) for files in DRAWINGS.values()} == {4}
    assert max(sizes) < 40_000
    assert sum(sizes) < 3_000_000


def test_every_product_and_shop_gets_its_drawing_each_stored_once(town_a, isolated_media):
    with town_a:
        generate_catalogue(merchants=12, products=200, supermarket_products=60, profile="calais", seed=7)

        result = attach_demo_pictures()

        photos = list(Photo.objects.all())
        by_file = Counter(photo.image.name for photo in photos)
        assert Photo.objects.filter(product__isnull=False).count() == result.product_photos == 200
        assert Photo.objects.filter(merchant__isnull=False).count() == result.shop_photos
        assert result.shop_photos >= 10  # every shop whose trade has a drawing
        assert len(by_file) == result.drawings
        assert {photo.status for photo in photos} == {PhotoStatus.READY}
        # The drawings are 600 px wide: a 320 px rendition and one at their own width, never twice.
        assert {tuple(sorted(photo.renditions)) for photo in photos} == {("320", "800")}
        assert {photo.renditions["800"]["width"] for photo in photos} == {600}
        # Each drawing was stored once by the photo action: its original and two renditions.
        stored = {name for photo in photos for name in _stored_files(photo)}
        assert len(stored) == 3 * result.drawings
        assert all(default_storage.exists(name) for name in stored)
        assert not Product.objects.filter(photos__isnull=True).exists()
        assert Merchant.objects.filter(photos__isnull=True).count() == 12 - result.shop_photos


def test_deleting_a_photo_keeps_the_files_another_photo_shows(
    town_a, isolated_media, django_capture_on_commit_callbacks
):
    with town_a:
        generate_catalogue(merchants=6, products=60, supermarket_products=0, profile="calais", seed=3)
        attach_demo_pictures()
        name, count = Counter(Photo.objects.values_list("image", flat=True)).most_common(1)[0]
        assert count >= 2
        first, *others = Photo.objects.filter(image=name).order_by("pk")
        files = _stored_files(first)

        with django_capture_on_commit_callbacks(execute=True):
            delete_photo(photo=first)
        assert all(default_storage.exists(stored) for stored in files)

        with django_capture_on_commit_callbacks(execute=True):
            for photo in others:
                delete_photo(photo=photo)
        assert not any(default_storage.exists(stored) for stored in files)


def test_a_demo_town_gets_its_logo_and_hero_image_through_the_branding_action(town_a, isolated_media):
    Town.objects.filter(pk=town_a.pk).update(slug="calais")  # rolled back with the test
    town = Town.objects.get(pk=town_a.pk)

    town = brand_demo_town(town=town)

    assert (town.logo.width, town.logo.height, town.logo.name.endswith(".png")) == (192, 192, True)
    assert (town.hero_image.width, town.hero_image.height, town.hero_image.name.endswith(".jpg")) == (960, 640, True)
