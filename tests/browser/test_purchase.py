"""A resident's whole purchase in Chromium: search, two shops, delivery and click and collect, card
payment through the Stripe fake (its Stripe.js stand-in and its webhooks), both merchants see the order.
Once with the mouse, once with the keyboard only; axe on basket, checkout and confirmation."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest

from accounts.models import Role, User
from catalog.actions import refresh_search_vectors
from catalog.models import MerchantMembership, MerchantStatus, OpeningPeriod, Product, Variant
from checkout.models import Order, OrderStatus
from delivery.models import DeliveryZone, LocalAddress, Vehicle
from tenants.actions import delete_town, provision_town
from tests.browser.conftest import log_in, screenshot, serious_accessibility_violations, watch_csp_violations
from tests.checkout.stripe_fixtures import FAKE_WEBHOOK_SECRET

# Marked browser, not django_db: the test's data must be committed for the server process to see it
# (the fixture provisions its own town and drops it afterwards).
pytestmark = pytest.mark.browser

PASSWORD = "mot-de-passe-solide-42"
ACCOUNT = "acct_achat_navigateur"


@pytest.fixture
def shopping_town(
    django_db_setup: None, django_db_blocker: pytest.FixtureRequest, server_port: int, stripe_fake_server: object
) -> Iterator[dict[str, object]]:
    """A town paying through Stripe (the fake), with a bakery (collect) and a grocer (delivery); committed."""
    from django.db import connection

    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        town = provision_town(slug=f"achat-{uuid.uuid4().hex[:6]}", name="Ville Achat").town
        town.payment_gateway, town.stripe_account_id = "stripe", ACCOUNT
        town.save()
        with town:
            from catalog.models import Merchant

            shops = {}
            for key, name, delivery, title, price in (
                ("bakery", "Boulangerie du Beffroi", False, "Éclair au café", 280),
                ("grocer", "Épicerie du Courgain", True, "Miel de la Côte d'Opale", 1890),
            ):
                merchant = Merchant.objects.create(
                    name=name,
                    slug=key,
                    status=MerchantStatus.LIVE,
                    click_and_collect=True,
                    delivery_eligible=delivery,
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
                    title=title,
                    slug=key + "-produit",
                    price_cents=price,
                    vat_rate=550,
                    is_published=True,
                )
                Variant.objects.create(product=product, merchant=merchant, sku=f"{key}-1", stock=20)
                refresh_search_vectors(product_ids=[product.pk], merchant_ids=[merchant.pk])
                user = User.objects.create_user(email=f"{key}@achat.test", password=PASSWORD, role=Role.MERCHANT_STAFF)
                MerchantMembership.objects.create(merchant=merchant, user_id=user.pk)
                shops[key] = merchant
            centre = [[1.80, 50.90], [1.92, 50.90], [1.92, 50.99], [1.80, 50.99], [1.80, 50.90]]
            DeliveryZone.objects.create(
                name="Centre-ville (vélo cargo)",
                vehicle=Vehicle.CARGO_BIKE,
                geometry={"type": "Polygon", "coordinates": [centre]},
                insee_codes=[],
                fee_cents=350,
                minimum_basket_cents=1500,
                cutoff_time=dt.time(23, 59),
                daily_capacity=80,
            )
            LocalAddress.objects.create(
                label="12 Rue Royale 62100 Calais",
                housenumber="12",
                street="Rue Royale",
                postcode="62100",
                city="Calais",
                insee_code="62193",
                latitude=50.9566,
                longitude=1.8513,
            )
        connection.set_schema_to_public()
    stripe_fake_server.reset()
    stripe_fake_server.webhook_endpoints = [
        (f"http://127.0.0.1:{server_port}/webhooks/stripe/", FAKE_WEBHOOK_SECRET, "test")
    ]
    try:
        yield {"town": town, "base": f"http://{town.slug}.test:{server_port}", **shops}
    finally:
        stripe_fake_server.reset()
        with django_db_blocker.unblock():
            connection.set_schema_to_public()
            delete_town(town=town)


def _paid_order(town: object, django_db_blocker: pytest.FixtureRequest) -> Order:
    with django_db_blocker.unblock(), town:
        order = Order.objects.get()
        return order


def _merchants_see_the_order(browser: object, base: str, number: str) -> None:
    for email in ("bakery@achat.test", "grocer@achat.test"):
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")
        violations = watch_csp_violations(context)
        merchant_page = context.new_page()
        log_in(merchant_page, base, email, PASSWORD)
        merchant_page.goto(f"{base}/gestion/mes-commandes/")
        assert number in merchant_page.content(), email
        assert serious_accessibility_violations(merchant_page) == []
        merchant_page.get_by_role("link", name=f"Commande {number}").first.click()
        merchant_page.wait_for_load_state()
        assert "Accepter la commande" in merchant_page.content()
        screenshot(merchant_page, f"purchase-merchant-{email.split('@')[0]}")
        assert serious_accessibility_violations(merchant_page) == []
        context.close()
        assert violations == [], violations


def test_a_resident_buys_from_two_shops_with_delivery_and_collection(page, browser, shopping_town, django_db_blocker):
    base = shopping_town["base"]
    for query, title in (("eclair", "Éclair au café"), ("miel", "Miel de la Côte d'Opale")):
        page.goto(f"{base}/recherche/?q={query}")
        with page.expect_navigation():
            page.get_by_role("link", name=title).first.click()
        # The POST answers with a redirect: wait for the page it lands on before reading it.
        with page.expect_navigation():
            page.get_by_role("button", name="Ajouter au panier").click()
        assert "a été ajouté à votre panier" in page.content()

    page.goto(f"{base}/panier/")
    assert "Boulangerie du Beffroi" in page.content()
    assert "Épicerie du Courgain" in page.content()
    screenshot(page, "purchase-basket")
    assert serious_accessibility_violations(page) == []

    page.get_by_role("link", name="Commander").click()
    page.fill("#id_first_name", "Jeanne")
    page.fill("#id_last_name", "Martin")
    page.fill("#id_email", "jeanne@exemple.fr")
    page.fill("#id_phone", "06 12 34 56 78")
    page.check(f"#id_fulfilment_{shopping_town['grocer'].pk}_1")  # delivery
    page.fill("#id_address", "12 Rue Royale 62100 Calais")
    page.check("#id_accept_terms")
    screenshot(page, "purchase-checkout")
    assert serious_accessibility_violations(page) == []
    with page.expect_navigation():
        page.get_by_role("button", name="Valider la commande").click()
    page.wait_for_selector("#payment-element select")
    assert "Livraison (Centre-ville (vélo cargo))" in page.content()
    page.get_by_label("Carte de test (Stripe)").select_option("pm_card_visa")
    page.get_by_role("button", name="Payer").click()
    page.wait_for_url("**/confirmation/")
    assert "est confirmée" in page.content()
    screenshot(page, "purchase-confirmation")
    assert serious_accessibility_violations(page) == []

    order = _paid_order(shopping_town["town"], django_db_blocker)
    assert order.status == OrderStatus.PAID
    assert order.total_cents == 280 + 1890 + 350
    _merchants_see_the_order(browser, base, order.number)


def test_the_address_field_suggests_the_town_addresses_while_the_resident_types(page, shopping_town):
    base = shopping_town["base"]
    page.goto(f"{base}/recherche/?q=miel")
    page.get_by_role("link", name="Miel de la Côte d'Opale").first.click()
    with page.expect_navigation():
        page.get_by_role("button", name="Ajouter au panier").click()
    page.goto(f"{base}/commande/")

    with page.expect_response(lambda response: "/livraison/adresses/?format=json" in response.url) as answer:
        page.fill("#id_address", "12 rue roy")

    assert answer.value.status == 200
    page.wait_for_selector("#address-suggestions option", state="attached")
    assert page.eval_on_selector_all("#address-suggestions option", "options => options.map(o => o.value)") == [
        "12 Rue Royale 62100 Calais"
    ]


def _tab_to(page: object, selector: str, *, limit: int = 150) -> None:
    """Presses Tab until the element matching ``selector`` has the focus (keyboard only, no clicks)."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} is not reachable with the Tab key")


