"""A demonstration gateway for towns without Stripe: no network, no real money.

Design (process-safe without a table of our own):

* Ids are deterministic: ``testpi_`` + sha256(idempotency key)[:24], so a retried create returns the same
  intent, like Stripe's idempotent replay; the same key with another amount is an ``idempotency_error``.
* The "provider side" state of each intent (amount, currency, metadata, status, refunds) is kept in the
  Django cache, signed with ``django.core.signing`` (salted with the town) so that nothing else writing
  to a shared cache can forge a success. Only this gateway writes it: ``create_payment_intent``,
  ``confirm_payment`` (what the demo payment page calls instead of a card form), ``cancel_payment_intent``
  and ``refund``.
* Each state change returns a notification signed with ``TimestampSigner`` (salted with the town) over
  the sha256 of the exact payload bytes; ``parse_webhook`` accepts it only within 300 s, like Stripe's
  tolerance. So the demo follows the real flow: verified event → store → ``retrieve_payment_intent`` → act.
* ``retrieve_payment_intent`` answers only from that signed state. A cache miss (evicted, or a cache not
  shared between the web and worker processes) raises ``resource_missing``: the order stays unpaid, it
  is never wrongly marked paid. Multi-process deployments must use a shared cache (Redis) — eager
  Celery (no Redis) runs the webhook task in the process that received the webhook, so it is fine.
* Read-modify-write on the cache is not atomic; two concurrent refunds of one demo intent could both
  pass. Acceptable for a demonstration, never for money: the Stripe gateway has no such gap.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from accounts.signing import town_salt
from payments.gateways.base import (
    WEBHOOK_TOLERANCE_SECONDS,
    GatewayError,
    GatewayEvent,
    PaymentIntentResult,
    PayoutResult,
    RefundResult,
    ReversalResult,
    TransferResult,
    WebhookSignatureError,
    event_from_payload,
)

# Salts and cache keys keep the names they had when this module was checkout/gateways/test_gateway.py:
# new ones would void the demo intents and events already signed (cache entries live 30 days).
_STATE_SALT = "checkout.gateways.test_gateway.state"
_EVENT_SALT = "checkout.gateways.test_gateway.event"
_STATE_TIMEOUT_SECONDS = 60 * 60 * 24 * 30
_CANCELABLE = {"requires_payment_method", "requires_confirmation", "requires_action"}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _test_id(prefix: str, idempotency_key: str) -> str:
    return f"{prefix}_{_digest(idempotency_key)[:24]}"


class DemoGateway:
    """PaymentGateway for demonstrations; refuses to exist unless settings.ALLOW_TEST_GATEWAY is true.

    Known to towns and settings as the "test" gateway (``Town.payment_gateway = "test"``, "Passerelle
    de test"): those names are data and stay.
    """

    kind = "test"
    is_test = True
    publishable_key = ""

    def __init__(self) -> None:
        if not getattr(settings, "ALLOW_TEST_GATEWAY", False):
            raise ImproperlyConfigured(
                "The test payment gateway is disabled (settings.ALLOW_TEST_GATEWAY is false): it accepts "
                "payments without any money moving. Configure Stripe for this town, or enable "
                "ALLOW_TEST_GATEWAY only on demonstration and development sites."
            )
        self._cache = caches[getattr(settings, "TEST_GATEWAY_CACHE_ALIAS", "default")]

    # -- provider-side state ---------------------------------------------------------------------

    def _cache_key(self, account_id: str | None, intent_id: str) -> str:
        return f"checkout:test-gateway:{account_id or 'platform'}:{intent_id}"

    def _load(self, account_id: str | None, intent_id: str) -> dict[str, Any]:
        signed = self._cache.get(self._cache_key(account_id, intent_id))
        if signed is None:
            raise GatewayError(_("Ce paiement est introuvable chez le prestataire de paiement."), "resource_missing")
        try:
            return signing.loads(signed, salt=town_salt(_STATE_SALT))
        except signing.BadSignature as error:
            raise GatewayError(
                _("Ce paiement est introuvable chez le prestataire de paiement."), "resource_missing"
            ) from error

    def _save(self, state: dict[str, Any]) -> None:
        self._cache.set(
            self._cache_key(state["account"], state["id"]),
            signing.dumps(state, salt=town_salt(_STATE_SALT)),
            _STATE_TIMEOUT_SECONDS,
        )

    @staticmethod
    def _result(state: dict[str, Any]) -> PaymentIntentResult:
        return PaymentIntentResult(
            id=state["id"],
            client_secret=f"{state['id']}_secret_{_digest(state['id'] + settings.SECRET_KEY)[:24]}",
            amount_cents=state["amount"],
            currency=state["currency"],
            status=state["status"],
            metadata=dict(state["metadata"]),
            latest_charge_id=state["charge"],
        )

    def _signed_event(self, state: dict[str, Any], event_type: str) -> tuple[bytes, str]:
        charge = {
            "id": state["charge"],
            "object": "charge",
            "payment_intent": state["id"],
            "amount": state["amount"],
            "amount_refunded": state["refunded"],
            "currency": state["currency"],
            "status": "succeeded",
            "metadata": state["metadata"],
        }
        intent = {
            "id": state["id"],
            "object": "payment_intent",
            "amount": state["amount"],
            "currency": state["currency"],
            "status": state["status"],
            "metadata": state["metadata"],
        }
        obj = charge if event_type.startswith("charge.") else intent
        # Same state, same event id: a re-sent notification is a duplicate the handler must ignore.
        fingerprint = f"{state['id']}|{event_type}|{state['status']}|{state['refunded']}|{state['attempts']}"
        event = {
            "id": f"testevt_{_digest(fingerprint)[:24]}",
            "object": "event",
            "type": event_type,
            "account": state["account"],
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": obj},
        }
        payload = json.dumps(event, sort_keys=True).encode("utf-8")
        header = signing.TimestampSigner(salt=town_salt(_EVENT_SALT)).sign(hashlib.sha256(payload).hexdigest())
        return payload, header

    # -- PaymentGateway ----------------------------------------------------------------------------

    def create_payment_intent(
        self,
        *,
        account_id: str | None,
        amount_cents: int,
        currency: str,
        idempotency_key: str,
        metadata: dict[str, str],
        transfer_group: str | None = None,
    ) -> PaymentIntentResult:
        if amount_cents < 50:
            raise GatewayError(
                _("Le montant est inférieur au minimum accepté pour un paiement par carte."), "amount_too_small"
            )
        intent_id = _test_id("testpi", idempotency_key)
        state = {
            "id": intent_id,
            "account": account_id,
            "amount": amount_cents,
            "currency": currency.lower(),
            "metadata": {str(key): str(value) for key, value in metadata.items()},
            "transfer_group": transfer_group,
            "status": "requires_payment_method",
            "charge": None,
            "refunded": 0,
            "refunds": {},
            "attempts": 0,
        }
        try:
            existing = self._load(account_id, intent_id)
        except GatewayError:
            self._save(state)
            return self._result(state)
        same_request = all(
            existing[name] == state[name] for name in ("amount", "currency", "metadata", "transfer_group")
        )
        if not same_request:
            raise GatewayError(_("Cette opération a déjà été demandée avec d'autres paramètres."), "idempotency_error")
        return self._result(existing)

    def retrieve_payment_intent(self, *, account_id: str | None, intent_id: str) -> PaymentIntentResult:
        return self._result(self._load(account_id, intent_id))

    def confirm_payment(
        self, *, account_id: str | None, intent_id: str, is_successful: bool = True
    ) -> tuple[bytes, str]:
        """What the demo payment page calls instead of a card form: settle the intent and return the
        signed notification ``(payload, signature_header)`` to feed to the webhook path."""
        state = self._load(account_id, intent_id)
        if state["status"] not in _CANCELABLE:
            raise GatewayError(
                _("Ce paiement n'est pas dans un état qui permet cette opération."), "payment_intent_unexpected_state"
            )
        state["attempts"] += 1
        if is_successful:
            state["status"] = "succeeded"
            state["charge"] = f"testch_{state['id'].removeprefix('testpi_')}"
            event_type = "payment_intent.succeeded"
        else:
            state["status"] = "requires_payment_method"
            event_type = "payment_intent.payment_failed"
        self._save(state)
        return self._signed_event(state, event_type)

    def signed_event(self, *, account_id: str | None, intent_id: str, event_type: str) -> tuple[bytes, str]:
        """A notification of the intent's current state, e.g. ``charge.refunded`` after a refund."""
        return self._signed_event(self._load(account_id, intent_id), event_type)

    def cancel_payment_intent(
        self, *, account_id: str | None, intent_id: str, idempotency_key: str
    ) -> PaymentIntentResult:
        state = self._load(account_id, intent_id)
        if state["status"] == "canceled":
            return self._result(state)
        if state["status"] not in _CANCELABLE:
            raise GatewayError(
                _("Ce paiement n'est pas dans un état qui permet cette opération."), "payment_intent_unexpected_state"
            )
        state["status"] = "canceled"
        self._save(state)
        return self._result(state)

    def refund(
        self,
        *,
        account_id: str | None,
        intent_id: str,
        amount_cents: int,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> RefundResult:
        state = self._load(account_id, intent_id)
        refund_id = _test_id("testre", idempotency_key)
        if refund_id in state["refunds"]:
            if state["refunds"][refund_id] != amount_cents:
                raise GatewayError(
                    _("Cette opération a déjà été demandée avec d'autres paramètres."), "idempotency_error"
                )
            return RefundResult(id=refund_id, amount_cents=amount_cents, status="succeeded")
        if state["status"] != "succeeded":
            raise GatewayError(
                _("Ce paiement n'est pas dans un état qui permet cette opération."), "payment_intent_unexpected_state"
            )
        if amount_cents <= 0 or amount_cents > state["amount"] - state["refunded"]:
            raise GatewayError(_("Le montant dépasse le maximum autorisé pour cette opération."), "amount_too_large")
        state["refunds"][refund_id] = amount_cents
        state["refunded"] += amount_cents
        self._save(state)
        return RefundResult(id=refund_id, amount_cents=amount_cents, status="succeeded")

    def create_transfer(
        self,
        *,
        amount_cents: int,
        currency: str,
        destination_account_id: str,
        source_transaction: str | None,
        transfer_group: str | None,
        idempotency_key: str,
    ) -> TransferResult:
        return TransferResult(id=_test_id("testtr", idempotency_key), amount_cents=amount_cents)

    def reverse_transfer(self, *, transfer_id: str, amount_cents: int, idempotency_key: str) -> ReversalResult:
        return ReversalResult(
            id=_test_id("testtrr", idempotency_key), transfer_id=transfer_id, amount_cents=amount_cents
        )

    def create_payout(
        self,
        *,
        account_id: str | None,
        amount_cents: int,
        currency: str,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> PayoutResult:
        # No bank behind a demonstration: the payout is paid at once rather than "pending".
        return PayoutResult(id=_test_id("testpo", idempotency_key), amount_cents=amount_cents, status="paid")

    def parse_webhook(self, *, payload: bytes, signature_header: str) -> GatewayEvent:
        if not signature_header:
            raise WebhookSignatureError("missing signature header")
        try:
            digest = signing.TimestampSigner(salt=town_salt(_EVENT_SALT)).unsign(
                signature_header, max_age=WEBHOOK_TOLERANCE_SECONDS
            )
        except signing.SignatureExpired as error:
            raise WebhookSignatureError("Timestamp outside the tolerance zone") from error
        except signing.BadSignature as error:
            raise WebhookSignatureError("bad signature") from error
        if not hmac.compare_digest(digest, hashlib.sha256(payload).hexdigest()):
            raise WebhookSignatureError("payload does not match its signature")
        try:
            return event_from_payload(json.loads(payload))
        except (ValueError, KeyError, TypeError) as error:
            raise WebhookSignatureError(f"signed payload is not an event: {error}") from error
