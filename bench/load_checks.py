"""After bench/load.py's run: the Celery queue drained, the ledger caught up as beat would, and the
invariants read from every town's schema."""

from __future__ import annotations

import io
import time
from collections import Counter, defaultdict

from load_traffic import PLENTY, PhaseStats, TownCatalogue, waiting_tasks


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
    from django.db.models import Count, Q, Sum

    from catalog.models import Variant
    from checkout.models import MerchantOrder, Notification, Order, OrderLine, OrderStatus, Payment
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
            scarce_ids = {item.variant_id for phase in catalogue.scarce for item in phase}
            taken = dict(
                OrderLine.objects.exclude(merchant_order__order__status=OrderStatus.CANCELLED)
                .filter(variant__isnull=False, stock_taken__isnull=False)
                .values_list("variant_id")
                .annotate(units=Sum("stock_taken"))
                .values_list("variant_id", "units")
            )
            for pk, left in Variant.objects.values_list("pk", "stock"):
                initial = catalogue.scarce_stock if pk in scarce_ids else PLENTY
                if initial != (left or 0) + taken.get(pk, 0):
                    unbalanced.append(f"{catalogue.slug} variant {pk}: {initial} ≠ {left} left + {taken.get(pk, 0)}")
                if pk in scarce_ids:
                    scarce_sold += taken.get(pk, 0)
                    scarce_total += initial
                    sold_out += left == 0

            line_sums = dict(
                OrderLine.objects.values_list("merchant_order__order_id")
                .annotate(total=Sum("total_cents"))
                .values_list("merchant_order__order_id", "total")
            )
            merchant_sums = dict(
                MerchantOrder.objects.values_list("order_id")
                .annotate(total=Sum("items_total_cents"))
                .values_list("order_id", "total")
            )
            merchant_line_sums = dict(
                OrderLine.objects.values_list("merchant_order_id")
                .annotate(total=Sum("total_cents"))
                .values_list("merchant_order_id", "total")
            )
            payments = dict(Payment.objects.values_list("order_id", "amount_cents"))
            for pk, total, items, fee in Order.objects.values_list(
                "pk", "total_cents", "items_total_cents", "delivery_fee_cents"
            ):
                if total != items + fee or items != line_sums.get(pk, 0) or items != merchant_sums.get(pk, 0):
                    wrong_totals.append(
                        f"{catalogue.slug} order {pk}: total {total}, items {items}, fee {fee}, "
                        f"lines {line_sums.get(pk, 0)}, merchant orders {merchant_sums.get(pk, 0)}"
                    )
                if pk in payments and payments[pk] != total:
                    wrong_totals.append(f"{catalogue.slug} order {pk}: payment {payments[pk]} ≠ total {total}")
            for pk, items in MerchantOrder.objects.values_list("pk", "items_total_cents"):
                if items != merchant_line_sums.get(pk, 0):
                    wrong_totals.append(f"{catalogue.slug} merchant order {pk}: {items} ≠ lines")

            intents = dict(Payment.objects.values_list("intent_id", "order__status"))
            lost.extend(
                f"{catalogue.slug} {intent} ({intents.get(intent)})"
                for intent in confirmed[catalogue.slug]
                if intents.get(intent) != OrderStatus.PAID
            )
            wrong_changes.extend(
                f"{catalogue.slug} order {pk}: {changes} changes to paid"
                for pk, changes in Order.objects.filter(status=OrderStatus.PAID)
                .annotate(changes=Count("status_changes", filter=Q(status_changes__to_status=OrderStatus.PAID)))
                .values_list("pk", "changes")
                if changes != 1
            )
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
