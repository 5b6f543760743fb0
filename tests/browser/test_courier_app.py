"""The courier app on a phone: installable, the round kept for use without network, actions taken
offline queued on the phone and sent once when the network returns; accessible (axe) and no CSP breach."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.urls import reverse

from accounts.models import Role, User
from checkout.models import Fulfilment, Order
from logistics.models import (
    CourierAction,
    Delivery,
    DeliveryPart,
    DeliveryStatus,
    PartStatus,
    Round,
)
from logistics.rescheduling import make_token
from tenants.current import town_today
from tenants.models import Town
from tests.browser.conftest import CHROMIUM, screenshot, serious_accessibility_violations, watch_csp_violations
from tests.catalog.factories import MerchantFactory
from tests.checkout.notification_factories import Line, make_order
from tests.logistics.courier_setup import round_for_order

PASSWORD = "mot-de-passe-du-livreur-42"
EMAIL = "livreur-navigateur@ville-a.fr"


@pytest.fixture
def round_of_today(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[dict[str, object]]:
    """Committed data (the server is another process): a courier's round of today, two pickups and a drop;
    removed after each test."""
    with django_db_blocker.unblock():
        town = Town.objects.get(slug="ville-a")
        with town:
            today = town_today()
            courier = User.objects.create_user(email=EMAIL, password=PASSWORD, role=Role.COURIER)
            bakery, grocer = MerchantFactory(name="Boulangerie du Port"), MerchantFactory(name="Épicerie des Dunes")
            order = make_order(
                [(bakery, [Line("Pain", 380)]), (grocer, [Line("Miel", 890)])], fulfilment=Fulfilment.DELIVERY
            )
            Order.objects.filter(pk=order.pk).update(delivery_zone_id=None)  # no zone to book a new day in
            planned = round_for_order(order, courier=courier, today=today, codes=("KX7PQR", "MN4TUV"))
        yield {
            "town": town,
            "delivery": planned.delivery,
            "pickups": planned.pickups,
            "drop": planned.drop,
            "round": planned.round,
        }
        with town:
            CourierAction.objects.filter(courier=courier).delete()
            vehicle = planned.round.vehicle
            planned.round.shift.delete()  # its rounds and their stops with it
            vehicle.delete()
            vehicle.vehicle_type.delete()
            vehicle.hub.delete()
            planned.delivery.delete()
            Order.objects.filter(pk=order.pk).delete()
            bakery.delete()
            grocer.delete()
            courier.delete()


@pytest.fixture
def phone(browser: object, server_port: int) -> Iterator[object]:
    """A phone-sized page in a Chromium that takes the test host for a secure origin, as HTTPS would be:
    service workers only run on secure origins."""
    origin = f"http://ville-a.test:{server_port}"
    chromium = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--host-resolver-rules=MAP *.test 127.0.0.1, MAP test 127.0.0.1",
            f"--unsafely-treat-insecure-origin-as-secure={origin}",
        ],
    )
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR", service_workers="allow")
    violations = watch_csp_violations(context)
    page = context.new_page()
    yield page
    context.close()
    chromium.close()
    assert violations == [], violations


def log_in(page: object, base: str) -> None:
    page.goto(f"{base}/compte/login/?next=/livreur/")
    page.fill("#id_login", EMAIL)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/livreur/")


@pytest.mark.browser
def test_a_round_done_offline_is_sent_once_when_the_network_returns(
    phone, server_port, round_of_today, django_db_blocker
):
    from playwright.sync_api import expect

    page = phone
    base = f"http://ville-a.test:{server_port}"
    log_in(page, base)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ma tournée")
    assert serious_accessibility_violations(page) == []
    # The service worker is installed and keeps the round.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15000)
    page.wait_for_function(KEEPS_THE_ROUND, timeout=15000)

    page.context.set_offline(True)
    page.reload()  # answered by the service worker
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ma tournée")
    pickups = round_of_today["pickups"]
    for stop, code in zip(pickups, ("kx7 pqr", "MN4TUV"), strict=True):
        card = page.locator(f"#arret-{stop.pk}")
        card.get_by_label("Code du ticket du commerce").fill(code)
        card.get_by_role("button", name="Colis retirés").click()
        expect(card.locator("[data-state]")).to_have_text("En attente d'envoi")
    drop = page.locator(f"#arret-{round_of_today['drop'].pk}")
    drop.get_by_label("Code de l'habitant").check()
    drop.get_by_label("Code à 6 chiffres de l'habitant").fill("246810")
    drop.get_by_role("button", name="Livré").click()
    expect(page.locator("[data-pending]")).to_have_text("Actions en attente d'envoi : 3.")
    screenshot(page, "courier-offline")
    with django_db_blocker.unblock(), round_of_today["town"]:
        assert not CourierAction.objects.exists()  # nothing reached the server

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(drop.locator("[data-state]")).to_have_text("Fait", timeout=15000)
    expect(page.locator("[data-pending]")).to_be_hidden()
    screenshot(page, "courier-synced")

    with django_db_blocker.unblock(), round_of_today["town"]:
        assert CourierAction.objects.count() == 3
        delivery = Delivery.objects.get(pk=round_of_today["delivery"].pk)
        assert (delivery.status, delivery.proof_kind) == (DeliveryStatus.DELIVERED, "code")
        assert set(DeliveryPart.objects.filter(delivery=delivery).values_list("status", flat=True)) == {
            PartStatus.COLLECTED
        }
        assert Round.objects.get(pk=round_of_today["round"].pk).started_at is not None

    # Signing out forgets the round kept on the phone: residents' names and addresses.
    page.get_by_text("Menu").click()
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(f"{base}/")
    page.wait_for_function(f"{KEEPS_THE_ROUND}.then((kept) => !kept)", timeout=15000)


# True when some cache of the page's origin holds the round's page.
KEEPS_THE_ROUND = """caches.keys().then(async (names) => {
  for (const name of names) {
    if (await (await caches.open(name)).match('/livreur/')) return true;
  }
  return false;
})"""


@pytest.mark.browser
def test_the_round_reads_at_200_percent_zoom_without_sideways_scrolling(phone, server_port, round_of_today):
    """320 CSS pixels: a 640 px window at 200 % (WCAG's reflow width)."""
    page = phone
    base = f"http://ville-a.test:{server_port}"
    log_in(page, base)
    page.set_viewport_size({"width": 320, "height": 640})
    page.reload()
    wider = page.evaluate(
        "[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > 321)"
        ".map((e) => e.tagName + '.' + e.className)"
    )
    assert wider == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    screenshot(page, "courier-zoom-200")


def collect_both(page: object, round_of_today: dict[str, object]) -> None:
    from playwright.sync_api import expect

    for stop, code in zip(round_of_today["pickups"], ("KX7PQR", "MN4TUV"), strict=True):
        card = page.locator(f"#arret-{stop.pk}")
        card.get_by_label("Code du ticket du commerce").fill(code)
        card.get_by_role("button", name="Colis retirés").click()
        expect(card.locator("[data-state]")).to_have_text("Fait")


@pytest.mark.browser
def test_the_resident_signs_with_a_finger_on_the_phone(phone, server_port, round_of_today, django_db_blocker):
    from playwright.sync_api import expect

    page = phone
    log_in(page, f"http://ville-a.test:{server_port}")
    first = page.locator(f"#arret-{round_of_today['pickups'][0].pk}")
    first.get_by_label("Code du ticket du commerce").fill("AAAAAA")
    first.get_by_role("button", name="Colis retirés").click()
    expect(first.get_by_role("alert")).to_have_text(
        "Ce code ne correspond pas à cette commande. Vérifiez le ticket du commerce."
    )
    expect(first.locator("[data-state]")).to_have_text("À faire")
    collect_both(page, round_of_today)
    drop = page.locator(f"#arret-{round_of_today['drop'].pk}")
    drop.get_by_role("radio", name="Signature").check()
    expect(drop.get_by_label("Photo du colis déposé")).to_be_hidden()  # only the chosen proof shows
    drop.locator("canvas").scroll_into_view_if_needed()
    pad = drop.locator("canvas").bounding_box()
    page.mouse.move(pad["x"] + 20, pad["y"] + 20)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(pad["x"] + 20 + 15 * step, pad["y"] + 20 + (step % 3) * 10)
    page.mouse.up()
    drop.get_by_role("button", name="Livré").click()
    expect(drop.locator("[data-state]")).to_have_text("Fait")

    with django_db_blocker.unblock(), round_of_today["town"]:
        delivery = Delivery.objects.get(pk=round_of_today["delivery"].pk)
        assert delivery.status == DeliveryStatus.DELIVERED
        assert delivery.proof_signature.startswith("M")
        assert delivery.proof_signature.count("L") >= 5


@pytest.mark.browser
def test_a_refused_parcel_and_the_residents_page_to_choose_a_new_day(
    phone, server_port, round_of_today, django_db_blocker
):
    from playwright.sync_api import expect

    page = phone
    base = f"http://ville-a.test:{server_port}"
    log_in(page, base)
    collect_both(page, round_of_today)
    drop = page.locator(f"#arret-{round_of_today['drop'].pk}")
    drop.get_by_text("Livraison impossible ?").click()
    drop.get_by_label("Colis refusé").check()
    drop.get_by_role("button", name="Enregistrer l'échec : colis au dépôt").click()
    expect(drop.locator("[data-state]")).to_have_text("Échec")

    with django_db_blocker.unblock(), round_of_today["town"]:
        delivery = Delivery.objects.get(pk=round_of_today["delivery"].pk)
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
        path = reverse("logistics_resident:reschedule", kwargs={"token": make_token(delivery)})
    page.goto(base + path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre livraison")
    assert serious_accessibility_violations(page) == []
    screenshot(page, "courier-resident-new-day")
    page.get_by_role("radio").nth(-2).check()  # the last slot offered, days ahead (the last radio is the hub)
    page.get_by_role("button", name="Valider mon choix").click()
    expect(page.get_by_role("status")).to_contain_text("C'est noté : nouvelle livraison")
    with django_db_blocker.unblock(), round_of_today["town"]:
        assert Delivery.objects.get(pk=round_of_today["delivery"].pk).status == DeliveryStatus.TO_PLAN
