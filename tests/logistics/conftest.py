"""Fixtures of the delivery-rounds tests: checkout's shops, and the delivery zones of Calais."""

from __future__ import annotations

import pytest

from tests.checkout.conftest import shops  # noqa: F401  (a fixture re-exported for these tests)
from tests.checkout.test_delivery import zones  # noqa: F401
from tests.checkout.test_delivery_slots import address_service_down  # noqa: F401


@pytest.fixture
def delivering_shops(town_a, shops):  # noqa: F811
    """Both test shops deliver."""
    with town_a:
        for shop in shops.values():
            merchant = shop["merchant"]
            merchant.delivery_eligible = True
            merchant.save()
    return shops
