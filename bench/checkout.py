"""Benchmark: concurrent buyers checking out and paying through the Stripe fake, then the invariants.

Run:  .venv/bin/python bench/checkout.py                          (50 buyers over two towns for 30 s; ~1 min)
      .venv/bin/python bench/checkout.py --buyers 10 --seconds 10 (smoke)
      .venv/bin/python bench/checkout.py --quick                  (the same smoke run)
      .venv/bin/python bench/checkout.py --database bench_checkout_mine   (another database name)

It works in its own database (``bench_checkout`` unless ``--database`` names another, dropped and recreated) on the server given by
DATABASE_URL, or on the embedded PostgreSQL when DATABASE_URL is unset. It provisions two towns that
collect through Stripe (each its own connected account), each with live click-and-collect merchants
open every day all day and products with tracked stock, a few of them *scarce* (little stock, wanted
by many buyers). The Stripe fake (tests/checkout/stripe_fake.py) runs in this process; gunicorn runs
on 127.0.0.1 with DEBUG off, talking to the fake through STRIPE_API_BASE.

Each buyer is a thread in one town that loops, each purchase as a new resident (fresh cookies and
connection, its own address in X-Forwarded-For: gunicorn stands behind one pretend proxy):
  product page → add 1–3 products (1–2 merchants, sometimes a scarce one) → GET /commande/ →
  POST /commande/ → payment page (creates the PaymentIntent) → the card is accepted (the fake
  confirms the intent, as Stripe.js would) → Stripe's signed `payment_intent.succeeded` webhook on
  the root domain, sometimes delivered twice, sometimes racing the browser's return → /retour/ →
  confirmation page.
Out of stock is a legitimate outcome (a *refusal*: the form comes back with an error, the buyer
empties the basket and starts again); an HTTP 5xx or an unexpected answer is an *error*.

Printed: orders placed and paid, orders/s, p50/p95/p99 checkout latency (POST /commande/ until the
payment page is rendered), p95 full purchase latency, per-step latencies, refusals, HTTP errors.
Then invariants read from each town's database, each PASS or FAIL (exit status 1 on any FAIL):
  * no oversell: no stock below zero, each scarce product sold at most its initial stock, and for
    every tracked variant initial stock = stock left + units held by non-cancelled orders;
  * one payment per paid order: every intent the fake confirmed is a paid order, every paid order
    has exactly one stored `payment_intent.succeeded` event for its intent and exactly one change
    to "paid" in its history (duplicate deliveries acknowledged and ignored);
  * totals: order total = items + delivery fee, items = sum of its lines = sum of its merchant
    orders, each merchant order = sum of its lines, payment amount = order total;
  * no errors during the run (HTTP 5xx, a redirect to another order, any unexpected answer).
Notifications are sent in the request (no broker: Celery eager, e-mail in memory, SMS to the
console), as in the storefront benchmark; their states are printed per town, for information.
gunicorn's output (tracebacks of 5xx answers) goes to a log file named at the end.
"""

from __future__ import annotations

import argparse
import functools
import http.client
import os
import random
import re
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchdb import ms, percentile, production_environment, run_together, serving, set_up_platform
from client import Answer, Browser
from invariants import Stock, lost_payments, totals_that_do_not_add_up, wrong_changes_to_paid
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
    provision_stripe_town,
    refusal_reason,
    send_webhook,
    stripe_environment,
)

BENCH_DB = "bench_checkout"
PLATFORM_DOMAIN = "bench.test"
TOWNS = (("nord", "Bench Nord", "acct_benchnord0001"), ("sud", "Bench Sud", "acct_benchsud00001"))
STEPS = (
    "product", "add", "checkout_form", "checkout_post", "payment_page", "webhook", "webhook_duplicate", "return",
    "confirmation",
)  # fmt: skip


