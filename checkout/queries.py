"""Who may see which order: the resident who placed it, its merchants' staff, town staff."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from django.core.exceptions import PermissionDenied
from django.db.models import F, Prefetch, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest

from accounts.models import AnyUser, Role, User
from catalog.queries import merchants_for
from checkout.basket import BASKET_SESSION_KEY, basket_line_count
from checkout.models import (
    MerchantOrder,
    MerchantOrderStatus,
    Notification,
    NotificationChannel,
    Order,
    OrderLine,
    PaymentMethod,
)

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

SESSION_ORDERS_KEY = "checkout_orders"
_BASKET_COUNT_ATTRIBUTE = "_checkout_basket_count"


class CameIn(TypedDict):
    came_in_at: dt.datetime  # when the shop got it: paid, or placed when paid in store


def orders_with_details() -> QuerySet[Order]:
    return Order.objects.prefetch_related(
        Prefetch(
            "merchant_orders",
            queryset=MerchantOrder.objects.select_related("merchant").prefetch_related(
                Prefetch("lines", queryset=OrderLine.objects.order_by("pk"))
            ),
        )
    )


def remember_order_in_session(request: HttpRequest, order: Order) -> None:
    known = request.session.get(SESSION_ORDERS_KEY, [])
    request.session[SESSION_ORDERS_KEY] = [*known[-19:], str(order.public_id)]


def get_order_for_request(request: HttpRequest, public_id: object) -> Order:
    """The order of the signed-in resident, or one placed in this browser session; 404 otherwise."""
    try:
        parsed = uuid.UUID(str(public_id))
    except ValueError:
        raise Http404(public_id) from None
    order = orders_with_details().filter(public_id=parsed).first()
    if order is None:
        raise Http404(public_id)
    user = request.user
    if str(parsed) in request.session.get(SESSION_ORDERS_KEY, []):
        return order
    if user.is_authenticated and order.user_id == user.pk:
        return order
    raise Http404(public_id)


def basket_count_for(request: HttpRequest) -> int:
    """Articles in this visitor's basket, as the header shows them: read from the database on every page
    (never cached, so never another visitor's nor a stale count), at most one COUNT per request.

    The session is already loaded to know who the visitor is; a visitor without a basket costs no query.
    """
    if (known := getattr(request, _BASKET_COUNT_ATTRIBUTE, None)) is not None:
        return known
    user = getattr(request, "user", None)  # absent on pages answered before authentication (400, 413)
    session = getattr(request, "session", None)
    if user is not None and user.is_authenticated:
        count = basket_line_count(user_id=user.pk, token=None)
    else:
        count = basket_line_count(user_id=None, token=session.get(BASKET_SESSION_KEY) if session is not None else None)
    remember_basket_count(request, count)
    return count


def remember_basket_count(request: HttpRequest, count: int) -> None:
    """The count a page has just read for itself (the basket page), so the header does not ask again."""
    setattr(request, _BASKET_COUNT_ATTRIBUTE, count)


def get_order_by_public_id(public_id: str) -> Order:
    order = orders_with_details().filter(public_id=public_id).first()
    if order is None:
        raise Http404(public_id)
    return order


def orders_of_resident(user: User) -> QuerySet[Order]:
    return orders_with_details().filter(user_id=user.pk)


# --- merchants --------------------------------------------------------------------------------
def can_handle_orders(user: AnyUser) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and user.role in (Role.TOWN_ADMIN, Role.TOWN_AGENT, Role.MERCHANT_STAFF)
    )


def require_order_handler(user: User) -> None:
    if not can_handle_orders(user):
        raise PermissionDenied


VISIBLE_TO_MERCHANT = (
    MerchantOrderStatus.PAID,
    MerchantOrderStatus.PLACED,
    MerchantOrderStatus.ACCEPTED,
    MerchantOrderStatus.READY,
    MerchantOrderStatus.COLLECTED,
    MerchantOrderStatus.DELIVERED,
    MerchantOrderStatus.REFUNDED,
    MerchantOrderStatus.CANCELLED,
)


def merchant_orders_for(user: User) -> QuerySet[MerchantOrder]:
    """Merchant staff see their own merchants' orders, town staff all; never unpaid card orders."""
    require_order_handler(user)
    return (
        MerchantOrder.objects.filter(merchant__in=merchants_for(user), status__in=VISIBLE_TO_MERCHANT)
        # A card order cancelled before it was paid (it expired, the payment failed) never reached the
        # shop: it was not told of it and has nothing to do with it, nor with the buyer's details.
        .exclude(status=MerchantOrderStatus.CANCELLED, paid_at__isnull=True, order__payment_method=PaymentMethod.CARD)
        # Who took an order by phone or at the desk (checkout.phone_orders): in the same query.
        .select_related("order", "order__phone_order", "merchant")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("pk")))
    )


