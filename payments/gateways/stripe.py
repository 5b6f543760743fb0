"""Stripe through the official library (docs/architecture.md §4, docs/money.md §2).

Régie mode: direct charges on the town's connected account (`stripe_account=` the town's account id).
Connect mode: `account_id=None`, the charge lives on the platform and merchants get transfers.
The browser redirect is never the truth: only `parse_webhook` (offline HMAC check) and a fresh
`retrieve_payment_intent` are.
"""

from __future__ import annotations

import functools
import json
import time
from typing import Any
from urllib.parse import urlsplit

import stripe
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.utils.translation import gettext as _
from stripe.params import (
    PaymentIntentCancelParams,
    PaymentIntentCreateParams,
    PayoutCreateParams,
    RefundCreateParams,
    TransferCreateParams,
    TransferReversalCreateParams,
)

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

DEFAULT_MAX_NETWORK_RETRIES = 2
DEFAULT_TIMEOUT_SECONDS = 20
# Where Stripe.js puts the Payment Element and 3-D Secure (frames) and whom it talks to (Stripe's
# integration security guide, "Content Security Policy").
_STRIPE_JS_ORIGINS = ("https://*.js.stripe.com",)
_STRIPE_FRAME_ORIGINS = ("https://*.js.stripe.com", "https://hooks.stripe.com")
_STRIPE_API_ORIGINS = ("https://api.stripe.com",)


def allow_stripe_js(response: HttpResponse) -> HttpResponse:
    """Widen this one response's Content-Security-Policy to what the Stripe.js payment page needs.

    Only the payment page of a town paid through Stripe loads Stripe.js; every other page keeps the
    strict policy. Stripe.js is loaded from STRIPE_JS_URL (a stand-in in the browser tests).
    """
    parts = urlsplit(settings.STRIPE_JS_URL)
    script_origin = f"{parts.scheme}://{parts.netloc}"
    # The attribute django-csp's @csp_update decorator sets: the middleware adds these sources.
    response._csp_update = {  # type: ignore[attr-defined]
        "script-src": [script_origin, *_STRIPE_JS_ORIGINS],
        "frame-src": [script_origin, *_STRIPE_FRAME_ORIGINS],
        "connect-src": list(_STRIPE_API_ORIGINS),
    }
    return response


def _card_message(code: str | None, decline_code: str | None) -> str:
    # Lost/stolen/fraud declines deliberately get the generic message: telling a fraudster why
    # the card was refused helps them, and Stripe recommends the same.
    by_decline_code = {
        "insufficient_funds": _("Votre carte a été refusée : provision insuffisante."),
        "expired_card": _("Votre carte a expiré."),
        "incorrect_cvc": _("Le code de sécurité de votre carte est incorrect."),
        "authentication_required": _("Votre banque demande une authentification : veuillez réessayer."),
    }
    by_code = {
        "card_declined": _("Votre carte a été refusée."),
        "expired_card": _("Votre carte a expiré."),
        "incorrect_cvc": _("Le code de sécurité de votre carte est incorrect."),
        "invalid_cvc": _("Le code de sécurité de votre carte est incorrect."),
        "incorrect_number": _("Le numéro de votre carte est incorrect."),
        "invalid_number": _("Le numéro de votre carte est incorrect."),
        "invalid_expiry_month": _("La date d'expiration de votre carte est incorrecte."),
        "invalid_expiry_year": _("La date d'expiration de votre carte est incorrecte."),
        "processing_error": _("Une erreur est survenue pendant le traitement de votre carte. Veuillez réessayer."),
        "authentication_required": _("Votre banque demande une authentification : veuillez réessayer."),
    }
    if decline_code and decline_code in by_decline_code:
        return by_decline_code[decline_code]
    return by_code.get(code or "", _("Votre carte a été refusée."))


