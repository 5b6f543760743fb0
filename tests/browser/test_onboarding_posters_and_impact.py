"""Posters and the impact dashboard as a town admin uses them, on a phone: generate, download, axe."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from accounts.models import Role, User
from catalog.models import Merchant, MerchantStatus
from onboarding.posters.models import PosterBatch
from tenants.models import Town
from tests.browser.conftest import accessibility_problems, log_in, screenshot

PASSWORD = "mot-de-passe-des-affiches-2026"
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def people(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
    """A committed town admin and live merchants (the server is another process), removed afterwards."""
    with django_db_blocker.unblock():
        town = Town.objects.get(slug="ville-a")
        with town:
            admin = User.objects.create_user(email="admin-affiches@ville-a.fr", password=PASSWORD, role=Role.TOWN_ADMIN)
            merchants = [
                Merchant.objects.create(name=name, slug=slug, status=MerchantStatus.LIVE, city="Calais")
                for name, slug in (("Boulangerie du Port", "affiche-boulangerie"), ("مخبز الأمل", "affiche-makhbaz"))
            ]
        yield
        with town:
            for batch in PosterBatch.objects.all():
                if batch.file:
                    batch.file.delete(save=False)
                batch.delete()
            for merchant in merchants:
                merchant.delete()
            admin.delete()


@pytest.mark.browser
def test_an_admin_generates_posters_and_reads_the_dashboard_without_accessibility_violations(page, server_port, people):
    base = f"http://ville-a.test:{server_port}"
    log_in(page, base, "admin-affiches@ville-a.fr", PASSWORD)
    page.goto(base + "/gestion/accompagnement/affiches/")
    page.check("text=Vitrophanie A6")
    with page.expect_navigation():
        page.click("button[value=generate]")
    # No Redis in the test server: the rendering ran in the request, after commit.
    assert page.locator("text=Télécharger le PDF").count() == 1
    screenshot(page, "onboarding-poster-batch")
    with page.expect_download() as download:
        page.click("text=Télécharger le PDF")
    assert download.value.suggested_filename.startswith("vitrophanies-")
    problems = accessibility_problems(
        page,
        base,
        {
            "onboarding-posters": "/gestion/accompagnement/affiches/",
            "onboarding-impact": "/gestion/accompagnement/tableau-de-bord/",
        },
    )
    assert problems == {}
