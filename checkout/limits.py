"""How much of a town's stock one client may hold unpaid, and for how long (README, "Abuse limits").

A checkout takes stock at once and a card order holds it until it is paid or expires: without these
limits one anonymous script could keep a product "Épuisé" for everyone. Together they bound what one
client holds: one unpaid card order per basket or account (starting another checkout releases the
earlier one); from one IP address, at most ``UNPAID_ORDERS_PER_IP`` unpaid card orders and, over
all of them, no more than the town's cap (``Town.max_units_per_product``, operator console) of any
one product. So one address never holds more than the cap of a product, however many sessions it
opens; more stock than the cap always stays on sale.
"""

from __future__ import annotations

import datetime as dt

from django.utils.crypto import salted_hmac

from accounts.network import client_network
from accounts.ratelimit import is_over_limit

# How long a card order holds its stock and delivery capacity, waiting for the payment. A guest
# costs nothing to create, so holds less; the expiry beat task (every minute) releases the stock.
ACCOUNT_HOLD = dt.timedelta(minutes=30)
GUEST_HOLD = dt.timedelta(minutes=10)

# Checkouts started (the form accepted, stock about to be taken), per fixed window.
CHECKOUT_WINDOW_SECONDS = 600
CHECKOUTS_PER_IP = 10
CHECKOUTS_PER_CLIENT = 5  # a guest's session (its basket) or an account

# Card orders waiting for payment at once from one IP address (over all of them, at most the town's
# cap of any one product): it bounds what one address holds across many products.
UNPAID_ORDERS_PER_IP = 3


def payment_hold(*, is_guest: bool) -> dt.timedelta:
    """How long a new card order keeps its stock while waiting for the payment."""
    return GUEST_HOLD if is_guest else ACCOUNT_HOLD


def client_ip_key(ip: str) -> str:
    """What an order keeps of its client's address while unpaid: a keyed hash, not the address."""
    return salted_hmac("checkout.unpaid-orders-per-ip", client_network(ip), algorithm="sha256").hexdigest()


def too_many_checkouts(*, ip: str, client: str) -> bool:
    """Counts a checkout of this IP address and client; True once either went past its limit."""
    return is_over_limit(
        scope="checkout-ip", client=client_network(ip), limit=CHECKOUTS_PER_IP, window_seconds=CHECKOUT_WINDOW_SECONDS
    ) or is_over_limit(
        scope="checkout-client", client=client, limit=CHECKOUTS_PER_CLIENT, window_seconds=CHECKOUT_WINDOW_SECONDS
    )
