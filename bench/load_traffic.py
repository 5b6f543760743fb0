"""The simulated residents of bench/load.py: browsing, searching and buying in many towns over one
gunicorn, Stripe's side of the payments (the in-process fake, webhooks redelivered with backoff), and
what they saw, request by request."""

from __future__ import annotations

import argparse
import heapq
import http.client
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from client import Answer, Connection
from shop import (
    PAYMENT_PATH,
    IndexedStripeFake,
    Item,
    TownCatalogue,
    UnexpectedAnswer,
    checkout_form,
    form_errors,
    next_resident_address,
    payment_intent,
    refusal_reason,
    send_webhook,
)
from storefront import SEARCH_QUERIES

PLATFORM_DOMAIN = "load.test"
BROWSE_PAGES = (("home", 0.15), ("directory", 0.15), ("merchant", 0.20), ("category", 0.15), ("product", 0.35))
QUEUE = "comptoir"  # settings.CELERY_TASK_DEFAULT_QUEUE


def waiting_tasks(client: Any) -> int:
    """Tasks waiting in the Celery queue (kombu keeps priorities 3, 6 and 9 in lists of their own)."""
    return sum(client.llen(name) for name in (QUEUE, *(f"{QUEUE}\x06\x16{p}" for p in (3, 6, 9))))


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


class Session:
    """A resident's connection to gunicorn (bench/client.py); each request names its town, is recorded
    under its kind, and raises UnexpectedAnswer on no answer, a 5xx or any status not expected."""

    def __init__(self, port: int, stats: PhaseStats, origin: float) -> None:
        self.connection = Connection(port)
        self.stats, self.origin = stats, origin
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
        ip: str = "",
        expect: tuple[int, ...] = (200,),
    ) -> Answer:
        started = self.now()
        try:
            answer = self.connection.request(method, host, path, form=form, cookies=cookies, ip=ip)
        except (http.client.HTTPException, OSError) as error:
            self.records.append((started, self.now(), kind, 0, False))
            self.stats.error(started, f"{kind} {method} {host}{path}: no answer ({type(error).__name__})")
            raise UnexpectedAnswer(f"{kind}: {error}") from error
        ended = self.now()
        is_ok = answer.status in expect
        self.records.append((started, ended, kind, answer.status, is_ok))
        if not is_ok:
            self.stats.error(started, f"{kind} {method} {host}{path} → HTTP {answer.status}")
            raise UnexpectedAnswer(f"{kind} → HTTP {answer.status}")
        return answer

    def close(self) -> None:
        self.connection.close()


def webhook_status(port: int, event: dict[str, Any]) -> int:
    """Stripe's delivery of ``event``: the HTTP status, 0 when gunicorn did not answer."""
    try:
        status, _body = send_webhook(port, event, platform_domain=PLATFORM_DOMAIN)
    except OSError:
        return 0
    return status


