"""Benchmark: mixed traffic over many towns for minutes, clean and then with faults, then the invariants.

Run:  .venv/bin/python bench/load.py            (100 towns, 30 users, 2 × 5 min; ~20 min with set-up)
      .venv/bin/python bench/load.py --quick    (smoke: 10 towns, 2 × 30 s; ~3 min)

Needs: ``redis-server`` on PATH (refused clearly otherwise) and the PostgreSQL binaries bundled with
the ``pgserver`` package (a project dependency). The benchmark never touches the machine's PostgreSQL
or Redis: it initdb's its own cluster into a temporary folder and runs its own ``redis-server``, both
on free loopback ports (bench/stack.py), because it stops PostgreSQL and kills a Celery worker on
purpose. Against them it starts gunicorn with the production configuration (infra/gunicorn.conf.py,
DEBUG off; 2 workers × 8 threads), one Celery worker (prefork, concurrency 2) and beat. Every process
it started is stopped at the end, on failure and on Ctrl-C; logs are kept (their folder is printed).

Set-up: ``--towns`` towns provisioned through the real code (template clone), each collecting through
Stripe on its own connected account (the in-process Stripe fake, tests/checkout/stripe_fake.py, as in
bench/checkout.py), each with a demo catalogue (catalog.demo) of 5 merchants × ~40 products, all
merchants live and open for click and collect, stock tracked, and a few *scarce* products (3 units)
per town and phase so that checkouts race for them. Towns are not equally popular: town n gets a
share ∝ 1/n of the traffic (the first of 100 towns ≈ 19 %), as big towns do.

Traffic: ``--users`` simulated residents, each picking a town, then an action, then thinking
(uniform 0–2 × ``--think`` seconds): browse 80 % (home, directory, merchant, category, product pages),
search 15 %, checkout 5 % (product page → add 1–2 products to the basket → GET and POST /commande/ →
payment page (PaymentIntent) → the card is accepted at the fake → Stripe's signed webhook → return →
confirmation). A webhook that fails is redelivered with backoff (1, 2, 4 … 64 s), as Stripe does.

Phases: 1. clean, ``--seconds``; 2. the same with faults: PostgreSQL stopped (fast shutdown) at
``--db-restart-at`` for ``--db-down`` seconds then started again, the Celery worker SIGKILLed (its
whole process group) at ``--worker-kill-at`` and a new one started.

Printed per phase: requests/s, p50/p95/p99 per page type, errors by status and by 5-second window,
the Celery queue backlog; for the fault phase, where the errors fall relative to the outage and the
recovery time after PostgreSQL is up. Then, after the queue has drained and the ledger catch-up has
run (the 15-minute beat task ``settlement.release_due_merchant_orders``, sent at once to every town),
the invariants, each PASS or FAIL (exit status 1 on any FAIL):
  * no HTTP error (5xx, connection, unexpected answer) in the clean phase; in the fault phase, none
    outside [PostgreSQL stopped, PostgreSQL up + 10 s] (test plan T-REL-05: recovery < 10 s);
  * ``check_ledger`` passes for every town; every paid order has its capture entry;
  * stock never negative (SQL over every schema), and per variant initial stock = stock left + units
    held by orders not cancelled (no oversell);
  * every order total = items + delivery fee, items = Σ lines = Σ merchant orders, payment = total;
  * every payment the fake confirmed is a paid order, with one change to "paid".
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import html
import http.client
import io
import json
import multiprocessing
import os
import random
import re
import secrets
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchdb import migrate_platform, percentile, production_environment  # noqa: E402
from stack import Stack  # noqa: E402
from storefront import SEARCH_QUERIES  # noqa: E402

from tests.checkout.stripe_fake import StripeFake, deliver  # noqa: E402

BENCH_DB = "comptoir_load"
PLATFORM_DOMAIN = "load.test"
SECRET_KEY = "sk_test_load_fake"  # noqa: S105 - not a secret: only the in-process fake accepts it
PUBLISHABLE_KEY = "pk_test_load_fake"
WEBHOOK_SECRET = "whsec_load_" + secrets.token_hex(8)
PLENTY = 100_000  # stock of ordinary products: never runs out
BROWSE_PAGES = (("home", 0.15), ("directory", 0.15), ("merchant", 0.20), ("category", 0.15), ("product", 0.35))
KINDS = (
    "home", "directory", "merchant", "category", "product", "search", "basket_add", "checkout_form", "checkout",
    "payment", "webhook", "webhook_retry", "return", "confirmation",
)  # fmt: skip
RECOVERY_LIMIT = 10.0  # seconds after PostgreSQL is up (test plan T-REL-05)
WINDOW = 5.0  # seconds per line of the error timeline
QUEUE = "comptoir"  # settings.CELERY_TASK_DEFAULT_QUEUE

PICKUP_SELECT = re.compile(r'<select name="pickup_(\d+)"[^>]*>(.*?)</select>', re.DOTALL)
OPTION_VALUE = re.compile(r'<option value="([^"]*)"')
CLIENT_SECRET = re.compile(r'data-client-secret="([^"]*)"')
FORM_ERRORS = re.compile(r'<(div|p) class="form-errors".*?</\1>', re.DOTALL)
TAG = re.compile(r"<[^>]+>")
PAYMENT_PATH = re.compile(r"^/commande/([0-9a-f-]{36})/paiement/$")


@dataclass(frozen=True)
class Item:
    variant_id: int
    merchant_id: int
    path: str


@dataclass
class TownCatalogue:
    slug: str
    host: str
    account: str
    merchants: list[str]
    categories: list[str]
    products: list[str]
    items: list[Item]  # plenty of stock
    scarce: list[list[Item]]  # per phase
    scarce_stock: int


@dataclass
class Event:
    at: float
    key: str  # db_stopping, db_stopped, db_starting, db_up, worker_killed, worker_ready
    text: str


@dataclass
class PhaseStats:
    """What the users saw in one phase; requests are (start, end, kind, status, ok), times from the phase start."""

    name: str
    requests: list[tuple[float, float, str, int, bool]] = field(default_factory=list)
    refusals: Counter[str] = field(default_factory=Counter)
    error_samples: list[tuple[float, str]] = field(default_factory=list)
    confirmed: list[tuple[str, str]] = field(default_factory=list)  # (town, intent) the card was accepted
    journeys: Counter[str] = field(default_factory=Counter)
    events: list[Event] = field(default_factory=list)
    queue: list[tuple[float, int, int]] = field(default_factory=list)  # (t, waiting, unacked)
    elapsed: float = 0.0
    load: tuple[float, float] = (0.0, 0.0)
    retries_left: int = 0
    orphaned: int = 0  # messages the killed worker left unacknowledged
    beat_sends_at_db_up: int = 0  # periodic sends logged by beat when PostgreSQL came back
    wall_origin: float = 0.0  # time.time() at the phase start, to place the server's log lines
    machine_busy: float = 0.0  # share of the machine's CPU time in use during the phase (everyone's)
    gunicorn_cpu: float = 0.0  # CPU seconds of gunicorn (master and workers) during the phase
    bench_cpu: float = 0.0  # CPU seconds of this process (the residents and the Stripe fake)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, at: float, detail: str) -> None:
        with self.lock:
            if len(self.error_samples) < 200:
                self.error_samples.append((at, detail[:300]))


class IndexedStripeFake(StripeFake):
    """The fake, plus its `payment_intent.succeeded` events by intent id (a cheap lookup)."""

    def __init__(self) -> None:
        super().__init__(api_key=SECRET_KEY)
        self.succeeded_events: dict[str, dict[str, Any]] = {}

    def _emit(self, event_type: str, obj: dict[str, Any], scope: str) -> dict[str, Any]:
        event = super()._emit(event_type, obj, scope)
        if event_type == "payment_intent.succeeded":
            self.succeeded_events[obj["id"]] = event
        return event


class UnexpectedAnswer(Exception):
    """Neither success nor a legitimate refusal: the journey is abandoned and counted as an error."""


# --- set-up -----------------------------------------------------------------------------------------
def configure_environment(*, database_url: str, redis_url: str, fake_url: str) -> None:
    """Production mode over plain HTTP on the bench's own PostgreSQL and Redis, Stripe at the fake."""
    os.environ["DATABASE_URL"] = f"{database_url}/postgres"
    os.environ["REDIS_URL"] = redis_url
    os.environ["SECURE_COOKIES"] = "0"  # plain HTTP: cookies without Secure (so without "__Host-")
    os.environ["SECURE_HSTS_SECONDS"] = "0"
    os.environ["ALLOW_TEST_GATEWAY"] = "0"
    os.environ["STRIPE_SECRET_KEY"] = SECRET_KEY
    os.environ["STRIPE_PUBLISHABLE_KEY"] = PUBLISHABLE_KEY
    os.environ["STRIPE_WEBHOOK_SECRET"] = WEBHOOK_SECRET
    os.environ["STRIPE_API_BASE"] = fake_url
    os.environ["GUNICORN_LOGLEVEL"] = "warning"
    for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CELERY_TASK_ALWAYS_EAGER", "COMPTOIR_EMBEDDED_DB"):
        os.environ.pop(name, None)
    production_environment(platform_domain=PLATFORM_DOMAIN, database=BENCH_DB)


