"""What the benchmarks' buyers see and do in a town's shop (bench/checkout.py, bench/load.py): the
town as the benchmark built it, the parts of the pages they read, the form they fill at /commande/,
and Stripe's side of a card payment (the in-process fake of tests/checkout/stripe_fake.py and its
signed webhooks)."""

from __future__ import annotations

import copy
import html
import itertools
import os
import random
import re
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import benchdb  # noqa: F401 - first: it puts the project on sys.path, for tests.checkout below

from tests.checkout.stripe_fake import StripeFake, deliver

if TYPE_CHECKING:
    from tenants.models import Town

# Test-mode keys, accepted by the fake because it is told this exact key.
STRIPE_SECRET_KEY = "sk_test_bench_fake"  # noqa: S105 - not a secret: only the in-process fake accepts it
STRIPE_PUBLISHABLE_KEY = "pk_test_bench_fake"
STRIPE_WEBHOOK_SECRET = "whsec_bench_" + secrets.token_hex(8)

PICKUP_SELECT = re.compile(r'<select name="pickup_(\d+)"[^>]*>(.*?)</select>', re.DOTALL)
OPTION_VALUE = re.compile(r'<option value="([^"]*)"')
CLIENT_SECRET = re.compile(r'data-client-secret="([^"]*)"')
FORM_ERRORS = re.compile(r'<(div|p) class="form-errors".*?</\1>', re.DOTALL)
TAG = re.compile(r"<[^>]+>")
PAYMENT_PATH = re.compile(r"^/commande/([0-9a-f-]{36})/paiement/$")
FORM_ERRORS_HEADING = "La commande n’a pas pu être passée"


class UnexpectedAnswer(Exception):
    """An answer that is neither success nor a legitimate refusal: the purchase is abandoned, an error."""


@dataclass(frozen=True)
class Item:
    """What a buyer puts in the basket: a variant, its merchant, and the product page that offers it."""

    variant_id: int
    merchant_id: int
    path: str


@dataclass
class TownCatalogue:
    """A town as the benchmark built it: where it answers, the Stripe account it collects on, what
    buyers can buy and how many units each variant started with."""

    slug: str
    host: str
    account: str
    items: list[Item]  # plenty of stock
    scarce: list[list[Item]]  # little stock, wanted by many buyers: one list per phase of the run
    initial_stock: dict[int, int]  # by variant, every variant of the town
    pages: dict[str, list[str]] = field(default_factory=dict)  # addresses to browse, by page type

    @property
    def scarce_items(self) -> list[Item]:
        return [item for phase in self.scarce for item in phase]


_resident_numbers = itertools.count(1)


def next_resident_address() -> str:
    """A new resident's address, as the reverse proxy writes it in X-Forwarded-For (10.0.0.1, 10.0.0.2…)."""
    number = next(_resident_numbers)  # itertools.count: atomic under the GIL, shared by the buyer threads
    return f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}"


def provision_stripe_town(*, slug: str, name: str, account: str) -> Town:
    """A town provisioned through the real code, collecting through Stripe (as the operator console
    sets it) on its own connected account ``account``, as the régie."""
    from tenants.actions import provision_town, update_branding

    town = provision_town(slug=slug, name=name).town
    return update_branding(town=town, payment_gateway="stripe", stripe_account_id=account, collector_mode="regie")


# --- the pages ------------------------------------------------------------------------------------
def text_of(fragment: str) -> str:
    """The text of an HTML fragment, entities decoded and white space folded."""
    return " ".join(html.unescape(TAG.sub(" ", fragment)).split())


def form_errors(page: str) -> str:
    """The errors a form came back with, without their heading ("" when there are none)."""
    found = FORM_ERRORS.search(page)
    return text_of(found.group(0)).removeprefix(FORM_ERRORS_HEADING).strip() if found else ""


def refusal_reason(message: str) -> str:
    """A legitimate refusal of the checkout form, by cause: the stock ran out when the order took it,
    or already when the basket was priced; any other message as it is."""
    if "plus disponible dans cette quantité" in message:
        return "out of stock when the order took its stock"
    if any(words in message for words in ("puisé", "n'en reste que", "ne reste que")):
        return "out of stock when the basket was priced"
    return "other: " + message[:120]


def checkout_form(page: str, rng: random.Random, *, last_name: str, email: str) -> dict[str, str]:
    """What a resident fills on the /commande/ page: name, e-mail and phone, a card payment, the
    terms, and click and collect from each merchant at one of its first three pickup windows."""
    form = {
        "first_name": "Camille",
        "last_name": last_name,
        "email": email,
        "phone": "06 12 34 56 78",
        "payment_method": "card",
        "accept_terms": "on",
        "address": "",
    }
    for merchant_id, options in PICKUP_SELECT.findall(page):
        values = [value for value in OPTION_VALUE.findall(options) if value]
        if not values:
            raise UnexpectedAnswer(f"no pickup window offered for merchant {merchant_id}")
        form[f"fulfilment_{merchant_id}"] = "collect"
        form[f"pickup_{merchant_id}"] = rng.choice(values[:3])
    return form


def payment_intent(page: str) -> str | None:
    """The PaymentIntent of the payment page, read from the client secret Stripe.js is given."""
    found = CLIENT_SECRET.search(page)
    if not found or "_secret_" not in found.group(1):
        return None
    return found.group(1).split("_secret_")[0]


# --- Stripe's side --------------------------------------------------------------------------------
def stripe_environment(fake_url: str) -> None:
    """Settings for gunicorn and this process: towns collect card payments through the fake."""
    os.environ["ALLOW_TEST_GATEWAY"] = "0"
    os.environ["STRIPE_SECRET_KEY"] = STRIPE_SECRET_KEY
    os.environ["STRIPE_PUBLISHABLE_KEY"] = STRIPE_PUBLISHABLE_KEY
    os.environ["STRIPE_WEBHOOK_SECRET"] = STRIPE_WEBHOOK_SECRET
    os.environ["STRIPE_API_BASE"] = fake_url


class IndexedStripeFake(StripeFake):
    """The fake, plus its `payment_intent.succeeded` events by intent id.

    `events()` deep-copies every event of the account under the fake's lock: with thousands of orders
    that lookup would be the bottleneck of the benchmark, not the application.
    """

    def __init__(self) -> None:
        super().__init__(api_key=STRIPE_SECRET_KEY)
        self.succeeded_events: dict[str, dict[str, Any]] = {}

    def _emit(self, event_type: str, obj: dict[str, Any], scope: str) -> dict[str, Any]:
        event = super()._emit(event_type, obj, scope)
        if event_type == "payment_intent.succeeded":
            self.succeeded_events[obj["id"]] = copy.deepcopy(event)
        return event


def send_webhook(port: int, event: dict[str, Any], *, platform_domain: str) -> tuple[int, bytes]:
    """Stripe's signed delivery of ``event`` to the webhook endpoint on the root domain: (status, body).
    Raises OSError when gunicorn does not answer."""
    return deliver(
        f"http://127.0.0.1:{port}/webhooks/stripe/",
        event,
        STRIPE_WEBHOOK_SECRET,
        host_header=platform_domain,
        timeout=60,
    )