def _activate(page: object, selector: str) -> None:
    _tab_to(page, selector)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_the_whole_purchase_works_with_the_keyboard_only(page, shopping_town, django_db_blocker):
    base = shopping_town["base"]
    page.goto(f"{base}/recherche/?q=miel")
    _activate(page, "main a[href$='/grocer/grocer-produit/']")
    _activate(page, "form.add-to-basket button")
    _activate(page, "a[href='/panier/']")
    _activate(page, "a[href='/commande/']")

    for selector, text in (
        ("#id_first_name", "Jeanne"),
        ("#id_last_name", "Martin"),
        ("#id_email", "jeanne@exemple.fr"),
        ("#id_phone", "0612345678"),
    ):
        _tab_to(page, selector)
        page.keyboard.type(text)
    grocer = shopping_town["grocer"].pk
    _tab_to(page, f"input[name='fulfilment_{grocer}']")
    page.keyboard.press("ArrowDown")  # from collection to delivery, as a radio group does
    assert page.is_checked(f"#id_fulfilment_{grocer}_1")
    _tab_to(page, "#id_address")
    page.keyboard.type("12 Rue Royale 62100 Calais")
    _tab_to(page, "#id_accept_terms")
    page.keyboard.press("Space")
    _activate(page, "form.checkout-form button[type=submit]")
    page.wait_for_selector("#payment-element select")
    _tab_to(page, "#payment-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/confirmation/")
    assert "est confirmée" in page.content()
    assert _paid_order(shopping_town["town"], django_db_blocker).status == OrderStatus.PAID