def build_town(job: tuple[int, int, int, int, int]) -> TownCatalogue:
    """Provision town ``number`` (Stripe, régie), fill a demo catalogue and make it sellable."""
    import datetime as dt

    from django.db import connections, transaction

    from catalog.demo import generate_catalogue
    from catalog.models import Category, Closure, Merchant, MerchantStatus, OpeningPeriod, Product, Variant
    from tenants.actions import provision_town, update_branding

    number, products, scarce_per_phase, scarce_stock, seed = job
    slug, account = f"ville-{number:03d}", f"acct_load{number:09d}"
    town = provision_town(slug=slug, name=f"Ville {number}").town
    town = update_branding(town=town, payment_gateway="stripe", stripe_account_id=account, collector_mode="regie")
    rng = random.Random(seed)
    with town, transaction.atomic():
        generate_catalogue(
            merchants=5,
            products=products,
            supermarket_products=0,
            profile=("calais", "luzy")[number % 2],
            seed=seed,
        )
        # Every merchant live, selling online for click and collect, open all day every day: a pickup
        # window always exists, whatever the hour of the run.
        Merchant.objects.update(status=MerchantStatus.LIVE, sells_online=True, click_and_collect=True)
        OpeningPeriod.objects.all().delete()
        Closure.objects.all().delete()
        OpeningPeriod.objects.bulk_create(
            OpeningPeriod(merchant_id=pk, weekday=day, opens_at=dt.time(0, 0), closes_at=dt.time(23, 59))
            for pk in Merchant.objects.values_list("pk", flat=True)
            for day in range(7)
        )
        Variant.objects.update(stock=PLENTY)
        rows = list(
            Variant.objects.filter(product__is_published=True).values_list(
                "pk", "merchant_id", "merchant__slug", "product__slug"
            )
        )
        rng.shuffle(rows)
        items = [
            Item(pk, merchant, f"/commerces/{merchant_slug}/{product}/")
            for pk, merchant, merchant_slug, product in rows
        ]
        scarce = [items[phase * scarce_per_phase : (phase + 1) * scarce_per_phase] for phase in range(2)]
        Variant.objects.filter(pk__in=[item.variant_id for phase in scarce for item in phase]).update(
            stock=scarce_stock
        )
        used = set(Product.objects.filter(is_published=True).values_list("category_id", flat=True))
        categories = [
            f"/categories/{category}/"
            for pk, parent, category in Category.objects.values_list("pk", "parent_id", "slug")
            if pk in used or parent is None
        ]
        merchants = [f"/commerces/{merchant}/" for merchant in Merchant.objects.values_list("slug", flat=True)]
    connections.close_all()
    return TownCatalogue(
        slug=slug,
        host=f"{slug}.{PLATFORM_DOMAIN}",
        account=account,
        merchants=merchants,
        categories=categories,
        products=[item.path for item in items],
        items=items[2 * scarce_per_phase :],
        scarce=scarce,
        scarce_stock=scarce_stock,
    )


def build_towns(args: argparse.Namespace) -> list[TownCatalogue]:
    """Towns built by two processes (the machine's cores), in town order."""
    from django.db import connections

    jobs = [
        (number, args.products, args.scarce, args.scarce_stock, args.seed + number)
        for number in range(1, args.towns + 1)
    ]
    # The first clone creates django-tenants' clone function: two first clones at once collide.
    towns = [build_town(jobs[0])]
    connections.close_all()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        for town in pool.imap(build_town, jobs[1:]):
            towns.append(town)
            if len(towns) % 10 == 0 or len(towns) == len(jobs):
                print(f"  {len(towns)} / {len(jobs)} towns ready", flush=True)
    return towns


def wait_until_up(port: int, host: str, *, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "/healthz", headers={"Host": host})
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s")


