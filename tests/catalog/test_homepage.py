"""The town's own look and home page: branding by its admin, blocks edited as a draft, previewed,
published; banners within their dates (town clock); the shop map's list; merchant logo and cover."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import time_machine
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from accounts.models import Role
from catalog.cache import catalogue_version
from catalog.homepage import publish_home_blocks, save_home_block
from catalog.models import HomeBlock, HomeBlockKind, Merchant
from tenants.models import Town
from tests.catalog.conftest import small_png
from tests.catalog.factories import MerchantFactory, ProductFactory
from tests.catalog.test_backoffice import sign_in

APPEARANCE = "/gestion/apparence/"


def png_upload(name: str = "image.png", size: tuple[int, int] = (40, 30)) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, small_png(size), content_type="image/png")


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.fixture
def admin(client_a, town_a):
    return sign_in(client_a, town_a, role=Role.TOWN_ADMIN)


def _block(town: Town, kind: str = HomeBlockKind.NEWS, **fields: object) -> HomeBlock:
    with town:
        return save_home_block(block=HomeBlock(kind=kind), **{"title": "Marché de Noël", **fields})


# --- branding --------------------------------------------------------------------------------------
def test_town_admin_changes_colours_and_tagline_through_the_branding_action(town_a, client_a, admin):
    response = client_a.post(
        APPEARANCE,
        {"tagline": "Le centre-ville en ligne", "primary_color": "#1a4d2e", "secondary_color": "#7a1f3d"},
    )

    assert response.status_code == 302
    town = Town.objects.get(pk=town_a.pk)
    assert (town.tagline, town.primary_color, town.secondary_color) == (
        "Le centre-ville en ligne",
        "#1a4d2e",
        "#7a1f3d",
    )
    assert "--brand-primary: #1a4d2e" in _html(client_a.get("/"))


def test_a_colour_too_light_for_white_text_is_refused_in_french(town_a, client_a, admin):
    before = Town.objects.get(pk=town_a.pk)

    response = client_a.post(APPEARANCE, {"tagline": "x", "primary_color": "#ffcc00", "secondary_color": "#7a1f3d"})

    html = _html(response)
    assert "La couleur #ffcc00 est trop claire" in html
    assert "contraste de 1,51:1" in html
    after = Town.objects.get(pk=town_a.pk)
    assert (after.tagline, after.primary_color, after.secondary_color) == (
        before.tagline,
        before.primary_color,
        before.secondary_color,
    )
    # The page keeps the saved colour in its own header.
    assert f"--brand-primary: {before.primary_color}" in html


def test_a_pdf_renamed_jpg_is_refused_as_logo(town_a, client_a, admin):
    fake = SimpleUploadedFile("logo.jpg", b"%PDF-1.4\n1 0 obj<<>>endobj\n", content_type="image/jpeg")
    colours = {"primary_color": town_a.primary_color, "secondary_color": town_a.secondary_color}

    html = _html(client_a.post(APPEARANCE, {**colours, "logo": fake}))

    assert "Ce fichier n&#x27;est pas une photo utilisable" in html
    assert not Town.objects.get(pk=town_a.pk).logo


def test_a_logo_is_stored_as_the_image_engine_re_encoded_it(town_a, client_a, admin, isolated_media):
    colours = {"primary_color": town_a.primary_color, "secondary_color": town_a.secondary_color}

    assert client_a.post(APPEARANCE, {**colours, "logo": png_upload()}).status_code == 302

    logo = Town.objects.get(pk=town_a.pk).logo
    with logo.open("rb") as stored:
        assert Image.open(stored).format == "JPEG"  # opaque: re-encoded as JPEG, metadata dropped


@pytest.mark.parametrize("role", [Role.TOWN_AGENT, Role.MERCHANT_STAFF, Role.RESIDENT])
def test_only_the_town_admin_may_change_the_look(town_a, client_a, role):
    sign_in(client_a, town_a, role=role)
    before = Town.objects.get(pk=town_a.pk).primary_color

    assert client_a.get(APPEARANCE).status_code == 403
    assert client_a.post(APPEARANCE, {"primary_color": "#000000", "secondary_color": "#000000"}).status_code == 403
    assert client_a.post(f"{APPEARANCE}blocs/nouveau/news/", {"title": "Piraté"}).status_code == 403
    assert client_a.post(f"{APPEARANCE}publier/").status_code == 403
    assert client_a.get(f"{APPEARANCE}apercu/").status_code == 403
    assert Town.objects.get(pk=town_a.pk).primary_color == before
    with town_a:
        assert not HomeBlock.objects.exists()


def test_another_towns_admin_cannot_edit_this_town(town_a, town_b, client_a):
    """Accounts belong to one town: town B's admin, signed in on B, is a stranger on A's site."""
    on_b = Client(HTTP_HOST="ville-b.test")
    sign_in(on_b, town_b, role=Role.TOWN_ADMIN)
    other = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    other.cookies = on_b.cookies  # B's session cookie presented to A's host
    before = Town.objects.get(pk=town_a.pk).primary_color

    response = other.post(APPEARANCE, {"primary_color": "#000000", "secondary_color": "#000000"})

    assert response.status_code == 302
    assert response["Location"].startswith("/compte/login/")
    assert Town.objects.get(pk=town_a.pk).primary_color == before


def test_anonymous_visitors_are_sent_to_the_login_page(client_a):
    response = client_a.get(APPEARANCE)
    assert response.status_code == 302
    assert response["Location"].startswith("/compte/login/")


# --- blocks: draft, preview, publish --------------------------------------------------------------
def test_preview_shows_the_draft_while_the_public_home_does_not(town_a, client_a, admin):
    response = client_a.post(
        f"{APPEARANCE}blocs/nouveau/news/",
        {"title": "Braderie du 14 juillet", "published_on": "2026-07-01", "text": "Toute la journée."},
    )
    assert response.status_code == 302

    preview = _html(client_a.get(f"{APPEARANCE}apercu/"))
    public = _html(Client(HTTP_HOST=client_a.defaults["HTTP_HOST"]).get("/"))

    assert "Braderie du 14 juillet" in preview
    assert "Aperçu :" in preview
    assert "Braderie du 14 juillet" not in public
    assert "Aperçu :" not in public
    assert 'name="robots" content="noindex"' in preview


def test_publishing_shows_the_draft_to_residents_and_changes_the_catalogue_version(
    town_a, client_a, admin, django_capture_on_commit_callbacks
):
    _block(town_a, title="Braderie du 14 juillet")
    with town_a:
        version = catalogue_version()

    with django_capture_on_commit_callbacks(execute=True):
        assert client_a.post(f"{APPEARANCE}publier/").status_code == 302

    public = _html(Client(HTTP_HOST=client_a.defaults["HTTP_HOST"]).get("/"))
    assert "Braderie du 14 juillet" in public
    with town_a:
        assert catalogue_version() != version
        assert list(HomeBlock.objects.filter(is_draft=False).values_list("title", flat=True)) == [
            "Braderie du 14 juillet"
        ]


def test_later_draft_edits_stay_hidden_until_published_again(town_a, client_a, admin):
    block = _block(town_a, title="Ancien titre")
    with town_a:
        publish_home_blocks()

    client_a.post(f"{APPEARANCE}blocs/{block.pk}/", {"title": "Nouveau titre", "text": ""})

    public = _html(Client(HTTP_HOST=client_a.defaults["HTTP_HOST"]).get("/"))
    assert "Ancien titre" in public
    assert "Nouveau titre" not in public
    assert "pas encore publiés" in _html(client_a.get(APPEARANCE))


def test_blocks_move_up_and_down_with_buttons(town_a, client_a, admin):
    first, _second, third = (_block(town_a, title=title) for title in ("Un", "Deux", "Trois"))

    client_a.post(f"{APPEARANCE}blocs/{third.pk}/deplacer/", {"direction": "up"})
    client_a.post(f"{APPEARANCE}blocs/{first.pk}/deplacer/", {"direction": "down"})

    with town_a:
        assert list(HomeBlock.objects.filter(is_draft=True).values_list("title", "position")) == [
            ("Trois", 0),
            ("Un", 1),
            ("Deux", 2),
        ]
    html = _html(client_a.get(APPEARANCE))
    assert re.findall(r'<h3 class="block-title">([^<]+)</h3>', html) == ["Trois", "Un", "Deux"]
    assert 'Monter<span class="visually-hidden"> « Trois »' not in html  # the first has no "up"
    assert 'Descendre<span class="visually-hidden"> « Deux »' not in html  # the last has no "down"


def test_a_removed_block_leaves_the_draft_only(town_a, client_a, admin):
    block = _block(town_a, title="À retirer")
    with town_a:
        publish_home_blocks()

    assert client_a.post(f"{APPEARANCE}blocs/{block.pk}/supprimer/").status_code == 302

    with town_a:
        assert list(HomeBlock.objects.values_list("title", "is_draft")) == [("À retirer", False)]


def test_a_banner_link_must_be_a_site_page_or_a_web_address(town_a, client_a, admin):
    response = client_a.post(f"{APPEARANCE}blocs/nouveau/banner/", {"title": "Bons", "link_url": "javascript:alert(1)"})

    assert "commençant par https://" in _html(response)
    with town_a:
        assert not HomeBlock.objects.exists()


def test_a_banner_ending_before_it_starts_is_refused(town_a, client_a, admin):
    response = client_a.post(
        f"{APPEARANCE}blocs/nouveau/banner/",
        {"title": "Bons", "starts_on": "2026-12-10", "ends_on": "2026-12-01"},
    )

    assert "La date de fin doit venir après la date de début." in _html(response)
    with town_a:
        assert not HomeBlock.objects.exists()


@pytest.mark.parametrize(
    ("moment", "is_shown"),
    [
        ("2026-11-30T22:59:00+00:00", False),  # 23:59 on the 30th in Paris: not yet
        ("2026-11-30T23:00:00+00:00", True),  # midnight on the 1st in Paris (still the 30th in UTC)
        ("2026-12-31T22:59:00+00:00", True),  # 23:59 on the last day
        ("2026-12-31T23:00:00+00:00", False),  # the next day in Paris
    ],
)
def test_a_banner_shows_only_between_its_dates_in_the_towns_time(town_a, client_a, moment, is_shown):
    _block(
        town_a,
        kind=HomeBlockKind.BANNER,
        title="Bons d'achat : +30 %",
        starts_on=dt.date(2026, 12, 1),
        ends_on=dt.date(2026, 12, 31),
    )
    with town_a:
        publish_home_blocks()

    with time_machine.travel(dt.datetime.fromisoformat(moment), tick=False):
        html = _html(client_a.get("/"))

    assert ("Bons d&#x27;achat : +30 %" in html) is is_shown


def test_a_banner_image_goes_through_the_image_engine(town_a, client_a, admin, isolated_media):
    fake = SimpleUploadedFile("bon.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")

    refused = _html(client_a.post(f"{APPEARANCE}blocs/nouveau/banner/", {"title": "Bons", "image": fake}))
    accepted = client_a.post(f"{APPEARANCE}blocs/nouveau/banner/", {"title": "Bons", "image": png_upload()})

    assert "Ce fichier n&#x27;est pas une photo utilisable" in refused
    assert accepted.status_code == 302
    with town_a:
        block = HomeBlock.objects.get()
        assert block.image.name.endswith(".jpg")


# --- featured merchants and the shop map -----------------------------------------------------------
def test_featured_merchants_block_shows_the_chosen_shops_in_order(town_a, client_a, admin):
    with town_a:
        first = MerchantFactory(name="Zébulon Jouets")
        second = MerchantFactory(name="Atelier Bleu")
        MerchantFactory(name="Pas choisi")
    response = client_a.post(
        f"{APPEARANCE}blocs/nouveau/merchants/", {"title": "Nos coups de cœur", "merchants": [second.pk, first.pk]}
    )
    assert response.status_code == 302

    html = _html(client_a.get(f"{APPEARANCE}apercu/"))

    section = html.split('">Nos coups de cœur</h2>')[1].split("</section>")[0]
    assert re.findall(r'class="card-title"><a href="[^"]+">([^<]+)</a>', section) == ["Atelier Bleu", "Zébulon Jouets"]


def test_shop_map_lists_the_shops_without_javascript(town_a, client_a, settings):
    settings.MAP_TILE_URL = "https://{s}.tuiles.example.org/{z}/{x}/{y}.png"
    with town_a:
        MerchantFactory(name="Boulangerie du Beffroi", slug="beffroi", latitude="50.951300", longitude="1.858700")
        MerchantFactory(name="Sans position", slug="sans-position")
    _block(town_a, kind=HomeBlockKind.MAP, title="Où sont les commerces ?")
    with town_a:
        publish_home_blocks()

    response = client_a.get("/")
    html = _html(response)

    # The list is in the page itself, with links: the whole map without JavaScript or tiles.
    listing = html.split('class="shop-list"')[1].split("</ul>")[0]
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', listing) == [("/commerces/beffroi/", "Boulangerie du Beffroi")]
    assert 'aria-label="Carte des commerces (la liste des commerces suit)"' in html
    assert re.search(r'<div id="shop-map"[^>]* hidden></div>', html)
    assert "vendor/leaflet/leaflet.js" in html
    # Only this page lets images come from the tile server, and only from it.
    policy = response["Content-Security-Policy"]
    assert "img-src 'self' data: https://*.tuiles.example.org" in policy
    assert (
        "tuiles" not in Client(HTTP_HOST=client_a.defaults["HTTP_HOST"]).get("/commerces/")["Content-Security-Policy"]
    )


def test_home_without_a_map_keeps_the_strict_image_policy(town_a, client_a):
    _block(town_a, title="Une actualité")
    with town_a:
        publish_home_blocks()

    response = client_a.get("/")

    assert "openstreetmap" not in response["Content-Security-Policy"]
    assert "leaflet" not in response.content.decode()


def _arranged_home(town: Town, count: int) -> None:
    with town:
        merchants = [MerchantFactory(latitude="50.95", longitude="1.85", is_featured=True) for _index in range(count)]
        for merchant in merchants:
            ProductFactory(merchant=merchant, is_featured=True)
        for kind in HomeBlockKind.values:
            save_home_block(block=HomeBlock(kind=kind), title=f"Bloc {kind}")
        save_home_block(block=HomeBlock(kind=HomeBlockKind.NEWS), title="Deuxième actualité")
        publish_home_blocks()


@pytest.mark.parametrize("count", [2, 8])
def test_home_query_count_is_pinned_whatever_the_number_of_shops(town_a, client_a, django_assert_num_queries, count):
    _arranged_home(town_a, count)
    client_a.get("/")  # warm-up: per-process caches
    cache.clear()

    with django_assert_num_queries(11):
        html = _html(client_a.get("/"))

    assert html.count('class="merchant-card"') == count


# --- merchant logo and cover ------------------------------------------------------------------------
def test_merchant_adds_a_logo_and_cover_shown_on_its_page_and_card(town_a, client_a, isolated_media):
    with town_a:
        shop = MerchantFactory(name="Fromagerie", slug="fromagerie")
    sign_in(client_a, town_a, role=Role.MERCHANT_STAFF, merchant=shop)

    response = client_a.post(
        "/gestion/catalogue/commercants/fromagerie/logo-couverture/",
        {"logo": png_upload("logo.png", (80, 80)), "cover": png_upload("cover.png", (160, 50))},
    )

    assert response.status_code == 302
    with town_a:
        shop = Merchant.objects.get(pk=shop.pk)
    assert shop.logo.name.startswith("photos/merchants/logos/")
    assert shop.cover.name.startswith("photos/merchants/covers/")
    page = _html(client_a.get("/commerces/fromagerie/"))
    assert f'src="{shop.cover.url}" alt="" class="shop-cover-image"' in page
    assert f'src="{shop.logo.url}" alt="" class="shop-logo"' in page
    assert f'src="{shop.logo.url}" alt="" class="card-logo"' in _html(client_a.get("/commerces/"))


def test_a_pdf_renamed_jpg_is_refused_as_a_merchant_cover(town_a, client_a):
    with town_a:
        shop = MerchantFactory(slug="fromagerie")
    sign_in(client_a, town_a, role=Role.MERCHANT_STAFF, merchant=shop)
    fake = SimpleUploadedFile("cover.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")

    html = _html(client_a.post("/gestion/catalogue/commercants/fromagerie/logo-couverture/", {"cover": fake}))

    assert "Ce fichier n&#x27;est pas une photo utilisable" in html
    with town_a:
        assert not Merchant.objects.get(pk=shop.pk).cover


def test_a_merchant_cannot_change_another_merchants_logo(town_a, client_a):
    with town_a:
        mine, theirs = MerchantFactory(slug="mienne"), MerchantFactory(slug="leur")
    sign_in(client_a, town_a, role=Role.MERCHANT_STAFF, merchant=mine)

    response = client_a.post("/gestion/catalogue/commercants/leur/logo-couverture/", {"logo": png_upload()})

    assert response.status_code == 404
    with town_a:
        assert not Merchant.objects.get(pk=theirs.pk).logo


def test_stored_logo_is_small(town_a, isolated_media):
    from catalog.actions import set_merchant_images

    big = io.BytesIO()
    Image.new("RGB", (2000, 2000), (200, 40, 40)).save(big, "PNG")
    big.seek(0)
    with town_a:
        shop = set_merchant_images(merchant=MerchantFactory(), logo=big)
        with shop.logo.open("rb") as stored:
            assert Image.open(stored).size == (400, 400)
