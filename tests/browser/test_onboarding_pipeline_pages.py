"""The onboarding pipeline pages as a town agent uses them on a phone: axe finds nothing serious, and a
business moves from the board without JavaScript's help."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.utils import timezone

from accounts.models import Role, User
from catalog.models import Merchant
from onboarding.models import OnboardingSettings, Prospect, ProspectMove, Step
from tenants.models import Town
from tests.browser.conftest import accessibility_problems, log_in
from tests.onboarding.factories import make_prospect

PASSWORD = "mot-de-passe-de-l-accompagnement"
AGENT = "accompagnement@ville-a.fr"
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def pipeline(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[int]:
    """Committed prospects at several steps (the server is another process), removed afterwards."""
    with django_db_blocker.unblock():
        town = Town.objects.get(slug="ville-a")
        with town:
            agent = User.objects.create_user(
                email=AGENT, password=PASSWORD, role=Role.TOWN_AGENT, first_name="Julie", last_name="Martin"
            )
            first = None
            for index, (name, step) in enumerate(
                (
                    ("Boulangerie Marie", Step.TO_CONTACT),
                    ("Fromagerie Opale", Step.CONTACTED),
                    ("Cave du Beffroi", Step.AGREEMENT),
                    ("Librairie du Port", Step.PAUSED),
                )
            ):
                prospect = make_prospect(name=name, slug=f"accompagnement-{index}")
                first = first or prospect.pk
                Prospect.objects.filter(pk=prospect.pk).update(
                    step=step,
                    reason="Travaux" if step == Step.PAUSED else "",
                    step_changed_at=timezone.now() - dt.timedelta(days=20 * index),
                    agent_id=agent.pk if index % 2 else None,
                )
        yield first
        with town:
            merchant_ids = list(Prospect.objects.values_list("merchant_id", flat=True))
            ProspectMove.objects.all().delete()
            Prospect.objects.all().delete()
            Merchant.objects.filter(pk__in=merchant_ids).delete()
            OnboardingSettings.objects.all().delete()
            User.objects.filter(email=AGENT).delete()


@pytest.mark.browser
def test_pipeline_pages_have_no_serious_accessibility_violations(page, server_port, pipeline):
    base = f"http://ville-a.test:{server_port}"
    log_in(page, base, AGENT, PASSWORD)
    pages = {
        "onboarding-home": "/gestion/accompagnement/",
        "onboarding-board": "/gestion/accompagnement/tableau/",
        "onboarding-list": "/gestion/accompagnement/commerces/?step=contacted",
        "onboarding-prospect": f"/gestion/accompagnement/commerces/{pipeline}/",
        "onboarding-settings": "/gestion/accompagnement/reglages/",
        "onboarding-applications": "/gestion/accompagnement/candidatures/",
    }
    assert accessibility_problems(page, base, pages) == {}


@pytest.mark.browser
def test_an_agent_moves_a_business_from_the_board_without_javascript(browser, server_port, pipeline):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    base = f"http://ville-a.test:{server_port}"
    try:
        log_in(page, base, AGENT, PASSWORD)
        page.goto(f"{base}/gestion/accompagnement/tableau/")
        card = page.locator("#column-to_contact").locator("xpath=..").locator(".pipeline-card").first
        card.locator("summary").click()
        card.locator("select").select_option("contacted")
        with page.expect_navigation():
            card.locator("button[type=submit]").click()
        assert page.url == f"{base}/gestion/accompagnement/tableau/"
        assert "« Boulangerie Marie » est à l’étape « Contacté »." in page.content()
        assert page.locator("#column-contacted .pipeline-count").inner_text() == "2"
    finally:
        context.close()


@pytest.mark.browser
def test_the_board_scrolls_inside_its_frame_and_never_the_whole_page_sideways(browser, server_port, pipeline):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR")
    try:
        page = context.new_page()
        base = f"http://ville-a.test:{server_port}"
        log_in(page, base, AGENT, PASSWORD)
        page.goto(f"{base}/gestion/accompagnement/tableau/")
        # Ten columns are wider than the screen: the board scrolls, the page (header, tabs) stays put.
        assert page.evaluate("document.querySelector('.pipeline-board').scrollWidth") > 1366
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    finally:
        context.close()
