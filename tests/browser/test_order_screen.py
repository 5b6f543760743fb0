"""A shop keeps its order screen open: an order paid meanwhile shows up without a reload, the tab title
counts the orders to accept, the polite live region says so, and the sound is the shop's choice."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from django.db import connection

from accounts.models import Role, User
from catalog.models import MerchantMembership
from checkout.models import Order
from tenants.models import Town
from tests.browser.conftest import log_in, screenshot, serious_accessibility_violations
from tests.catalog.factories import MerchantFactory
from tests.checkout.notification_factories import Line, make_order
from townsite.models import SiteSettings

PASSWORD = "mot-de-passe-de-la-boutique"
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def shop(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[dict[str, object]]:
    """Committed data (the server is another process): a shop, its staff, one order waiting."""
    with django_db_blocker.unblock():
        town = Town.objects.get(slug="ville-a")
        with town:
            staff = User.objects.create_user(
                email="fromager-ecran@ville-a.fr", password=PASSWORD, role=Role.MERCHANT_STAFF
            )
            merchant = MerchantFactory(name="Fromagerie de l'Écran")
            MerchantMembership.objects.create(merchant=merchant, user_id=staff.pk)
            admin = User.objects.create_user(email="maire-ecran@ville-a.fr", password=PASSWORD, role=Role.TOWN_ADMIN)
            first = make_order([(merchant, [Line("Maroilles", 890)])])
        yield {"town": town, "merchant": merchant, "first": first}
        with town:
            Order.objects.filter(merchant_orders__merchant=merchant).delete()
            merchant.delete()
            staff.delete()
            admin.delete()
            SiteSettings.objects.filter(pk=1).delete()


def paid_in_the_background(shop: dict[str, object], django_db_blocker: pytest.FixtureRequest) -> Order:
    """An order paid and committed by another connection (the test's own transaction never commits)."""
    done: list[Order] = []

    def pay() -> None:
        try:
            with shop["town"]:
                done.append(make_order([(shop["merchant"], [Line("Mimolette", 1290)])]))
        finally:
            connection.close()

    with django_db_blocker.unblock():
        worker = threading.Thread(target=pay)
        worker.start()
        worker.join(timeout=30)
    [order] = done
    return order


@pytest.mark.browser
def test_an_order_paid_while_the_screen_is_open_appears_without_a_reload(page, server_port, shop, django_db_blocker):
    from playwright.sync_api import expect

    base = f"http://ville-a.test:{server_port}"
    page.clock.install()  # the 30-second poll, run forward on demand
    log_in(page, base, "fromager-ecran@ville-a.fr", PASSWORD)
    page.goto(f"{base}/gestion/mes-commandes/")
    expect(page).to_have_title("(1) Commandes du jour — Ville A")
    sound = page.get_by_role("button", name="Activer le son")
    expect(sound).to_have_attribute("aria-pressed", "false")
    sound.click()
    expect(sound).to_have_attribute("aria-pressed", "true")
    page.evaluate("window.sameDocument = true")  # gone if the page reloads

    second = paid_in_the_background(shop, django_db_blocker)
    page.clock.run_for(31_000)

    expect(page).to_have_title("(2) Commandes du jour — Ville A", timeout=10_000)
    expect(page.locator("#order-screen-status")).to_have_text("1 nouvelle commande")
    expect(page.locator("#order-screen")).to_contain_text(f"Commande {second.number}")
    expect(page.locator("#order-screen")).to_contain_text("2 commandes à accepter")
    assert page.evaluate("window.sameDocument") is True
    assert page.evaluate("localStorage.getItem('comptoir.order-screen.sound')") == "on"
    screenshot(page, "merchant-order-screen-updated")
    assert serious_accessibility_violations(page) == []

    page.reload()
    expect(page.get_by_role("button", name="Activer le son")).to_have_attribute("aria-pressed", "true")


@pytest.mark.browser
def test_the_town_admin_turns_the_sms_on_with_the_keyboard_on_an_accessible_page(page, server_port, shop):
    from playwright.sync_api import expect

    base = f"http://ville-a.test:{server_port}"
    log_in(page, base, "maire-ecran@ville-a.fr", PASSWORD)
    page.goto(f"{base}/gestion/")
    box = page.get_by_label("Prévenir les commerces par SMS à chaque commande")
    assert serious_accessibility_violations(page) == []

    box.focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Enregistrer les réglages").click()

    expect(page.get_by_role("status")).to_have_text("Les réglages sont enregistrés.")
    expect(page.get_by_label("Prévenir les commerces par SMS à chaque commande")).to_be_checked()
    screenshot(page, "town-site-settings")
