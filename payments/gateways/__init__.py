"""Payment gateways: which provider a town uses and the account its money goes through (docs/architecture.md §4)."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured

from payments.gateways.base import (
    GatewayError,
    GatewayEvent,
    PaymentGateway,
    PaymentIntentResult,
    PayoutResult,
    RefundResult,
    ReversalResult,
    TransferResult,
    WebhookSignatureError,
)

if TYPE_CHECKING:
    from tenants.models import Town

__all__ = [
    "GatewayError",
    "GatewayEvent",
    "PaymentGateway",
    "PaymentIntentResult",
    "PayoutResult",
    "RefundResult",
    "ReversalResult",
    "TransferResult",
    "WebhookSignatureError",
    "gateway_account_id",
    "get_gateway",
    "idempotency_key",
]


def get_gateway(town: Town) -> PaymentGateway:
    """The gateway configured for this town; ImproperlyConfigured rather than a silent fallback."""
    from tenants.models import PaymentGatewayKind

    if town.payment_gateway == PaymentGatewayKind.STRIPE:
        from payments.gateways.stripe import StripeGateway

        return StripeGateway()
    if town.payment_gateway == PaymentGatewayKind.TEST:
        from payments.gateways.demo import DemoGateway

        return DemoGateway()
    raise ImproperlyConfigured(f"Unknown payment gateway {town.payment_gateway!r} for town {town.slug!r}.")


def gateway_account_id(town: Town) -> str | None:
    """The account that charges are made on, as the town's collector says: the town's connected account
    in régie mode (direct charges, the town is merchant of record), None — the platform — in Connect mode."""
    from payments.collectors import collector_for

    return collector_for(town).charge_account_id(town)


def idempotency_key(*parts: object) -> str:
    """A deterministic provider idempotency key for these parts, e.g. (town slug, "pi", order id, attempt).

    Deterministic so that a worker retrying after a crash replays the provider's stored answer; JSON
    joining keeps ("a:b", "c") and ("a", "b:c") apart; hashing bounds it well under Stripe's 255 chars.
    """
    if not parts:
        raise ValueError("an idempotency key needs at least one part")
    joined = json.dumps([str(part) for part in parts], ensure_ascii=False)
    return "comptoir:" + hashlib.sha256(joined.encode("utf-8")).hexdigest()
