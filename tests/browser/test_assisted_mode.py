"""Assisted mode in Chromium: a town agent starts acting for a merchant from its catalogue page, the
banner is on the merchant's pages (axe: no serious violation), reached by keyboard, and « Terminer » ends it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from accounts.models import Role, User
from catalog.models import Merchant
from onboarding.assisted.models import AssistedChange, AssistedSession, EndReason
from tenants.models import Town
from tests.browser.conftest import log_in, screenshot, serious_accessibility_violations
from tests.catalog.factories import MerchantFactory

PASSWORD = "mot-de-passe-de-l-agent"


@pytest.fixture
def agent_and_merchant(
    django_db_setup: None, django_db_blocker: pytest.FixtureRequest
) -> Iterator[tuple[Town, User, Merchant]]:
    """Committed (the server is another process); removed afterwards with what the walk logged."""
    with django_db_blocker.unblock():
        town = Town.objects.get(slug="ville-a")
        with town:
            agent = User.objects.create_user(email="agent-assiste@ville-a.fr", password=PASSWORD, role=Role.TOWN_AGENT)
            merchant = MerchantFactory(name="Fromagerie Lenoir", slug="fromagerie-lenoir-assiste")
        yield town, agent, merchant
        with town:
            AssistedChange.objects.filter(merchant=merchant).delete()
            AssistedSession.objects.filter(merchant=merchant).delete()
            merchant.delete()
            agent.delete()


@pytest.mark.browser
def test_an_agent_acts_for_a_merchant_behind_an_accessible_banner_and_ends_it(
    page, server_port, agent_and_merchant, django_db_blocker
):
    town, agent, merchant = agent_and_merchant
    base = f"http://ville-a.test:{server_port}"
    log_in(page, base, agent.email, PASSWORD)
    page.goto(f"{base}/gestion/catalogue/commercants/{merchant.slug}/")

    with page.expect_navigation():
        page.click("text=Agir pour le compte de Fromagerie Lenoir")

    banner = page.locator(".assisted-banner")
    assert "Vous agissez pour le compte de Fromagerie Lenoir" in banner.inner_text()
    assert page.locator(".assisted-banner [role=status]").count() == 1
    screenshot(page, "assisted-banner")
    assert serious_accessibility_violations(page) == []
    page.goto(f"{base}/gestion/mes-commandes/")
    assert banner.is_visible()
    assert serious_accessibility_violations(page) == []
    # Keyboard: the skip link first, then the banner's « Terminer ».
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('assisted-banner-end')")

    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.locator(".assisted-banner").count() == 0
    assert "Vous n’agissez plus pour le compte de « Fromagerie Lenoir »." in page.content()
    with django_db_blocker.unblock(), town:
        session = AssistedSession.objects.get(merchant=merchant)
        assert (session.end_reason, session.ended_by_id) == (EndReason.BY_AGENT, agent.pk)
    # The history the merchant reads (here as town staff): the session, its end and its reason.
    page.goto(f"{base}/gestion/accompagnement/assistance/historique/{merchant.slug}/")
    screenshot(page, "assisted-history")
    assert "Terminée par l’agent" in page.content()
    assert serious_accessibility_violations(page) == []
