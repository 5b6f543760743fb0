"""The invariants the checkout benchmarks read after their buyers are done: bench/checkout.py town by
town, bench/load.py over every town. Each runs in the current town (``with town:``) and returns what
is wrong, one line each, empty when the invariant holds."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass
class Stock:
    """The town's stock by variant: units left, and units taken by orders not cancelled."""

    left: dict[int, int]
    taken: dict[int, int]

    @classmethod
    def read(cls) -> Stock:
        from django.db.models import Sum

        from catalog.models import Variant
        from checkout.models import OrderLine, OrderStatus

        taken = dict(
            OrderLine.objects.exclude(merchant_order__order__status=OrderStatus.CANCELLED)
            .filter(variant__isnull=False, stock_taken__isnull=False)
            .values_list("variant_id")
            .annotate(units=Sum("stock_taken"))
            .values_list("variant_id", "units")
        )
        return cls(left=dict(Variant.objects.values_list("pk", "stock")), taken=taken)

    def unbalanced(self, initial_stock: dict[int, int]) -> list[str]:
        """Variants whose initial stock ≠ stock left + units held: an oversell, or a unit lost."""
        return [
            f"variant {pk}: {initial} ≠ {self.left.get(pk)} left + {self.taken.get(pk, 0)} held"
            for pk, initial in initial_stock.items()
            if initial != (self.left.get(pk) or 0) + self.taken.get(pk, 0)
        ]


def lost_payments(confirmed_intents: Iterable[str]) -> list[str]:
    """Payments Stripe confirmed whose order is not paid, each with its order's status."""
    from checkout.models import OrderStatus, Payment

    statuses = dict(Payment.objects.values_list("intent_id", "order__status"))
    return [
        f"{intent} ({statuses.get(intent)})" for intent in confirmed_intents if statuses.get(intent) != OrderStatus.PAID
    ]


def wrong_changes_to_paid() -> tuple[int, list[str]]:
    """(paid orders, those whose history has not exactly one change to "paid")."""
    from django.db.models import Count, Q

    from checkout.models import Order, OrderStatus

    paid = list(
        Order.objects.filter(status=OrderStatus.PAID)
        .annotate(changes=Count("status_changes", filter=Q(status_changes__to_status=OrderStatus.PAID)))
        .values_list("pk", "changes")
    )
    return len(paid), [f"order {pk}: {changes} changes to paid" for pk, changes in paid if changes != 1]


def totals_that_do_not_add_up() -> list[str]:
    """Orders whose total ≠ items + delivery fee, whose items ≠ Σ lines or ≠ Σ merchant orders, whose
    payment ≠ total; merchant orders whose items ≠ Σ their lines."""
    from django.db.models import Sum

    from checkout.models import MerchantOrder, Order, OrderLine, Payment

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
    wrong = []
    for pk, total, items, fee in Order.objects.values_list(
        "pk", "total_cents", "items_total_cents", "delivery_fee_cents"
    ):
        if total != items + fee:
            wrong.append(f"order {pk}: total {total} ≠ {items} + {fee}")
        if items != line_sums.get(pk, 0):
            wrong.append(f"order {pk}: items {items} ≠ lines {line_sums.get(pk, 0)}")
        if items != merchant_sums.get(pk, 0):
            wrong.append(f"order {pk}: items {items} ≠ merchant orders {merchant_sums.get(pk, 0)}")
        if pk in payments and payments[pk] != total:
            wrong.append(f"order {pk}: payment {payments[pk]} ≠ total {total}")
    for pk, items in MerchantOrder.objects.values_list("pk", "items_total_cents"):
        if items != merchant_line_sums.get(pk, 0):
            wrong.append(f"merchant order {pk}: {items} ≠ lines {merchant_line_sums.get(pk, 0)}")
    return wrong
