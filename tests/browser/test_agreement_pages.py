"""The agreement's pages (town desk, paper copy, merchant's page with its signing form): axe on a phone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from accounts.models import Role, User
from catalog.models import Merchant, MerchantMembership
from settlement.ledger.models import SettlementPolicy
from tenants.models import Town
from tests.browser.conftest import accessibility_problems, log_in
from tests.catalog.factories import MerchantFactory

PASSWORD = "mot-de-passe-des-pages-convention"
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def people(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
    """Committed users and a merchant (the server is another process), removed afterwards."""
    with django_db_blocker.unblock():
        town = Town.objects.get(slug="ville-a")
        with town:
            merchant = MerchantFactory(name="Boulangerie Convention", slug="boulangerie-convention")
            users = [
                User.objects.create_user(email="admin-convention@ville-a.fr", password=PASSWORD, role=Role.TOWN_ADMIN),
                User.objects.create_user(
                    email="gerant-convention@ville-a.fr", password=PASSWORD, role=Role.MERCHANT_STAFF
                ),
            ]
            MerchantMembership.objects.create(merchant=merchant, user_id=users[1].pk)
        yield
        with town:
            MerchantMembership.objects.filter(merchant=merchant).delete()
            for user in users:
                user.delete()
            Merchant.objects.filter(pk=merchant.pk).delete()
            SettlementPolicy.objects.all().delete()


@pytest.mark.browser
def test_the_towns_agreement_pages_have_no_serious_accessibility_violations(page, server_port, people):
    base = f"http://ville-a.test:{server_port}"
    log_in(page, base, "admin-convention@ville-a.fr", PASSWORD)
    pages = {
        "agreement-desk": "/gestion/accompagnement/convention/",
        "agreement-paper": "/gestion/accompagnement/convention/boulangerie-convention/papier/",
    }
    assert accessibility_problems(page, base, pages) == {}


@pytest.mark.browser
def test_the_merchants_agreement_page_has_no_serious_accessibility_violations(page, server_port, people):
    base = f"http://ville-a.test:{server_port}"
    log_in(page, base, "gerant-convention@ville-a.fr", PASSWORD)
    pages = {"agreement-merchant": "/gestion/reversements/convention/boulangerie-convention/"}
    assert accessibility_problems(page, base, pages) == {}
