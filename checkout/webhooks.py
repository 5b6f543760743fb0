"""The one public webhook URL of the operator's Stripe platform (root domain, public schema).

An event is mapped to its town by the connected account it comes from — never by its metadata,
which anyone able to create a payment could fill — then handled inside that town's schema.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_tenants.utils import tenant_context

from checkout.gateways.base import WebhookSignatureError
from checkout.gateways.stripe_gateway import StripeGateway
from tenants.models import Town

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    try:
        event = StripeGateway().parse_webhook(
            payload=request.body, signature_header=request.headers.get("Stripe-Signature", "")
        )
    except WebhookSignatureError as error:
        logger.warning("stripe webhook refused: %s", error)
        return JsonResponse({"error": "invalid signature"}, status=400)
    town = Town.objects.towns().filter(stripe_account_id=event.account_id).first() if event.account_id else None
    if town is None:
        # Acknowledged so Stripe stops retrying; nothing of ours belongs to this account.
        logger.warning("stripe webhook %s for unknown account %s", event.id, event.account_id)
        return JsonResponse({"received": True, "outcome": "unknown account"})
    from checkout.payments import handle_gateway_event

    with tenant_context(town):
        outcome = handle_gateway_event(event=event)
    return JsonResponse({"received": True, "outcome": outcome})
