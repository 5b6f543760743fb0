"""Benchmark: the onboarding board (/gestion/accompagnement/tableau/) of a town with 1,000 prospects.

Run:  .venv/bin/python bench/onboarding_board.py                 (1,000 prospects, 50 requests; ~2 min,
                                                                  most of it building the database)
      .venv/bin/python bench/onboarding_board.py --prospects 5000 --requests 100
      .venv/bin/python bench/onboarding_board.py --database bench_onboarding_mine   (another database name)

It works in its own database (``comptoir_bench_onboarding`` unless ``--database`` names another, dropped
and recreated) on the server given by DATABASE_URL, or on the embedded PostgreSQL when DATABASE_URL is
unset, with DEBUG off. It provisions a town, gives it ``--prospects`` draft merchants spread over the
ten steps (the oldest 60 days at their step, a third followed by an agent), signs a town agent in with
Django's test client and GETs the board ``--requests`` times (after one warm-up request). It prints:
  * p50 / p95 / max of the board's server time (the whole Django request, rendering included);
  * the page's size, and its query count with 10 prospects and with all of them (they must be equal);
Targets (issue 13): p95 < 150 ms; the query count does not depend on the number of prospects.
Exit status 1 when a target is missed.

``run(...)`` returns the same figures for another benchmark (bench/onboarding.py) that has set Django
up itself.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass

from benchdb import ms, percentile, production_environment, set_up_platform

BENCH_DB = "comptoir_bench_onboarding"
PLATFORM_DOMAIN = "bench.localhost"
BOARD = "/gestion/accompagnement/tableau/"
P95_TARGET = 0.150
TOWN_SLUG = "bench-accompagnement"


@dataclass(frozen=True)
class BoardFigures:
    prospects: int
    requests: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    page_kib: float
    queries_small: int  # with 10 prospects
    queries_full: int  # with all of them

    @property
    def meets_targets(self) -> bool:
        return self.p95_ms < P95_TARGET * 1000 and self.queries_small == self.queries_full


def _add_prospects(count: int, *, first: int, agent_id: int) -> None:
    """``count`` draft merchants and their prospects, spread over the steps (two bulk INSERTs, a few UPDATEs)."""
    from django.db import connection

    from catalog.models import Merchant, MerchantKind, MerchantStatus
    from onboarding.board import BOARD_STEPS
    from onboarding.models import STEPS_WITH_REASON, Prospect
    from onboarding.pipeline import enrol_merchants

    kinds = list(MerchantKind.values)
    merchants = Merchant.objects.bulk_create(
        Merchant(
            name=f"Commerce {number:05d}",
            slug=f"commerce-{number:05d}",
            kind=kinds[number % len(kinds)],
            status=MerchantStatus.DRAFT,
            siret="",
            city="Calais",
        )
        for number in range(first, first + count)
    )
    ids = [merchant.pk for merchant in merchants]
    enrol_merchants(merchant_ids=ids)
    prospect_ids = list(Prospect.objects.filter(merchant_id__in=ids).order_by("pk").values_list("pk", flat=True))
    for index, step in enumerate(BOARD_STEPS):
        reason = "Motif de démonstration" if step in STEPS_WITH_REASON else ""
        Prospect.objects.filter(pk__in=prospect_ids[index :: len(BOARD_STEPS)]).update(step=step, reason=reason)
    Prospect.objects.filter(pk__in=prospect_ids[::3]).update(agent_id=agent_id)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE onboarding_prospect SET step_changed_at = now() - (id %% 60) * interval '1 day' WHERE id = ANY(%s)",
            [prospect_ids],
        )


def _query_count(client: object) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(BOARD)  # type: ignore[attr-defined]
    with CaptureQueriesContext(connection) as captured:
        response = client.get(BOARD)  # type: ignore[attr-defined]
    assert response.status_code == 200, response.status_code
    return len(captured)


def run(*, prospects: int = 1_000, requests: int = 50, town_slug: str = TOWN_SLUG) -> BoardFigures:
    """Builds (or reuses) the town ``town_slug``, fills it with ``prospects`` prospects and times the board.

    Django must be set up (``django.setup()``, the platform migrated); the town is provisioned if missing
    and its prospects replaced.
    """
    from django.test import Client

    from accounts.models import Role, User
    from catalog.models import Merchant
    from onboarding.models import Prospect
    from tenants.actions import provision_town
    from tenants.models import Town

    town = (
        Town.objects.filter(slug=town_slug).first() or provision_town(slug=town_slug, name="Bench accompagnement").town
    )
    with town:
        Prospect.objects.all().delete()
        Merchant.objects.filter(slug__startswith="commerce-").delete()
        agent = User.objects.filter(email="agent-bench@ville.test").first() or User.objects.create_user(
            "agent-bench@ville.test",
            "pw-agent-bench-2026",
            role=Role.TOWN_AGENT,
            first_name="Julie",
            last_name="Martin",
        )
        small = min(10, prospects)
        _add_prospects(small, first=0, agent_id=agent.pk)
    client = Client(HTTP_HOST=town.primary_host)
    with town:
        client.force_login(agent)
    queries_small = _query_count(client)
    with town:
        _add_prospects(prospects - small, first=small, agent_id=agent.pk)
    queries_full = _query_count(client)

    latencies: list[float] = []
    size = 0
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(BOARD)
        latencies.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
        size = len(response.content)
    return BoardFigures(
        prospects=prospects,
        requests=requests,
        p50_ms=round(statistics.median(latencies) * 1000, 1),
        p95_ms=round(percentile(latencies, 0.95) * 1000, 1),
        max_ms=round(max(latencies) * 1000, 1),
        page_kib=round(size / 1024, 1),
        queries_small=queries_small,
        queries_full=queries_full,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prospects", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--database", default=BENCH_DB, help=f"database to drop and recreate ({BENCH_DB})")
    args = parser.parse_args()

    started = time.perf_counter()
    production_environment(platform_domain=PLATFORM_DOMAIN, database=args.database)
    set_up_platform()
    from django.conf import settings

    # The board is what is measured, not the static files: plain storage, no collectstatic needed.
    settings.STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    print(f"platform ready in {time.perf_counter() - started:.0f} s", flush=True)
    figures = run(prospects=args.prospects, requests=args.requests)
    print(
        f"\nonboarding board, {figures.prospects} prospects, {figures.requests} requests ({dt.datetime.now(tz=dt.UTC):%Y-%m-%d %H:%M} UTC)"
    )
    print("                  p50     p95     max")
    print(f"  board       {ms(figures.p50_ms / 1000)} {ms(figures.p95_ms / 1000)} {ms(figures.max_ms / 1000)}")
    print(f"  page size   {figures.page_kib} KiB")
    print(f"  queries     {figures.queries_small} with 10 prospects, {figures.queries_full} with {figures.prospects}")
    print(
        f"  targets     p95 < {P95_TARGET * 1000:.0f} ms, same query count: {'met' if figures.meets_targets else 'MISSED'}"
    )
    print(
        f"  load        {' / '.join(f'{load:.1f}' for load in os.getloadavg())} (1, 5, 15 min; {os.cpu_count()} CPUs)"
    )
    print(asdict(figures))
    sys.exit(0 if figures.meets_targets else 1)


if __name__ == "__main__":
    main()