# --- the residents ----------------------------------------------------------------------------------
class Session:
    """One keep-alive connection to gunicorn; each request names its town in the Host header."""

    def __init__(self, port: int, stats: PhaseStats, origin: float) -> None:
        self.port, self.stats, self.origin = port, stats, origin
        self.connection: http.client.HTTPConnection | None = None
        self.records: list[tuple[float, float, str, int, bool]] = []

    def now(self) -> float:
        return time.perf_counter() - self.origin

    def request(
        self,
        kind: str,
        host: str,
        method: str,
        path: str,
        *,
        cookies: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
        expect: tuple[int, ...] = (200,),
    ) -> tuple[int, dict[str, str], str]:
        """The answer, recorded under ``kind``; raises UnexpectedAnswer on 5xx, no answer or an unexpected status."""
        headers = {"Host": host, "Accept-Encoding": "identity"}
        body = None
        if form is not None:
            token = next((value for name, value in (cookies or {}).items() if name.endswith("csrftoken")), "")
            body = urlencode({**form, "csrfmiddlewaretoken": token})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        started = self.now()
        for attempt in (1, 2):
            is_reused = self.connection is not None
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.HTTPException, OSError) as error:
                self.close()
                # A keep-alive connection gunicorn closed while idle (keepalive, worker recycled) is
                # retried once on a fresh one, as browsers do; a fresh connection that fails is an error.
                if is_reused and attempt == 1:
                    continue
                ended = self.now()
                self.records.append((started, ended, kind, 0, False))
                self.stats.error(started, f"{kind} {method} {host}{path}: no answer ({type(error).__name__})")
                raise UnexpectedAnswer(f"{kind}: {error}") from error
        ended = self.now()
        if cookies is not None:
            keep_cookies(cookies, response.msg.get_all("Set-Cookie") or [])
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        status = response.status
        is_ok = status in expect
        self.records.append((started, ended, kind, status, is_ok))
        if not is_ok:
            self.stats.error(started, f"{kind} {method} {host}{path} → HTTP {status}")
            raise UnexpectedAnswer(f"{kind} → HTTP {status}")
        return status, {name.lower(): value for name, value in response.getheaders()}, text

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def keep_cookies(jar: dict[str, str], set_cookies: list[str]) -> None:
    for header in set_cookies:
        pair, *attributes = header.split(";")
        name, _equals, value = pair.strip().partition("=")
        expired = any(attribute.strip().lower() == "max-age=0" for attribute in attributes)
        if expired or value in ("", '""'):
            jar.pop(name, None)
        else:
            jar[name] = value


def form_errors(page: str) -> str:
    found = FORM_ERRORS.search(page)
    return " ".join(html.unescape(TAG.sub(" ", found.group(0))).split()) if found else ""


def refusal_reason(message: str) -> str:
    if "plus disponible dans cette quantité" in message:
        return "out of stock when the order took its stock"
    if any(words in message for words in ("puisé", "n'en reste que", "ne reste que")):
        return "out of stock when the basket was priced"
    return "other: " + message[:120]


