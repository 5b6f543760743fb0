"""Information-session pages on a phone: the staff's list, occurrence and series pages and the merchant's
invitation page have no serious axe violation; a merchant registers in one click."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from accounts.models import Role, User
from onboarding.models import Prospect
from onboarding.sessions.actions import create_series, register_prospect
from onboarding.sessions.models import SessionInvitation, SessionRegistration, SessionSeries
from onboarding.sessions.tokens import make_invitation_token
from tenants.current import town_today
from tenants.models import Town
from tests.browser.conftest import accessibility_problems, log_in, screenshot
from tests.onboarding.factories import make_prospect

PASSWORD = "mot-de-passe-des-reunions"
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def agenda(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[dict[str, object]]:
    """Committed rows (the server is another process), removed afterwards."""
    with django_db_blocker.unblock():
        town = Town.objects.get(slug="ville-a")
        with town:
            agent = User.objects.create_user(email="agent-reunions@ville-a.fr", password=PASSWORD, role=Role.TOWN_AGENT)
            start = town_today() + dt.timedelta(days=2)
            series = create_series(
                actor=agent,
                title="Réunion d’information",
                description="La place de marché en ligne, la convention, les photos.",
                place="Salle du conseil, hôtel de ville",
                recurrence="weekly",
                weekday=start.weekday(),
                start_date=start,
                start_time=dt.time(9),
                duration_minutes=60,
            )
            occurrence = series.occurrences.order_by("starts_at").first()
            registered = make_prospect(name="Boulangerie du Beffroi", email="beffroi@example.fr", phone="0612345678")
            register_prospect(occurrence=occurrence, prospect=registered, actor=agent)
            invited = make_prospect(name="Fleurs de la Place", email="fleurs@example.fr")
            invitation = SessionInvitation.objects.create(
                prospect=invited, series=series, occurrence=occurrence, channel="email", recipient="fleurs@example.fr"
            )
            token = make_invitation_token(invitation.pk)
        yield {"series": series, "occurrence": occurrence, "token": token, "invited": invited}
        with town:
            SessionSeries.objects.filter(pk=series.pk).delete()
            merchants = [p.merchant for p in Prospect.objects.filter(pk__in=[registered.pk, invited.pk])]
            for merchant in merchants:
                merchant.delete()
            agent.delete()


@pytest.mark.browser
def test_session_pages_have_no_serious_accessibility_violations(page, server_port, agenda):
    base = f"http://ville-a.test:{server_port}"
    log_in(page, base, "agent-reunions@ville-a.fr", PASSWORD)
    occurrence, series = agenda["occurrence"], agenda["series"]
    pages = {
        "staff-sessions": "/gestion/accompagnement/reunions/",
        "staff-session-occurrence": f"/gestion/accompagnement/reunions/{occurrence.pk}/",
        "staff-session-series": f"/gestion/accompagnement/reunions/serie/{series.pk}/",
        "staff-session-new": "/gestion/accompagnement/reunions/nouvelle/",
    }
    assert accessibility_problems(page, base, pages) == {}


@pytest.mark.browser
def test_a_merchant_registers_in_one_click_from_the_invitation(page, server_port, agenda):
    base = f"http://ville-a.test:{server_port}"
    path = f"/gestion/accompagnement/reunions/invitation/{agenda['token']}/"
    assert accessibility_problems(page, base, {"merchant-session-invitation": path}) == {}
    with page.expect_navigation():
        page.get_by_role("button", name="Je m’inscris pour le").first.click()
    assert "C’est noté : vous êtes inscrit." in page.content()
    screenshot(page, "merchant-session-registered")
    town = Town.objects.get(slug="ville-a")
    with town:
        assert SessionRegistration.objects.filter(prospect=agenda["invited"]).count() == 1
