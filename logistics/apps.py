"""Delivery rounds: deliveries from paid orders, fleet and shifts, planning, couriers, proof of delivery.

Above checkout (docs/architecture.md §1): it learns about orders by subscribing to checkout's
events (``checkout.outbox.subscribe`` from ``ready()``: ``order_paid``, ``order_refunded``), never
through a setting that checkout would import. It never imports ``settlement``, nor ``settlement`` it.

Where and when the town delivers (zones, delivery days, slots and their capacity, addresses,
geocoding) is the ``delivery`` app, below checkout. Its models were born here: migrations 0001 and
0002 of this app are their history (0002 hands them over to ``delivery``).
"""

from django.apps import AppConfig


class LogisticsConfig(AppConfig):
    name = "logistics"
    verbose_name = "Tournées de livraison"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from logistics import notify, receivers, tasks  # noqa: F401  (tasks registers the beat task)

        receivers.subscribe_to_checkout()
        notify.register()
