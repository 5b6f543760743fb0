"""Prospects of the pipeline (use inside a town: ``with town_a:``)."""

from __future__ import annotations

from accounts.models import Role, User
from catalog.models import Merchant, MerchantStatus
from onboarding.models import Prospect
from onboarding.pipeline import enrol_merchant
from tests.catalog.factories import MerchantFactory


def make_prospect(**merchant_fields: object) -> Prospect:
    """A draft merchant of the town and its prospect, at « À contacter »."""
    merchant_fields.setdefault("status", MerchantStatus.DRAFT)
    merchant: Merchant = MerchantFactory(**merchant_fields)
    return enrol_merchant(merchant=merchant)


def make_agent(email: str = "agent@ville-a.test") -> User:
    return User.objects.create_user(email, "pw-agent-2026", role=Role.TOWN_AGENT)
