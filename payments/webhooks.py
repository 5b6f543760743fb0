"""The gateways' events: proving they come from the provider, naming the towns they may concern,
and storing each one once, with its effect.

* Verification: Stripe signs the raw body (offline HMAC with STRIPE_WEBHOOK_SECRET, or the Connect
  endpoint's STRIPE_CONNECT_WEBHOOK_SECRET); an event that cannot be proven raises
  WebhookSignatureError (answer 400, store nothing), and a platform without a secret raises
  ImproperlyConfigured. The demo gateway verifies its own notifications (``DemoGateway.parse_webhook``).
* Towns: metadata is never trusted alone. An event from a connected account names its town by that
  account (a régie town charges on its own account). An event of the platform (Connect) only names
  a *candidate* in its metadata — or, for a dispute, which carries the dispute's empty metadata,
  every town collecting on the platform — and the caller keeps the candidate whose schema holds a
  payment with that intent, an intent we created and stored ourselves (checkout's, in
  ``config.webhooks``).
* Storage: ``record_event`` stores the event's id under a unique constraint in the caller's
  transaction, the one that makes its effect: both commit, or neither; a second delivery finds
  the id and does nothing.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from payments.collectors import towns_charging_on_platform
from payments.gateways.base import GatewayEvent
from payments.gateways.stripe import StripeGateway
from payments.models import WebhookEvent
from tenants.models import Town


def verify_stripe_event(*, payload: bytes, signature_header: str) -> GatewayEvent:
    """The event Stripe sent, once its signature over these exact bytes is proven (WebhookSignatureError if not)."""
    return StripeGateway().parse_webhook(payload=payload, signature_header=signature_header)


def town_of_account(account_id: str) -> Town | None:
    """The town whose own Stripe account the event comes from (régie: direct charges on that account)."""
    return Town.objects.towns().filter(stripe_account_id=account_id).first()


def candidate_towns_for_platform_event(event: GatewayEvent) -> list[Town]:
    """The towns that may hold a platform event's payment, to be checked in this order: the town its
    metadata names if that town collects on the platform; for a dispute, every such town."""
    platform_towns = towns_charging_on_platform()
    schema = event.metadata.get("town")
    if schema:
        return list(platform_towns.filter(schema_name=schema)[:1])
    if event.type.startswith("charge.dispute."):
        # Disputes are rare, so asking each town that collects on the platform is cheap.
        return list(platform_towns.order_by("pk"))
    return []


def record_event(event: GatewayEvent) -> WebhookEvent | None:
    """Stores the event's id in the caller's transaction; None when it was stored before (a duplicate)."""
    try:
        with transaction.atomic():
            return WebhookEvent.objects.create(event_id=event.id, type=event.type, object_id=event.object_id)
    except IntegrityError:
        return None


def record_outcome(record: WebhookEvent, outcome: str) -> None:
    """What acting on the event did, kept with it for the operators."""
    record.outcome = outcome[:300]
    record.save(update_fields=["outcome"])