@dataclass
class Stats:
    """What one buyer saw; merged at the end."""

    purchases: int = 0
    placed: int = 0
    paid: int = 0
    checkout_latencies: list[float] = field(default_factory=list)
    purchase_latencies: list[float] = field(default_factory=list)
    step_latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    refusals: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    webhook_outcomes: Counter[str] = field(default_factory=Counter)
    confirmed_intents: list[tuple[str, str]] = field(default_factory=list)  # the card was accepted
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, kind: str, detail: str) -> None:
        self.errors[kind] += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(f"{kind}: {detail[:300]}")

    def merge(self, other: Stats) -> None:
        self.purchases += other.purchases
        self.placed += other.placed
        self.paid += other.paid
        self.checkout_latencies.extend(other.checkout_latencies)
        self.purchase_latencies.extend(other.purchase_latencies)
        for step, values in other.step_latencies.items():
            self.step_latencies[step].extend(values)
        self.refusals.update(other.refusals)
        self.errors.update(other.errors)
        self.error_samples.extend(other.error_samples[: max(0, 10 - len(self.error_samples))])
        self.webhook_outcomes.update(other.webhook_outcomes)
        self.confirmed_intents.extend(other.confirmed_intents)


# --- set-up ---------------------------------------------------------------------------------------
def configure_environment(fake_url: str, database: str) -> None:
    """Production mode over plain HTTP (benchdb.production_environment), with the Stripe fake and no broker."""
    # Behind one reverse proxy, as deployed: each buyer's address is the X-Forwarded-For it sends.
    os.environ["TRUSTED_PROXY_COUNT"] = "1"
    stripe_environment(fake_url)
    os.environ.pop("REDIS_URL", None)
    production_environment(platform_domain=PLATFORM_DOMAIN, database=database)


def build_town(
    slug: str, name: str, account: str, *, merchants: int, products: int, scarce: int, scarce_stock: int, seed: int
) -> TownCatalogue:
    """Provision the town through the real code, switch it to Stripe, and fill its catalogue."""
    import datetime as dt

    from catalog.actions import save_merchant, save_opening_hours, save_product
    from catalog.models import Merchant, MerchantStatus, Product, Variant

    rng = random.Random(seed)
    town = provision_stripe_town(slug=slug, name=name, account=account)
    items: list[Item] = []
    scarce_items: list[Item] = []
    initial_stock: dict[int, int] = {}
    with town:
        shops = []
        for index in range(merchants):
            merchant = save_merchant(
                merchant=Merchant(),
                name=f"Commerce {index + 1} de {name}",
                status=MerchantStatus.LIVE,
                sells_online=True,
                click_and_collect=True,
                city=name,
                email=f"commerce{index + 1}@{slug}.{PLATFORM_DOMAIN}",
                phone=f"03210000{index:02d}",
            )
            # Open every day all day: a pickup window always exists, whatever the hour of the run.
            save_opening_hours(merchant=merchant, periods=[(day, dt.time(0, 0), dt.time(23, 59)) for day in range(7)])
            shops.append(merchant)
        scarce_slots = set(rng.sample(range(products), min(scarce, products)))
        for index in range(products):
            merchant = shops[index % len(shops)]
            is_scarce = index in scarce_slots
            stock = scarce_stock if is_scarce else 100_000
            product = save_product(
                product=Product(merchant=merchant),
                stock=stock,
                title=f"{'Rareté' if is_scarce else 'Produit'} {index + 1}",
                price_cents=rng.randrange(150, 4_000),
                vat_rate=rng.choice((550, 2000)),
                is_published=True,
            )
            variant = Variant.objects.get(product=product)
            item = Item(variant.pk, merchant.pk, f"/commerces/{merchant.slug}/{product.slug}/")
            initial_stock[variant.pk] = stock
            (scarce_items if is_scarce else items).append(item)
    print(
        f"town {slug}: {merchants} merchants, {products} products ({len(scarce_items)} scarce × {scarce_stock} units), "
        f"Stripe account {account}",
        flush=True,
    )
    return TownCatalogue(slug, f"{slug}.{PLATFORM_DOMAIN}", account, items, [scarce_items], initial_stock)


