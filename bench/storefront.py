"""Benchmark: storefront latency and throughput over gunicorn, at a normal and at a stress catalogue size.

Run:  .venv/bin/python bench/storefront.py            (full: 150 merchants × 10,000 products, then
                                                       2,500 merchants / 42,000 products; ~10 min)
      .venv/bin/python bench/storefront.py --quick    (smoke: 30 merchants / 1,000 products and
                                                       100 merchants / 3,000 products)
      .venv/bin/python bench/storefront.py --database bench_storefront_mine   (another database name)

It works in its own database (``comptoir_bench_storefront`` unless ``--database`` names another,
dropped and recreated) on the server given by DATABASE_URL, or on the embedded PostgreSQL when
DATABASE_URL is unset. It builds two towns
with the demo generator (``demo.catalog``), starts gunicorn on 127.0.0.1 with DEBUG off, and for
each town prints, per page type (home, directory, merchant, category, product, search with exact,
accented and misspelled queries):
  * p50 / p95 / max latency of sequential requests (time to the last byte, keep-alive, loopback);
  * requests per second with 10 concurrent clients for a bounded duration, and p95 under that load;
  * HTTP status counts — any non-200 answer makes the benchmark fail (exit status 1).
Targets (issue 3): search p95 < 50 ms and pages p95 < 80 ms at 10,000 products, within 2× at 42,000.
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import quote

from benchdb import ms, percentile, production_environment, run_together, serving, set_up_platform
from client import Connection

BENCH_DB = "comptoir_bench_storefront"
PLATFORM_DOMAIN = "bench.localhost"
SEARCH_QUERIES = (
    # exact
    "pain", "chaussures", "fromage", "miel", "pâtes", "pain de campagne",
    # accents typed or not
    "éclair", "eclair", "côte de bœuf", "cote de boeuf", "crème", "creme",
    # misspelled
    "boulangrie", "chausure", "fromgae", "crevete", "choclat",
)  # fmt: skip
PAGE_TYPES = ("home", "directory", "merchant", "category", "product", "search")
CLIENT_TIMEOUT = 30  # seconds


@dataclass(frozen=True)
class TownSize:
    slug: str
    merchants: int
    products: int
    supermarket_products: int
    target_factor: float  # 1 at the normal size, 2 (allowed slowdown) for the stress town


@dataclass
class Measure:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)


def build_town(size: TownSize) -> float:
    """Provision the town and fill its catalogue; returns the generation time in seconds."""
    from django.db import connection

    from demo.catalog import generate_catalogue
    from tenants.actions import provision_town

    town = provision_town(slug=size.slug, name=f"Bench {size.slug}").town
    with town:
        result = generate_catalogue(
            merchants=size.merchants,
            products=size.products,
            supermarket_products=size.supermarket_products,
            profile="calais",
            seed=2026,
        )
        with connection.cursor() as cursor:
            # A live site has statistics and a visibility map (autovacuum); a fresh bulk load does not.
            for table in ("catalog_merchant", "catalog_product", "catalog_variant", "catalog_category"):
                cursor.execute(f"VACUUM ANALYZE {town.schema_name}.{table}")
    print(
        f"town {size.slug}: {result.merchants} merchants, {result.products} products "
        f"({result.published_products} published) generated in {result.seconds:.1f} s",
        flush=True,
    )
    return result.seconds


def sample_paths(slug: str, rng: random.Random, count: int) -> dict[str, list[str]]:
    """Real URLs of each page type, drawn from what residents can see in the town."""
    from catalog.models import Category, MerchantStatus, Product
    from catalog.queries import live_merchants, published_products
    from tenants.models import Town

    with Town.objects.get(slug=slug):
        merchants = list(live_merchants().values_list("slug", flat=True))
        products = list(
            published_products()
            .filter(merchant__status=MerchantStatus.LIVE)
            .order_by("?")
            .values_list("merchant__slug", "slug")[:count]
        )
        used = set(Product.objects.filter(is_published=True).values_list("category_id", flat=True))
        categories = [
            slug
            for pk, parent, slug in Category.objects.values_list("pk", "parent_id", "slug")
            if pk in used or not parent
        ]
    return {
        "home": ["/"],
        "directory": ["/commerces/", "/commerces/?page=2", "/commerces/?type=shop", "/commerces/?type=restaurant"],
        "merchant": [f"/commerces/{merchant}/" for merchant in rng.sample(merchants, min(count, len(merchants)))],
        "category": [f"/categories/{category}/" for category in categories],
        "product": [f"/commerces/{merchant}/{product}/" for merchant, product in products],
        "search": [f"/recherche/?q={quote(query)}" for query in SEARCH_QUERIES],
    }


def count_queries(host: str, paths: dict[str, list[str]]) -> dict[str, int]:
    """SQL queries per page type (one in-process request each): they must not grow with the catalogue."""
    from django.db import connection
    from django.test import Client as DjangoClient
    from django.test.utils import CaptureQueriesContext

    counts = {}
    client = DjangoClient(HTTP_HOST=host)
    for kind, kind_paths in paths.items():
        client.get(kind_paths[0])  # first hit fills per-process caches
        with CaptureQueriesContext(connection) as queries:
            client.get(kind_paths[-1])
        counts[kind] = len(queries)
    connection.set_schema_to_public()
    return counts


def measure_sequential(client: Connection, host: str, paths: list[str], requests: int) -> Measure:
    measure = Measure()
    for index in range(requests):
        answer = client.request("GET", host, paths[index % len(paths)])
        measure.statuses[answer.status] += 1
        measure.latencies.append(answer.seconds)
    return measure


def measure_concurrent(port: int, host: str, paths: list[str], clients: int, seconds: float) -> tuple[Measure, float]:
    """``clients`` threads loop over ``paths`` for ``seconds``; returns the merged measure and req/s."""
    measures = [Measure() for _ in range(clients)]

    def run(measure: Measure, offset: int, stop_at: float) -> None:
        client = Connection(port, timeout=CLIENT_TIMEOUT)
        index = offset
        while time.perf_counter() < stop_at:
            answer = client.request("GET", host, paths[index % len(paths)])
            measure.statuses[answer.status] += 1
            measure.latencies.append(answer.seconds)
            index += 1

    elapsed = run_together([functools.partial(run, measure, n * 7) for n, measure in enumerate(measures)], seconds)
    merged = Measure()
    for measure in measures:
        merged.latencies.extend(measure.latencies)
        merged.statuses.update(measure.statuses)
    return merged, len(merged.latencies) / elapsed


def statuses(counter: Counter[int]) -> str:
    return " ".join(f"{status}×{count}" for status, count in sorted(counter.items()))


def bench_town(size: TownSize, port: int, args: argparse.Namespace, rng: random.Random) -> list[str]:
    """Measure one town; returns the names of the page types that failed (non-200 or over target)."""
    host = f"{size.slug}.{PLATFORM_DOMAIN}"
    paths = sample_paths(size.slug, rng, count=args.requests)
    queries = count_queries(host, paths)
    client = Connection(port, timeout=CLIENT_TIMEOUT)
    for kind in PAGE_TYPES:  # warm both workers' connections, caches and templates
        measure_sequential(client, host, paths[kind], args.warmup)
    page_target, search_target = 0.080 * size.target_factor, 0.050 * size.target_factor
    print(
        f"\n{host}: {size.merchants} merchants, {size.products} products — "
        f"targets p95 < {page_target * 1000:.0f} ms (pages), < {search_target * 1000:.0f} ms (search)"
    )
    print(
        f"  {'page':<10}{'n':>5} {'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}  {'target':<7}"
        f"{'req/s@' + str(args.concurrency):>10}{'p95@' + str(args.concurrency):>9}{'SQL':>5}  statuses"
    )
    failures: list[str] = []
    everything: list[str] = []
    for kind in PAGE_TYPES:
        sequential = measure_sequential(client, host, paths[kind], args.requests)
        loaded, rate = measure_concurrent(port, host, paths[kind], args.concurrency, args.duration)
        everything.extend(paths[kind])
        target = search_target if kind == "search" else page_target
        p95 = percentile(sequential.latencies, 0.95)
        all_statuses = sequential.statuses + loaded.statuses
        verdict = "ok" if p95 < target else "MISSED"
        if set(all_statuses) != {200}:
            verdict = "ERRORS"
        if verdict != "ok":
            failures.append(f"{size.slug}/{kind} ({verdict})")
        print(
            f"  {kind:<10}{len(sequential.latencies):>5} {ms(statistics.median(sequential.latencies))} {ms(p95)}"
            f" {ms(max(sequential.latencies))}  {verdict:<7}{rate:>10.1f} {ms(percentile(loaded.latencies, 0.95))}"
            f"{queries[kind]:>5}  {statuses(all_statuses)}",
            flush=True,
        )
    rng.shuffle(everything)
    mixed, rate = measure_concurrent(port, host, everything, args.concurrency, args.duration)
    print(
        f"  {'mixed':<10}{len(mixed.latencies):>5} {ms(statistics.median(mixed.latencies))}"
        f" {ms(percentile(mixed.latencies, 0.95))} {ms(max(mixed.latencies))}  {'':<7}{rate:>10.1f}"
        f" {'':>8}{'':>5}  {statuses(mixed.statuses)}  (all page types at concurrency {args.concurrency})"
    )
    if set(mixed.statuses) != {200}:
        failures.append(f"{size.slug}/mixed (ERRORS)")
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: small towns, fewer requests")
    parser.add_argument("--requests", type=int, default=200, help="sequential requests per page type (200)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests per page type first (10)")
    parser.add_argument("--concurrency", type=int, default=10, help="concurrent clients (10)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of each concurrent run (10)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (2: one per core)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (4)")
    parser.add_argument("--database", default=BENCH_DB, help=f"database to drop and recreate ({BENCH_DB})")
    args = parser.parse_args()
    towns = [TownSize("bench", 150, 10_000, 3_000, 1.0), TownSize("stress", 2_500, 42_000, 5_000, 2.0)]
    if args.quick:
        towns = [TownSize("bench", 30, 1_000, 300, 1.0), TownSize("stress", 100, 3_000, 500, 2.0)]
        args.requests, args.duration = min(args.requests, 50), min(args.duration, 3.0)

    production_environment(platform_domain=PLATFORM_DOMAIN, database=args.database)
    started = time.perf_counter()
    print(
        f"PostgreSQL {set_up_platform(collect_static=True)}, {os.cpu_count()} cores; "
        f"gunicorn {args.workers} workers × {args.threads} threads (gthread), DEBUG off",
        flush=True,
    )
    from django.db import connections

    for size in towns:
        build_town(size)
    connections.close_all()

    failures: list[str] = []
    host = f"{towns[0].slug}.{PLATFORM_DOMAIN}"
    with serving(workers=args.workers, threads=args.threads, host=host) as port:
        rng = random.Random(7)
        for size in towns:
            failures.extend(bench_town(size, port, args, rng))
            connections.close_all()
    print(f"\ntotal benchmark time {time.perf_counter() - started:.0f} s; database {args.database} left for inspection")
    if failures:
        print("NOT MET: " + ", ".join(failures))
        sys.exit(1)
    print("all targets met, every answer 200")


if __name__ == "__main__":
    main()
