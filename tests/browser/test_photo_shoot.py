"""A photo shoot on a phone with a bad network: the server stores the photo but its answer is lost;
the page sends the same photo again with the same key, and one draft is made. Then the agent titles
and prices it without leaving the page (the queue would be lost), and axe finds nothing serious."""

from __future__ import annotations

import io
import urllib.request
from collections.abc import Iterator

import pytest
from PIL import Image

from accounts.models import Role, User
from catalog.models import Product
from tenants.models import Town
from tests.browser.conftest import log_in, screenshot, serious_accessibility_violations
from tests.catalog.factories import MerchantFactory

PASSWORD = "mot-de-passe-de-la-seance"
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def shoot(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[dict[str, object]]:
    """Committed data (the server is another process): a town agent and a shop."""
    with django_db_blocker.unblock():
        town = Town.objects.get(slug="ville-a")
        with town:
            agent = User.objects.create_user(email="agent-seance@ville-a.fr", password=PASSWORD, role=Role.TOWN_AGENT)
            merchant = MerchantFactory(name="Épicerie de la Séance", slug="epicerie-de-la-seance")
        yield {"town": town, "merchant": merchant}
        with town:
            merchant.delete()
            agent.delete()


def phone_photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 90), (180, 120, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.mark.browser
def test_a_photo_whose_answer_is_lost_is_sent_again_and_makes_one_draft(page, server_port, shoot, django_db_blocker):
    from playwright.sync_api import expect

    base = f"http://ville-a.test:{server_port}"
    log_in(page, base, "agent-seance@ville-a.fr", PASSWORD)
    page.goto(f"{base}/gestion/catalogue/commercants/epicerie-de-la-seance/seance-photo/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Séance photo — Épicerie de la Séance")
    assert serious_accessibility_violations(page) == []

    keys: list[str] = []

    def lose_the_first_answer(route: object) -> None:
        request = route.request
        keys.append(request.headers["idempotency-key"])
        if len(keys) > 1:
            route.continue_()
            return
        # The server receives and stores the photo (sent from here: Playwright's own fetch cannot
        # resolve the test host names)…
        headers = {**request.headers, "host": f"ville-a.test:{server_port}"}
        stored = urllib.request.Request(  # noqa: S310 - loopback only
            request.url.replace(f"ville-a.test:{server_port}", f"127.0.0.1:{server_port}"),
            data=request.post_data_buffer,
            headers=headers,
            method="POST",
        )
        with urllib.request.urlopen(stored, timeout=20) as response:  # noqa: S310 - loopback only
            assert response.status == 201
        route.fulfill(status=502, body="Bad Gateway")  # …but the phone never hears back

    page.route("**/seance-photo/envoi/", lose_the_first_answer)
    page.set_input_files(
        "#id_camera", files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": phone_photo()}]
    )

    summary = page.locator("[data-queue-summary]")
    expect(summary).to_have_text("0 en attente, 0 en cours, 1 envoyée", timeout=15_000)
    assert len(keys) == 2
    assert keys[0] == keys[1]
    draft_item = page.locator(".draft-item")
    expect(draft_item).to_have_count(1)
    with django_db_blocker.unblock(), shoot["town"]:
        drafts = list(Product.objects.filter(merchant=shoot["merchant"]))
        assert [(str(draft.upload_key), draft.needs_details, draft.is_published) for draft in drafts] == [
            (keys[0], True, False)
        ]
    screenshot(page, "photo-shoot-queue")
    assert serious_accessibility_violations(page) == []

    # Titled and priced on the spot: the page stays (no navigation), the item says it is done.
    draft_item.get_by_label("Titre").fill("Confiture de rhubarbe")
    draft_item.get_by_label("Prix TTC en euros").fill("4,90")
    page.evaluate("window.samePage = true")
    draft_item.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".draft-item .badge-live")).to_have_text("complété")
    assert page.evaluate("window.samePage") is True
    with django_db_blocker.unblock(), shoot["town"]:
        product = Product.objects.get(merchant=shoot["merchant"])
        assert (product.title, product.price_cents, product.needs_details) == ("Confiture de rhubarbe", 490, False)


@pytest.mark.browser
def test_a_pdf_is_refused_in_french_and_nothing_is_retried_nor_stored(page, server_port, shoot, django_db_blocker):
    from playwright.sync_api import expect

    base = f"http://ville-a.test:{server_port}"
    log_in(page, base, "agent-seance@ville-a.fr", PASSWORD)
    page.goto(f"{base}/gestion/catalogue/commercants/epicerie-de-la-seance/seance-photo/")
    with django_db_blocker.unblock(), shoot["town"]:
        before = Product.objects.filter(merchant=shoot["merchant"]).count()
    uploads: list[str] = []
    page.on("request", lambda request: uploads.append(request.url) if "/envoi/" in request.url else None)
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"0" * 2000

    page.set_input_files(
        "#id_gallery",
        files=[
            {"name": "IMG_0002.jpg", "mimeType": "image/jpeg", "buffer": pdf},  # a PDF named like a photo
            {"name": "devis.pdf", "mimeType": "application/pdf", "buffer": pdf},  # refused before sending
        ],
    )

    expect(page.locator("[data-queue-summary]")).to_have_text("0 en attente, 0 en cours, 0 envoyées, 2 refusées")
    statuses = page.locator("[data-queue-list] .queue-status")
    expect(statuses).to_have_text(
        [
            "Ce fichier n’est pas une photo.",
            "Ce fichier n'est pas une photo utilisable. Formats acceptés : JPEG, PNG, WebP et HEIC (iPhone).",
        ]
    )
    assert len(uploads) == 1  # only the one that looked like a photo was sent, once
    with django_db_blocker.unblock(), shoot["town"]:
        assert Product.objects.filter(merchant=shoot["merchant"]).count() == before
