"""Signed links to an order's status page, usable without logging in (e-mails, SMS)."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from accounts.signing import town_salt
from checkout.models import Order

_PURPOSE = "checkout.order-status"
# Long enough for an order's life and a late question; a link forwarded or left in a mailbox dies.
STATUS_LINK_MAX_AGE = 60 * 60 * 24 * 90


def make_status_token(order: Order) -> str:
    return signing.dumps(str(order.public_id), salt=town_salt(_PURPOSE), compress=False)


def order_public_id_from_token(token: str) -> str | None:
    """The order's public id, or None when the token was forged, altered or minted in another town."""
    # Links mailed before tokens named their town carry the bare salt; they keep working until they
    # expire (STATUS_LINK_MAX_AGE after this release, then drop the fallback): the public id they
    # carry is a random UUID only ever looked up in the current town's orders.
    for salt in (town_salt(_PURPOSE), _PURPOSE):
        try:
            return signing.loads(token, salt=salt, max_age=STATUS_LINK_MAX_AGE)
        except signing.BadSignature:
            continue
    return None


def status_path(order: Order) -> str:
    """Path of the status page (prefix the town's host for an absolute link).

    The town URLconf explicitly: e-mails may be built while the root domain's request (a webhook,
    with its public URLconf) is being served, when tasks run eagerly.
    """
    return reverse("checkout:status", kwargs={"token": make_status_token(order)}, urlconf=settings.ROOT_URLCONF)