def _request_message(code: str | None) -> str:
    messages = {
        "resource_missing": _("Ce paiement est introuvable chez le prestataire de paiement."),
        "amount_too_small": _("Le montant est inférieur au minimum accepté pour un paiement par carte."),
        "amount_too_large": _("Le montant dépasse le maximum autorisé pour cette opération."),
        "balance_insufficient": _("Le solde disponible est insuffisant pour cette opération."),
        "charge_already_refunded": _("Ce paiement a déjà été entièrement remboursé."),
        "payment_intent_unexpected_state": _("Ce paiement n'est pas dans un état qui permet cette opération."),
    }
    return messages.get(code or "", _("Le prestataire de paiement a refusé la demande."))


def gateway_error_from_stripe(error: stripe.StripeError) -> GatewayError:
    """Translate a library exception into our error: French message, stable code, retry hint."""
    if isinstance(error, stripe.CardError):
        decline_code = getattr(error.error, "decline_code", None) if error.error else None
        code = error.code or "card_declined"
        return GatewayError(_card_message(code, decline_code), code, decline_code=decline_code)
    if isinstance(error, stripe.IdempotencyError):
        return GatewayError(_("Cette opération a déjà été demandée avec d'autres paramètres."), "idempotency_error")
    if isinstance(error, stripe.RateLimitError):
        return GatewayError(
            _("Le prestataire de paiement est surchargé. Veuillez réessayer dans un instant."),
            "rate_limited",
            is_retryable=True,
        )
    if isinstance(error, stripe.InvalidRequestError):
        return GatewayError(_request_message(error.code), error.code or "invalid_request")
    if isinstance(error, stripe.AuthenticationError | stripe.PermissionError):
        # Our keys or account link are wrong: nothing the resident can fix, retrying will not help.
        return GatewayError(_("Le paiement en ligne est momentanément indisponible."), "configuration_error")
    if isinstance(error, stripe.APIConnectionError):
        return GatewayError(
            _("Le prestataire de paiement ne répond pas. Veuillez réessayer."), "network_error", is_retryable=True
        )
    return GatewayError(
        _("Le prestataire de paiement a rencontré une erreur. Veuillez réessayer."), "provider_error", is_retryable=True
    )


