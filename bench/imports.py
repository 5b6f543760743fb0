"""Benchmark: catalogue import and export of a large merchant (the partner supermarket case).

Run:  .venv/bin/python bench/imports.py [--rows 10000] [--database bench_imports_mine]

It works in its own database (``comptoir_bench_imports`` unless ``--database`` names another, dropped
and recreated) on the server given by DATABASE_URL, or on the embedded PostgreSQL when DATABASE_URL is unset; it provisions one town
with the real code, then prints for a CSV of --rows products (semicolons, decimal commas,
categories, valid EANs, stock): the first import (all created), a re-import (all updated by SKU),
a dry run, and the CSV export — seconds and rows per second each. Target: 10,000 rows < 30 s.
"""

from __future__ import annotations

import argparse
import io
import os
import time
from collections.abc import Callable
from typing import TypeVar

from benchdb import PROJECT_ROOT, benchmark_environment, set_up_platform

T = TypeVar("T")
BENCH_DB = "comptoir_bench_imports"
CATEGORIES = ("Alimentation > Épicerie", "Alimentation > Cave et boissons", "Maison > Bricolage", "Fromagerie")
VAT = ("5,5", "20", "10", "5.5")


def configure_environment(database: str) -> None:
    """Point Django at a dedicated benchmark database before settings are read."""
    os.environ.setdefault("PLATFORM_DOMAIN", "bench.localhost")
    os.environ["MEDIA_ROOT"] = str(PROJECT_ROOT / ".bench-media")
    benchmark_environment(database)


def catalogue_csv(rows: int, *, price_shift: int = 0) -> bytes:
    from stdnum import ean

    lines = ["sku;titre;description;categorie;prix;tva;unite;stock;ean;publie"]
    for n in range(rows):
        code = f"376{n:09d}"
        cents = 99 + (n * 37 + price_shift) % 9_900
        lines.append(
            f"SKU-{n:06d};Produit n°{n} — {('pâtes', 'café', 'vis', 'comté')[n % 4]} {n % 500} g;"
            f"Description du produit {n}, fabriqué près de chez vous;{CATEGORIES[n % 4]};"
            f"{cents // 100},{cents % 100:02d};{VAT[n % 4]};{'kg' if n % 10 == 0 else 'piece'};"
            f"{'' if n % 3 == 0 else n % 200};{code}{ean.calc_check_digit(code)};{'oui' if n % 20 else 'non'}"
        )
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def timed(label: str, rows: int, function: Callable[[], T]) -> T:
    started = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - started
    print(f"{label:<38} {rows:>7} rows  {seconds:7.2f} s  {rows / seconds:9.0f} rows/s", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000, help="product rows in the file (default 10000)")
    parser.add_argument("--database", default=BENCH_DB, help=f"database to drop and recreate ({BENCH_DB})")
    args = parser.parse_args()

    configure_environment(args.database)
    server_version = set_up_platform()
    from catalog.export import write_products_csv
    from catalog.imports import import_products
    from catalog.models import Merchant, MerchantKind, MerchantStatus, Product
    from tenants.actions import provision_town

    town = provision_town(slug="bench-imports", name="Bench imports").town
    print(f"PostgreSQL {server_version}, {os.cpu_count()} cores\n")

    first, second = catalogue_csv(args.rows), catalogue_csv(args.rows, price_shift=13)
    with town:
        merchant = Merchant.objects.create(
            name="Supermarché partenaire",
            slug="supermarche",
            kind=MerchantKind.PARTNER_SUPERMARKET,
            status=MerchantStatus.LIVE,
        )
        report = timed(
            "import, all rows new",
            args.rows,
            lambda: import_products(merchant=merchant, data=first, filename="catalogue.csv"),
        )
        assert report.is_committed, report.errors[:3]
        assert report.created == args.rows
        report = timed(
            "re-import, all rows updated by SKU",
            args.rows,
            lambda: import_products(merchant=merchant, data=second, filename="catalogue.csv"),
        )
        assert report.is_committed, report.errors[:3]
        assert report.updated == args.rows
        timed(
            "dry run (check only)",
            args.rows,
            lambda: import_products(merchant=merchant, data=second, filename="catalogue.csv", dry_run=True),
        )
        buffer = io.StringIO()
        timed("CSV export", args.rows, lambda: write_products_csv(merchant=merchant, stream=buffer))
        assert Product.objects.filter(merchant=merchant).count() == args.rows
        assert Product.objects.filter(merchant=merchant, search_vector__isnull=True).count() == 0


if __name__ == "__main__":
    main()
