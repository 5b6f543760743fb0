"""Orders delivered by the town become deliveries: one pickup per shop, one drop-off at the resident.

Driven by checkout's events (``logistics.receivers``): ``order_paid`` creates the delivery,
``order_refunded`` (a shop refused its part, or a line of it) updates it. Both are idempotent: the
outbox may hand an event over twice, and ``sync_delivery`` re-reads the order each time.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from decimal import Decimal

from django.db import transaction

from catalog.models import Product
from checkout.models import Fulfilment, MerchantOrder, MerchantOrderStatus, Order, OrderStatus
from delivery.geometry import polygon_covers
from delivery.models import DeliveryZone
from delivery.models import Vehicle as ZoneVehicle
from logistics.models import (
    OPEN_DELIVERY_STATUSES,
    Delivery,
    DeliveryPart,
    DeliveryStatus,
    LogisticsSettings,
    PartStatus,
)
from logistics.notify import arrival_windows_changed

# The window of a delivery whose order carries no slot (a town without slots delivers by the day).
DEFAULT_WINDOW = (dt.time(10, 0), dt.time(18, 0))
_GONE = (MerchantOrderStatus.CANCELLED, MerchantOrderStatus.REFUNDED)
_CODE_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY3479"  # no 0/O, 1/I, 2/Z, 5/S, 6/G, 8/B: read aloud or typed on a phone


def new_code(length: int = 6) -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(length))


def new_door_code() -> str:
    """The code the resident gives the courier at the door: six digits, easy to say on the phone."""
    return f"{secrets.randbelow(1_000_000):06d}"


def in_centre(latitude: float | None, longitude: float | None) -> bool:
    """Inside an active cargo-bike zone's polygon: where bikes may ride (docs/architecture.md §9)."""
    if latitude is None or longitude is None:
        return False
    for zone in DeliveryZone.objects.filter(is_active=True, vehicle=ZoneVehicle.CARGO_BIKE, geometry__isnull=False):
        if zone.geometry is not None and polygon_covers(
            zone_id=zone.pk, updated_at=zone.updated_at, geometry=zone.geometry, latitude=latitude, longitude=longitude
        ):
            return True
    return False


def part_size(merchant_order: MerchantOrder, config: LogisticsSettings) -> tuple[int, int, int, bool]:
    """(parcels, grams, millilitres, chilled) of the lines still to deliver of one shop's part."""
    lines = [line for line in merchant_order.lines.all() if not line.is_refused]
    variant_ids = [line.variant_id for line in lines if line.variant_id]
    products = {
        variant_id: (weight, volume, chilled)
        for variant_id, weight, volume, chilled in Product.objects.filter(variants__in=variant_ids).values_list(
            "variants__id", "weight_grams", "volume_ml", "is_chilled"
        )
    }
    grams = millilitres = items = 0
    chilled = False
    for line in lines:
        weight, volume, line_chilled = products.get(line.variant_id or 0, (None, None, False))
        chilled = chilled or bool(line_chilled)
        quantity = Decimal(line.quantity)
        if line.unit == "kg":
            grams += int(quantity * 1000)
            millilitres += int(quantity * config.ml_per_kg)
            items += 1
        else:
            pieces = math.ceil(quantity)
            grams += pieces * (weight or config.default_grams_per_piece)
            millilitres += pieces * (volume or config.default_ml_per_piece)
            items += pieces
    parcels = max(1, math.ceil(items / config.items_per_parcel)) if lines else 0
    return parcels, grams, millilitres, chilled


def _window(order: Order) -> tuple[dt.time, dt.time]:
    start, end = order.delivery_window_start, order.delivery_window_end
    if start is None or end is None or end <= start:
        return DEFAULT_WINDOW
    return start, end


def sync_delivery(order_id: int) -> Delivery | None:
    """Creates or updates the delivery of a paid order delivered by the town; None when it has none.

    A shop part refused (cancelled or refunded) is marked refused; when nothing is left to deliver
    the delivery is cancelled and drops out of the day's plan. Safe to call any number of times.
    """
    config = LogisticsSettings.current()
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        delivered_parts = list(
            order.merchant_orders.filter(fulfilment=Fulfilment.DELIVERY).prefetch_related("lines").order_by("pk")
        )
        if not delivered_parts or order.delivery_date is None:
            return None
        delivery = Delivery.objects.select_for_update().filter(order=order).first()
        if delivery is None:
            if order.status != OrderStatus.PAID:
                return None
            start, end = _window(order)
            delivery = Delivery.objects.create(
                order=order,
                date=order.delivery_date,
                window_start=start,
                window_end=end,
                latitude=order.delivery_latitude,
                longitude=order.delivery_longitude,
                in_centre=in_centre(order.delivery_latitude, order.delivery_longitude),
                needs_address_check=order.delivery_needs_geocoding
                or order.delivery_latitude is None
                or order.delivery_longitude is None,
                door_code=new_door_code(),
            )
        parcels = grams = millilitres = 0
        chilled = False
        live = 0
        refused_now = False
        for merchant_order in delivered_parts:
            part = DeliveryPart.objects.filter(merchant_order=merchant_order).first()
            size = part_size(merchant_order, config)
            gone = merchant_order.status in _GONE or size[0] == 0
            if part is None:
                part = DeliveryPart(delivery=delivery, merchant_order=merchant_order, collect_code=new_code())
            part.parcels, part.grams, part.millilitres, part.chilled = size
            if gone:
                refused_now = refused_now or part.status != PartStatus.REFUSED
                part.status = PartStatus.REFUSED
            elif part.status == PartStatus.WAITING and merchant_order.status == MerchantOrderStatus.READY:
                part.status = PartStatus.READY
            part.save()
            if part.status != PartStatus.REFUSED:
                live += 1
                parcels += part.parcels
                grams += part.grams
                millilitres += part.millilitres
                chilled = chilled or part.chilled
        delivery.parcels, delivery.grams, delivery.millilitres, delivery.chilled = (
            max(parcels, 1),
            grams,
            millilitres,
            chilled,
        )
        fields = ["parcels", "grams", "millilitres", "chilled", "updated_at"]
        if live == 0 and delivery.status in OPEN_DELIVERY_STATUSES:
            delivery.status = DeliveryStatus.CANCELLED
            fields.append("status")
            # Its stops leave the rounds; the board shows the round shorter at the next look.
            delivery.stops.all().delete()
        delivery.save(update_fields=fields)
        if refused_now:
            # What checkout shows of it (the shop's pickup time, the window, the codes) is updated after commit.
            delivery_id = delivery.pk
            transaction.on_commit(lambda: arrival_windows_changed([delivery_id]))
        return delivery


def locate_delivery(*, delivery: Delivery, latitude: float, longitude: float) -> Delivery:
    """A town agent placed the address on the map (geocoder down at checkout): it can be planned."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        delivery.latitude, delivery.longitude = latitude, longitude
        delivery.in_centre = in_centre(latitude, longitude)
        delivery.needs_address_check = False
        delivery.save(update_fields=["latitude", "longitude", "in_centre", "needs_address_check", "updated_at"])
    return delivery
