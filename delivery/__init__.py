"""Where and when the town delivers: zones, delivery days and their capacity, addresses and geocoding.

Below checkout (docs/architecture.md §1): checkout imports ``delivery.provider`` to check an address, price a
delivery and take a unit of the day's capacity; nothing here knows about orders. What happens after
payment (rounds, couriers, proof of delivery) belongs to ``logistics``, above checkout.
"""
