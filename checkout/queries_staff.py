"""Reads of the town's order desk (town admins and agents): who may see it, and what it lists."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypedDict

from django.core.exceptions import PermissionDenied
from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import TOWN_STAFF_ROLES, User
from checkout.models import MerchantOrder, MerchantOrderStatus, Notification, NotificationStatus, Order, OrderStatus

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class WaitingSince(TypedDict):
    waiting_since: datetime  # when it was paid, or placed when paid in store


ACCEPTANCE_DELAY = timedelta(minutes=30)
# A desk screen, not an archive: past this many rows the town has a bigger problem than paging.
DESK_ROWS = 200


def can_use_order_desk(user: User) -> bool:
    """Town admins and town agents only; merchants, couriers and residents never."""
    return bool(user.is_authenticated and user.is_active and user.role in TOWN_STAFF_ROLES)


def require_order_desk(user: User) -> None:
    """403 for a signed-in user who is not town staff."""
    if not can_use_order_desk(user):
        raise PermissionDenied


def merchant_orders_awaiting_acceptance(user: User) -> QuerySet[WithAnnotations[MerchantOrder, WaitingSince]]:
    """Paid (or placed, pay in store) parts still not accepted 30 minutes on, oldest first."""
    require_order_desk(user)
    # A pay-in-store part has no payment time: it waits from the moment the order was placed.
    return (
        MerchantOrder.objects.filter(status__in=(MerchantOrderStatus.PAID, MerchantOrderStatus.PLACED))
        .annotate(waiting_since=Coalesce(F("paid_at"), F("order__created_at")))
        .filter(waiting_since__lte=timezone.now() - ACCEPTANCE_DELAY)
        .select_related("order", "merchant")
        .order_by("waiting_since", "pk")[:DESK_ROWS]
    )


def orders_needing_geocoding(user: User) -> QuerySet[Order]:
    """Delivered orders placed while the address service was down, not cancelled, soonest delivery first."""
    require_order_desk(user)
    return (
        Order.objects.filter(delivery_needs_geocoding=True)
        .exclude(status=OrderStatus.CANCELLED)
        .prefetch_related("merchant_orders")
        .order_by("delivery_date", "delivery_window_start", "created_at", "pk")[:DESK_ROWS]
    )


def failed_notifications(user: User) -> QuerySet[Notification]:
    """Notifications given up after every attempt, most recent first."""
    require_order_desk(user)
    return (
        Notification.objects.filter(status=NotificationStatus.FAILED)
        .select_related("order", "merchant_order")
        .order_by("-created_at", "-pk")[:DESK_ROWS]
    )


def get_notification_for(user: User, notification_id: int) -> Notification:
    """A notification of this town (404 otherwise: another town's ids do not exist here)."""
    require_order_desk(user)
    return get_object_or_404(Notification, pk=notification_id)
