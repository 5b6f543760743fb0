"""The town's home page in a real browser: the demo town on a phone and a desktop (short, accessible,
complete without JavaScript or map tiles), and its admin editing, previewing and publishing it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from django.core.files.base import ContentFile

from accounts.models import Role, User
from demo.catalog import generate_catalogue
from demo.homepage import attach_demo_shop_images, seed_demo_home_page
from demo.pictures import PICTURES, attach_demo_pictures
from tenants.actions import delete_town, provision_town, update_branding
from tests.browser.conftest import log_in, screenshot, serious_accessibility_violations, watch_csp_violations

pytestmark = [pytest.mark.django_db, pytest.mark.browser, pytest.mark.slow]

PASSWORD = "mot-de-passe-solide-42"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture(scope="module")
def demo_town(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """A town seeded as ``make run`` seeds Calais (smaller): catalogue, pictures, logos, home page; committed."""
    from django.db import connection

    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        town = provision_town(
            slug=f"accueil-{uuid.uuid4().hex[:6]}",
            name="Calais",
            tagline="Mon shopping, c'est Calais !",
            primary_color="#00558c",
            secondary_color="#8c1d40",
        ).town
        update_branding(
            town=town,
            logo=ContentFile((PICTURES / "town-calais-logo.png").read_bytes(), name="logo.png"),
            hero_image=ContentFile((PICTURES / "town-calais-hero.webp").read_bytes(), name="hero.webp"),
        )
        try:
            with town:
                generate_catalogue(merchants=40, products=400, supermarket_products=40, profile="calais", seed=11)
                attach_demo_pictures()
                attach_demo_shop_images()
                seed_demo_home_page()
                User.objects.create_user(email="maire@accueil.test", password=PASSWORD, role=Role.TOWN_ADMIN)
                from catalog.models import Merchant

                shop = Merchant.objects.exclude(logo="").exclude(cover="").filter(status="live").order_by("pk").first()
            yield {"host": f"{town.slug}.test", "shop": shop.slug}
        finally:
            connection.set_schema_to_public()
            delete_town(town=town)


def _page_height(page: object) -> int:
    return page.evaluate("document.documentElement.scrollHeight")


@pytest.mark.parametrize(("name", "viewport", "max_height"), [("phone", PHONE, 3000), ("desktop", DESKTOP, 3000)])
def test_demo_home_page_is_short_complete_and_accessible(browser, server_port, demo_town, name, viewport, max_height):
    context = browser.new_context(viewport=viewport, locale="fr-FR")
    violations = watch_csp_violations(context)
    page = context.new_page()
    base = f"http://{demo_town['host']}:{server_port}"

    response = page.goto(f"{base}/")
    page.wait_for_load_state("load")

    assert response.status == 200
    screenshot(page, f"home-demo-{name}")
    height = _page_height(page)
    print(f"home page height at {viewport['width']} px: {height} px")
    assert height < max_height, height
    assert page.get_by_role("heading", name="Bons d'achat : +30 %").is_visible()
    assert page.locator(".home-news").count() == 2
    # The map (its tiles cannot load here: no network) and the list that stands for it.
    assert page.get_by_role("region", name="Carte des commerces (la liste des commerces suit)").is_visible()
    assert page.locator(".leaflet-marker-icon").count() > 5
    assert page.locator(".shop-list li a").count() > 5
    assert serious_accessibility_violations(page) == []
    context.close()
    assert violations == [], violations


def test_home_page_without_javascript_still_lists_the_shops(browser, server_port, demo_town):
    context = browser.new_context(viewport=PHONE, locale="fr-FR", java_script_enabled=False)
    page = context.new_page()

    page.goto(f"http://{demo_town['host']}:{server_port}/")

    assert not page.locator("#shop-map").is_visible()
    assert page.locator(".shop-list li a").count() > 5
    assert page.locator(".shop-list li a").first.is_visible()
    context.close()


@pytest.mark.parametrize(("name", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_merchant_page_shows_its_cover_and_logo(browser, server_port, demo_town, name, viewport):
    context = browser.new_context(viewport=viewport, locale="fr-FR")
    page = context.new_page()
    base = f"http://{demo_town['host']}:{server_port}"

    page.goto(f"{base}/commerces/{demo_town['shop']}/")

    screenshot(page, f"merchant-cover-{name}")
    for selector in (".shop-cover-image", ".shop-logo"):
        assert page.locator(selector).evaluate("image => image.complete && image.naturalWidth > 0"), selector
    assert serious_accessibility_violations(page) == []
    page.goto(f"{base}/commerces/")
    screenshot(page, f"directory-logos-{name}")
    assert page.locator(".card-logo").count() > 3
    context.close()


def test_town_admin_edits_previews_and_publishes_the_home_page(page, server_port, demo_town):
    base = f"http://{demo_town['host']}:{server_port}"
    log_in(page, base, "maire@accueil.test", PASSWORD)

    page.goto(f"{base}/gestion/apparence/")
    screenshot(page, "appearance-admin")
    assert serious_accessibility_violations(page) == []
    page.get_by_role("link", name="Ajouter : Actualité").click()
    page.get_by_role("textbox", name="Titre :").fill("Fête de la Saint-Jean")
    page.get_by_role("textbox", name="Texte :").fill("Concerts et feux sur la plage.")
    page.get_by_role("button", name="Enregistrer dans le brouillon").click()
    # The new block comes last; moved up with the keyboard, one place.
    page.get_by_role("button", name="Monter « Fête de la Saint-Jean »").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    titles = page.locator(".block-title").all_inner_texts()
    assert titles[-2:] == ["Fête de la Saint-Jean", "Où sont les commerces ?"]

    page.get_by_role("link", name="Aperçu de la page d’accueil").click()
    screenshot(page, "appearance-preview")
    assert page.get_by_role("heading", name="Fête de la Saint-Jean").is_visible()
    assert serious_accessibility_violations(page) == []
    resident = page.context.browser.new_context(viewport=PHONE, locale="fr-FR")
    public = resident.new_page()
    public.goto(f"{base}/")
    assert public.get_by_role("heading", name="Fête de la Saint-Jean").count() == 0

    page.locator(".preview-bar").get_by_role("button", name="Publier").click()
    page.wait_for_load_state()
    assert "La page d’accueil est publiée (7 blocs)." in page.content()
    public.goto(f"{base}/")
    assert public.get_by_role("heading", name="Fête de la Saint-Jean").is_visible()
    resident.close()
