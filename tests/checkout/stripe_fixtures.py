"""Fixtures for the Stripe fake: one server per session, emptied before each test.

Not a conftest (tests/checkout/conftest.py has another owner): import the fixtures where needed,
or list this module in `pytest_plugins` of the root conftest.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from payments.gateways.stripe import StripeGateway
from tests.checkout.stripe_fake import StripeFake

FAKE_SECRET_KEY = "sk_test_comptoir_fake"
FAKE_PUBLISHABLE_KEY = "pk_test_comptoir_fake"
FAKE_WEBHOOK_SECRET = "whsec_comptoir_fake"
TOWN_ACCOUNT = "acct_ville_a"
OTHER_TOWN_ACCOUNT = "acct_ville_b"


@pytest.fixture(scope="session")
def stripe_fake_server() -> Iterator[StripeFake]:
    with StripeFake(api_key=FAKE_SECRET_KEY) as fake:
        yield fake


@pytest.fixture
def stripe_fake(stripe_fake_server: StripeFake) -> StripeFake:
    stripe_fake_server.reset()
    return stripe_fake_server


@pytest.fixture
def stripe_gateway(stripe_fake: StripeFake) -> StripeGateway:
    return StripeGateway(
        secret_key=FAKE_SECRET_KEY,
        publishable_key=FAKE_PUBLISHABLE_KEY,
        webhook_secret=FAKE_WEBHOOK_SECRET,
        api_base=stripe_fake.url,
        max_network_retries=2,
    )
