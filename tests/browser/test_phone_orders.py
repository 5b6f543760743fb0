"""An agent takes an order by phone in Chromium: search, add, the resident's contact, pay in store; the
shop sees who took it. axe (zero serious or critical violations) on the list, the builder and the summary."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest

from accounts.models import Role, User
from catalog.actions import refresh_search_vectors
from catalog.models import MerchantMembership, MerchantStatus, OpeningPeriod, Product, Variant
from checkout.models import Order, OrderStatus
from tenants.actions import delete_town, provision_town
from tests.browser.conftest import log_in, screenshot, serious_accessibility_violations

pytestmark = pytest.mark.browser
PASSWORD = "mot-de-passe-solide-42"


@pytest.fixture
def desk_town(django_db_setup: None, django_db_blocker: pytest.FixtureRequest, server_port: int) -> Iterator[dict]:
    """A town allowing payment in store, a bakery, an agent and the bakery's staff; committed, dropped afterwards."""
    from django.db import connection

    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        town = provision_town(slug=f"guichet-{uuid.uuid4().hex[:6]}", name="Ville Guichet").town
        town.pay_in_store_enabled = True
        town.save()
        with town:
            from catalog.models import Merchant

            merchant = Merchant.objects.create(
                name="Boulangerie du Beffroi",
                slug="beffroi",
                status=MerchantStatus.LIVE,
                click_and_collect=True,
                address_line="1 place d'Armes",
                postcode="62100",
                city="Calais",
                phone="0321000000",
            )
            OpeningPeriod.objects.bulk_create(
                OpeningPeriod(merchant=merchant, weekday=day, opens_at=dt.time(0), closes_at=dt.time(23, 59))
                for day in range(7)
            )
            product = Product.objects.create(
                merchant=merchant,
                title="Éclair au café",
                slug="eclair",
                price_cents=280,
                vat_rate=550,
                is_published=True,
            )
            Variant.objects.create(product=product, merchant=merchant, sku="eclair-1", stock=20)
            refresh_search_vectors(product_ids=[product.pk], merchant_ids=[merchant.pk])
            User.objects.create_user(
                email="agent@guichet.test",
                password=PASSWORD,
                role=Role.TOWN_AGENT,
                first_name="Claire",
                last_name="Petit",
            )
            shop_user = User.objects.create_user(email="shop@guichet.test", password=PASSWORD, role=Role.MERCHANT_STAFF)
            MerchantMembership.objects.create(merchant=merchant, user_id=shop_user.pk)
        connection.set_schema_to_public()
    try:
        yield {"town": town, "base": f"http://{town.slug}.test:{server_port}"}
    finally:
        with django_db_blocker.unblock():
            connection.set_schema_to_public()
            delete_town(town=town)


def test_an_agent_takes_an_order_by_phone_paid_in_store(page, browser, desk_town, django_db_blocker):
    base = desk_town["base"]
    log_in(page, base, "agent@guichet.test", PASSWORD)
    page.goto(f"{base}/gestion/commandes/telephone/")
    assert serious_accessibility_violations(page) == []
    with page.expect_navigation():
        page.get_by_role("button", name="Nouvelle commande").click()
    page.fill("#phone-search", "eclair")
    with page.expect_navigation():
        page.get_by_role("button", name="Rechercher").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Ajouter Éclair au café").click()
    assert "« Éclair au café » ajouté à la commande." in page.content()
    screenshot(page, "phone-order-builder")
    assert serious_accessibility_violations(page) == []

    page.fill("#id_first_name", "Jeanne")
    page.fill("#id_last_name", "Martin")
    page.fill("#id_phone", "06 12 34 56 78")
    page.get_by_label("Paiement en boutique au retrait (retrait en boutique seulement)").check()
    page.locator("#id_accept_terms").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer la commande et prévenir le client").click()
    content = page.content()
    assert "Commande enregistrée : le client est prévenu." in content
    assert "Commande prise par téléphone par Claire Petit" in content
    screenshot(page, "phone-order-summary")
    assert serious_accessibility_violations(page) == []

    with django_db_blocker.unblock(), desk_town["town"]:
        order = Order.objects.get()
        assert (order.status, order.payment_method, order.phone) == (OrderStatus.PLACED, "in_store", "0612345678")
        number = order.number

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")
    shop_page = context.new_page()
    log_in(shop_page, base, "shop@guichet.test", PASSWORD)
    shop_page.goto(f"{base}/gestion/mes-commandes/")
    assert number in shop_page.content()
    assert "Commande prise par téléphone par Claire Petit" in shop_page.content()
    context.close()
