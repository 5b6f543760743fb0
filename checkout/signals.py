"""Events checkout emits after commit, for the apps above it (settlement, logistics).

Receivers get ids and the town's schema name, never model instances: they run after the
transaction and must re-read what they need (and are free to queue tasks).

- ``order_paid(order_id, schema)``: the payment is confirmed (card) — post to the ledger, plan a delivery.
- ``order_placed(order_id, schema)``: a pay-in-store order is confirmed.
- ``order_refunded(order_id, refund_id, amount_cents, schema)``: money went back to the resident.
- ``merchant_order_handed_over(merchant_order_id, schema)``: collected or delivered (hold policy starts).
- ``payment_fee_known(order_id, fee_cents, balance_transaction_id, schema)``: the provider's fee on a
  paid order's charge (sent on each confirmation of the payment; the balance transaction id is unique).
- ``dispute_changed(order_id, dispute_id, status, amount_cents, fee_cents, schema)``: a chargeback was
  opened or decided (``dispute_id`` is the provider's; sent once per new status of the dispute).
"""

from django.dispatch import Signal

order_paid = Signal()
order_placed = Signal()
order_refunded = Signal()
merchant_order_handed_over = Signal()
payment_fee_known = Signal()
dispute_changed = Signal()