# --- the buyers -----------------------------------------------------------------------------------
class Buyer:
    def __init__(
        self,
        number: int,
        town: TownCatalogue,
        port: int,
        fake: IndexedStripeFake,
        args: argparse.Namespace,
        stats: Stats,
    ) -> None:
        self.number, self.town, self.port, self.fake, self.args, self.stats = number, town, port, fake, args, stats
        self.rng = random.Random(args.seed * 1000 + number)
        self.browser = Browser(port, town.host)
        self.items_by_merchant: dict[int, list[Item]] = {}
        for item in town.items:
            self.items_by_merchant.setdefault(item.merchant_id, []).append(item)

    def timed(self, step: str, method: str, path: str, form: dict[str, str] | None = None) -> Answer:
        answer = self.browser.request(method, path, form)
        self.stats.step_latencies[step].append(answer.seconds)
        if answer.status >= 500:
            raise UnexpectedAnswer(f"{step} {method} {path} → HTTP {answer.status}")
        return answer

    def choose_items(self) -> list[Item]:
        merchants = self.rng.sample(sorted(self.items_by_merchant), self.rng.choice((1, 1, 2)))
        pool = [item for merchant in merchants for item in self.items_by_merchant[merchant]]
        items = self.rng.sample(pool, min(len(pool), self.rng.randint(1, 3)))
        scarce = self.town.scarce[0]
        if scarce and self.rng.random() < self.args.scarce_share:
            items[0] = self.rng.choice(scarce)
        return items

    def run(self, stop_at: float) -> None:
        while time.perf_counter() < stop_at:
            self.stats.purchases += 1
            # Each purchase is another resident: checkouts are rate limited per address and per session
            # (checkout.limits), which 50 buyers looping without think time from one address would hit.
            self.browser.close()
            self.browser = Browser(self.port, self.town.host, ip=next_resident_address())
            items = self.choose_items()
            try:
                self.purchase(items)
            except UnexpectedAnswer as error:
                self.stats.error("http", str(error))
                self.empty_basket(items)
            except (OSError, http.client.HTTPException) as error:
                self.stats.error("connection", f"{type(error).__name__}: {error}")
                self.browser.close()
                self.empty_basket(items)

    def empty_basket(self, items: list[Item]) -> None:
        for item in items:
            try:
                self.browser.request("POST", "/panier/modifier/", {"variant": str(item.variant_id), "remove": "1"})
            except (OSError, http.client.HTTPException):
                self.browser.close()

    def purchase(self, items: list[Item]) -> None:
        started = time.perf_counter()
        # The resident lands on a product page (which also sets the CSRF cookie), then fills the basket.
        answer = self.timed("product", "GET", items[0].path)
        if answer.status != 200:
            raise UnexpectedAnswer(f"product page {items[0].path} → HTTP {answer.status}")
        for item in items:
            quantity = self.rng.choice((1, 1, 2))
            form = {"variant": str(item.variant_id), "quantity": str(quantity), "next": item.path}
            answer = self.timed("add", "POST", "/panier/ajouter/", form)
            if answer.status != 302:
                raise UnexpectedAnswer(f"basket add → HTTP {answer.status}")

        answer = self.timed("checkout_form", "GET", "/commande/")
        if answer.status == 302 and answer.location == "/panier/":
            self.stats.refusals["sold out before reaching the basket"] += 1
            return
        if answer.status != 200:
            raise UnexpectedAnswer(f"GET /commande/ → HTTP {answer.status}")
        form = checkout_form(
            answer.text, self.rng, last_name=f"Acheteur {self.number}", email=f"acheteur{self.number}@exemple.fr"
        )

        checkout_started = time.perf_counter()
        answer = self.timed("checkout_post", "POST", "/commande/", form)
        if answer.status == 200:
            message = form_errors(answer.text)
            if not message:
                raise UnexpectedAnswer("POST /commande/ re-rendered the form without an error")
            self.stats.refusals[refusal_reason(message)] += 1
            self.empty_basket(items)
            return
        payment_path = answer.location
        if answer.status != 302 or not PAYMENT_PATH.match(payment_path):
            raise UnexpectedAnswer(f"POST /commande/ → HTTP {answer.status} {answer.headers.get('location', '')}")
        self.stats.placed += 1
        answer = self.timed("payment_page", "GET", payment_path)
        checkout_finished = time.perf_counter()
        intent_id = payment_intent(answer.text)
        if answer.status != 200 or intent_id is None:
            raise UnexpectedAnswer(
                f"payment page → HTTP {answer.status} without a client secret: {form_errors(answer.text)!r}"
            )
        self.stats.checkout_latencies.append(checkout_finished - checkout_started)

        # The card works: Stripe.js confirms the intent, then Stripe sends its webhook.
        self.fake.succeed(intent_id, account=self.town.account)
        self.stats.confirmed_intents.append((self.town.slug, intent_id))
        event = self.fake.succeeded_events[intent_id]
        deliveries = 2 if self.rng.random() < self.args.duplicate_share else 1
        racing = self.rng.random() < self.args.race_share
        if not racing:
            self.deliver(event)
            deliveries -= 1
        # The rest arrive while the browser comes back from the payment page (Stripe does not wait).
        threads = [threading.Thread(target=self.deliver, args=(event,)) for _ in range(deliveries)]
        for thread in threads:
            thread.start()
        public_id = PAYMENT_PATH.match(payment_path).group(1)
        answer = self.timed("return", "GET", f"/commande/{public_id}/retour/")
        for thread in threads:
            thread.join()
        confirmation = f"/commande/{public_id}/confirmation/"
        location = answer.location
        if answer.status == 302 and location.endswith("/confirmation/") and location != confirmation:
            raise UnexpectedAnswer(f"return for order {public_id} redirected to another order's page: {location}")
        if answer.status != 302 or location != confirmation:
            raise UnexpectedAnswer(
                f"return → HTTP {answer.status} {answer.headers.get('location')!r} (expected {confirmation!r})"
            )
        answer = self.timed("confirmation", "GET", confirmation)
        if answer.status != 200:
            raise UnexpectedAnswer(f"confirmation → HTTP {answer.status}")
        self.stats.paid += 1
        self.stats.purchase_latencies.append(time.perf_counter() - started)

    def deliver(self, event: dict[str, Any]) -> None:
        started = time.perf_counter()
        try:
            status, body = send_webhook(self.port, event, platform_domain=PLATFORM_DOMAIN)
        except OSError as error:
            with self.stats.lock:
                self.stats.error("webhook", f"{type(error).__name__}: {error}")
            return
        elapsed = time.perf_counter() - started
        outcome = re.search(rb'"outcome": ?"([^"]*)"', body)
        label = outcome.group(1).decode() if outcome else "?"
        with self.stats.lock:  # two deliveries of one event may finish at once
            if status != 200:
                self.stats.error("webhook", f"HTTP {status}: {body[:200]!r}")
                return
            self.stats.step_latencies["webhook_duplicate" if label == "duplicate" else "webhook"].append(elapsed)
            self.stats.webhook_outcomes[re.sub(r"\d+", "N", label)] += 1


