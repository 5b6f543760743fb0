"""An in-process fake of Stripe's HTTP API (docs/architecture.md §4: stripe-mock is not obtainable here).

A real HTTP server on 127.0.0.1 (random port) in a daemon thread, so the real `stripe` library talks to
it through its real HTTP client: form-encoded bodies, `Stripe-Account`, `Idempotency-Key`, retries.
No pytest import: benchmark scripts use it too.

    with StripeFake() as fake:
        gateway = StripeGateway(secret_key="sk_test_fake", api_base=fake.url, webhook_secret="whsec_x")
        intent = gateway.create_payment_intent(...)
        fake.succeed(intent.id, account="acct_town")
        event = fake.last_event("payment_intent.succeeded", account="acct_town")
        payload, header = fake.signed_webhook(event, secret="whsec_x")

What it models, because the code under test depends on it:
* objects are scoped per account: another account's object is a 404 `resource_missing`;
* idempotency per (account, key): same parameters → the stored response replayed with
  `Idempotent-Replayed: true` (card errors and 5xx included, as Stripe stores them); other parameters
  → 400 `idempotency_error`; validation errors are not stored, as at Stripe;
* test payment methods: `pm_card_visa` succeeds, `pm_card_chargeDeclined*` decline (402), and
  `pm_card_threeDSecure2Required` needs an action finished with `complete_action`;
* balances: a charge's money is *pending* until `release_pending`; a transfer with `source_transaction`
  is funded by its charge, one without it needs an available platform balance, as at Stripe;
* unknown parameters are refused (400 `parameter_unknown`), so a typo in the gateway fails loudly;
* faults: `fail_next_request` (an error not stored under the key) and `drop_next_response` (committed,
  then the connection is closed unanswered: the library retries with the same key and gets a replay).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import secrets
import string
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

API_VERSION = "2025-09-30.clover"
PLATFORM = "__platform__"

_ALPHABET = string.ascii_letters + string.digits
_PREFIXES = {
    "payment_intents": "pi",
    "charges": "ch",
    "refunds": "re",
    "transfers": "tr",
    "payouts": "po",
    "events": "evt",
    "balance_transactions": "txn",
    "disputes": "dp",
}
_OBJECT_NAMES = {
    "payment_intents": "payment_intent",
    "charges": "charge",
    "refunds": "refund",
    "transfers": "transfer",
    "payouts": "payout",
    "events": "event",
    "balance_transactions": "balance_transaction",
    "disputes": "dispute",
}
# Stripe's standard pricing for European cards, and the fee of a dispute.
CARD_FEE_BASIS_POINTS = 140
CARD_FEE_FIXED_CENTS = 25
DISPUTE_FEE_CENTS = 1500


def card_fee_cents(amount: int) -> int:
    """1.4 % + 25 cents, rounded half up to the cent."""
    return (amount * CARD_FEE_BASIS_POINTS + 5_000) // 10_000 + CARD_FEE_FIXED_CENTS


_CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
_CANCELABLE = (*_CONFIRMABLE, "requires_capture", "processing")
_DECLINES = {
    "pm_card_chargeDeclined": ("card_declined", "generic_decline", "Your card was declined."),
    "pm_card_chargeDeclinedInsufficientFunds": (
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    "pm_card_chargeDeclinedExpiredCard": ("expired_card", "expired_card", "Your card has expired."),
    "pm_card_chargeDeclinedIncorrectCvc": ("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect."),
    "pm_card_chargeDeclinedProcessingError": (
        "processing_error",
        "processing_error",
        "An error occurred while processing your card. Try again in a little bit.",
    ),
}
_SUCCEEDING = {"pm_card_visa", "pm_card_mastercard", "pm_card_fr", "pm_card_visa_debit"}
_REQUIRING_ACTION = {"pm_card_threeDSecure2Required", "pm_card_authenticationRequired"}
_ALLOWED_PARAMS = {
    ("POST", "payment_intents"): {
        "amount",
        "currency",
        "metadata",
        "automatic_payment_methods",
        "transfer_group",
        "description",
        "confirm",
        "payment_method",
        "payment_method_types",
        "capture_method",
        "receipt_email",
        "statement_descriptor",
        "statement_descriptor_suffix",
        "customer",
        "return_url",
        "on_behalf_of",
        "transfer_data",
        "application_fee_amount",
        "expand",
    },
    ("POST", "confirm"): {"payment_method", "return_url", "expand", "receipt_email", "off_session"},
    ("POST", "cancel"): {"cancellation_reason", "expand"},
    ("POST", "refunds"): {
        "payment_intent",
        "charge",
        "amount",
        "metadata",
        "reason",
        "expand",
        "refund_application_fee",
        "reverse_transfer",
    },
    ("POST", "transfers"): {
        "amount",
        "currency",
        "destination",
        "source_transaction",
        "transfer_group",
        "metadata",
        "description",
        "expand",
    },
    ("POST", "payouts"): {
        "amount",
        "currency",
        "metadata",
        "description",
        "method",
        "destination",
        "statement_descriptor",
        "expand",
    },
    ("POST", "reversals"): {"amount", "metadata", "description", "refund_application_fee", "expand"},
}


class StripeApiError(Exception):
    """An error response in Stripe's shape; `is_stored` says whether Stripe keeps it under the key."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error_type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        is_stored: bool = False,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.is_stored = is_stored
        error: dict[str, Any] = {"type": error_type, "message": message}
        if code:
            error["code"] = code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
        if param is not None:
            error["param"] = param
        error.update(extra)
        self.body = {"error": error}


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str]
    stripe_account: str | None
    idempotency_key: str | None
    status: int = 0
    is_replay: bool = False


