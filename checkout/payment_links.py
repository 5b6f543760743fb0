"""The card payment link sent by SMS (or e-mail) for an order taken by phone: short, signed, town-bound.

``django.core.signing`` would make a token of about 90 characters (the payload, a timestamp, a
43-character signature): with the town's host, the link would not fit in one SMS (160 GSM-7
septets) next to the order number and amount. So the token is the order's id and 16 characters
(96 bits) of an HMAC keyed by SECRET_KEY, salted with the town (``accounts.signing.town_salt``) and
computed over the id and the order's random public id: it cannot be forged, altered or carried to
another town. It does not expire by itself: the order does (``Order.expires_at``, the stock hold),
and a link to an order no longer waiting for payment leads nowhere but to its status.
"""

from __future__ import annotations

import base64

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.signing import town_salt
from checkout.models import Order

_PURPOSE = "checkout.payment-link"
_MAC_LENGTH = 16


def _mac(order_id: int, public_id: object) -> str:
    digest = salted_hmac(town_salt(_PURPOSE), f"{order_id}:{public_id}", algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).decode()[:_MAC_LENGTH]


def make_payment_token(order: Order) -> str:
    """ "4821.Xk3_9aZQpLm2RtYw": the order's id and its signature."""
    return f"{order.pk}.{_mac(order.pk, order.public_id)}"


def order_from_payment_token(token: str) -> Order | None:
    """The order a payment token names, or None when it was forged, altered or minted in another town."""
    order_id, _sep, mac = token.partition(".")
    if not order_id.isascii() or not order_id.isdigit() or len(order_id) > 18 or len(mac) != _MAC_LENGTH:
        return None
    order = Order.objects.filter(pk=int(order_id)).first()
    if order is None or not constant_time_compare(mac, _mac(order.pk, order.public_id)):
        return None
    return order


def payment_link_path(order: Order) -> str:
    """Path of the payment link (prefix the town's host). The town URLconf explicitly, as ``status_path``."""
    return reverse("checkout:pay_link", kwargs={"token": make_payment_token(order)}, urlconf=settings.ROOT_URLCONF)
