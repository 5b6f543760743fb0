"""The back-office as a town agent and a merchant use it: axe on every main page, on a phone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from accounts.models import Role, User
from catalog.actions import save_merchant, save_product
from catalog.models import Merchant, MerchantMembership, Product
from tenants.models import Town
from tests.browser.conftest import accessibility_problems, log_in, screenshot, serious_accessibility_violations

PASSWORD = "mot-de-passe-du-back-office"
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def shop(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[dict[str, object]]:
    """Committed data (the server is another process): an agent, a merchant, its staff and a product."""
    with django_db_blocker.unblock():
        town = Town.objects.get(slug="ville-a")
        with town:
            agent = User.objects.create_user(email="agent-bo@ville-a.fr", password=PASSWORD, role=Role.TOWN_AGENT)
            staff = User.objects.create_user(email="epicier-bo@ville-a.fr", password=PASSWORD, role=Role.MERCHANT_STAFF)
            merchant = save_merchant(merchant=Merchant(name="Épicerie du Beffroi", city="Ville A"))
            MerchantMembership.objects.create(merchant=merchant, user_id=staff.pk)
            product = save_product(product=Product(merchant=merchant, title="Confiture de fraises", price_cents=450))
        yield {"merchant": merchant.slug, "product": product.pk}
        with town:
            merchant.delete()
            staff.delete()
            agent.delete()


@pytest.mark.browser
def test_back_office_pages_have_no_serious_accessibility_violations(page, server_port, shop):
    base = f"http://ville-a.test:{server_port}"
    log_in(page, base, "agent-bo@ville-a.fr", PASSWORD)
    pages = {
        "bo-merchant-list": "/gestion/catalogue/",
        "bo-merchant-create": "/gestion/catalogue/nouveau-commercant/",
        "bo-merchant-edit": f"/gestion/catalogue/commercants/{shop['merchant']}/",
        "bo-merchant-hours": f"/gestion/catalogue/commercants/{shop['merchant']}/horaires/",
        "bo-merchant-photos": f"/gestion/catalogue/commercants/{shop['merchant']}/photos/",
        "bo-product-list": f"/gestion/catalogue/commercants/{shop['merchant']}/produits/",
        "bo-product-create": f"/gestion/catalogue/commercants/{shop['merchant']}/produits/nouveau/",
        "bo-product-edit": f"/gestion/catalogue/produits/{shop['product']}/",
        "bo-categories": "/gestion/catalogue/categories/",
        "bo-imports": "/gestion/catalogue/imports/",
    }
    assert accessibility_problems(page, base, pages) == {}


@pytest.mark.browser
def test_a_product_form_with_errors_stays_accessible(page, server_port, shop):
    base = f"http://ville-a.test:{server_port}"
    log_in(page, base, "epicier-bo@ville-a.fr", PASSWORD)
    page.goto(f"{base}/gestion/catalogue/commercants/{shop['merchant']}/produits/nouveau/")
    page.fill("#id_title", "Miel")
    page.fill("#id_price", "-3")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    screenshot(page, "bo-product-form-errors")

    assert "négatif" in page.content()
    assert serious_accessibility_violations(page) == []
