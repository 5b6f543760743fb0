"""What comes after payment: delivery rounds, couriers, proof of delivery (empty for now).

Above checkout (docs/architecture.md §1): this app will plan the day's rounds from paid orders, give couriers
their ordered stops and record proof of delivery. It learns about orders by subscribing to
checkout's events (``checkout.outbox.subscribe`` from ``LogisticsConfig.ready()``: ``order_paid``,
``order_placed``, ``order_refunded``…), never through a setting that checkout would import. It
never imports ``settlement``, nor ``settlement`` it.

Where and when the town delivers (zones, delivery days and their capacity, addresses, geocoding)
is the ``delivery`` app, below checkout. Those models were born here: the migrations kept in this
app are their history (0002 hands them over to ``delivery``, whose 0001 renames the tables).
"""
