"""Where a delivery stands, told everywhere: the resident, the shops and the town's order page.

Checkout sits below logistics and never imports it (docs/architecture.md §1). So what checkout's pages
show of the rounds is written into checkout's own rows through checkout's actions: the arrival window
and the door code on the order (the resident's status page), the courier's time and code on each shop's
part (the shop's order screen and printed ticket). Messages to the resident go through checkout's
notifications (one queue, the same retries, the town's failed-notifications page). The town staff's
order page shows how the delivery went through the panel registered here (``checkout.panels``).

The planner calls ``arrival_windows_changed`` after each plan it commits.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString

from checkout.actions import lock_order, set_courier_pickup, set_delivery_eta
from checkout.models import Order
from checkout.notifications import queue_order_notifications
from checkout.panels import register_order_panel
from logistics.models import Delivery, DeliveryStatus, FailureReason, PartStatus, ProofMode, Stop, StopKind

# A window that starts up to this much later than the one told is still the one told: the resident is
# not sent a message for every few minutes the plan moves. Any move earlier is told (they might be out).
SLIP_TOLERANCE = dt.timedelta(minutes=15)
# Deliveries whose window is worth telling: on a round, not yet at the door.
_TELLABLE = frozenset({DeliveryStatus.PLANNED, DeliveryStatus.ON_THE_WAY})


def window_news(*, told_start: dt.time | None, new_start: dt.time) -> str | None:
    """The notification kind a new window start calls for: ``delivery_window`` when nothing was told yet,
    ``delivery_window_moved`` when it starts more than 15 minutes later than told or earlier at all, else None."""
    if told_start is None:
        return "delivery_window"
    day = dt.date(2000, 1, 1)  # times of the same day: compared as datetimes to subtract them
    shift = dt.datetime.combine(day, new_start) - dt.datetime.combine(day, told_start)
    if shift > SLIP_TOLERANCE or shift < dt.timedelta(0):
        return "delivery_window_moved"
    return None


def arrival_windows_changed(delivery_ids: Iterable[int]) -> int:
    """Copies each delivery's arrival window, door code, pickup times and courier codes into checkout's
    rows, then tells the resident the window once, and again only when it slipped (``window_news``).

    Records the window told (``told_eta_start``). Called twice with nothing changed, it sends nothing the
    second time. Returns how many messages (e-mails, SMS) were queued; they leave after commit.
    """
    queued = 0
    for delivery_id in sorted(set(delivery_ids)):
        order_id = Delivery.objects.filter(pk=delivery_id).values_list("order_id", flat=True).first()
        if order_id is None:
            continue
        with transaction.atomic():
            # The order first, then the delivery: the order in which sync_delivery takes them (no deadlock).
            order = lock_order(order_id)
            delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
            queued += _publish(order, delivery)
    return queued


def _publish(order: Order, delivery: Delivery) -> int:
    is_cancelled = delivery.status == DeliveryStatus.CANCELLED
    start, end = (None, None) if is_cancelled else (delivery.eta_start, delivery.eta_end)
    if start is None or end is None or end <= start:
        start = end = None
    order = set_delivery_eta(order_id=order.pk, start=start, end=end, door_code=delivery.door_code)
    for part in delivery.parts.all():
        is_gone = is_cancelled or part.status == PartStatus.REFUSED
        set_courier_pickup(
            merchant_order_id=part.merchant_order_id,
            at=None if is_gone else part.pickup_eta,
            code="" if is_gone else part.collect_code,
        )
    if start is None or delivery.status not in _TELLABLE:
        return 0
    kind = window_news(told_start=delivery.told_eta_start, new_start=start)
    if kind is None:
        return 0
    queued = queue_order_notifications(order=order, kind=kind)
    delivery.told_eta_start = start
    delivery.save(update_fields=["told_eta_start", "updated_at"])
    return queued


# --- the proof of delivery on the town staff's order page ----------------------------------------------

# SVG path data as the courier app draws it: commands, numbers, separators; nothing that could be markup.
_PATH_DATA = re.compile(r"[MmLlHhVvCcSsQqTtAaZz][MmLlHhVvCcSsQqTtAaZz0-9eE.,+\s-]*")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
MAX_SIGNATURE_CHARS = 50_000


def signature_path(data: str) -> str | None:
    """The signature's SVG path data when it is only path data (else None: never rendered)."""
    data = data.strip()
    if not data or len(data) > MAX_SIGNATURE_CHARS or not _PATH_DATA.fullmatch(data):
        return None
    return data


def signature_view_box(path: str) -> str:
    """A viewBox around the points of an absolute path (the courier app draws with absolute commands)."""
    numbers = [float(number) for number in _NUMBER.findall(path)]
    xs, ys = numbers[0::2], numbers[1::2]
    if not xs or not ys:
        return "0 0 300 150"
    left, top = min(xs) - 5, min(ys) - 5
    return f"{left:g} {top:g} {max(xs) - left + 5:g} {max(ys) - top + 5:g}"


def delivery_panel(order: Order) -> SafeString | None:
    """The delivery of an order as the town sees it: status, courier, when, and the proof or the failure."""
    delivery = Delivery.objects.filter(order=order).first()
    if delivery is None:
        return None
    drop = (
        Stop.objects.filter(delivery=delivery, kind=StopKind.DROP).select_related("round__courier").order_by("-pk")
    ).first()
    courier = drop.round.courier if drop is not None else None
    signature = signature_path(delivery.proof_signature) if delivery.proof_kind == ProofMode.SIGNATURE else None
    context = {
        "delivery": delivery,
        "courier_name": (courier.get_full_name() or courier.email) if courier is not None else "",
        "proof_kind_label": ProofMode(delivery.proof_kind).label if delivery.proof_kind in ProofMode.values else "",
        "photo_url": reverse("logistics_reports:proof_photo", args=[delivery.pk])
        if delivery.proof_kind == ProofMode.PHOTO and delivery.proof_photo
        else "",
        "signature": signature,
        "signature_view_box": signature_view_box(signature) if signature else "",
        "failure_label": FailureReason(delivery.failure_reason).label
        if delivery.failure_reason in FailureReason.values
        else "",
    }
    return SafeString(render_to_string("logistics/reports/_delivery_panel.html", context))


def register() -> None:
    """Called once from LogisticsConfig.ready(): the order page shows the delivery panel."""
    register_order_panel(delivery_panel)