class WebhookRetrier:
    """Stripe's side: a webhook answered with an error (or not at all) is sent again later, with backoff."""

    DELAYS = (1, 2, 4, 8, 16, 32, 64)

    def __init__(self, port: int, stats: PhaseStats, origin: float) -> None:
        self.port, self.stats, self.origin = port, stats, origin
        self.heap: list[tuple[float, int, int, dict[str, Any]]] = []
        self.records: list[tuple[float, float, str, int, bool]] = []
        self.condition = threading.Condition()
        self.counter = 0
        self.is_stopping = False
        self.thread = threading.Thread(target=self.run, name="webhook-retrier", daemon=True)
        self.thread.start()

    def schedule(self, event: dict[str, Any], attempt: int) -> None:
        with self.condition:
            self.counter += 1
            due = time.perf_counter() + self.DELAYS[min(attempt, len(self.DELAYS) - 1)]
            heapq.heappush(self.heap, (due, self.counter, attempt, event))
            self.condition.notify()

    def run(self) -> None:
        while True:
            with self.condition:
                while not self.heap and not self.is_stopping:
                    self.condition.wait()
                if not self.heap:
                    return
                due, _number, attempt, event = self.heap[0]
                delay = due - time.perf_counter()
                if delay > 0:
                    self.condition.wait(timeout=delay)
                    continue
                heapq.heappop(self.heap)
            started = time.perf_counter() - self.origin
            status = send_webhook(self.port, event)
            ended = time.perf_counter() - self.origin
            self.records.append((started, ended, "webhook_retry", status, status == 200))
            if status != 200:
                self.stats.error(started, f"webhook_retry attempt {attempt + 1} → {status or 'no answer'}")
                if attempt + 1 < len(self.DELAYS):
                    self.schedule(event, attempt + 1)

    def drain(self, timeout: float) -> int:
        """Wait until every redelivery is done (or ``timeout``); returns how many are still due."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.condition:
                if not self.heap:
                    break
            time.sleep(0.5)
        with self.condition:
            self.is_stopping = True
            left = len(self.heap)
            self.heap.clear()
            self.condition.notify()
        self.thread.join(timeout=70)
        return left


def send_webhook(port: int, event: dict[str, Any]) -> int:
    try:
        status, _body = deliver(
            f"http://127.0.0.1:{port}/webhooks/stripe/", event, WEBHOOK_SECRET, host_header=PLATFORM_DOMAIN, timeout=60
        )
    except OSError:
        return 0
    return status


class Resident:
    """A simulated resident: picks a town (∝ 1/rank), an action, then thinks."""

    def __init__(self, number: int, context: Context) -> None:
        self.number, self.context = number, context
        self.rng = random.Random(context.args.seed * 1000 + number + 7919 * context.phase)
        self.session = Session(context.port, context.stats, context.origin)

    def run(self, stop_at: float) -> None:
        args = self.context.args
        while time.perf_counter() < stop_at:
            town = self.rng.choices(self.context.towns, cum_weights=self.context.town_weights)[0]
            draw = self.rng.random()
            try:
                if draw < 0.80:
                    self.browse(town)
                elif draw < 0.95:
                    self.search(town)
                else:
                    self.checkout(town)
            except UnexpectedAnswer:
                pass
            time.sleep(self.rng.uniform(0, 2 * args.think))
        self.session.close()

    def browse(self, town: TownCatalogue) -> None:
        kind = self.rng.choices([kind for kind, _ in BROWSE_PAGES], weights=[w for _, w in BROWSE_PAGES])[0]
        path = {
            "home": "/",
            "directory": self.rng.choice(("/commerces/", "/commerces/?type=shop", "/commerces/?page=1")),
            "merchant": self.rng.choice(town.merchants),
            "category": self.rng.choice(town.categories),
            "product": self.rng.choice(town.products),
        }[kind]
        self.session.request(kind, town.host, "GET", path)

    def search(self, town: TownCatalogue) -> None:
        self.session.request("search", town.host, "GET", f"/recherche/?q={quote(self.rng.choice(SEARCH_QUERIES))}")

    def choose_items(self, town: TownCatalogue) -> list[Item]:
        first = self.rng.choice(town.items)
        same_merchant = [item for item in town.items if item.merchant_id == first.merchant_id and item != first]
        items = [first]
        if same_merchant and self.rng.random() < 0.4:
            items.append(self.rng.choice(same_merchant))
        scarce = town.scarce[self.context.phase]
        if scarce and self.rng.random() < self.context.args.scarce_share:
            items[0] = self.rng.choice(scarce)
        return items

    def checkout(self, town: TownCatalogue) -> None:
        """A new buyer (no cookies) from the product page to the confirmation page."""
        stats, request = self.context.stats, self.session.request
        with stats.lock:
            stats.journeys["started"] += 1
        cookies: dict[str, str] = {}
        items = self.choose_items(town)
        request("product", town.host, "GET", items[0].path, cookies=cookies)
        for item in items:
            form = {"variant": str(item.variant_id), "quantity": "1", "next": item.path}
            request("basket_add", town.host, "POST", "/panier/ajouter/", cookies=cookies, form=form, expect=(302,))
        status, headers, page = request(
            "checkout_form", town.host, "GET", "/commande/", cookies=cookies, expect=(200, 302)
        )
        if status == 302:
            if urlsplit(headers.get("location", "")).path != "/panier/":
                stats.error(self.session.now(), f"GET /commande/ redirected to {headers.get('location')}")
                raise UnexpectedAnswer("checkout form redirect")
            with stats.lock:
                stats.refusals["sold out before the checkout page"] += 1
            return
        form = {
            "first_name": "Camille",
            "last_name": f"Habitant {self.number}",
            "email": f"habitant{self.number}@exemple.fr",
            "phone": "06 12 34 56 78",
            "payment_method": "card",
            "accept_terms": "on",
            "address": "",
        }
        for merchant_id, options in PICKUP_SELECT.findall(page):
            values = [value for value in OPTION_VALUE.findall(options) if value]
            if not values:
                stats.error(self.session.now(), f"no pickup window for merchant {merchant_id} in {town.slug}")
                raise UnexpectedAnswer("no pickup window")
            form[f"fulfilment_{merchant_id}"] = "collect"
            form[f"pickup_{merchant_id}"] = self.rng.choice(values[:3])
        status, headers, page = request(
            "checkout", town.host, "POST", "/commande/", cookies=cookies, form=form, expect=(200, 302)
        )
        payment_path = urlsplit(headers.get("location", "")).path
        if status == 200:
            message = form_errors(page)
            if not message:
                stats.error(self.session.now(), "POST /commande/ re-rendered the form without an error")
                raise UnexpectedAnswer("checkout form without error")
            with stats.lock:
                stats.refusals[refusal_reason(message)] += 1
            return
        if not PAYMENT_PATH.match(payment_path):
            stats.error(self.session.now(), f"POST /commande/ redirected to {payment_path}")
            raise UnexpectedAnswer("checkout redirect")
        _status, _headers, page = request("payment", town.host, "GET", payment_path, cookies=cookies)
        found = CLIENT_SECRET.search(page)
        if not found or "_secret_" not in found.group(1):
            stats.error(self.session.now(), f"payment page without a client secret in {town.slug}")
            raise UnexpectedAnswer("no client secret")
        intent_id = found.group(1).split("_secret_")[0]
        # The card works: Stripe.js confirms the intent; Stripe then sends its webhook.
        fake = self.context.fake
        fake.succeed(intent_id, account=town.account)
        with stats.lock:
            stats.confirmed.append((town.slug, intent_id))
        event = fake.succeeded_events[intent_id]
        started = self.session.now()
        status = send_webhook(self.context.port, event)
        self.session.records.append((started, self.session.now(), "webhook", status, status == 200))
        if status != 200:
            stats.error(started, f"webhook {town.slug} {intent_id} → {status or 'no answer'}")
            self.context.retrier.schedule(event, 0)
        public_id = PAYMENT_PATH.match(payment_path).group(1)
        confirmation = f"/commande/{public_id}/confirmation/"
        _status, headers, _page = request(
            "return", town.host, "GET", f"/commande/{public_id}/retour/", cookies=cookies, expect=(302,)
        )
        if urlsplit(headers.get("location", "")).path != confirmation:
            stats.error(self.session.now(), f"return redirected to {headers.get('location')} not {confirmation}")
            raise UnexpectedAnswer("return redirect")
        request("confirmation", town.host, "GET", confirmation, cookies=cookies)
        with stats.lock:
            stats.journeys["paid"] += 1


@dataclass
class Context:
    args: argparse.Namespace
    towns: list[TownCatalogue]
    town_weights: list[float]
    port: int
    fake: IndexedStripeFake
    stats: PhaseStats
    origin: float
    phase: int
    retrier: WebhookRetrier


def cpu_snapshot(gunicorn_pid: int) -> tuple[float, float, float, float]:
    """(machine busy jiffies, machine total jiffies, gunicorn CPU s, this process's CPU s)."""
    import psutil

    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    master = psutil.Process(gunicorn_pid)
    times = master.cpu_times()
    gunicorn = times.user + times.system + times.children_user + times.children_system  # reaped workers too
    for worker in master.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            gunicorn += sum(worker.cpu_times()[:2])
    own = os.times()
    return sum(fields) - idle, sum(fields), gunicorn, own.user + own.system


class QueueMonitor:
    """Samples the Celery queue in Redis every second: tasks waiting and tasks delivered but unacknowledged."""

    def __init__(self, redis_url: str, stats: PhaseStats, origin: float) -> None:
        import redis

        self.client = redis.Redis.from_url(redis_url)
        self.stats, self.origin = stats, origin
        self.is_stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, name="queue-monitor", daemon=True)
        self.thread.start()

    def sample(self) -> tuple[int, int]:
        # kombu keeps priorities 0, 3, 6, 9 in separate lists ("comptoir", "comptoir\x06\x163", …).
        waiting = sum(self.client.llen(name) for name in (QUEUE, *(f"{QUEUE}\x06\x16{p}" for p in (3, 6, 9))))
        return waiting, self.client.hlen("unacked")

    def run(self) -> None:
        import redis

        while not self.is_stopping.wait(1.0):
            try:
                waiting, unacked = self.sample()
            except redis.RedisError:
                return  # the bench is stopping (Redis is never touched during a phase)
            self.stats.queue.append((time.perf_counter() - self.origin, waiting, unacked))

    def stop(self) -> None:
        self.is_stopping.set()
        self.thread.join(timeout=5)


