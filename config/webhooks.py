"""The one public webhook URL of the operator's Stripe platform (root domain, public schema).

Here, at the top of the layers, because an event may concern checkout (payments, disputes) or
settlement (merchants' payouts): the view verifies the event and finds its town through
``payments.webhooks``, then hands it to the app it concerns, inside that town's schema. Metadata is
never trusted alone:

* **Régie** (docs/architecture.md §4, mode 1): the event comes from the town's own connected account; the
  account id names the town.
* **Connect, payments** (mode 2): PaymentIntents live on the platform, so their events carry no
  account. ``metadata["town"]`` only names a *candidate*; the event is handled there only if that
  town collects on the platform and its schema holds a Payment with that intent id — an intent we
  created and stored ourselves. Anything else is acknowledged and ignored, nothing written.
* **Connect, disputes**: ``charge.dispute.*`` events name the disputed PaymentIntent but carry the
  dispute's own metadata (empty): the town is the one collecting on the platform whose schema holds
  that intent.
* **Connect, payouts**: ``payout.*`` events come from a merchant's connected account, which names
  no town: settlement's collectors find the town and the payout line (``handle_payout_event``).
"""

from __future__ import annotations

import functools
import logging

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.log import log_response
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_tenants.utils import tenant_context

from checkout.payments import handle_gateway_event, holds_payment_intent
from payments.gateways.base import GatewayEvent, WebhookSignatureError
from payments.webhooks import candidate_towns_for_platform_event, town_of_account, verify_stripe_event
from settlement.payouts.collectors import handle_payout_event
from tenants.models import Town

logger = logging.getLogger(__name__)


def town_for_platform_event(event: GatewayEvent) -> Town | None:
    """The town a platform payment event belongs to: a candidate (payments.webhooks) holding the intent."""
    for town in candidate_towns_for_platform_event(event):
        with tenant_context(town):
            if holds_payment_intent(event.object_id):
                return town
    return None


def _handle_in(town: Town, event: GatewayEvent) -> JsonResponse:
    try:
        with tenant_context(town):
            outcome = handle_gateway_event(event=event)
    except ImproperlyConfigured as error:
        # A town set up wrongly stays wrong on every retry: acknowledge (Stripe would retry for days and
        # may disable the shared endpoint) and tell the operator. Temporary failures still answer 500.
        logger.error("stripe webhook %s for town %s cannot be handled: %s", event.id, town.slug, error)
        return JsonResponse({"received": True, "outcome": "town misconfigured"})
    return JsonResponse({"received": True, "outcome": outcome})


@functools.cache
def _report_unconfigured(reason: str) -> None:
    # Once per process and reason: the URL is public, and an error per request (what alerting picks
    # up) would let anyone page the operator at will. One is enough; a restart with the keys clears it.
    logger.error("stripe webhooks refused with 503 until configured: %s", reason)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    try:
        event = verify_stripe_event(payload=request.body, signature_header=request.headers.get("Stripe-Signature", ""))
    except ImproperlyConfigured as error:
        # No Stripe keys on this platform: nothing can be verified. 503, not 500 (it is no crash) nor
        # 400 (the sender did nothing wrong): Stripe keeps retrying for three days, so events sent
        # before the keys are set are still handled once they are.
        _report_unconfigured(str(error))
        response = JsonResponse({"error": "stripe webhooks are not configured"}, status=503)
        # Django would log each 5xx as an error: here each request is a warning, the error was said once.
        log_response("Service Unavailable: %s", request.path, response=response, request=request, level="warning")
        return response
    except WebhookSignatureError as error:
        logger.warning("stripe webhook refused: %s", error)
        return JsonResponse({"error": "invalid signature"}, status=400)
    # Acknowledged in every case below so Stripe stops retrying: nothing else of ours matches.
    if event.account_id:
        town = town_of_account(event.account_id)
        if town is not None:
            return _handle_in(town, event)
        if event.type.startswith("payout."):
            return JsonResponse({"received": True, "outcome": handle_payout_event(event=event)})
        logger.warning("stripe webhook %s for unknown account %s", event.id, event.account_id)
        return JsonResponse({"received": True, "outcome": "unknown account"})
    town = town_for_platform_event(event)
    if town is None:
        logger.warning("stripe platform webhook %s (%s) matches no payment of ours", event.id, event.type)
        return JsonResponse({"received": True, "outcome": "unknown payment"})
    return _handle_in(town, event)