def warm_up(towns: list[TownCatalogue], port: int, clients: int) -> None:
    """Untimed: every worker thread renders the product, basket and checkout pages once; no order is placed."""

    def visit(town: TownCatalogue, number: int) -> None:
        browser = Browser(port, town.host)
        item = town.items[number % len(town.items)]
        try:
            for _round in range(3):
                browser.request("GET", item.path)
                browser.request("POST", "/panier/ajouter/", {"variant": str(item.variant_id), "quantity": "1"})
                browser.request("GET", "/panier/")
                browser.request("GET", "/commande/")
                browser.request("POST", "/panier/modifier/", {"variant": str(item.variant_id), "remove": "1"})
        finally:
            browser.close()

    threads = [threading.Thread(target=visit, args=(town, n)) for town in towns for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def run_buyers(
    towns: list[TownCatalogue], port: int, fake: IndexedStripeFake, args: argparse.Namespace
) -> tuple[Stats, float]:
    """The buyers for ``args.seconds``; each finishes its purchase in progress. Returns their stats and the wall time."""
    stats = [Stats() for _ in range(args.buyers)]
    buyers = [Buyer(n, towns[n % len(towns)], port, fake, args, stats[n]) for n in range(args.buyers)]

    def run(buyer: Buyer, stop_at: float) -> None:
        try:
            buyer.run(stop_at)
        except Exception as error:  # a bug in this script must not hang the run
            buyer.stats.error("buyer crashed", f"{type(error).__name__}: {error}")
        finally:
            buyer.browser.close()

    elapsed = run_together([functools.partial(run, buyer) for buyer in buyers], args.seconds)
    merged = Stats()
    for one in stats:
        merged.merge(one)
    return merged, elapsed


# --- figures and invariants -----------------------------------------------------------------------
def print_figures(stats: Stats, towns: list[TownCatalogue], args: argparse.Namespace, elapsed: float) -> None:
    print(
        f"\nbuyers {args.buyers} over {len(towns)} towns ({', '.join(t.slug for t in towns)}); "
        f"gunicorn {args.workers} workers × {args.threads} threads; "
        f"duration {args.seconds:.0f} s (+{elapsed - args.seconds:.1f} s to finish purchases in progress)"
    )
    print(
        f"  purchases started {stats.purchases}, orders placed {stats.placed}, orders paid {stats.paid}, "
        f"{stats.paid / elapsed:.1f} orders/s (paid, over {elapsed:.1f} s)"
    )
    checkout = stats.checkout_latencies
    print(
        f"  checkout latency (POST /commande/ → payment page rendered) ms: p50 {ms(percentile(checkout, 0.5))}"
        f"  p95 {ms(percentile(checkout, 0.95))}  p99 {ms(percentile(checkout, 0.99))}  (n={len(checkout)})"
    )
    purchase = stats.purchase_latencies
    print(
        f"  full purchase latency (product page → confirmation) ms: p50 {ms(percentile(purchase, 0.5))}"
        f"  p95 {ms(percentile(purchase, 0.95))}  (n={len(purchase)})"
    )
    print(f"  {'step':<14}{'n':>6} {'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}")
    for step in STEPS:
        values = stats.step_latencies.get(step, [])
        if values:
            print(
                f"  {step:<14}{len(values):>6} {ms(percentile(values, 0.5))}"
                f" {ms(percentile(values, 0.95))} {ms(max(values))}"
            )
    refusals = ", ".join(f"{reason} × {count}" for reason, count in stats.refusals.most_common()) or "none"
    print(f"  refusals (legitimate): {refusals}")
    outcomes = ", ".join(f"{outcome} × {count}" for outcome, count in stats.webhook_outcomes.most_common()) or "none"
    print(f"  webhook deliveries: {outcomes}")
    errors = ", ".join(f"{kind} × {count}" for kind, count in stats.errors.most_common()) or "none"
    print(f"  HTTP errors: {sum(stats.errors.values())} ({errors})")
    for sample in stats.error_samples[:10]:
        print(f"    {sample}")


def check_invariants(towns: list[TownCatalogue], stats: Stats) -> list[tuple[str, bool, str]]:
    """Each invariant with PASS/FAIL and a detail, read from each town's schema."""
    from django.db.models import Sum

    from catalog.models import Variant
    from checkout.models import Notification, Order, OrderLine, OrderStatus, StatusChange
    from payments.models import WebhookEvent
    from tenants.models import Town

    results: list[tuple[str, bool, str]] = []
    confirmed = defaultdict(set)
    for slug, intent_id in stats.confirmed_intents:
        confirmed[slug].add(intent_id)
    for catalogue in towns:
        town = Town.objects.get(slug=catalogue.slug)
        with town:
            orders = Order.objects.all()
            statuses = Counter(orders.values_list("status", flat=True))
            notifications = Counter(Notification.objects.values_list("status", flat=True))
            print(
                f"\n{catalogue.slug}: orders "
                + ", ".join(f"{status} {count}" for status, count in sorted(statuses.items()))
                + "; notifications "
                + (", ".join(f"{status} {count}" for status, count in sorted(notifications.items())) or "none")
            )

            # No oversell.
            negative = Variant.objects.filter(stock__lt=0).count()
            results.append((f"{catalogue.slug}: no stock below zero", negative == 0, f"{negative} variants below zero"))
            held = dict(
                OrderLine.objects.exclude(merchant_order__order__status=OrderStatus.CANCELLED)
                .filter(variant__isnull=False)
                .values_list("variant_id")
                .annotate(units=Sum("quantity"))
                .values_list("variant_id", "units")
            )
            oversold = []
            for item in catalogue.scarce_items:
                sold = held.get(item.variant_id, 0)
                if sold > catalogue.initial_stock[item.variant_id]:
                    oversold.append(
                        f"variant {item.variant_id}: {sold} sold of {catalogue.initial_stock[item.variant_id]}"
                    )
            scarce_sold = sum(int(held.get(item.variant_id, 0)) for item in catalogue.scarce_items)
            scarce_total = sum(catalogue.initial_stock[item.variant_id] for item in catalogue.scarce_items)
            results.append(
                (
                    f"{catalogue.slug}: scarce products sold ≤ initial stock",
                    not oversold,
                    "; ".join(oversold) or f"{scarce_sold} of {scarce_total} scarce units sold",
                )
            )
            unbalanced = Stock.read().unbalanced(catalogue.initial_stock)
            results.append(
                (
                    f"{catalogue.slug}: initial stock = stock left + units held",
                    not unbalanced,
                    "; ".join(unbalanced[:5]) or f"{len(catalogue.initial_stock)} variants balance",
                )
            )

            # One payment event and one "paid" change per paid order; no confirmed payment lost.
            lost = lost_payments(confirmed[catalogue.slug])
            results.append(
                (
                    f"{catalogue.slug}: every payment confirmed by Stripe is a paid order",
                    not lost,
                    ", ".join(lost[:5]) or f"{len(confirmed[catalogue.slug])} paid",
                )
            )
            events = Counter(
                WebhookEvent.objects.filter(type="payment_intent.succeeded").values_list("object_id", flat=True)
            )
            paid = list(Order.objects.filter(status=OrderStatus.PAID).values_list("pk", "payment__intent_id"))
            wrong_events = [
                f"order {pk}: {events.get(intent, 0)} events" for pk, intent in paid if events.get(intent, 0) != 1
            ]
            results.append(
                (
                    f"{catalogue.slug}: one payment_intent.succeeded event per paid order",
                    not wrong_events,
                    "; ".join(wrong_events[:5]) or f"{len(paid)} paid orders, {sum(events.values())} events stored",
                )
            )
            paid_count, wrong_changes = wrong_changes_to_paid()
            results.append(
                (
                    f"{catalogue.slug}: one status change to paid per paid order",
                    not wrong_changes,
                    "; ".join(wrong_changes[:5]) or f"{paid_count} paid orders",
                )
            )
            orphan_changes = StatusChange.objects.filter(to_status=OrderStatus.PAID).exclude(
                order__status=OrderStatus.PAID
            )
            results.append(
                (
                    f"{catalogue.slug}: no change to paid on an order that is not paid",
                    not orphan_changes.exists(),
                    f"{orphan_changes.count()} such changes",
                )
            )

            # Totals add up.
            wrong_totals = totals_that_do_not_add_up()
            results.append(
                (
                    f"{catalogue.slug}: order totals = sum of lines = sum of merchant orders",
                    not wrong_totals,
                    "; ".join(wrong_totals[:5]) or f"{orders.count()} orders add up",
                )
            )
    server_errors = sum(stats.errors.values())
    results.append(("no errors (HTTP 5xx, unexpected answers)", server_errors == 0, f"{server_errors} errors"))
    return results


def server_log_summary(log: Path) -> str:
    text = log.read_text(errors="replace") if log.exists() else ""
    tracebacks = text.count("Traceback")
    return f"gunicorn log {log}: {len(text.splitlines())} lines, {tracebacks} tracebacks"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--buyers", type=int, default=50, help="concurrent buyers, split over the two towns (50)")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long buyers start new purchases (30)")
    parser.add_argument("--merchants", type=int, default=20, help="live merchants per town (20)")
    parser.add_argument("--products", type=int, default=200, help="products per town (200)")
    parser.add_argument("--scarce", type=int, default=5, help="scarce products per town (5)")
    parser.add_argument("--scarce-stock", type=int, default=10, help="units of each scarce product (10)")
    parser.add_argument("--scarce-share", type=float, default=0.4, help="share of purchases with a scarce product")
    parser.add_argument("--duplicate-share", type=float, default=0.2, help="share of webhooks delivered twice")
    parser.add_argument("--race-share", type=float, default=0.5, help="share of webhooks racing the browser return")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (2: one per core)")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker (8)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--quick", action="store_true", help="smoke run: 10 buyers for 10 s")
    parser.add_argument("--database", default=BENCH_DB, help=f"database to drop and recreate ({BENCH_DB})")
    args = parser.parse_args()
    if args.quick:
        args.buyers, args.seconds = 10, 10.0

    fake = IndexedStripeFake().start()
    configure_environment(fake.url, args.database)
    started = time.perf_counter()
    print(
        f"PostgreSQL {set_up_platform(collect_static=True)}, {os.cpu_count()} cores; "
        f"gunicorn {args.workers} workers × {args.threads} threads (gthread), DEBUG off; Stripe fake {fake.url}",
        flush=True,
    )
    from django.db import connections

    towns = [
        build_town(
            slug,
            name,
            account,
            merchants=args.merchants,
            products=args.products,
            scarce=args.scarce,
            scarce_stock=args.scarce_stock,
            seed=args.seed + index,
        )
        for index, (slug, name, account) in enumerate(TOWNS)
    ]
    connections.close_all()

    log = Path(tempfile.mkdtemp(prefix="comptoir-bench-checkout-")) / "gunicorn.log"
    try:
        with serving(workers=args.workers, threads=args.threads, host=PLATFORM_DOMAIN, log=log) as port:
            warm_up(towns, port, clients=args.workers * args.threads)
            print(
                f"setup {time.perf_counter() - started:.0f} s; {args.buyers} buyers for {args.seconds:.0f} s…",
                flush=True,
            )
            cpu_before = os.times()
            stats, elapsed = run_buyers(towns, port, fake, args)
            cpu_after = os.times()
    finally:
        fake.stop()
    print_figures(stats, towns, args, elapsed)
    own = (cpu_after.user + cpu_after.system) - (cpu_before.user + cpu_before.system)
    server_cpu = os.times().children_user + os.times().children_system
    print(
        f"  CPU: buyers + Stripe fake {own:.1f} s during the {elapsed:.1f} s run; gunicorn {server_cpu:.1f} s "
        f"(set-up and warm-up included) — all on the same {os.cpu_count()} cores, with PostgreSQL"
    )
    results = check_invariants(towns, stats)
    print("\ninvariants")
    for name, is_ok, detail in results:
        print(f"  {'PASS' if is_ok else 'FAIL'}  {name} — {detail}")
    print(f"\n{server_log_summary(log)}")
    print(f"total benchmark time {time.perf_counter() - started:.0f} s; database {args.database} left for inspection")
    if not all(is_ok for _name, is_ok, _detail in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
