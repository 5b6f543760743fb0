"""The « Vendre sur … » page and the agents' new-business and NAF pages in a real browser: axe on a phone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from accounts.models import Role, User
from tenants.models import Town
from tests.browser.conftest import accessibility_problems, log_in

PASSWORD = "mot-de-passe-de-l-accompagnement"
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def agent(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
    """A committed town agent (the server is another process), removed afterwards."""
    with django_db_blocker.unblock():
        town = Town.objects.get(slug="ville-a")
        with town:
            user = User.objects.create_user(email="agent-naf@ville-a.fr", password=PASSWORD, role=Role.TOWN_AGENT)
        yield
        with town:
            user.delete()


@pytest.mark.browser
def test_the_application_page_has_no_serious_accessibility_violations(page, server_port) -> None:
    base = f"http://ville-a.test:{server_port}"
    assert accessibility_problems(page, base, {"onboarding-apply": "/vendre-sur-la-place-de-marche/"}) == {}
    # The trap field is neither seen nor reachable with the keyboard.
    assert not page.is_visible("#id_website")
    labels = [page.evaluate("document.activeElement.name") for _ in range(12) if page.keyboard.press("Tab") is None]
    assert "website" not in labels


@pytest.mark.browser
@pytest.mark.usefixtures("agent")
def test_the_agents_pages_have_no_serious_accessibility_violations(page, server_port) -> None:
    base = f"http://ville-a.test:{server_port}"
    log_in(page, base, "agent-naf@ville-a.fr", PASSWORD)
    pages = {
        "onboarding-prospect-new": "/gestion/accompagnement/commerces/nouveau/",
        "onboarding-naf-rules": "/gestion/accompagnement/naf/",
        "onboarding-naf-rule-new": "/gestion/accompagnement/naf/nouvelle/",
    }
    assert accessibility_problems(page, base, pages) == {}
