"""Notifications of order events to residents and merchants: queued with the event, sent by workers.

``queue_order_notifications`` runs inside the caller's transaction: it records one ``Notification``
row per message (the unique constraint makes a replayed event a no-op) and, after commit, hands each
row to a Celery task. A broker outage never touches the order: the rows stay pending and the
``send_pending_notifications`` sweep (every minute) hands them over later. ``deliver_notification``
sends one row under a row lock, so two workers never send the same message twice.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.sms import normalise_french_mobile, send_sms
from checkout.models import (
    MerchantOrder,
    Notification,
    NotificationChannel,
    NotificationStatus,
    Order,
    OrderLine,
    PhoneOrder,
)
from checkout.notifications.content import build_email, build_sms_text
from townsite.queries import site_settings

logger = logging.getLogger(__name__)

KINDS = frozenset(
    {
        "order_paid",
        "order_placed",
        "line_refused",
        "order_refunded",
        "order_ready",
        "order_cancelled",
        "delivery_window",
        "delivery_window_moved",
        "payment_link",
    }
)
# The courier's arrival window told to the resident, first (delivery_window) or after it slipped.
DELIVERY_WINDOW_KINDS = frozenset({"delivery_window", "delivery_window_moved"})
KINDS_NEEDING_MERCHANT_ORDER = frozenset({"line_refused", "order_ready"})
MAX_ATTEMPTS = 5
FIRST_RETRY_SECONDS = 30
# The sweep leaves alone what a worker should be handling: a fresh row (its task is on its way) and
# a row between retries (its retry is scheduled; the backoffs add up to 7.5 minutes).
SWEEP_FRESH_AFTER = timedelta(minutes=1)
SWEEP_STALLED_AFTER = timedelta(minutes=15)
SWEEP_BATCH = 500


@dataclass(frozen=True)
class _Planned:
    merchant_order: MerchantOrder | None
    kind: str
    channel: str
    recipient: str


@dataclass(frozen=True)
class DeliveryOutcome:
    """What one delivery attempt did; ``retry_in`` (seconds) is set when another attempt is due."""

    status: str
    retry_in: int | None = None


def queue_order_notifications(
    *,
    order: Order,
    kind: str,
    merchant_order: MerchantOrder | None = None,
    refused_lines: Sequence[OrderLine] | None = None,
    line: OrderLine | None = None,
) -> int:
    """Record the notifications of an order event once and send them after commit; returns how many
    messages (e-mails, SMS) this call queued: 0 when nobody is sent anything (a replay, no recipient).

    Kinds: ``order_paid`` / ``order_placed`` (resident receipt; per merchant an e-mail, an in-app
    notice and, when the town sends them, an SMS to the shop's mobile), ``line_refused`` (needs ``merchant_order``; ``refused_lines`` defaults to
    every refused line of it; ``line`` is one such line), ``order_refunded`` (optionally one
    ``merchant_order``; each new cumulative refunded amount is a new event),
    ``order_ready`` (needs ``merchant_order``; e-mail and SMS to the resident), ``order_cancelled``
    (order-wide: the resident, and the merchants who had been notified of the order),
    ``delivery_window`` / ``delivery_window_moved`` (the order's ``delivery_eta_*`` told to the
    resident by e-mail and SMS, first or after it slipped; each new window is a new event).
    Calling it again for the same event creates nothing and sends nothing.
    """
    if kind not in KINDS:
        raise ValidationError(f"Unknown notification kind: {kind}")
    if kind in KINDS_NEEDING_MERCHANT_ORDER and merchant_order is None:
        raise ValidationError(f"{kind} notifications need the merchant order concerned")
    if merchant_order is not None and merchant_order.order_id != order.pk:
        raise ValidationError("The merchant order does not belong to this order")
    if line is not None:
        refused_lines = [*(refused_lines or ()), line]
    to_send: list[int] = []
    for planned in _plan(order=order, kind=kind, merchant_order=merchant_order, refused_lines=refused_lines):
        if planned.channel == NotificationChannel.EMAIL and not planned.recipient:
            continue  # a resident who gave no e-mail (an order taken by phone): told by SMS where it matters
        is_in_app = planned.channel == NotificationChannel.IN_APP
        notification, created = Notification.objects.get_or_create(
            order=order,
            merchant_order=planned.merchant_order,
            kind=planned.kind,
            channel=planned.channel,
            # In-app notices are delivered by existing: the merchant's space lists them.
            defaults={
                "recipient": planned.recipient,
                "status": NotificationStatus.SENT if is_in_app else NotificationStatus.PENDING,
                "sent_at": timezone.now() if is_in_app else None,
            },
        )
        if created and not is_in_app:
            to_send.append(notification.pk)
    if to_send:
        # robust: whatever happens while handing over, the caller's (committed) order is unaffected.
        transaction.on_commit(partial(hand_over_to_workers, to_send), robust=True)
    return len(to_send)


def _plan(
    *, order: Order, kind: str, merchant_order: MerchantOrder | None, refused_lines: Sequence[OrderLine] | None
) -> list[_Planned]:
    email, sms = NotificationChannel.EMAIL, NotificationChannel.SMS
    if kind in ("order_paid", "order_placed"):
        planned = [_Planned(None, kind, email, order.email)]
        planned += _phone_order_receipts(order)
        # An SMS per new order only where the town chose it (Gestion du site): each one is paid for.
        with_sms = site_settings().sms_merchants_on_new_order
        for part in order.merchant_orders.select_related("merchant"):
            planned += _to_merchant(part, kind, with_sms=with_sms)
        return planned
    if kind == "order_cancelled":
        # Order-wide (a single merchant's part is cancelled through line_refused). Only merchants
        # who were told about the order hear of its cancellation.
        planned = [_Planned(None, kind, email, order.email)]
        if PhoneOrder.objects.filter(order=order).exists() and (mobile := normalise_french_mobile(order.phone)):
            planned.append(_Planned(None, kind, sms, mobile))  # taken by phone: the resident may read no e-mail
        told = Notification.objects.filter(
            order=order, kind__in=("order_paid", "order_placed"), merchant_order__isnull=False
        ).values("merchant_order_id")
        for part in order.merchant_orders.select_related("merchant").filter(pk__in=told):
            planned += _to_merchant(part, kind, with_sms=False)
        return planned
    if kind == "line_refused":
        assert merchant_order is not None  # noqa: S101 — checked by the caller above
        return [_Planned(merchant_order, _refusal_kind(merchant_order, refused_lines), email, order.email)]
    if kind == "order_ready":
        planned = [_Planned(merchant_order, kind, email, order.email)]
        if mobile := normalise_french_mobile(order.phone):
            planned.append(_Planned(merchant_order, kind, sms, mobile))
        return planned
    if kind in DELIVERY_WINDOW_KINDS:
        if order.delivery_eta_start is None or order.delivery_eta_end is None:
            raise ValidationError(f"{kind} notifications need the order's delivery window")
        # Keyed by the window: a new window is news, the same one told again is not.
        keyed = f"{kind}:{order.delivery_eta_start:%H%M}-{order.delivery_eta_end:%H%M}"
        planned = [_Planned(None, keyed, email, order.email)] if order.email else []
        if mobile := normalise_french_mobile(order.phone):
            planned.append(_Planned(None, keyed, sms, mobile))
        return planned
    if kind == "payment_link":
        # An order taken by phone (checkout.phone_orders): the card payment link, by SMS and e-mail.
        planned = [_Planned(None, kind, email, order.email)]
        if mobile := normalise_french_mobile(order.phone):
            planned.append(_Planned(None, kind, sms, mobile))
        return planned
    if kind == "order_refunded":
        # Keyed by the cumulative amount refunded: a second partial refund is news, a replay is not.
        refunded_cents = merchant_order.refunded_cents if merchant_order else order.refunded_cents
        return [_Planned(merchant_order, f"{kind}:{refunded_cents}", email, order.email)]
    return [_Planned(merchant_order, kind, email, order.email)]


def _phone_order_receipts(order: Order) -> list[_Planned]:
    """A resident who ordered by phone or at the desk gets, per shop, an SMS with the pickup code and place
    (``receipt``): the e-mail receipt may reach nobody."""
    if not PhoneOrder.objects.filter(order=order).exists():
        return []
    mobile = normalise_french_mobile(order.phone)
    if not mobile:
        return []
    return [_Planned(part, "receipt", NotificationChannel.SMS, mobile) for part in order.merchant_orders.all()]


def _to_merchant(part: MerchantOrder, kind: str, *, with_sms: bool) -> list[_Planned]:
    merchant = part.merchant
    planned = [_Planned(part, kind, NotificationChannel.IN_APP, "")]
    if merchant.email:
        planned.append(_Planned(part, kind, NotificationChannel.EMAIL, merchant.email))
    if with_sms and (mobile := normalise_french_mobile(merchant.phone)):
        planned.append(_Planned(part, kind, NotificationChannel.SMS, mobile))
    return planned


def _refusal_kind(merchant_order: MerchantOrder, refused_lines: Sequence[OrderLine] | None) -> str:
    """``line_refused:<line ids>``: each refusal is its own event, a replay of it is the same one."""
    ids = sorted(line.pk for line in refused_lines) if refused_lines else None
    if ids is None:
        ids = sorted(merchant_order.lines.filter(is_refused=True).values_list("pk", flat=True))
    kind = "line_refused:" + ",".join(map(str, ids))
    if len(kind) > cast(int, Notification._meta.get_field("kind").max_length):  # a CharField's: always set
        # Too many lines to spell out: a digest still identifies the event; the e-mail then lists
        # every refused line of the merchant order.
        kind = "line_refused:#" + hashlib.sha256(kind.encode()).hexdigest()[:24]
    return kind


def hand_over_to_workers(notification_ids: Sequence[int]) -> None:
    """Queue one task per notification; a broker outage is logged and left to the sweep."""
    from checkout.tasks import send_notification_task

    for notification_id in notification_ids:
        try:
            send_notification_task.apply_async(args=(notification_id,))
        except Exception as error:  # kombu.OperationalError, ConnectionError, a misconfigured broker…
            # The row stays pending: send_pending_notifications hands it over once the broker is back.
            logger.warning("notification %s not queued (broker unavailable): %r", notification_id, error)


def retry_delay_seconds(attempts: int) -> int:
    """30 s, 60 s, 120 s, 240 s: exponential backoff after the n-th failed attempt."""
    return FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0)


def deliver_notification(*, notification_id: int) -> DeliveryOutcome:
    """Send one pending notification at most once, recording the attempt whatever the outcome."""
    with transaction.atomic():
        # skip_locked: if another worker holds the row it is sending it right now; leave it be.
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("order", "merchant_order__merchant")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None:
            return DeliveryOutcome(status="skipped")
        if notification.status != NotificationStatus.PENDING:
            return DeliveryOutcome(status=notification.status)
        notification.attempts += 1
        try:
            # A savepoint: a database error while rendering must not poison the bookkeeping below.
            with transaction.atomic():
                _send(notification)
        except Exception as error:  # SMTP, HTTP, rendering: all recorded for the town to see.
            notification.last_error = f"{type(error).__name__}: {error}"[:500]
            is_final = notification.attempts >= MAX_ATTEMPTS
            if is_final:
                notification.status = NotificationStatus.FAILED
            notification.save(update_fields=["attempts", "last_error", "status"])
            # The traceback once, when the town has to step in; each attempt's error is in the row.
            logger.warning(
                "notification %s attempt %s failed%s: %s",
                notification.pk,
                notification.attempts,
                " for good" if is_final else "",
                notification.last_error,
                exc_info=is_final,
            )
            if is_final:
                return DeliveryOutcome(status=NotificationStatus.FAILED)
            return DeliveryOutcome(
                status=NotificationStatus.PENDING, retry_in=retry_delay_seconds(notification.attempts)
            )
        notification.status = NotificationStatus.SENT
        notification.sent_at = timezone.now()
        notification.last_error = ""
        notification.save(update_fields=["attempts", "last_error", "status", "sent_at"])
        return DeliveryOutcome(status=NotificationStatus.SENT)


def _send(notification: Notification) -> None:
    if notification.channel == NotificationChannel.EMAIL:
        build_email(notification).send(fail_silently=False)
    elif notification.channel == NotificationChannel.SMS:
        send_sms(to=notification.recipient, text=build_sms_text(notification))
    else:
        raise ValueError(f"nothing to send on channel {notification.channel}")


def notification_ids_to_sweep() -> list[int]:
    """Pending notifications no worker is about to send: never handed over, or stalled mid-retries."""
    now = timezone.now()
    return list(
        Notification.objects.filter(status=NotificationStatus.PENDING)
        .exclude(channel=NotificationChannel.IN_APP)
        .filter(Q(attempts=0, created_at__lte=now - SWEEP_FRESH_AFTER) | Q(created_at__lte=now - SWEEP_STALLED_AFTER))
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )


def resend_notification(*, notification: Notification) -> bool:
    """Give a failed notification a fresh set of attempts and queue it; False if it had not failed."""
    with transaction.atomic():
        updated = Notification.objects.filter(pk=notification.pk, status=NotificationStatus.FAILED).update(
            status=NotificationStatus.PENDING, attempts=0, last_error=""
        )
        if updated:
            transaction.on_commit(partial(hand_over_to_workers, [notification.pk]), robust=True)
    return bool(updated)
