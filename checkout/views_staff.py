"""The town's order desk: orders waiting for a merchant, notifications that could not be sent.

Town admins and agents only (``checkout.queries_staff``); anonymous visitors go to the login page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.requests import AuthenticatedRequest, signed_in_view
from catalog.formatting import format_price, tel_link
from checkout import queries_staff
from checkout.models import MerchantOrder, Notification
from checkout.notifications import resend_notification as resend
from checkout.notifications.content import base_kind
from checkout.order_days import group_by_day

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

KIND_LABELS = {
    "order_paid": gettext_lazy("Commande payée"),
    "order_placed": gettext_lazy("Commande à payer en boutique"),
    "line_refused": gettext_lazy("Article refusé"),
    "order_refunded": gettext_lazy("Remboursement"),
    "order_ready": gettext_lazy("Commande prête"),
    "order_cancelled": gettext_lazy("Commande annulée"),
    "delivery_window": gettext_lazy("Heure de livraison annoncée"),
    "delivery_window_moved": gettext_lazy("Livraison décalée"),
    "payment_link": gettext_lazy("Lien de paiement (commande par téléphone)"),
    "receipt": gettext_lazy("Confirmation par SMS (commande par téléphone)"),
}


# Anonymous → login page; signed in but not town staff → 403.
order_desk_view = signed_in_view(queries_staff.require_order_desk)


@dataclass(frozen=True)
class AwaitingRow:
    """A line of the orders waiting for a merchant, as the desk shows it."""

    merchant_order: MerchantOrder
    waiting_since: dt.datetime
    waiting: str
    amount: str
    tel_href: str


@dataclass(frozen=True)
class FailedNotificationRow:
    notification: Notification
    kind_label: StrOrPromise


def waiting_label(minutes: int) -> str:
    """90 → "1 h 30", 3730 → "2 jours 14 h": how long a shop has left an order waiting, at a glance."""
    if minutes < 60:
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        return _("%(hours)d h %(minutes)02d") % {"hours": hours, "minutes": rest}
    days, hours = divmod(hours, 24)
    return ngettext("%(days)d jour %(hours)d h", "%(days)d jours %(hours)d h", days) % {"days": days, "hours": hours}


@require_GET
@order_desk_view
def awaiting_acceptance(request: AuthenticatedRequest) -> HttpResponse:
    now = timezone.now()
    rows = [
        AwaitingRow(
            merchant_order=merchant_order,
            waiting_since=merchant_order.waiting_since,
            waiting=waiting_label(int((now - merchant_order.waiting_since).total_seconds() // 60)),
            amount=format_price(merchant_order.items_total_cents),
            tel_href=tel_link(merchant_order.merchant.phone),
        )
        for merchant_order in queries_staff.merchant_orders_awaiting_acceptance(request.user)
    ]
    days = group_by_day(rows, lambda row: row.waiting_since)
    context = {"rows": rows, "days": days, "desk_tab": "awaiting"}
    return render(request, "checkout/staff/awaiting_acceptance.html", context)


@require_GET
@order_desk_view
def addresses_to_check(request: AuthenticatedRequest) -> HttpResponse:
    orders = list(queries_staff.orders_needing_geocoding(request.user))
    return render(request, "checkout/staff/addresses_to_check.html", {"orders": orders, "desk_tab": "addresses"})


@require_GET
@order_desk_view
def failed_notifications(request: AuthenticatedRequest) -> HttpResponse:
    rows = [
        FailedNotificationRow(
            notification=notification, kind_label=KIND_LABELS.get(base_kind(notification.kind), notification.kind)
        )
        for notification in queries_staff.failed_notifications(request.user)
    ]
    context = {"rows": rows, "desk_tab": "failed"}
    return render(request, "checkout/staff/failed_notifications.html", context)


@require_POST
@order_desk_view
def resend_notification(request: AuthenticatedRequest, notification_id: int) -> HttpResponse:
    notification = queries_staff.get_notification_for(request.user, notification_id)
    if resend(notification=notification):
        messages.success(request, _("La notification a été remise en file d'envoi."))
    else:
        messages.info(request, _("Cette notification n'est plus en échec : rien à renvoyer."))
    return redirect("checkout_staff:failed_notifications")
