"""Benchmark: the sitemap index and its pages over gunicorn, cold (just after a catalogue change) and warm.

Run:  .venv/bin/python bench/sitemap.py                 (150 merchants × 10,000 products; ~3 min)
      .venv/bin/python bench/sitemap.py --quick         (30 merchants × 1,000 products)
      options: --redis redis://127.0.0.1:6379/N (the shared cache; default $REDIS_URL, else
               redis://127.0.0.1:6379/0), --rounds 10 (cold rounds), --requests 200 (warm, per address),
               --database bench_sitemap_mine (another database name)

Like bench/storefront.py it works in its own database (``comptoir_bench_sitemap`` unless
``--database`` names another, dropped and recreated) and starts gunicorn with DEBUG off; the cache
is Redis, as in production, so that this process can give the town's catalogue a new version
(``bump_catalogue_version``) the way a change does.
It prints, for the index, the first and the last page of products:
  * cold: p50 / p95 / max of the first request after each catalogue change (the page is rebuilt);
  * warm: p50 / p95 / max of sequential requests (answered from the cache; target p95 < 50 ms);
  * the home page's p95 alone, and while 8 clients fetch the sitemap at once just after a change
    (the issue: eight uncached sitemaps made the home page take 11.8 s).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time

from benchdb import ms, percentile, production_environment, serving, set_up_platform
from client import Connection
from storefront import CLIENT_TIMEOUT, TownSize, build_town

BENCH_DB = "comptoir_bench_sitemap"
PLATFORM_DOMAIN = "bench.localhost"
WARM_TARGET = 0.050


def bump(slug: str) -> None:
    """A catalogue change, as the catalogue's actions make one (outside a transaction: at once)."""
    from catalog.cache import bump_catalogue_version
    from tenants.models import Town

    with Town.objects.get(slug=slug):
        bump_catalogue_version()


def figures(latencies: list[float]) -> str:
    return f"{ms(statistics.median(latencies))} {ms(percentile(latencies, 0.95))} {ms(max(latencies))}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 products instead of 10,000")
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    parser.add_argument("--rounds", type=int, default=10, help="cold rounds (one catalogue change each)")
    parser.add_argument("--requests", type=int, default=200, help="warm requests per address")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database", default=BENCH_DB, help=f"database to drop and recreate ({BENCH_DB})")
    args = parser.parse_args()
    size = TownSize("bench", 30, 1_000, 300, 1.0) if args.quick else TownSize("bench", 150, 10_000, 3_000, 1.0)

    os.environ["REDIS_URL"] = args.redis
    os.environ["CACHE_KEY_PREFIX"] = "comptoir-bench-sitemap"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"  # no worker here: nothing may wait in the broker
    production_environment(platform_domain=PLATFORM_DOMAIN, database=args.database)
    set_up_platform(collect_static=True)
    from django.db import connections

    from catalog.queries import published_products
    from catalog.sitemaps import SITEMAP_PAGE_SIZE
    from tenants.models import Town

    build_town(size)
    with Town.objects.get(slug=size.slug):
        pages = max(1, -(-published_products().count() // SITEMAP_PAGE_SIZE))
    connections.close_all()
    addresses = {"index": "/sitemap.xml", "products p1": "/sitemap-products.xml"}
    if pages > 1:
        addresses[f"products p{pages}"] = f"/sitemap-products.xml?p={pages}"

    host = f"{size.slug}.{PLATFORM_DOMAIN}"
    failures: list[str] = []
    with serving(workers=args.workers, threads=args.threads, host=host) as port:
        client = Connection(port, timeout=CLIENT_TIMEOUT)

        def get(path: str) -> float:
            answer = client.request("GET", host, path)
            assert answer.status == 200, (path, answer.status)
            return answer.seconds

        for path in [*addresses.values(), "/"]:
            get(path)
        cold: dict[str, list[float]] = {name: [] for name in addresses}
        for _ in range(args.rounds):
            bump(size.slug)
            for name, path in addresses.items():
                cold[name].append(get(path))
        warm: dict[str, list[float]] = {name: [] for name in addresses}
        for name, path in addresses.items():
            for _ in range(args.requests):
                warm[name].append(get(path))

        home_alone = [client.request("GET", host, "/").seconds for _ in range(50)]
        bump(size.slug)
        home_loaded: list[float] = []
        stop = threading.Event()

        def crawler(offset: int) -> None:
            own = Connection(port, timeout=CLIENT_TIMEOUT)
            paths = list(addresses.values())
            index = offset
            while not stop.is_set():
                own.request("GET", host, paths[index % len(paths)])
                index += 1

        crawlers = [threading.Thread(target=crawler, args=(n,)) for n in range(8)]
        for thread in crawlers:
            thread.start()
        started = time.perf_counter()
        while time.perf_counter() - started < 5:
            home_loaded.append(client.request("GET", host, "/").seconds)
        stop.set()
        for thread in crawlers:
            thread.join()

    print(
        f"\n{host}: {size.merchants} merchants, {size.products} products, {pages} page(s) of products "
        f"({SITEMAP_PAGE_SIZE} addresses each); gunicorn {args.workers}×{args.threads}, Redis cache"
    )
    print(f"  {'address':<14}{'cold p50':>9}{'p95':>8}{'max':>8}   {'warm p50':>9}{'p95':>8}{'max':>8}  warm target")
    for name in addresses:
        verdict = "ok" if percentile(warm[name], 0.95) < WARM_TARGET else "MISSED"
        if verdict != "ok":
            failures.append(name)
        print(f"  {name:<14} {figures(cold[name])}    {figures(warm[name])}  {verdict}")
    print(f"  home page alone: p95 {ms(percentile(home_alone, 0.95))} ms")
    print(
        f"  home page while 8 clients fetch the sitemap just after a change: p95 "
        f"{ms(percentile(home_loaded, 0.95))} ms, max {ms(max(home_loaded))} ms ({len(home_loaded)} requests)"
    )
    if failures:
        print("NOT MET (warm p95 < 50 ms): " + ", ".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
