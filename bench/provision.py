"""Benchmark: how fast a town is provisioned, and how migrations scale with the number of towns.

Run:  .venv/bin/python bench/provision.py            (full: 500 towns, ~10 min on 2 cores)
      .venv/bin/python bench/provision.py --quick    (smoke: 60 towns)
      .venv/bin/python bench/provision.py --database bench_provision_mine   (another database name)

It works in its own database (``comptoir_bench`` unless ``--database`` names another, dropped and
recreated) on the server given by DATABASE_URL, or on the embedded PostgreSQL when DATABASE_URL is unset, and prints:
  * provisioning time per town via the spare pool (rename), the template clone and migrate-from-zero
    (median and p95 over --samples towns each);
  * the fast path as the number of existing towns grows (0, 100, 500);
  * a no-op ``migrate_schemas`` over every town, with the skip-at-head executor, against
    django-tenants' standard executor timed on a sample and extrapolated.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import multiprocessing
import os
import statistics
import time

from benchdb import benchmark_environment, percentile

BENCH_DB = "comptoir_bench"


def configure_environment(database: str) -> None:
    """Point Django at a dedicated benchmark database before settings are read."""
    os.environ.setdefault("PLATFORM_DOMAIN", "bench.localhost")
    benchmark_environment(database)  # no spare towns: refills are done (untimed) by the benchmark itself


def summary(label: str, seconds: list[float]) -> str:
    return (
        f"{label:<44} n={len(seconds):<4} median={statistics.median(seconds) * 1000:8.1f} ms  "
        f"p95={percentile(seconds, 0.95) * 1000:8.1f} ms  max={max(seconds) * 1000:8.1f} ms"
    )


def _fill_worker(job: tuple[int, int]) -> list[float]:
    """Runs in a forked process: provision ``count`` towns by migrating from zero (untimed filler)."""
    from django.db import connections

    from tenants.actions import provision_town

    connections.close_all()
    start, count = job
    return [
        provision_town(slug=f"fill-{start + index}", name="Bench filler", method="migrate").seconds
        for index in range(count)
    ]


def fill_towns(count: int, *, start: int) -> list[float]:
    """Add ``count`` towns with two processes (the machine's cores) to reach a growth point sooner."""
    from django.db import connections

    connections.close_all()
    halves = [(start, count // 2), (start + count // 2, count - count // 2)]
    with multiprocessing.get_context("fork").Pool(2) as pool:
        return [seconds for part in pool.map(_fill_worker, halves) for seconds in part]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=20, help="towns timed per path (default 20)")
    parser.add_argument("--towns", type=int, default=500, help="largest number of existing towns (default 500)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 5 samples, up to 60 towns")
    parser.add_argument("--database", default=BENCH_DB, help=f"database to drop and recreate ({BENCH_DB})")
    args = parser.parse_args()
    if args.quick:
        args.samples, args.towns = 5, 60
    growth_points = sorted({0, min(100, args.towns), args.towns})

    configure_environment(args.database)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from tenants.actions import ensure_template, provision_town, refill_spare_pool
    from tenants.models import Town

    counter = iter(range(1, 10**6))

    def new_slug(prefix: str) -> str:
        return f"{prefix}-{next(counter)}"

    def provision(method: str, prefix: str) -> float:
        result = provision_town(slug=new_slug(prefix), name=f"Bench {prefix}", method=method)
        assert result.method == ("spare" if method == "fast" else method), result.method
        return result.seconds

    started = time.perf_counter()
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    template_started = time.perf_counter()
    ensure_template()
    print(
        f"public schema migrated in {template_started - started:.1f} s; "
        f"template built (migrate from zero) in {time.perf_counter() - template_started:.1f} s"
    )
    print(f"PostgreSQL {connection.cursor().connection.info.server_version}, {os.cpu_count()} cores\n")

    lines = ["Provisioning one town (0 other towns at start):"]
    refill_spare_pool(size=args.samples)
    lines.append(
        summary("  fast path: rename a spare schema", [provision("fast", "spare") for _ in range(args.samples)])
    )
    lines.append(
        summary("  clone the pre-migrated template", [provision("clone", "clone") for _ in range(args.samples)])
    )
    lines.append(
        summary(
            "  migrate from zero (django-tenants default)",
            [provision("migrate", "migrate") for _ in range(args.samples)],
        )
    )
    print("\n".join(lines), flush=True)

    growth = ["", "Fast path as towns accumulate:"]
    fill_rate: list[float] = []
    for point in growth_points:
        missing = point - Town.objects.towns().count()
        if missing > 0:
            fill_rate.extend(fill_towns(missing, start=next(counter) * 10_000))
        refill_spare_pool(size=args.samples)
        existing = Town.objects.towns().count()
        growth.append(
            summary(f"  with {existing} existing towns", [provision("fast", f"g{point}") for _ in range(args.samples)])
        )
        print(growth[-1], flush=True)
    if fill_rate:
        growth.append(summary("  (filling: migrate from zero, 2 processes)", fill_rate))

    schemas = list(Town.objects.exclude(schema_name="public").values_list("schema_name", flat=True))
    migrate = ["", f"No-op migrate_schemas over {len(schemas)} schemas (template, spares, towns):"]
    out = io.StringIO()
    noop_started = time.perf_counter()
    with contextlib.redirect_stdout(out):
        call_command("migrate_schemas", interactive=False, verbosity=1, stdout=out)
    noop_seconds = time.perf_counter() - noop_started
    skip_line = next((line for line in out.getvalue().splitlines() if line.startswith("[skip-at-head]")), "")
    migrate.append(f"  skip-at-head executor (public included): {noop_seconds:8.2f} s   {skip_line.strip()}")
    # django-tenants' own behaviour: run the migrate command in every schema, even when at head.
    sample = schemas[: min(20, len(schemas))]
    import tenants.migration_executor as skip_executor

    skip_executor.schemas_behind_head = lambda names: list(names)
    stock_started = time.perf_counter()
    for schema in sample:
        call_command("migrate_schemas", schema_name=schema, tenant=True, interactive=False, verbosity=0)
    per_schema = (time.perf_counter() - stock_started) / len(sample)
    connection.set_schema_to_public()
    migrate.append(
        f"  django-tenants standard executor:        {per_schema * 1000:8.1f} ms per schema "
        f"(timed on {len(sample)}), ≈ {per_schema * len(schemas):.0f} s for {len(schemas)}"
    )
    print("\n".join(migrate))
    print(f"\ntotal benchmark time {time.perf_counter() - started:.0f} s; database {args.database} left for inspection")


if __name__ == "__main__":
    main()
