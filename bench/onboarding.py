"""Benchmark: the onboarding tools at the size of a big town (issue 13).

Run:  .venv/bin/python bench/onboarding.py [--rows 5000] [--database comptoir_bench_onboarding]

It works in its own database (dropped and recreated) on the server given by DATABASE_URL, or on the
embedded PostgreSQL when DATABASE_URL is unset; it provisions one town with the real code, then prints:

* the import of the town's list of businesses: ``--rows`` rows (SIRENE-like columns, NAF codes), the
  dry run then the real import (all new) and a re-import (all known) — target 5,000 rows < 30 s;
* then, each in its own process and database, ``bench/onboarding_board.py`` (the pipeline board with
  1,000 prospects: p95 < 150 ms, query count independent of the number of prospects) and
  ``bench/onboarding_posters.py`` (posters and stickers for 250 merchants in one file: < 60 s each).
  ``--only import`` skips them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from typing import Any

from benchdb import PROJECT_ROOT, benchmark_environment, set_up_platform

BENCH_DB = "comptoir_bench_onboarding"
NAF_CODES = ("10.71C", "47.24Z", "56.10A", "47.81Z", "68.31Z", "96.02A", "47.71Z", "94.99Z", "43.22A", "47.11B")
STREETS = ("rue Royale", "boulevard Jacquard", "place d'Armes", "rue des Thermes", "boulevard Lafayette")


def businesses_csv(rows: int) -> bytes:
    """The town's list of businesses as the INSEE's SIRENE extracts give it (valid SIRETs, NAF codes)."""
    from stdnum import luhn

    lines = ["siret;enseigne;activitePrincipaleEtablissement;adresse;code_postal;commune;contact"]
    for n in range(rows):
        siren = f"{40_000_000 + n:08d}"
        siren += luhn.calc_check_digit(siren)
        body = siren + "0001"
        lines.append(
            f"{body}{luhn.calc_check_digit(body)};Commerce n°{n} de Calais;{NAF_CODES[n % len(NAF_CODES)]};"
            f"{n % 200 + 1} {STREETS[n % len(STREETS)]};62100;Calais;{'' if n % 3 else f'Contact {n}'}"
        )
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def measure_import(town: Any, rows: int) -> dict[str, float]:
    """Seconds for a dry run, the first import and a re-import of ``rows`` businesses, in ``town``."""
    from onboarding.imports import import_prospects
    from onboarding.models import Prospect

    data = businesses_csv(rows)
    figures: dict[str, float] = {}
    with town:
        for label, dry_run in (("dry_run", True), ("first_import", False), ("reimport", False)):
            started = time.perf_counter()
            report = import_prospects(data=data, filename="sirene.csv", dry_run=dry_run)
            figures[label] = time.perf_counter() - started
            assert report.is_valid, report.errors[:3]
        assert Prospect.objects.count() == rows
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=5_000, help="businesses in the imported list (default 5000)")
    parser.add_argument("--database", default=BENCH_DB, help=f"database to drop and recreate ({BENCH_DB})")
    parser.add_argument("--only", choices=["import"], help="run the import only")
    args = parser.parse_args()

    os.environ.setdefault("PLATFORM_DOMAIN", "bench.localhost")
    os.environ["MEDIA_ROOT"] = str(PROJECT_ROOT / ".bench-media")
    benchmark_environment(args.database)
    server_version = set_up_platform()
    from tenants.actions import provision_town

    town = provision_town(slug="bench-onboarding", name="Bench onboarding").town
    print(f"PostgreSQL {server_version}, {os.cpu_count()} cores\n")

    figures = measure_import(town, args.rows)
    print(f"Import of the town's list of businesses ({args.rows} rows; target 5,000 rows < 30 s)")
    for label, seconds in figures.items():
        print(f"  {label:<14} {seconds:7.2f} s  {args.rows / seconds:8.0f} rows/s")
    if args.only == "import":
        return
    for script in ("onboarding_board.py", "onboarding_posters.py"):
        print(f"\n$ bench/{script}", flush=True)
        subprocess.run([sys.executable, str(PROJECT_ROOT / "bench" / script)], check=True)


if __name__ == "__main__":
    main()