class WebhookRetrier:
    """Stripe's side: a webhook answered with an error (or not at all) is sent again later, with backoff."""

    DELAYS = (1, 2, 4, 8, 16, 32, 64)

    def __init__(self, port: int, stats: PhaseStats, origin: float) -> None:
        self.port, self.stats, self.origin = port, stats, origin
        self.heap: list[tuple[float, int, int, dict[str, Any]]] = []
        self.records: list[tuple[float, float, str, int, bool]] = []
        self.condition = threading.Condition()
        self.counter = 0
        self.in_flight = 0
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
                self.in_flight += 1
            started = time.perf_counter() - self.origin
            status = webhook_status(self.port, event)
            ended = time.perf_counter() - self.origin
            self.records.append((started, ended, "webhook_retry", status, status == 200))
            if status != 200:
                self.stats.error(started, f"webhook_retry attempt {attempt + 1} → {status or 'no answer'}")
                if attempt + 1 < len(self.DELAYS):
                    self.schedule(event, attempt + 1)
            with self.condition:
                self.in_flight -= 1

    def drain(self, timeout: float) -> int:
        """Wait until every redelivery is done (or ``timeout``); returns how many are still due."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.condition:
                if not self.heap and not self.in_flight:
                    break
            time.sleep(0.5)
        with self.condition:
            self.is_stopping = True
            left = len(self.heap)
            self.heap.clear()
            self.condition.notify()
        self.thread.join(timeout=70)
        return left


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
            "merchant": self.rng.choice(town.pages["merchant"]),
            "category": self.rng.choice(town.pages["category"]),
            "product": self.rng.choice(town.pages["product"]),
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
        """A new buyer (no cookies, an address of its own) from the product page to the confirmation page."""
        stats = self.context.stats
        with stats.lock:
            stats.journeys["started"] += 1
        # Checkouts are rate limited per address (checkout.limits): each buyer comes from an address of
        # its own, as residents do, not all from the benchmark's loopback address.
        cookies: dict[str, str] = {}
        ip = next_resident_address()

        def request(kind: str, host: str, method: str, path: str, **options: Any) -> Answer:
            return self.session.request(kind, host, method, path, cookies=cookies, ip=ip, **options)

        items = self.choose_items(town)
        request("product", town.host, "GET", items[0].path)
        for item in items:
            form = {"variant": str(item.variant_id), "quantity": "1", "next": item.path}
            request("basket_add", town.host, "POST", "/panier/ajouter/", form=form, expect=(302,))
        answer = request("checkout_form", town.host, "GET", "/commande/", expect=(200, 302))
        if answer.status == 302:
            if answer.location != "/panier/":
                stats.error(self.session.now(), f"GET /commande/ redirected to {answer.headers.get('location')}")
                raise UnexpectedAnswer("checkout form redirect")
            with stats.lock:
                stats.refusals["sold out before the checkout page"] += 1
            return
        try:
            form = checkout_form(
                answer.text, self.rng, last_name=f"Habitant {self.number}", email=f"habitant{self.number}@exemple.fr"
            )
        except UnexpectedAnswer as error:
            stats.error(self.session.now(), f"{error} in {town.slug}")
            raise
        answer = request("checkout", town.host, "POST", "/commande/", form=form, expect=(200, 302))
        payment_path = answer.location
        if answer.status == 200:
            message = form_errors(answer.text)
            if not message:
                stats.error(self.session.now(), "POST /commande/ re-rendered the form without an error")
                raise UnexpectedAnswer("checkout form without error")
            with stats.lock:
                stats.refusals[refusal_reason(message)] += 1
            return
        if not PAYMENT_PATH.match(payment_path):
            stats.error(self.session.now(), f"POST /commande/ redirected to {payment_path}")
            raise UnexpectedAnswer("checkout redirect")
        answer = request("payment", town.host, "GET", payment_path)
        intent_id = payment_intent(answer.text)
        if intent_id is None:
            stats.error(self.session.now(), f"payment page without a client secret in {town.slug}")
            raise UnexpectedAnswer("no client secret")
        # The card works: Stripe.js confirms the intent; Stripe then sends its webhook.
        fake = self.context.fake
        fake.succeed(intent_id, account=town.account)
        with stats.lock:
            stats.confirmed.append((town.slug, intent_id))
        event = fake.succeeded_events[intent_id]
        started = self.session.now()
        status = webhook_status(self.context.port, event)
        self.session.records.append((started, self.session.now(), "webhook", status, status == 200))
        if status != 200:
            stats.error(started, f"webhook {town.slug} {intent_id} → {status or 'no answer'}")
            self.context.retrier.schedule(event, 0)
        public_id = PAYMENT_PATH.match(payment_path).group(1)
        confirmation = f"/commande/{public_id}/confirmation/"
        answer = request("return", town.host, "GET", f"/commande/{public_id}/retour/", expect=(302,))
        if answer.location != confirmation:
            stats.error(self.session.now(), f"return redirected to {answer.headers.get('location')} not {confirmation}")
            raise UnexpectedAnswer("return redirect")
        request("confirmation", town.host, "GET", confirmation)
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
        return waiting_tasks(self.client), self.client.hlen("unacked")

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