def run_phase(
    phase: int,
    name: str,
    *,
    args: argparse.Namespace,
    towns: list[TownCatalogue],
    port: int,
    fake: IndexedStripeFake,
    stack: Stack,
    redis_url: str,
    faults: bool,
    seconds: float,
) -> PhaseStats:
    """The residents for ``seconds``; with ``faults``, the main thread restarts PostgreSQL and kills the worker.

    Faults run in the main thread on purpose: a child's parent-death signal fires when the *thread*
    that started it ends, so the restarted PostgreSQL and the new worker must be started from here.
    """
    stats = PhaseStats(name)
    weights = [1 / rank for rank in range(1, len(towns) + 1)]
    cumulative = [sum(weights[: index + 1]) for index in range(len(weights))]
    origin = time.perf_counter()
    stats.wall_origin = time.time()
    retrier = WebhookRetrier(port, stats, origin)
    context = Context(args, towns, cumulative, port, fake, stats, origin, phase, retrier)
    residents = [Resident(number, context) for number in range(args.users)]
    monitor = QueueMonitor(redis_url, stats, origin)
    stop_at = origin + seconds
    stats.load = (os.getloadavg()[0], 0.0)
    cpu_before = cpu_snapshot(stack.children["gunicorn"].process.pid)
    threads = [
        threading.Thread(target=resident.run, args=(stop_at,), name=f"resident-{resident.number}", daemon=True)
        for resident in residents
    ]
    for thread in threads:
        thread.start()
    if faults:
        run_faults(args, stack, stats, origin)
    for thread in threads:
        thread.join()
    stats.elapsed = time.perf_counter() - origin
    cpu_after = cpu_snapshot(stack.children["gunicorn"].process.pid)
    stats.machine_busy = (cpu_after[0] - cpu_before[0]) / max(1, cpu_after[1] - cpu_before[1])
    stats.gunicorn_cpu, stats.bench_cpu = cpu_after[2] - cpu_before[2], cpu_after[3] - cpu_before[3]
    stats.retries_left = retrier.drain(timeout=150)
    monitor.stop()
    stats.load = (stats.load[0], os.getloadavg()[0])
    for resident in residents:
        stats.requests.extend(resident.session.records)
    stats.requests.extend(retrier.records)
    return stats


def run_faults(args: argparse.Namespace, stack: Stack, stats: PhaseStats, origin: float) -> None:
    def at(seconds: float) -> None:
        time.sleep(max(0.0, origin + seconds - time.perf_counter()))

    def note(key: str, text: str) -> None:
        stats.events.append(Event(time.perf_counter() - origin, key, text))
        print(f"  t={stats.events[-1].at:6.1f} s  {text}", flush=True)

    schedule = sorted([(args.db_restart_at, "db"), (args.worker_kill_at, "worker")])
    for when, fault in schedule:
        at(when)
        if fault == "db":
            stack.checkpoint()
            note("db_checkpoint", "PostgreSQL: CHECKPOINT done (as before a planned restart)")
            note("db_stopping", "PostgreSQL: fast shutdown requested")
            stack.stop_postgres()
            note("db_stopped", "PostgreSQL: stopped")
            time.sleep(args.db_down)
            note("db_starting", "PostgreSQL: starting")
            stack.start_postgres()
            note("db_up", "PostgreSQL: up, accepting connections")
            stats.beat_sends_at_db_up = beat_sends(stack)
        else:
            import redis

            # Killed while it holds tasks (reserved or running), if any come within 15 s: the case that matters.
            client = redis.Redis.from_url(os.environ["REDIS_URL"])
            deadline = time.perf_counter() + 15
            while not client.hlen("unacked") and time.perf_counter() < deadline:
                time.sleep(0.02)
            stack.kill("worker-1")
            held = Counter(json.loads(value)[0]["headers"]["task"] for value in client.hvals("unacked"))
            stats.orphaned = sum(held.values())
            note(
                "worker_killed",
                f"Celery worker: SIGKILLed holding {stats.orphaned} unacknowledged tasks"
                + (" (" + ", ".join(f"{task} × {count}" for task, count in held.items()) + ")" if held else ""),
            )
            stack.start_worker("worker-2", concurrency=args.concurrency)
            ready = stack.wait_for_log("worker-2", " ready.", timeout=120)
            note("worker_ready", f"Celery worker: a new worker is ready ({ready:.1f} s after its start)")


def beat_sends(stack: Stack) -> int:
    """How many periodic sends beat has logged so far (one line per task and tick, for every town)."""
    return (stack.logs / "beat.log").read_text(errors="replace").count("Sending due task")


def beat_verdict(stack: Stack, stats: PhaseStats) -> tuple[str, bool, str]:
    """Beat must outlive the restart and keep sending the town tasks (expiry, notifications, ledger catch-up)."""
    name = "fault phase: beat still sends the periodic town tasks after the restart"
    beat = stack.children.get("beat")
    if beat is None or beat.process.poll() is not None:
        code = beat.process.returncode if beat else "?"
        tail = (stack.logs / "beat.log").read_text(errors="replace").strip().splitlines()[-6:]
        return name, False, f"beat exited (status {code}); last lines: " + " | ".join(tail)
    up_at = next((event.at for event in stats.events if event.key == "db_up"), stats.elapsed)
    sent = beat_sends(stack) - stats.beat_sends_at_db_up
    if sent:
        return name, True, f"{sent} sends logged after PostgreSQL was up"
    if stats.elapsed - up_at < 65:
        return (
            name,
            True,
            f"not observable: only {stats.elapsed - up_at:.0f} s after the restart (beat ticks each 60 s)",
        )
    return name, False, f"no send logged in the {stats.elapsed - up_at:.0f} s after PostgreSQL was up"


# --- figures ----------------------------------------------------------------------------------------
def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f}"


