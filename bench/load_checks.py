"""After bench/load.py's run: the Celery queue drained, the ledger caught up as beat would, and the
invariants read from every town's schema."""

from __future__ import annotations

import io
import time
from collections import Counter, defaultdict

from invariants import Stock, lost_payments, totals_that_do_not_add_up, wrong_changes_to_paid
from load_traffic import PhaseStats, waiting_tasks
from shop import TownCatalogue


def wait_for_queue(redis_url: str, *, orphaned: int, timeout: float) -> float:
    """Seconds until no task waits and none is in progress (beyond the killed worker's orphans)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    started = time.monotonic()
    calm = 0
    while time.monotonic() - started < timeout:
        waiting = waiting_tasks(client)
        calm = calm + 1 if waiting == 0 and client.hlen("unacked") <= orphaned else 0
        if calm >= 3:
            return time.monotonic() - started
        time.sleep(0.5)
    raise RuntimeError(f"the Celery queue did not drain within {timeout:.0f} s")


def paid_orders_without_capture(towns: list[TownCatalogue]) -> dict[str, list[int]]:
    from django.db.models import CharField, Exists, OuterRef
    from django.db.models.functions import Cast

    from settlement.ledger.models import JournalEntry
    from settlement.ledger.rules import ORDER_PAID, paid_orders
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

    from checkout.models import Notification, Order
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
            stock = Stock.read()
            unbalanced.extend(f"{catalogue.slug} {line}" for line in stock.unbalanced(catalogue.initial_stock))
            for item in catalogue.scarce_items:
                scarce_sold += stock.taken.get(item.variant_id, 0)
                scarce_total += catalogue.initial_stock[item.variant_id]
                sold_out += stock.left.get(item.variant_id) == 0
            wrong_totals.extend(f"{catalogue.slug} {line}" for line in totals_that_do_not_add_up())
            lost.extend(f"{catalogue.slug} {line}" for line in lost_payments(confirmed[catalogue.slug]))
            wrong_changes.extend(f"{catalogue.slug} {line}" for line in wrong_changes_to_paid()[1])
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
