"""Benchmark: one PDF of posters (A4) and one of window stickers (A6) for 250 live merchants.

Run:  .venv/bin/python bench/onboarding_posters.py [--merchants 250] [--database bench_posters_mine]

It works in its own database (``comptoir_bench_posters`` unless ``--database`` names another, dropped and
recreated) on the server given by DATABASE_URL, or on the embedded PostgreSQL when DATABASE_URL is unset;
it provisions one town with the real code, creates --merchants live merchants (French names, some long,
some Arabic or Hebrew), then renders each format through the real action (``render_batch``: WeasyPrint,
segno, the private storage) and prints seconds, pages and file size. Target: 250 merchants < 60 s.

``run(merchants=...)`` does the same inside the current town and returns the figures, for bench/onboarding.py.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from typing import Any

from benchdb import PROJECT_ROOT, benchmark_environment, set_up_platform

BENCH_DB = "comptoir_bench_posters"
TARGET_SECONDS = 60.0
TRADES = ("Boulangerie", "Boucherie", "Fromagerie", "Librairie", "Fleuriste", "Cave", "Épicerie fine", "Quincaillerie")
STREETS = ("du Port", "Royale", "de la Mer", "des Quatre Coins", "Lafayette", "du Théâtre")


def merchant_name(index: int) -> str:
    if index % 50 == 7:
        return "مخبز الأمل " + str(index)
    if index % 50 == 13:
        return "מאפיית השלום " + str(index)
    if index % 25 == 3:
        # The longest a merchant name may be (160 characters).
        return (f"{TRADES[index % 8]} artisanale et traditionnelle de la rue {STREETS[index % 6]} " * 4)[:160]
    return f"{TRADES[index % 8]} {STREETS[index % 6]} n° {index}"


def ensure_live_merchants(count: int) -> list[int]:
    """``count`` live merchants of the current town (created as needed), their ids."""
    from catalog.models import Merchant, MerchantStatus

    existing = list(Merchant.objects.filter(status=MerchantStatus.LIVE).order_by("pk").values_list("pk", flat=True))
    missing = count - len(existing)
    if missing > 0:
        Merchant.objects.bulk_create(
            Merchant(name=merchant_name(n), slug=f"bench-affiche-{n}", status=MerchantStatus.LIVE, city="Calais")
            for n in range(len(existing), len(existing) + missing)
        )
    return list(Merchant.objects.filter(status=MerchantStatus.LIVE).order_by("pk").values_list("pk", flat=True))[:count]


def run(*, merchants: int = 250) -> dict[str, Any]:
    """Render both formats for ``merchants`` live merchants of the current town; the figures per format."""
    from accounts.models import Role, User
    from onboarding.posters.actions import render_batch
    from onboarding.posters.models import PosterBatch, PosterFormat

    ids = ensure_live_merchants(merchants)
    user = User.objects.filter(role=Role.TOWN_ADMIN).first()
    figures: dict[str, Any] = {"merchants": len(ids), "target_seconds": TARGET_SECONDS}
    for poster_format in (PosterFormat.A4_POSTER, PosterFormat.A6_STICKER):
        batch = PosterBatch.objects.create(
            format=poster_format, merchant_ids=ids, total_count=len(ids), requested_by=user
        )
        started = time.perf_counter()
        batch = render_batch(batch=batch)
        seconds = time.perf_counter() - started
        assert batch.status == "done", batch.error
        figures[str(poster_format)] = {
            "seconds": round(seconds, 2),
            "bytes": batch.file.size,
            "pages": batch.done_count,
        }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--merchants", type=int, default=250, help="live merchants in the file (default 250)")
    parser.add_argument("--database", default=BENCH_DB, help=f"database to drop and recreate ({BENCH_DB})")
    args = parser.parse_args()

    os.environ.setdefault("PLATFORM_DOMAIN", "bench.localhost")
    os.environ["MEDIA_ROOT"] = str(PROJECT_ROOT / ".bench-media")
    # The PDFs are private files: a throw-away folder, not the project's private-media/.
    os.environ["PRIVATE_MEDIA_ROOT"] = tempfile.mkdtemp(prefix="comptoir-bench-posters-")
    benchmark_environment(args.database)
    server_version = set_up_platform()
    from tenants.actions import provision_town

    town = provision_town(slug="bench-affiches", name="Bench affiches").town
    print(f"PostgreSQL {server_version}, {os.cpu_count()} cores\n")
    with town:
        figures = run(merchants=args.merchants)
    for poster_format in ("a4_poster", "a6_sticker"):
        result = figures[poster_format]
        verdict = "OK" if result["seconds"] < TARGET_SECONDS else "SLOW"
        print(
            f"{poster_format:<11} {result['pages']:>4} pages  {result['seconds']:7.2f} s  "
            f"{result['bytes'] / 1024:8.0f} KiB  (target < {TARGET_SECONDS:.0f} s: {verdict})",
            flush=True,
        )


if __name__ == "__main__":
    main()
