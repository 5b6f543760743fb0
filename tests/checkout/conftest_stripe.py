"""Pytest plugin for the Stripe contract tests — to be listed in the root conftest's `pytest_plugins`.

Registers the `stripe_contract` marker and deselects (not skips) those tests when
STRIPE_TEST_SECRET_KEY is absent, so a normal run reports no skip for them.
"""

from __future__ import annotations

import os

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "stripe_contract: calls real Stripe test mode (needs STRIPE_TEST_SECRET_KEY)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("STRIPE_TEST_SECRET_KEY"):
        return
    deselected = [item for item in items if item.get_closest_marker("stripe_contract")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("stripe_contract")]