def print_phase(stats: PhaseStats, args: argparse.Namespace, stack: Stack) -> None:
    requests = stats.requests
    print(
        f"\n== phase {stats.name}: {args.users} users, {len(requests)} requests in {stats.elapsed:.1f} s = "
        f"{len(requests) / stats.elapsed:.1f} requests/s; load average {stats.load[0]:.2f} → {stats.load[1]:.2f}"
    )
    print(
        f"   CPU: machine {stats.machine_busy:.0%} busy (all its users); gunicorn {stats.gunicorn_cpu:.0f} s "
        f"= {stats.gunicorn_cpu / max(1, len(requests)) * 1000:.1f} ms per request; residents + Stripe fake "
        f"{stats.bench_cpu:.0f} s"
    )
    journeys = stats.journeys
    refusals = ", ".join(f"{reason} × {count}" for reason, count in stats.refusals.most_common()) or "none"
    print(
        f"   checkouts started {journeys['started']}, paid {journeys['paid']} "
        f"({journeys['paid'] / stats.elapsed:.2f} orders/s); legitimate refusals: {refusals}"
    )
    print(f"   {'page type':<14}{'n':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}  statuses")
    by_kind: dict[str, list[tuple[float, float, str, int, bool]]] = defaultdict(list)
    for record in requests:
        by_kind[record[2]].append(record)
    for kind in KINDS:
        records = by_kind.get(kind)
        if not records:
            continue
        durations = [end - start for start, end, _kind, _status, _ok in records]
        statuses = Counter(status for _start, _end, _kind, status, _ok in records)
        shown = " ".join(f"{status or 'none'}×{count}" for status, count in sorted(statuses.items()))
        print(
            f"   {kind:<14}{len(records):>7}{ms(percentile(durations, 0.5))} {ms(percentile(durations, 0.95))}"
            f" {ms(percentile(durations, 0.99))} {ms(max(durations))}  {shown}"
        )
    errors = [record for record in requests if not record[4]]
    by_status = Counter("no answer" if record[3] == 0 else f"HTTP {record[3]}" for record in errors)
    print(
        f"   errors: {len(errors)}"
        + (" (" + ", ".join(f"{label} × {count}" for label, count in by_status.most_common()) + ")" if errors else "")
    )
    if errors:
        print(f"   errors by {WINDOW:.0f}-second window (start of the request):")
        windows = Counter(int(record[0] // WINDOW) for record in errors)
        totals = Counter(int(record[0] // WINDOW) for record in requests)
        for window in sorted(windows):
            print(
                f"     t={window * WINDOW:5.0f}–{(window + 1) * WINDOW:3.0f} s: {windows[window]:>5} errors "
                f"of {totals[window]} requests"
            )
        for at, detail in sorted(stats.error_samples)[:8]:
            print(f"     sample t={at:6.1f} s: {detail}")
    logged = server_errors(stack.logs / "gunicorn.log", stats)
    if logged:
        print("   errors logged by the server, by final exception:")
        for line in logged[:8]:
            print(f"     {line}")
    killed_at = next((event.at for event in stats.events if event.key == "worker_killed"), None)
    if killed_at is not None:
        after = [sample for sample in stats.queue if sample[0] >= killed_at]
        if after:
            peak = max(after, key=lambda sample: sample[1])
            back = next((sample[0] for sample in after if sample[0] > peak[0] and sample[1] <= 5), None)
            print(
                f"   after the worker was killed: backlog peaked at {peak[1]} tasks at t={peak[0]:.0f} s, "
                + (f"back to ≤ 5 at t={back:.0f} s" if back is not None else "still above 5 at the end")
            )
    if stats.retries_left:
        print(f"   webhooks still undelivered after the redelivery schedule: {stats.retries_left}")
    if stats.queue:
        peak = max(stats.queue, key=lambda sample: sample[1])
        print(
            f"   Celery queue: peak {peak[1]} tasks waiting at t={peak[0]:.0f} s; at the end {stats.queue[-1][1]} "
            f"waiting, {stats.queue[-1][2]} unacknowledged"
        )


def server_errors(log: Path, stats: PhaseStats) -> list[str]:
    """The errors gunicorn logged during the phase (JSON lines), grouped by the exception that ended them."""
    import datetime as dt

    found: dict[str, list[float]] = defaultdict(list)
    for line in log.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        try:
            record = json.loads(line)
            at = dt.datetime.fromisoformat(record["timestamp"].replace("Z", "+00:00")).timestamp() - stats.wall_origin
        except (ValueError, KeyError):
            continue
        if record.get("level") not in ("error", "critical") or not 0 <= at <= stats.elapsed:
            continue
        # The last unindented line of the traceback names the exception (its message may go on below).
        exception = [text for text in (record.get("exception") or "").splitlines() if text and not text[0].isspace()]
        cause = re.sub(r"\d{4,}", "N", exception[-1] if exception else record.get("event", "?"))[:140]
        found[cause].append(at)
    return [
        f"{len(times):>5} × {cause}  (t={min(times):.1f}–{max(times):.1f} s)"
        for cause, times in sorted(found.items(), key=lambda item: -len(item[1]))
    ]


def fault_verdicts(stats: PhaseStats) -> list[tuple[str, bool, str]]:
    """Errors confined to the outage window, and how long after PostgreSQL was up the last one ended."""
    events = {event.key: event.at for event in stats.events}
    stopped_at, up_at = events.get("db_stopping"), events.get("db_up")
    errors = [record for record in stats.requests if not record[4]]
    if stopped_at is None or up_at is None:
        return [("fault phase: PostgreSQL was restarted", False, "no restart recorded")]
    outside = [record for record in errors if not (stopped_at <= record[1] and record[0] <= up_at + RECOVERY_LIMIT)]
    last_end = max((record[1] for record in errors), default=up_at)
    recovery = max(0.0, last_end - up_at)
    first_after = [record for record in stats.requests if record[0] >= up_at and record[4]]
    first_success = min((record[1] for record in first_after), default=float("nan")) - up_at
    detail = (
        f"PostgreSQL stopped at t={stopped_at:.1f} s, up at t={up_at:.1f} s; {len(errors)} errors, "
        f"{len(outside)} outside [stop, up + {RECOVERY_LIMIT:.0f} s]"
    )
    results = [
        ("fault phase: errors only during the outage", not outside, detail),
        (
            f"fault phase: recovery < {RECOVERY_LIMIT:.0f} s after PostgreSQL is up",
            recovery < RECOVERY_LIMIT,
            f"last failed request ended {recovery:.1f} s after PostgreSQL was up; first success after "
            f"{first_success:.2f} s",
        ),
    ]
    if outside:
        samples = [f"t={record[0]:.1f}–{record[1]:.1f} s {record[2]} {record[3] or 'no answer'}" for record in outside]
        results[0] = (results[0][0], False, detail + ": " + "; ".join(samples[:5]))
    return results


# --- after the run: drain, catch up, invariants -----------------------------------------------------
def wait_for_queue(redis_url: str, *, orphaned: int, timeout: float) -> float:
    """Seconds until no task waits and none is in progress (beyond the killed worker's orphans)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    started = time.monotonic()
    calm = 0
    while time.monotonic() - started < timeout:
        waiting = sum(client.llen(name) for name in (QUEUE, *(f"{QUEUE}\x06\x16{p}" for p in (3, 6, 9))))
        calm = calm + 1 if waiting == 0 and client.hlen("unacked") <= orphaned else 0
        if calm >= 3:
            return time.monotonic() - started
        time.sleep(0.5)
    raise RuntimeError(f"the Celery queue did not drain within {timeout:.0f} s")


def paid_orders_without_capture(towns: list[TownCatalogue]) -> dict[str, list[int]]:
    from django.db.models import CharField, Exists, OuterRef
    from django.db.models.functions import Cast

    from settlement.models import JournalEntry
    from settlement.rules import ORDER_PAID, paid_orders
    from tenants.models import Town

    missing: dict[str, list[int]] = {}
    for catalogue in towns:
        with Town.objects.get(slug=catalogue.slug):
            captured = JournalEntry.objects.filter(source=ORDER_PAID, external_id=Cast(OuterRef("pk"), CharField()))
            ids = list(paid_orders().exclude(Exists(captured)).values_list("pk", flat=True))
        if ids:
            missing[catalogue.slug] = ids
    return missing


def catch_up_ledger(towns: list[TownCatalogue]) -> float:
    """What beat does every 15 minutes in every town (post_missing_entries, releases), sent at once."""
    from settlement.tasks import release_due_merchant_orders_task
    from tenants.models import Town

    started = time.perf_counter()
    results = []
    for catalogue in towns:
        with Town.objects.get(slug=catalogue.slug):
            results.append(release_due_merchant_orders_task.apply_async())
    for result in results:
        result.get(timeout=300)
    return time.perf_counter() - started


def check_invariants(towns: list[TownCatalogue], phases: list[PhaseStats]) -> list[tuple[str, bool, str]]:
    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.db import connection
    from django.db.models import Count, Q, Sum

    from catalog.models import Variant
    from checkout.models import MerchantOrder, Notification, Order, OrderLine, OrderStatus, Payment
    from tenants.models import Town

    results: list[tuple[str, bool, str]] = []
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("check_ledger", verbosity=1, stdout=out, stderr=err)
        ok_towns = out.getvalue().count(": ok")
        results.append(("check_ledger, every town", True, f"{ok_towns} towns ok"))
    except CommandError as error:
        results.append(("check_ledger, every town", False, f"{error}: {err.getvalue().strip()[:600]}"))

    with connection.cursor() as cursor:
        cursor.execute("SELECT table_schema FROM information_schema.tables WHERE table_name = 'catalog_variant'")
        schemas = [row[0] for row in cursor.fetchall()]
        union = " UNION ALL ".join(
            f"SELECT '{schema}', COUNT(*) FROM \"{schema}\".catalog_variant WHERE stock < 0" for schema in schemas
        )
        cursor.execute(union)
        negative = [(schema, count) for schema, count in cursor.fetchall() if count]
    results.append(
        (
            "stock never negative (every schema)",
            not negative,
            ", ".join(f"{schema}: {count}" for schema, count in negative) or f"{len(schemas)} schemas, none below 0",
        )
    )

    confirmed: dict[str, set[str]] = defaultdict(set)
    for phase in phases:
        for slug, intent in phase.confirmed:
            confirmed[slug].add(intent)
    unbalanced, wrong_totals, lost, wrong_changes = [], [], [], []
    statuses: Counter[str] = Counter()
    notifications: Counter[str] = Counter()
    scarce_sold = scarce_total = sold_out = 0
    for catalogue in towns:
        with Town.objects.get(slug=catalogue.slug):
            statuses.update(Order.objects.values_list("status", flat=True))
            notifications.update(Notification.objects.values_list("status", flat=True))
            scarce_ids = {item.variant_id for phase in catalogue.scarce for item in phase}
            taken = dict(
                OrderLine.objects.exclude(merchant_order__order__status=OrderStatus.CANCELLED)
                .filter(variant__isnull=False, stock_taken__isnull=False)
                .values_list("variant_id")
                .annotate(units=Sum("stock_taken"))
                .values_list("variant_id", "units")
            )
            for pk, left in Variant.objects.values_list("pk", "stock"):
                initial = catalogue.scarce_stock if pk in scarce_ids else PLENTY
                if initial != (left or 0) + taken.get(pk, 0):
                    unbalanced.append(f"{catalogue.slug} variant {pk}: {initial} ≠ {left} left + {taken.get(pk, 0)}")
                if pk in scarce_ids:
                    scarce_sold += taken.get(pk, 0)
                    scarce_total += initial
                    sold_out += left == 0

            line_sums = dict(
                OrderLine.objects.values_list("merchant_order__order_id")
                .annotate(total=Sum("total_cents"))
                .values_list("merchant_order__order_id", "total")
            )
            merchant_sums = dict(
                MerchantOrder.objects.values_list("order_id")
                .annotate(total=Sum("items_total_cents"))
                .values_list("order_id", "total")
            )
            merchant_line_sums = dict(
                OrderLine.objects.values_list("merchant_order_id")
                .annotate(total=Sum("total_cents"))
                .values_list("merchant_order_id", "total")
            )
            payments = dict(Payment.objects.values_list("order_id", "amount_cents"))
            for pk, total, items, fee in Order.objects.values_list(
                "pk", "total_cents", "items_total_cents", "delivery_fee_cents"
            ):
                if total != items + fee or items != line_sums.get(pk, 0) or items != merchant_sums.get(pk, 0):
                    wrong_totals.append(
                        f"{catalogue.slug} order {pk}: total {total}, items {items}, fee {fee}, "
                        f"lines {line_sums.get(pk, 0)}, merchant orders {merchant_sums.get(pk, 0)}"
                    )
                if pk in payments and payments[pk] != total:
                    wrong_totals.append(f"{catalogue.slug} order {pk}: payment {payments[pk]} ≠ total {total}")
            for pk, items in MerchantOrder.objects.values_list("pk", "items_total_cents"):
                if items != merchant_line_sums.get(pk, 0):
                    wrong_totals.append(f"{catalogue.slug} merchant order {pk}: {items} ≠ lines")

            intents = dict(Payment.objects.values_list("intent_id", "order__status"))
            lost.extend(
                f"{catalogue.slug} {intent} ({intents.get(intent)})"
                for intent in confirmed[catalogue.slug]
                if intents.get(intent) != OrderStatus.PAID
            )
            wrong_changes.extend(
                f"{catalogue.slug} order {pk}: {changes} changes to paid"
                for pk, changes in Order.objects.filter(status=OrderStatus.PAID)
                .annotate(changes=Count("status_changes", filter=Q(status_changes__to_status=OrderStatus.PAID)))
                .values_list("pk", "changes")
                if changes != 1
            )
    print(
        "\norders: " + ", ".join(f"{status} {count}" for status, count in sorted(statuses.items()))
        + "; notifications: " + (", ".join(f"{s} {c}" for s, c in sorted(notifications.items())) or "none")
    )  # fmt: skip
    results.append(
        (
            "initial stock = stock left + units held, every variant (no oversell)",
            not unbalanced,
            "; ".join(unbalanced[:5])
            or f"scarce products: {scarce_sold} of {scarce_total} units sold, {sold_out} sold out",
        )
    )
    results.append(
        (
            "order total = items + fee = Σ lines = Σ merchant orders; payment = total",
            not wrong_totals,
            "; ".join(wrong_totals[:5]) or f"{sum(statuses.values())} orders add up",
        )
    )
    results.append(
        (
            "every payment confirmed at Stripe is a paid order",
            not lost,
            "; ".join(lost[:5]) or f"{sum(len(intents) for intents in confirmed.values())} confirmed, all paid",
        )
    )
    results.append(
        ("one change to paid per paid order", not wrong_changes, "; ".join(wrong_changes[:5]) or "all paid orders")
    )
    return results


# --- main -------------------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: 10 towns, 2 × 30 s, faults at 8 s and 18 s")
    parser.add_argument("--towns", type=int, default=100, help="towns (100)")
    parser.add_argument("--seconds", type=float, default=300.0, help="duration of each phase (300)")
    parser.add_argument("--users", type=int, default=30, help="simulated residents (30)")
    parser.add_argument("--think", type=float, default=1.0, help="mean think time between actions, s (1.0)")
    parser.add_argument("--products", type=int, default=200, help="products per town, over 5 merchants (200)")
    parser.add_argument("--scarce", type=int, default=3, help="scarce products per town and phase (3)")
    parser.add_argument("--scarce-stock", type=int, default=3, help="units of each scarce product (3)")
    parser.add_argument("--scarce-share", type=float, default=0.5, help="share of checkouts wanting one (0.5)")
    parser.add_argument("--db-restart-at", type=float, default=60.0, help="PostgreSQL stopped at t (60)")
    parser.add_argument("--db-down", type=float, default=5.0, help="seconds PostgreSQL stays down (5)")
    parser.add_argument("--worker-kill-at", type=float, default=150.0, help="Celery worker SIGKILLed at t (150)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker (8)")
    parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes (2)")
    parser.add_argument("--warmup", type=float, default=10.0, help="untimed traffic before phase 1, s (10)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    if args.quick:
        args.towns, args.seconds, args.warmup = min(args.towns, 10), min(args.seconds, 30.0), min(args.warmup, 3.0)
        args.db_restart_at, args.worker_kill_at, args.db_down = 8.0, 18.0, min(args.db_down, 3.0)
    if not 0 < args.db_restart_at < args.seconds or not 0 < args.worker_kill_at < args.seconds:
        parser.error("the faults must happen during the phase (0 < --db-restart-at, --worker-kill-at < --seconds)")
    return args


def main() -> None:
    args = parse_args()
    started = time.perf_counter()
    stack = Stack()
    fake = IndexedStripeFake().start()
    try:
        redis_url = stack.start_redis()
        database_url = stack.init_postgres()
        configure_environment(database_url=database_url, redis_url=redis_url, fake_url=fake.url)
        import django

        django.setup()
        from django.db import connection, connections

        migrate_platform(collect_static=True)
        print(
            f"own PostgreSQL {connection.cursor().connection.info.server_version} on port {stack.pg_port}, "
            f"own Redis on port {stack.redis_port}, {os.cpu_count()} cores; logs in {stack.logs}",
            flush=True,
        )
        towns = build_towns(args)
        connections.close_all()
        stack.checkpoint()  # the bulk load flushed now, not in the middle of a phase
        port = stack.start_gunicorn(workers=args.workers, threads=args.threads)
        wait_until_up(port, PLATFORM_DOMAIN)
        stack.start_worker("worker-1", concurrency=args.concurrency)
        stack.wait_for_log("worker-1", " ready.", timeout=120)
        stack.start_beat()
        print(
            f"set-up {time.perf_counter() - started:.0f} s: {len(towns)} towns × {args.products} products; gunicorn "
            f"{args.workers} workers × {args.threads} threads (infra/gunicorn.conf.py, DEBUG off); Celery worker "
            f"prefork × {args.concurrency} and beat; {args.users} users, think time ~{args.think:.1f} s",
            flush=True,
        )
        common = {"args": args, "towns": towns, "port": port, "fake": fake, "stack": stack, "redis_url": redis_url}
        warm = run_phase(0, "warm-up", faults=False, seconds=args.warmup, **common)
        clean = run_phase(0, "1 (clean)", faults=False, seconds=args.seconds, **common)
        print_phase(clean, args, stack)
        print(
            f"\nphase 2: PostgreSQL stopped at t={args.db_restart_at:.0f} s for {args.db_down:.0f} s, "
            f"worker killed at t={args.worker_kill_at:.0f} s",
            flush=True,
        )
        faulty = run_phase(1, "2 (faults)", faults=True, seconds=args.seconds, **common)
        print_phase(faulty, args, stack)

        beat_result = beat_verdict(stack, faulty)
        stack.stop("beat")
        drained = wait_for_queue(redis_url, orphaned=faulty.orphaned, timeout=600)
        missing = paid_orders_without_capture(towns)
        catch_up = catch_up_ledger(towns)
        still_missing = paid_orders_without_capture(towns)
        print(
            f"\nafter the run: queue drained in {drained:.1f} s; paid orders without a capture entry: "
            f"{sum(map(len, missing.values()))} ({', '.join(f'{s}: {ids}' for s, ids in missing.items()) or 'none'}); "
            f"ledger catch-up in every town {catch_up:.1f} s → {sum(map(len, still_missing.values()))} left",
            flush=True,
        )
        if faulty.orphaned:
            print(
                f"   the killed worker's {faulty.orphaned} tasks are still unacknowledged in Redis: kombu gives them "
                "to a worker again only after the visibility timeout (1 h by default); the beat sweeps "
                "(ledger catch-up, pending notifications) do their work meanwhile"
            )
        stack.stop("worker-2")
        stack.stop("gunicorn")
        results = [
            (
                "clean phase: no errors",
                not [r for r in clean.requests if not r[4]],
                f"{sum(not r[4] for r in clean.requests)} errors",
            ),
            *fault_verdicts(faulty),
            beat_result,
            (
                "every paid order has its capture entry (after the catch-up)",
                not still_missing,
                ", ".join(f"{slug}: {ids}" for slug, ids in still_missing.items()) or "all",
            ),
            *check_invariants(towns, [warm, clean, faulty]),
        ]
        tracebacks = (stack.logs / "gunicorn.log").read_text(errors="replace").count("Traceback")
        print("\ninvariants")
        for name, is_ok, detail in results:
            print(f"  {'PASS' if is_ok else 'FAIL'}  {name} — {detail}")
        print(
            f"\ngunicorn log: {tracebacks} tracebacks; logs in {stack.logs}; "
            f"total benchmark time {time.perf_counter() - started:.0f} s"
        )
    except KeyboardInterrupt:
        print("\ninterrupted: stopping every process the benchmark started…", flush=True)
        raise
    finally:
        stack.close()  # gunicorn first: it may still be talking to the fake
        fake.stop()
    if not all(is_ok for _name, is_ok, _detail in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
