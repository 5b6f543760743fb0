"""Events checkout emits after commit, for the apps above it (settlement, logistics).

Receivers get ids and the town's schema name, never model instances: they run after the
transaction and must re-read what they need (and are free to queue tasks).

- ``order_paid(order_id, schema)``: the payment is confirmed (card) — post to the ledger, plan a delivery.
- ``order_placed(order_id, schema)``: a pay-in-store order is confirmed.
- ``order_refunded(order_id, refund_id, amount_cents, schema)``: money went back to the resident.
- ``merchant_order_handed_over(merchant_order_id, schema)``: collected or delivered (hold policy starts).
"""

from django.dispatch import Signal

order_paid = Signal()
order_placed = Signal()
order_refunded = Signal()
merchant_order_handed_over = Signal()