@dataclass
class _InjectedFailure:
    status: int
    error_type: str
    code: str | None
    message: str
    path_prefix: str | None
    remaining: int


@dataclass
class _Balance:
    available: int = 0
    pending: int = 0


@dataclass
class _StoredResponse:
    fingerprint: str
    status: int
    body: bytes


@dataclass
class _State:
    objects: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    idempotency: dict[tuple[str, str], _StoredResponse] = field(default_factory=dict)
    balances: dict[str, _Balance] = field(default_factory=dict)
    transferred_from_charge: dict[str, int] = field(default_factory=dict)


def new_id(prefix: str) -> str:
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(24))


def decode_form(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Rebuild nested params from Stripe's form encoding: `metadata[k]=v`, `expand[0]=x`, `a[]=x`."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        head, _bracket, rest = key.partition("[")
        parts = [head] + ([part.rstrip("]") for part in ("[" + rest).split("[")[1:]] if rest else [])
        node = root
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        last = parts[-1] or str(len(node))
        node[last] = value
    return _lists_from_indexed(root)


def _lists_from_indexed(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _lists_from_indexed(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def signed_webhook(event: dict[str, Any], *, secret: str, timestamp: int | None = None) -> tuple[bytes, str]:
    """The body and the `Stripe-Signature` header Stripe would send: `t=<ts>,v1=<HMAC-SHA256("<ts>.<body>")>`."""
    payload = json.dumps(event, indent=2).encode("utf-8")
    signed_at = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode("utf-8"), f"{signed_at}.".encode() + payload, hashlib.sha256).hexdigest()
    return payload, f"t={signed_at},v1={signature}"


def deliver(
    url: str, event: dict[str, Any], secret: str, host_header: str | None = None, timeout: float = 10.0
) -> tuple[int, bytes]:
    """POST a signed event to a webhook endpoint, as Stripe does; returns (HTTP status, body)."""
    payload, header = signed_webhook(event, secret=secret)
    request = urllib.request.Request(url, data=payload, method="POST")  # noqa: S310 - URL given by the test or bench
    request.add_header("Content-Type", "application/json; charset=utf-8")
    request.add_header("Stripe-Signature", header)
    request.add_header("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
    if host_header:
        request.add_header("Host", host_header)
    # Never through an environment proxy: the endpoint is local.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    fake: StripeFake


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body in one segment: otherwise Nagle + delayed ACK add ~40 ms to every call.
    wbufsize = -1
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self.server.fake._serve(self)

    def do_POST(self) -> None:
        self.server.fake._serve(self)

    def do_DELETE(self) -> None:
        self.server.fake._serve(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class StripeFake:
    """Stripe's API for payment intents, charges, refunds, transfers, payouts, balance and events."""

    def __init__(self, *, api_key: str | None = None) -> None:
        # None accepts any `sk_test_…`/`rk_test_…` key; a value demands exactly that key.
        self.api_key = api_key
        self._lock = threading.RLock()
        self._state = _State()
        self._requests: list[RecordedRequest] = []
        self._failures: list[_InjectedFailure] = []
        self._responses_to_drop = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        # Where Stripe would POST its events (url, signing secret, Host header); empty: nobody is told.
        self.webhook_endpoints: list[tuple[str, str, str | None]] = []

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> StripeFake:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="stripe-fake", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> StripeFake:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The API base to give the library (`base_addresses`) or `STRIPE_API_BASE`."""
        if self._server is None:
            raise RuntimeError("the fake is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def reset(self) -> None:
        """Forget every object, event, key, recorded request and injected fault (between tests)."""
        with self._lock:
            self._state = _State()
            self._requests.clear()
            self._failures.clear()
            self._responses_to_drop = 0
            self.webhook_endpoints = []

    # -- inspection --------------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def get(self, object_id: str, *, account: str | None = None) -> dict[str, Any]:
        """A copy of a stored object, as its account sees it (KeyError for another account's)."""
        with self._lock:
            return copy.deepcopy(self._find(object_id, _scope(account)))

    def charge_for(self, intent_id: str, *, account: str | None = None) -> dict[str, Any]:
        with self._lock:
            intent = self._find(intent_id, _scope(account))
            return copy.deepcopy(self._find(intent["latest_charge"], _scope(account)))

    def events(self, *, account: str | None = None, type: str | None = None) -> list[dict[str, Any]]:
        """Events of one account, oldest first, optionally of one type."""
        with self._lock:
            return [
                copy.deepcopy(event)
                for scope, event in self._state.events
                if scope == _scope(account) and (type is None or event["type"] == type)
            ]

    def last_event(self, type: str, *, account: str | None = None) -> dict[str, Any]:
        found = self.events(account=account, type=type)
        if not found:
            raise LookupError(f"no {type} event for {account or 'the platform'}")
        return found[-1]

    def balance(self, *, account: str | None = None) -> tuple[int, int]:
        """(available, pending) cents."""
        with self._lock:
            balance = self._balance(_scope(account))
            return balance.available, balance.pending

    # -- helpers that act as Stripe or as the resident's browser --------------------------------------

    def succeed(self, intent_id: str, *, account: str | None = None) -> dict[str, Any]:
        """The resident pays with a card that works."""
        return self._confirm_directly(intent_id, account, "pm_card_visa")

    def fail(
        self, intent_id: str, *, account: str | None = None, payment_method: str = "pm_card_chargeDeclined"
    ) -> dict[str, Any]:
        """The resident's card is declined; the intent goes back to `requires_payment_method`."""
        if payment_method not in _DECLINES:
            raise ValueError(f"{payment_method} is not a declining test card")
        return self._confirm_directly(intent_id, account, payment_method)

    def require_action(self, intent_id: str, *, account: str | None = None) -> dict[str, Any]:
        """The resident's bank asks for 3-D Secure."""
        return self._confirm_directly(intent_id, account, "pm_card_threeDSecure2Required")

    def complete_action(
        self, intent_id: str, *, account: str | None = None, is_successful: bool = True
    ) -> dict[str, Any]:
        """The resident finishes (or fails) 3-D Secure."""
        with self._lock:
            scope = _scope(account)
            intent = self._find(intent_id, scope)
            if intent["status"] != "requires_action":
                raise ValueError(f"{intent_id} is {intent['status']}, not requires_action")
            if is_successful:
                self._charge_succeeded(intent, scope, intent["payment_method"])
            else:
                intent["status"] = "requires_payment_method"
                intent["next_action"] = None
                intent["last_payment_error"] = {
                    "type": "invalid_request_error",
                    "code": "payment_intent_authentication_failure",
                    "message": "The provided PaymentMethod has failed authentication.",
                }
                self._emit("payment_intent.payment_failed", intent, scope)
            return copy.deepcopy(intent)

    def release_pending(self, *, account: str | None = None) -> None:
        """Stripe's rolling delay has passed: pending funds become available."""
        with self._lock:
            balance = self._balance(_scope(account))
            balance.available += balance.pending
            balance.pending = 0

    def set_available_balance(self, cents: int, *, account: str | None = None) -> None:
        with self._lock:
            self._balance(_scope(account)).available = cents

    def empty_balance(self, *, account: str | None = None) -> None:
        """Everything on the account was paid out to its bank: nothing left, available or pending."""
        with self._lock:
            balance = self._balance(_scope(account))
            balance.available = balance.pending = 0

    def settle_payout(self, payout_id: str, *, account: str | None = None, is_paid: bool = True) -> dict[str, Any]:
        """The bank accepts (`payout.paid`) or returns (`payout.failed`) a payout."""
        with self._lock:
            scope = _scope(account)
            payout = self._find(payout_id, scope)
            payout["status"] = "paid" if is_paid else "failed"
            if not is_paid:
                payout["failure_code"] = "account_closed"
                self._balance(scope).available += payout["amount"]
            self._emit(f"payout.{payout['status']}", payout, scope)
            return copy.deepcopy(payout)

    def open_dispute(
        self,
        intent_id: str,
        *,
        account: str | None = None,
        amount: int | None = None,
        fee: int = DISPUTE_FEE_CENTS,
        reason: str = "fraudulent",
    ) -> dict[str, Any]:
        """The resident's bank disputes the charge: the amount and the dispute fee leave the balance
        (`charge.dispute.created`, then `charge.dispute.funds_withdrawn`)."""
        with self._lock:
            scope = _scope(account)
            charge = self._find(self._find(intent_id, scope)["latest_charge"], scope)
            amount = charge["amount"] if amount is None else amount
            withdrawal = self._balance_transaction(-amount, scope, type="adjustment", source=None, fee=fee)
            dispute = self._store(
                {
                    "id": new_id("dp"),
                    "object": "dispute",
                    "amount": amount,
                    "balance_transactions": [withdrawal],
                    "charge": charge["id"],
                    "created": int(time.time()),
                    "currency": charge["currency"],
                    "is_charge_refundable": False,
                    "livemode": False,
                    "metadata": {},
                    "payment_intent": intent_id,
                    "reason": reason,
                    "status": "needs_response",
                },
                scope,
            )
            withdrawal["source"] = dispute["id"]
            charge["disputed"] = True
            self._balance(scope).available -= amount + fee
            self._emit("charge.dispute.created", dispute, scope)
            self._emit("charge.dispute.funds_withdrawn", dispute, scope)
            return copy.deepcopy(dispute)

    def close_dispute(self, dispute_id: str, *, account: str | None = None, is_won: bool) -> dict[str, Any]:
        """The card network decides: won gives the amount back (not the fee), lost keeps it."""
        with self._lock:
            scope = _scope(account)
            dispute = self._find(dispute_id, scope)
            dispute["status"] = "won" if is_won else "lost"
            if is_won:
                reinstated = self._balance_transaction(dispute["amount"], scope, type="adjustment", source=dispute_id)
                dispute["balance_transactions"].append(reinstated)
                self._balance(scope).available += dispute["amount"]
                self._emit("charge.dispute.funds_reinstated", dispute, scope)
            self._emit("charge.dispute.closed", dispute, scope)
            return copy.deepcopy(dispute)

    def make_event(self, type: str, obj: dict[str, Any], account: str | None = None) -> dict[str, Any]:
        """An event of any type around a snapshot of `obj`, stored so GET /v1/events sees it."""
        with self._lock:
            return copy.deepcopy(self._emit(type, obj, _scope(account)))

    signed_webhook = staticmethod(signed_webhook)
    deliver = staticmethod(deliver)

    # -- fault injection ---------------------------------------------------------------------------

    def fail_next_request(
        self,
        *,
        status: int = 500,
        error_type: str = "api_error",
        code: str | None = None,
        message: str = "An unknown error occurred",
        path_prefix: str | None = None,
        count: int = 1,
    ) -> None:
        """The next `count` matching requests get this error, executed nothing and stored nothing."""
        with self._lock:
            self._failures.append(_InjectedFailure(status, error_type, code, message, path_prefix, count))

    def drop_next_response(self, count: int = 1) -> None:
        """The next `count` requests are executed and committed, then the connection is closed unanswered."""
        with self._lock:
            self._responses_to_drop += count

    # -- HTTP ------------------------------------------------------------------------------------

    def _serve(self, handler: _Handler) -> None:
        split = urlsplit(handler.path)
        if split.path.startswith(("/v3", "/_browser/")):
            self._serve_browser(handler, split.path, split.query)
            return
        length = int(handler.headers.get("Content-Length") or 0)
        raw_body = handler.rfile.read(length).decode("utf-8") if length else ""
        pairs = parse_qsl(raw_body if handler.command == "POST" else split.query, keep_blank_values=True)
        params = decode_form(pairs)
        account = handler.headers.get("Stripe-Account") or None
        key = handler.headers.get("Idempotency-Key") or None
        record = RecordedRequest(
            method=handler.command,
            path=split.path,
            params=params,
            headers={name: value for name, value in handler.headers.items()},
            stripe_account=account,
            idempotency_key=key,
        )
        extra_headers: dict[str, str] = {}
        drop = False
        with self._lock:
            self._requests.append(record)
            status, body = self._respond(handler, split.path, params, account, key, record, extra_headers)
            record.status = status
            if self._responses_to_drop:
                self._responses_to_drop -= 1
                drop = True
        if drop:
            handler.close_connection = True
            return
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("Request-Id", new_id("req"))
        handler.send_header("Stripe-Version", handler.headers.get("Stripe-Version") or API_VERSION)
        if key:
            handler.send_header("Idempotency-Key", key)
        for name, value in extra_headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)

    def _respond(
        self,
        handler: _Handler,
        path: str,
        params: dict[str, Any],
        account: str | None,
        key: str | None,
        record: RecordedRequest,
        extra_headers: dict[str, str],
    ) -> tuple[int, bytes]:
        method = handler.command
        authorization = handler.headers.get("Authorization") or ""
        api_key = authorization.removeprefix("Bearer ").strip()
        is_valid_key = api_key == self.api_key if self.api_key else api_key.startswith(("sk_test_", "rk_test_"))
        if not is_valid_key:
            return _encode(StripeApiError(401, f"Invalid API Key provided: {api_key[:8]}***", code="api_key_invalid"))
        failure = self._take_failure(path)
        if failure is not None:
            extra_headers["Stripe-Should-Retry"] = "false"
            return _encode(
                StripeApiError(failure.status, failure.message, error_type=failure.error_type, code=failure.code)
            )
        scope = _scope(account)
        stored_key = (scope, key) if key and method == "POST" else None
        fingerprint = json.dumps([method, path, params], sort_keys=True)
        if stored_key is not None and stored_key in self._state.idempotency:
            stored = self._state.idempotency[stored_key]
            if stored.fingerprint != fingerprint:
                return _encode(
                    StripeApiError(
                        400,
                        "Keys for idempotent requests can only be used with the same parameters they were first "
                        f"used with. Try using a key other than '{key}' if you meant to execute a different "
                        "request.",
                        error_type="idempotency_error",
                    )
                )
            record.is_replay = True
            extra_headers["Idempotent-Replayed"] = "true"
            extra_headers["Original-Request"] = "req_original"
            return stored.status, stored.body
        try:
            status, body = 200, json.dumps(self._route(method, path, params, scope), indent=2).encode("utf-8")
            is_stored = True
        except StripeApiError as error:
            status, body = _encode(error)
            is_stored = error.is_stored
        if stored_key is not None and is_stored:
            self._state.idempotency[stored_key] = _StoredResponse(fingerprint, status, body)
        return status, body

    def _take_failure(self, path: str) -> _InjectedFailure | None:
        for failure in self._failures:
            if failure.path_prefix is None or path.startswith(failure.path_prefix):
                failure.remaining -= 1
                if failure.remaining <= 0:
                    self._failures.remove(failure)
                return failure
        return None

    def _route(self, method: str, path: str, params: dict[str, Any], scope: str) -> dict[str, Any]:
        parts = path.strip("/").split("/")
        if parts[0] != "v1" or len(parts) < 2:
            raise _unrecognized(method, path)
        resource = parts[1]
        if method == "GET" and parts[1:] == ["balance"]:
            return self._balance_object(scope)
        if method == "GET" and parts[1:] == ["events"]:
            return self._list_events(params, scope)
        if method == "POST" and len(parts) == 2 and resource in ("payment_intents", "refunds", "transfers", "payouts"):
            _check_params(params, _ALLOWED_PARAMS[("POST", resource)])
            create = {
                "payment_intents": self._create_intent,
                "refunds": self._create_refund,
                "transfers": self._create_transfer,
                "payouts": self._create_payout,
            }[resource]
            return copy.deepcopy(create(params, scope))
        if method == "GET" and len(parts) == 3 and resource in _OBJECT_NAMES:
            found = copy.deepcopy(self._find_for_api(parts[2], scope, resource))
            return self._expand(found, params.get("expand") or [], scope)
        if method == "POST" and len(parts) == 4 and resource == "transfers" and parts[3] == "reversals":
            _check_params(params, _ALLOWED_PARAMS[("POST", "reversals")])
            return copy.deepcopy(self._reverse_transfer(parts[2], params, scope))
        if method == "POST" and len(parts) == 4 and resource == "payment_intents" and parts[3] in ("confirm", "cancel"):
            _check_params(params, _ALLOWED_PARAMS[("POST", parts[3])])
            intent = self._find_for_api(parts[2], scope, resource)
            if parts[3] == "confirm":
                return copy.deepcopy(self._confirm(intent, scope, params.get("payment_method")))
            return copy.deepcopy(self._cancel(intent, scope, params.get("cancellation_reason")))
        raise _unrecognized(method, path)

    # -- state -----------------------------------------------------------------------------------

    def _find(self, object_id: str, scope: str) -> dict[str, Any]:
        owner, obj = self._state.objects[object_id]
        if owner != scope:
            raise KeyError(object_id)
        return obj

    def _find_for_api(self, object_id: str, scope: str, resource: str) -> dict[str, Any]:
        try:
            obj = self._find(object_id, scope)
        except KeyError:
            obj = None
        if obj is None or obj["object"] != _OBJECT_NAMES[resource]:
            raise StripeApiError(
                404,
                f"No such {_OBJECT_NAMES[resource]}: '{object_id}'",
                code="resource_missing",
                param="id" if resource != "payment_intents" else "intent",
            )
        return obj

    def _expand(self, obj: dict[str, Any], paths: list[str], scope: str) -> dict[str, Any]:
        """Replaces ids by the objects they name along dotted `expand[]` paths (e.g.
        `latest_charge.balance_transaction`), as Stripe does; unknown paths are refused."""
        for path in paths:
            node = obj
            for name in str(path).split("."):
                if not isinstance(node, dict) or name not in node:
                    raise StripeApiError(400, f"This property cannot be expanded ({path}).", param="expand")
                if isinstance(node[name], str):
                    node[name] = copy.deepcopy(self._find(node[name], scope))
                node = node[name]
                if node is None:  # nothing there yet (no charge): Stripe answers null
                    break
        return obj

    def _balance_transaction(
        self, amount: int, scope: str, *, type: str, source: str | None, fee: int = 0
    ) -> dict[str, Any]:
        return self._store(
            {
                "id": new_id("txn"),
                "object": "balance_transaction",
                "amount": amount,
                "created": int(time.time()),
                "currency": "eur",
                "fee": fee,
                "fee_details": [{"amount": fee, "currency": "eur", "type": "stripe_fee"}] if fee else [],
                "net": amount - fee,
                "source": source,
                "status": "pending",
                "type": type,
            },
            scope,
        )

    def _store(self, obj: dict[str, Any], scope: str) -> dict[str, Any]:
        self._state.objects[obj["id"]] = (scope, obj)
        return obj

    def _balance(self, scope: str) -> _Balance:
        return self._state.balances.setdefault(scope, _Balance())

    def _emit(self, event_type: str, obj: dict[str, Any], scope: str) -> dict[str, Any]:
        event: dict[str, Any] = {
            "id": new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": int(time.time()),
            "data": {"object": copy.deepcopy(obj)},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
        if scope != PLATFORM:
            event["account"] = scope
        self._state.events.append((scope, event))
        self._store(event, scope)
        for url, secret, host in self.webhook_endpoints:
            # Like Stripe: asynchronously, after the API call that caused the event has answered.
            threading.Thread(
                target=deliver, args=(url, copy.deepcopy(event), secret), kwargs={"host_header": host}, daemon=True
            ).start()
        return event

    # -- the resident's browser side: a stand-in for Stripe.js ------------------------------------

    def _serve_browser(self, handler: _Handler, path: str, query: str) -> None:
        """Serves a minimal Stripe.js (GET /v3/) and the confirmation it navigates to (GET /_browser/confirm).

        The page under test loads this script instead of js.stripe.com (setting STRIPE_JS_URL); the
        "card" is chosen among Stripe's test payment methods, and confirming redirects to the
        return URL with the parameters Stripe adds, as after a real 3-D Secure redirect.
        """
        if handler.command == "GET" and path.startswith("/v3"):
            body = _STRIPE_JS.replace("__FAKE_URL__", self.url).encode("utf-8")
            handler.send_response(200)
            handler.send_header("Content-Type", "application/javascript; charset=utf-8")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
            return
        form = dict(parse_qsl(query))
        client_secret, return_url = form.get("client_secret", ""), form.get("return_url", "")
        intent_id = client_secret.split("_secret_")[0]
        status = "failed"
        with self._lock:
            found = self._state.objects.get(intent_id)
            if found is not None and found[1].get("client_secret") == client_secret:
                scope, intent = found
                try:
                    self._confirm(intent, scope, form.get("payment_method") or "pm_card_visa")
                    status = "succeeded" if intent["status"] == "succeeded" else "failed"
                except StripeApiError:
                    status = "failed"
        separator = "&" if "?" in return_url else "?"
        handler.send_response(303)
        handler.send_header(
            "Location",
            f"{return_url}{separator}payment_intent={intent_id}&payment_intent_client_secret={client_secret}"
            f"&redirect_status={status}",
        )
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def _balance_object(self, scope: str) -> dict[str, Any]:
        balance = self._balance(scope)
        return {
            "object": "balance",
            "livemode": False,
            "available": [
                {"amount": balance.available, "currency": "eur", "source_types": {"card": balance.available}}
            ],
            "pending": [{"amount": balance.pending, "currency": "eur", "source_types": {"card": balance.pending}}],
        }

    def _list_events(self, params: dict[str, Any], scope: str) -> dict[str, Any]:
        limit = _integer(params.get("limit", "10"), "limit")
        matching = [
            event
            for owner, event in reversed(self._state.events)
            if owner == scope and (not params.get("type") or event["type"] == params["type"])
        ]
        return {
            "object": "list",
            "data": copy.deepcopy(matching[:limit]),
            "has_more": len(matching) > limit,
            "url": "/v1/events",
        }

    # -- payment intents ---------------------------------------------------------------------------

    def _create_intent(self, params: dict[str, Any], scope: str) -> dict[str, Any]:
        amount = _integer(_required(params, "amount"), "amount")
        currency = str(_required(params, "currency")).lower()
        if amount < 50:
            raise StripeApiError(400, "Amount must be at least €0.50 eur", code="amount_too_small", param="amount")
        if amount > 99_999_999:
            raise StripeApiError(
                400, "Amount must be no more than €999,999.99", code="amount_too_large", param="amount"
            )
        automatic = params.get("automatic_payment_methods") or {}
        intent_id = new_id("pi")
        intent: dict[str, Any] = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_received": 0,
            "automatic_payment_methods": {
                "enabled": automatic.get("enabled") == "true",
                "allow_redirects": automatic.get("allow_redirects", "always"),
            }
            if automatic
            else None,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": params.get("capture_method", "automatic_async"),
            "client_secret": f"{intent_id}_secret_" + "".join(secrets.choice(_ALPHABET) for _ in range(25)),
            "confirmation_method": "automatic",
            "created": int(time.time()),
            "currency": currency,
            "description": params.get("description"),
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": _metadata(params),
            "next_action": None,
            "on_behalf_of": None,
            "payment_method": None,
            "payment_method_types": params.get("payment_method_types") or ["card"],
            "status": "requires_payment_method",
            "transfer_data": None,
            "transfer_group": params.get("transfer_group"),
        }
        self._store(intent, scope)
        self._emit("payment_intent.created", intent, scope)
        if params.get("confirm") == "true":
            return self._confirm(intent, scope, params.get("payment_method"))
        return intent

    def _confirm_directly(self, intent_id: str, account: str | None, payment_method: str) -> dict[str, Any]:
        with self._lock:
            scope = _scope(account)
            intent = self._find(intent_id, scope)
            try:
                self._confirm(intent, scope, payment_method)
            except StripeApiError as error:
                if error.body["error"]["type"] != "card_error":
                    raise
            return copy.deepcopy(intent)

    def _confirm(self, intent: dict[str, Any], scope: str, payment_method: str | None) -> dict[str, Any]:
        if intent["status"] not in _CONFIRMABLE:
            raise StripeApiError(
                400,
                f"You cannot confirm this PaymentIntent because it has a status of {intent['status']}.",
                code="payment_intent_unexpected_state",
                is_stored=True,
                payment_intent=copy.deepcopy(intent),
            )
        payment_method = payment_method or intent["payment_method"]
        if not payment_method:
            raise StripeApiError(
                400,
                "You cannot confirm this PaymentIntent because it's missing a payment method.",
                code="payment_intent_unexpected_state",
            )
        if payment_method in _SUCCEEDING:
            return self._charge_succeeded(intent, scope, payment_method)
        if payment_method in _REQUIRING_ACTION:
            intent.update(
                status="requires_action",
                payment_method=payment_method,
                next_action={"type": "use_stripe_sdk", "use_stripe_sdk": {"type": "three_d_secure_redirect"}},
            )
            self._emit("payment_intent.requires_action", intent, scope)
            return intent
        if payment_method in _DECLINES:
            code, decline_code, message = _DECLINES[payment_method]
            charge = self._new_charge(intent, scope, status="failed")
            charge.update(failure_code=code, failure_message=message)
            error = {
                "type": "card_error",
                "code": code,
                "decline_code": decline_code,
                "message": message,
                "charge": charge["id"],
            }
            intent.update(
                status="requires_payment_method",
                payment_method=None,
                latest_charge=charge["id"],
                last_payment_error=dict(error, payment_method={"id": payment_method}),
            )
            self._emit("charge.failed", charge, scope)
            self._emit("payment_intent.payment_failed", intent, scope)
            raise StripeApiError(
                402,
                message,
                error_type="card_error",
                code=code,
                decline_code=decline_code,
                charge=charge["id"],
                payment_intent=copy.deepcopy(intent),
                is_stored=True,
            )
        raise StripeApiError(
            400, f"No such PaymentMethod: '{payment_method}'", code="resource_missing", param="payment_method"
        )

    def _new_charge(self, intent: dict[str, Any], scope: str, *, status: str) -> dict[str, Any]:
        is_paid = status == "succeeded"
        charge = {
            "id": new_id("ch"),
            "object": "charge",
            "amount": intent["amount"],
            "amount_captured": intent["amount"] if is_paid else 0,
            "amount_refunded": 0,
            "balance_transaction": None,
            "captured": is_paid,
            "created": int(time.time()),
            "currency": intent["currency"],
            "failure_code": None,
            "failure_message": None,
            "livemode": False,
            "metadata": dict(intent["metadata"]),
            "paid": is_paid,
            "payment_intent": intent["id"],
            "refunded": False,
            "status": status,
            "transfer_group": intent["transfer_group"],
        }
        if is_paid:
            fee = card_fee_cents(intent["amount"])
            charge["balance_transaction"] = self._balance_transaction(
                intent["amount"], scope, type="charge", source=charge["id"], fee=fee
            )["id"]
        return self._store(charge, scope)

    def _charge_succeeded(self, intent: dict[str, Any], scope: str, payment_method: str) -> dict[str, Any]:
        charge = self._new_charge(intent, scope, status="succeeded")
        intent.update(
            status="succeeded",
            amount_received=intent["amount"],
            latest_charge=charge["id"],
            payment_method=payment_method,
            last_payment_error=None,
            next_action=None,
        )
        self._balance(scope).pending += intent["amount"]
        self._emit("charge.succeeded", charge, scope)
        self._emit("payment_intent.succeeded", intent, scope)
        return intent

    def _cancel(self, intent: dict[str, Any], scope: str, reason: str | None) -> dict[str, Any]:
        if intent["status"] not in _CANCELABLE:
            raise StripeApiError(
                400,
                "You cannot cancel this PaymentIntent because it has a status of "
                f"{intent['status']}. Only a PaymentIntent with one of the following statuses may be canceled: "
                "requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.",
                code="payment_intent_unexpected_state",
                is_stored=True,
            )
        intent.update(status="canceled", canceled_at=int(time.time()), cancellation_reason=reason)
        self._emit("payment_intent.canceled", intent, scope)
        return intent

    # -- refunds, transfers, payouts ---------------------------------------------------------------

    def _create_refund(self, params: dict[str, Any], scope: str) -> dict[str, Any]:
        if params.get("payment_intent"):
            intent = self._find_for_api(params["payment_intent"], scope, "payment_intents")
            if intent["status"] != "succeeded" or not intent["latest_charge"]:
                raise StripeApiError(
                    400,
                    f"This PaymentIntent ({intent['id']}) does not have a successful charge to refund.",
                    code="charge_not_refundable" if intent["status"] != "succeeded" else None,
                    param="payment_intent",
                )
            charge = self._find(intent["latest_charge"], scope)
        elif params.get("charge"):
            charge = self._find_for_api(params["charge"], scope, "charges")
        else:
            raise StripeApiError(
                400, "One of the following params should be provided for this request: payment_intent or charge."
            )
        remaining = charge["amount"] - charge["amount_refunded"]
        if remaining == 0:
            raise StripeApiError(
                400, f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded", is_stored=True
            )
        amount = _integer(params["amount"], "amount") if "amount" in params else remaining
        if amount < 1:
            raise StripeApiError(
                400, "This value must be greater than or equal to 1.", code="parameter_invalid_integer", param="amount"
            )
        if amount > remaining:
            raise StripeApiError(
                400,
                f"Refund amount (€{amount / 100:.2f}) is greater than unrefunded amount on charge (€{remaining / 100:.2f})",
                code="amount_too_large",
                param="amount",
                is_stored=True,
            )
        refund = self._store(
            {
                "id": new_id("re"),
                "object": "refund",
                "amount": amount,
                "balance_transaction": new_id("txn"),
                "charge": charge["id"],
                "created": int(time.time()),
                "currency": charge["currency"],
                "metadata": _metadata(params),
                "payment_intent": charge["payment_intent"],
                "reason": params.get("reason"),
                "status": "succeeded",
            },
            scope,
        )
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        balance = self._balance(scope)
        from_pending = min(balance.pending, amount)
        balance.pending -= from_pending
        balance.available -= amount - from_pending
        self._emit("refund.created", refund, scope)
        self._emit("charge.refunded", charge, scope)
        return refund

    def _create_transfer(self, params: dict[str, Any], scope: str) -> dict[str, Any]:
        amount = _integer(_required(params, "amount"), "amount")
        currency = str(_required(params, "currency")).lower()
        destination = str(_required(params, "destination"))
        if not destination.startswith("acct_"):
            raise StripeApiError(
                400, f"No such destination: '{destination}'", code="resource_missing", param="destination"
            )
        source = params.get("source_transaction")
        balance = self._balance(scope)
        if source:
            try:
                charge = self._find(source, scope)
            except KeyError:
                charge = None
            if charge is None or charge["object"] != "charge" or charge["status"] != "succeeded":
                raise StripeApiError(
                    400, f"No such charge: '{source}'", code="resource_missing", param="source_transaction"
                )
            left = charge["amount"] - charge["amount_refunded"] - self._state.transferred_from_charge.get(source, 0)
            if amount > left:
                raise StripeApiError(
                    400,
                    "Insufficient funds in the source transaction for this transfer.",
                    code="balance_insufficient",
                    param="amount",
                    is_stored=True,
                )
            self._state.transferred_from_charge[source] = self._state.transferred_from_charge.get(source, 0) + amount
            balance.pending -= amount
            self._balance(destination).pending += amount
        else:
            if amount > balance.available:
                raise StripeApiError(
                    400,
                    "You have insufficient available funds in your Stripe account. Try adding funds directly to "
                    "your available balance by creating Charges using the 4000000000000077 test card.",
                    code="balance_insufficient",
                    is_stored=True,
                )
            balance.available -= amount
            self._balance(destination).available += amount
        transfer = self._store(
            {
                "id": new_id("tr"),
                "object": "transfer",
                "amount": amount,
                "amount_reversed": 0,
                "created": int(time.time()),
                "currency": currency,
                "description": params.get("description"),
                "destination": destination,
                "destination_payment": new_id("py"),
                "livemode": False,
                "metadata": _metadata(params),
                "reversed": False,
                "source_transaction": source,
                "transfer_group": params.get("transfer_group"),
            },
            scope,
        )
        self._emit("transfer.created", transfer, scope)
        return transfer

    def _reverse_transfer(self, transfer_id: str, params: dict[str, Any], scope: str) -> dict[str, Any]:
        transfer = self._find_for_api(transfer_id, scope, "transfers")
        remaining = transfer["amount"] - transfer["amount_reversed"]
        amount = _integer(params["amount"], "amount") if "amount" in params else remaining
        if amount < 1 or amount > remaining:
            raise StripeApiError(
                400,
                f"You have requested a reversal of {amount} cents but this transfer only has {remaining} cents "
                "left to reverse.",
                code="amount_too_large" if amount >= 1 else "parameter_invalid_integer",
                param="amount",
                is_stored=True,
            )
        destination = self._balance(transfer["destination"])
        if amount > destination.available + destination.pending:
            raise StripeApiError(
                400,
                "Insufficient funds in the connected account to reverse this transfer.",
                code="balance_insufficient",
                is_stored=True,
            )
        from_pending = min(destination.pending, amount)
        destination.pending -= from_pending
        destination.available -= amount - from_pending
        self._balance(scope).available += amount
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
        reversal = self._store(
            {
                "id": new_id("trr"),
                "object": "transfer_reversal",
                "amount": amount,
                "balance_transaction": new_id("txn"),
                "created": int(time.time()),
                "currency": transfer["currency"],
                "metadata": _metadata(params),
                "transfer": transfer["id"],
            },
            scope,
        )
        self._emit("transfer.reversed", transfer, scope)
        return reversal

    def _create_payout(self, params: dict[str, Any], scope: str) -> dict[str, Any]:
        amount = _integer(_required(params, "amount"), "amount")
        currency = str(_required(params, "currency")).lower()
        balance = self._balance(scope)
        if amount > balance.available:
            raise StripeApiError(
                400,
                "You have insufficient funds in your Stripe account for this transfer.",
                code="balance_insufficient",
                is_stored=True,
            )
        balance.available -= amount
        payout = self._store(
            {
                "id": new_id("po"),
                "object": "payout",
                "amount": amount,
                "arrival_date": int(time.time()) + 2 * 86_400,
                "automatic": False,
                "created": int(time.time()),
                "currency": currency,
                "description": params.get("description"),
                "destination": "ba_fake",
                "failure_code": None,
                "livemode": False,
                "metadata": _metadata(params),
                "method": params.get("method", "standard"),
                "status": "pending",
            },
            scope,
        )
        self._emit("payout.created", payout, scope)
        return payout


def _scope(account: str | None) -> str:
    return account or PLATFORM


def _encode(error: StripeApiError) -> tuple[int, bytes]:
    return error.status, json.dumps(error.body, indent=2).encode("utf-8")


def _unrecognized(method: str, path: str) -> StripeApiError:
    return StripeApiError(404, f"Unrecognized request URL ({method}: {path}).")


def _required(params: dict[str, Any], name: str) -> Any:
    if name not in params or params[name] == "":
        raise StripeApiError(400, f"Missing required param: {name}.", code="parameter_missing", param=name)
    return params[name]


def _integer(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise StripeApiError(400, f"Invalid integer: {value}", code="parameter_invalid_integer", param=name) from None


def _check_params(params: dict[str, Any], allowed: set[str]) -> None:
    for name in params:
        if name not in allowed:
            raise StripeApiError(400, f"Received unknown parameter: {name}", code="parameter_unknown", param=name)


def _metadata(params: dict[str, Any]) -> dict[str, str]:
    metadata = params.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise StripeApiError(400, "Invalid object", code="parameter_invalid_empty", param="metadata")
    if len(metadata) > 50:
        raise StripeApiError(400, "You can specify up to 50 keys.", code="parameter_invalid_empty", param="metadata")
    for key, value in metadata.items():
        if len(key) > 40 or not isinstance(value, str) or len(value) > 500:
            raise StripeApiError(
                400,
                "Metadata keys are limited to 40 characters and values to 500 characters.",
                code="parameter_invalid_string_too_long",
                param=f"metadata[{key}]",
            )
    # An empty value unsets the key at Stripe.
    return {key: value for key, value in metadata.items() if value != ""}


# What the checkout page needs of Stripe.js: Stripe(key), elements({clientSecret}), create("payment")
# .mount(selector) and confirmPayment({elements, confirmParams: {return_url}}). The "payment element" is a
# labelled choice of Stripe test cards; confirming navigates the page to the fake (as Stripe.js sends the
# page to a 3-D Secure or return URL: no form, so the page's CSP form-action stays 'self').
_STRIPE_JS = """
(function () {
  window.Stripe = function (publishableKey, options) {
    var clientSecret = null, select = null;
    return {
      elements: function (opts) {
        clientSecret = opts.clientSecret;
        return { create: function () { return { mount: function (selector) {
          var host = document.querySelector(selector);
          host.innerHTML = '<label for="fake-stripe-card">Carte de test (Stripe)</label>' +
            '<select id="fake-stripe-card"><option value="pm_card_visa">Visa 4242 4242 4242 4242 (acceptée)</option>' +
            '<option value="pm_card_chargeDeclined">Visa 4000 0000 0000 0002 (refusée)</option></select>';
          select = host.querySelector("select");
        } }; } };
      },
      confirmPayment: function (args) {
        var query = new URLSearchParams({ client_secret: clientSecret, return_url: args.confirmParams.return_url,
                                          payment_method: select ? select.value : "pm_card_visa" });
        window.location.assign("__FAKE_URL__/_browser/confirm?" + query.toString());
        return new Promise(function () {});
      }
    };
  };
})();
"""