@functools.lru_cache(maxsize=8)
def _client(secret_key: str, api_base: str | None, max_network_retries: int, timeout: float) -> stripe.StripeClient:
    # One client per configuration and process: it holds a per-thread HTTP session (keep-alive),
    # building one per request would redo the TLS handshake each time.
    base_addresses: Any = {"api": api_base, "connect": api_base, "files": api_base} if api_base else None
    return stripe.StripeClient(
        secret_key,
        base_addresses=base_addresses,
        max_network_retries=max_network_retries,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


def _options(*, account_id: str | None, idempotency_key: str | None = None) -> stripe.RequestOptions:
    options: stripe.RequestOptions = {}
    if account_id:
        options["stripe_account"] = account_id
    if idempotency_key is not None:
        if not idempotency_key or len(idempotency_key) > 255:
            raise ValueError("an idempotency key is 1 to 255 characters")
        options["idempotency_key"] = idempotency_key
    return options


def _intent_result(intent: stripe.PaymentIntent) -> PaymentIntentResult:
    latest_charge = intent.get("latest_charge")
    fee_cents = balance_transaction_id = None
    if latest_charge is not None and not isinstance(latest_charge, str):
        # Expanded (retrieve asks for latest_charge.balance_transaction): the fee is known once the
        # charge has its balance transaction, i.e. once it succeeded.
        balance_transaction = latest_charge.get("balance_transaction")
        if balance_transaction is not None and not isinstance(balance_transaction, str):
            fee_cents, balance_transaction_id = int(balance_transaction["fee"]), balance_transaction["id"]
        latest_charge = latest_charge["id"]
    return PaymentIntentResult(
        id=intent["id"],
        client_secret=intent.get("client_secret") or "",
        amount_cents=int(intent["amount"]),
        currency=intent["currency"],
        status=intent["status"],
        metadata={str(key): str(value) for key, value in (intent.get("metadata") or {}).items()},
        latest_charge_id=latest_charge,
        fee_cents=fee_cents,
        balance_transaction_id=balance_transaction_id,
    )


def _webhook_timestamp(signature_header: str) -> int | None:
    for item in signature_header.split(","):
        key, _separator, value = item.strip().partition("=")
        if key == "t":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _given_or_setting(value: str | None, setting: str) -> str:
    """The key given (tests), else the setting's, empty when neither says."""
    configured: str = getattr(settings, setting, "")
    return value or configured


class StripeGateway:
    """PaymentGateway over Stripe's API; configured from settings unless told otherwise (tests)."""

    kind = "stripe"

    def __init__(
        self,
        *,
        secret_key: str | None = None,
        publishable_key: str | None = None,
        webhook_secret: str | None = None,
        api_base: str | None = None,
        max_network_retries: int | None = None,
        timeout_seconds: float | None = None,
    ) -> None:
        self._secret_key = _given_or_setting(secret_key, "STRIPE_SECRET_KEY")
        if not self._secret_key:
            raise ImproperlyConfigured("STRIPE_SECRET_KEY is required for towns using the Stripe gateway.")
        self.publishable_key = _given_or_setting(publishable_key, "STRIPE_PUBLISHABLE_KEY")
        self._webhook_secret = _given_or_setting(webhook_secret, "STRIPE_WEBHOOK_SECRET")
        self.is_test = self._secret_key.startswith(("sk_test_", "rk_test_"))
        self._client = _client(
            self._secret_key,
            api_base or getattr(settings, "STRIPE_API_BASE", None) or None,
            max_network_retries
            if max_network_retries is not None
            else getattr(settings, "STRIPE_MAX_NETWORK_RETRIES", DEFAULT_MAX_NETWORK_RETRIES),
            timeout_seconds or getattr(settings, "STRIPE_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS),
        )

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
        params: PaymentIntentCreateParams = {
            "amount": amount_cents,
            "currency": currency.lower(),
            "metadata": metadata,
            "automatic_payment_methods": {"enabled": True},
        }
        if transfer_group:
            params["transfer_group"] = transfer_group
        options = _options(account_id=account_id, idempotency_key=idempotency_key)
        try:
            intent = self._client.v1.payment_intents.create(params, options)
        except stripe.StripeError as error:
            raise gateway_error_from_stripe(error) from error
        return _intent_result(intent)

    def retrieve_payment_intent(self, *, account_id: str | None, intent_id: str) -> PaymentIntentResult:
        try:
            intent = self._client.v1.payment_intents.retrieve(
                intent_id, {"expand": ["latest_charge.balance_transaction"]}, _options(account_id=account_id)
            )
        except stripe.StripeError as error:
            raise gateway_error_from_stripe(error) from error
        return _intent_result(intent)

    def cancel_payment_intent(
        self, *, account_id: str | None, intent_id: str, idempotency_key: str
    ) -> PaymentIntentResult:
        params: PaymentIntentCancelParams = {"cancellation_reason": "abandoned"}
        options = _options(account_id=account_id, idempotency_key=idempotency_key)
        try:
            intent = self._client.v1.payment_intents.cancel(intent_id, params, options)
        except stripe.StripeError as error:
            raise gateway_error_from_stripe(error) from error
        return _intent_result(intent)

    def refund(
        self,
        *,
        account_id: str | None,
        intent_id: str,
        amount_cents: int,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> RefundResult:
        params: RefundCreateParams = {"payment_intent": intent_id, "amount": amount_cents, "metadata": metadata}
        options = _options(account_id=account_id, idempotency_key=idempotency_key)
        try:
            refund = self._client.v1.refunds.create(params, options)
        except stripe.StripeError as error:
            raise gateway_error_from_stripe(error) from error
        return RefundResult(id=refund["id"], amount_cents=int(refund["amount"]), status=refund["status"] or "")

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
        params: TransferCreateParams = {
            "amount": amount_cents,
            "currency": currency.lower(),
            "destination": destination_account_id,
        }
        # With source_transaction the transfer is funded by that charge, so it succeeds before the
        # charge's funds become available; without it Stripe needs an available platform balance.
        if source_transaction:
            params["source_transaction"] = source_transaction
        if transfer_group:
            params["transfer_group"] = transfer_group
        options = _options(account_id=None, idempotency_key=idempotency_key)
        try:
            transfer = self._client.v1.transfers.create(params, options)
        except stripe.StripeError as error:
            raise gateway_error_from_stripe(error) from error
        return TransferResult(id=transfer["id"], amount_cents=int(transfer["amount"]))

    def reverse_transfer(self, *, transfer_id: str, amount_cents: int, idempotency_key: str) -> ReversalResult:
        """Takes (part of) a transfer back from the merchant's connected account to the platform."""
        params: TransferReversalCreateParams = {"amount": amount_cents}
        options = _options(account_id=None, idempotency_key=idempotency_key)
        try:
            reversal = self._client.v1.transfers.reversals.create(transfer_id, params, options)
        except stripe.StripeError as error:
            raise gateway_error_from_stripe(error) from error
        transfer = reversal["transfer"]
        return ReversalResult(
            id=reversal["id"],
            transfer_id=transfer if isinstance(transfer, str) else transfer["id"],
            amount_cents=int(reversal["amount"]),
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
        params: PayoutCreateParams = {"amount": amount_cents, "currency": currency.lower(), "metadata": metadata}
        options = _options(account_id=account_id, idempotency_key=idempotency_key)
        try:
            payout = self._client.v1.payouts.create(params, options)
        except stripe.StripeError as error:
            raise gateway_error_from_stripe(error) from error
        return PayoutResult(id=payout["id"], amount_cents=int(payout["amount"]), status=payout["status"])

    def parse_webhook(self, *, payload: bytes, signature_header: str) -> GatewayEvent:
        """Verify the raw body against `Stripe-Signature` (offline HMAC) and map it to a GatewayEvent.

        Stripe signs the platform endpoint and the Connect endpoint (events of the connected accounts)
        with different secrets: either verifies (STRIPE_WEBHOOK_SECRET, STRIPE_CONNECT_WEBHOOK_SECRET);
        the event's `account` then says which town it concerns.
        """
        secrets_to_try = [
            secret
            for secret in (self._webhook_secret, getattr(settings, "STRIPE_CONNECT_WEBHOOK_SECRET", ""))
            if secret
        ]
        if not secrets_to_try:
            raise ImproperlyConfigured("STRIPE_WEBHOOK_SECRET is required to accept Stripe webhooks.")
        if not signature_header:
            raise WebhookSignatureError("missing Stripe-Signature header")
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError as error:
            raise WebhookSignatureError(str(error)) from error
        failure: Exception | None = None
        for secret in secrets_to_try:
            try:
                stripe.WebhookSignature.verify_header(text, signature_header, secret, WEBHOOK_TOLERANCE_SECONDS)
                break
            except stripe.SignatureVerificationError as error:
                failure = error
        else:
            raise WebhookSignatureError(str(failure)) from failure
        # The library accepts any future timestamp; a signed timestamp far ahead can only be a skewed
        # clock or a replay prepared in advance, so we bound it the same way as the past.
        timestamp = _webhook_timestamp(signature_header)
        if timestamp is None or timestamp > time.time() + WEBHOOK_TOLERANCE_SECONDS:
            raise WebhookSignatureError("Timestamp outside the tolerance zone")
        try:
            return event_from_payload(json.loads(text))
        except (ValueError, KeyError, TypeError) as error:
            raise WebhookSignatureError(f"signed payload is not a Stripe event: {error}") from error