OPEN_STATUSES = (
    MerchantOrderStatus.PAID,
    MerchantOrderStatus.PLACED,
    MerchantOrderStatus.ACCEPTED,
    MerchantOrderStatus.READY,
)


def todays_merchant_orders_for(user: User, *, since: dt.datetime) -> QuerySet[WithAnnotations[MerchantOrder, CameIn]]:
    """What a shop has to deal with: everything still open, plus what was closed today; oldest first,
    by when each reached the shop (paid, or placed when paid in store)."""
    orders = merchant_orders_for(user)
    return (
        (orders.filter(status__in=OPEN_STATUSES) | orders.filter(order__created_at__gte=since))
        .annotate(came_in_at=Coalesce(F("paid_at"), F("order__created_at")))
        .order_by("came_in_at", "pk")
    )


TO_ACCEPT_STATUSES = (MerchantOrderStatus.PAID, MerchantOrderStatus.PLACED)


@dataclass(frozen=True)
class OrderScreenState:
    to_accept: int  # orders waiting for the shop to accept them
    version: str  # changes whenever the order screen would show something else


def order_screen_version(rows: Iterable[tuple[int, str]]) -> str:
    """A short fingerprint of the (order id, state) pairs the order screen lists."""
    digest = hashlib.blake2b(digest_size=8)
    for merchant_order_id, status in sorted(rows):
        digest.update(f"{merchant_order_id}:{status};".encode())
    return digest.hexdigest()


def _screen_state(rows: list[tuple[int, str]]) -> OrderScreenState:
    return OrderScreenState(
        to_accept=sum(status in TO_ACCEPT_STATUSES for _pk, status in rows), version=order_screen_version(rows)
    )


def order_screen_state(merchant_orders: Iterable[MerchantOrder]) -> OrderScreenState:
    """The state of an order screen already read (no query): the page and the poll say the same."""
    return _screen_state([(merchant_order.pk, merchant_order.status) for merchant_order in merchant_orders])


def order_screen_state_for(user: User, *, since: dt.datetime) -> OrderScreenState:
    """What the polling order screen asks every half minute, in one query: the same orders as the screen
    (``todays_merchant_orders_for``), their ids and states only."""
    return _screen_state(list(todays_merchant_orders_for(user, since=since).values_list("pk", "status")))


def get_merchant_order_for(user: User, merchant_order_id: int) -> MerchantOrder:
    merchant_order = merchant_orders_for(user).filter(pk=merchant_order_id).first()
    if merchant_order is None:
        raise Http404(merchant_order_id)
    return merchant_order


def get_order_line_for(user: User, line_id: int) -> OrderLine:
    line = OrderLine.objects.filter(pk=line_id, merchant_order__in=merchant_orders_for(user)).first()
    if line is None:
        raise Http404(line_id)
    return line


def in_app_notices_for(user: User) -> QuerySet[Notification]:
    """The in-app notices of the user's merchants (new orders, cancellations), newest first."""
    return (
        Notification.objects.filter(
            channel=NotificationChannel.IN_APP, merchant_order__merchant__in=merchants_for(user)
        )
        .select_related("order", "merchant_order")
        .order_by("-created_at", "-pk")
    )
