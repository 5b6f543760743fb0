from __future__ import annotations

from tests.checkout.stripe_fixtures import (  # noqa: F401  (fixtures)
    stripe_fake,
    stripe_fake_server,
    stripe_gateway,
)
