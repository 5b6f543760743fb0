"""Orders, delivery, payouts and finance pages as town staff and residents use them: axe on a phone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from accounts.models import Role, User
from settlement.ledger.models import SettlementPolicy
from tenants.models import Town
from tests.browser.conftest import accessibility_problems, log_in

PASSWORD = "mot-de-passe-des-pages-de-gestion"
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def people(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
    """Committed users (the server is another process), removed afterwards."""
    with django_db_blocker.unblock():
        town = Town.objects.get(slug="ville-a")
        with town:
            users = [
                User.objects.create_user(email="admin-gestion@ville-a.fr", password=PASSWORD, role=Role.TOWN_ADMIN),
                User.objects.create_user(email="habitante@ville-a.fr", password=PASSWORD, role=Role.RESIDENT),
            ]
        yield
        with town:
            for user in users:
                user.delete()
            # Reading the finance and payout pages creates the town's settlement settings row: the other
            # tests (rolled back) expect a town without one.
            SettlementPolicy.objects.all().delete()


@pytest.mark.browser
def test_town_staff_pages_have_no_serious_accessibility_violations(page, server_port, people):
    base = f"http://ville-a.test:{server_port}"
    log_in(page, base, "admin-gestion@ville-a.fr", PASSWORD)
    pages = {
        "staff-delivery-zones": "/gestion/livraison/",
        "staff-delivery-zone-new": "/gestion/livraison/zones/nouvelle/",
        "staff-orders-waiting": "/gestion/commandes/en-attente/",
        "staff-failed-notifications": "/gestion/commandes/notifications-echouees/",
        "staff-orders-of-the-day": "/gestion/mes-commandes/",
        "staff-finance": "/gestion/finances/",
        "staff-payouts": "/gestion/reversements/",
        "staff-payout-settings": "/gestion/reversements/parametres/",
        "staff-bank-details": "/gestion/reversements/coordonnees-bancaires/",
        "staff-bank-statements": "/gestion/reversements/releves/",
    }
    assert accessibility_problems(page, base, pages) == {}


@pytest.mark.browser
def test_resident_account_pages_have_no_serious_accessibility_violations(page, server_port, people):
    base = f"http://ville-a.test:{server_port}"
    log_in(page, base, "habitante@ville-a.fr", PASSWORD)
    assert (
        accessibility_problems(
            page, base, {"resident-orders": "/compte/commandes/", "resident-delete": "/compte/supprimer/"}
        )
        == {}
    )
