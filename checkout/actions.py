"""Every state change of an order: placing it, payment outcomes, the merchant's steps, refunds.

Concurrency rules (each pinned by a test with real PostgreSQL and threads):
- stock is taken with one conditional UPDATE per variant, in variant-id order, so two baskets
  never lock rows in opposite orders (no deadlock) and the CHECK (stock >= 0) is never hit;
- payment outcomes and refunds lock the order row first (SELECT … FOR UPDATE), so a browser
  return racing the webhook, or two refund clicks, serialise and the second one sees the first;
- a gateway event is recorded under a unique event id in the same transaction as its effect.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
import unicodedata
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.formatting import format_price
from catalog.models import Variant
from checkout import limits, outbox
from checkout.basket import MerchantGroup, PricedBasket, get_sellable_variant, price_basket, stock_units, units_cap
from checkout.history import record_status_change
from checkout.models import (
    Basket,
    Fulfilment,
    MerchantOrder,
    MerchantOrderStatus,
    Order,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    PhoneOrder,
    Refund,
)
from checkout.money import line_total_cents
from checkout.notifications import queue_order_notifications
from checkout.pickup import find_window, pickup_windows
from delivery.provider import Address, DeliveryOffer, DeliveryUnavailable, SlotAvailability
from delivery.provider import provider as delivery_provider
from tenants.connection import connection
from tenants.current import current_town
from tenants.models import Town


@dataclass(frozen=True)
class Actor:
    """Who acts: a user id (or None) and what they act as, kept in the audit trail."""

    kind: str  # resident, merchant, town_agent, system, gateway
    user_id: int | None = None


SYSTEM = Actor(kind="system")
GATEWAY = Actor(kind="gateway")


@dataclass(frozen=True)
class Contact:
    first_name: str
    last_name: str
    email: str
    phone: str


@dataclass(frozen=True)
class FulfilmentChoice:
    kind: str  # Fulfilment value
    pickup_window_key: str = ""


@dataclass(frozen=True)
class StepOutcome:
    """A merchant's step on its part of an order, and whether the resident is being told of it."""

    merchant_order: MerchantOrder
    is_resident_notified: bool = False


def _pickup_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


# --- placing an order ---------------------------------------------------------------------------
def place_order(
    *,
    basket: Basket,
    contact: Contact,
    fulfilments: Mapping[int, FulfilmentChoice],
    address_text: str = "",
    delivery_slot_id: int | None = None,
    delivery_instructions: str = "",
    terms_accepted: bool,
    payment_method: str = PaymentMethod.CARD,
    actor: Actor,
    client_ip: str = "",
    payment_hold: dt.timedelta | None = None,
    now: dt.datetime | None = None,
) -> Order:
    """Turns the basket into an order: prices re-read, stock and delivery capacity taken, basket emptied.

    All or nothing: any refusal (a line out of stock, an address out of zone, a full delivery day,
    a limit of checkout.limits) raises ValidationError with a French message and leaves stock,
    capacity and basket untouched. The same client's (basket's or account's) earlier card orders
    still waiting for payment are cancelled first, so one client holds one unpaid order at a time;
    a card order is refused while other card orders from ``client_ip`` wait for payment beyond the
    limits of checkout.limits (a few orders, the town's cap of any one product).

    A delivery takes ``delivery_slot_id`` (a slot offered that day with room), or without one the
    first slot with room. When the address service is down, the order is still placed: the address
    as typed, the fee of the town's most expensive zone, ``delivery_needs_geocoding`` set for an agent.

    ``payment_hold`` replaces the checkout's hold of a card order (an order taken by phone, paid
    later through a link: ``checkout.phone_orders``).
    """
    now = now or timezone.now()
    town = current_town()
    if not terms_accepted:
        raise ValidationError(_("Vous devez accepter les conditions générales de vente."), code="terms")
    priced = price_basket(basket)
    if priced.is_empty:
        raise ValidationError(_("Votre panier est vide."), code="empty")
    problems = [
        f"{line.variant.product.title} : {line.problem}" for g in priced.groups for line in g.lines if line.problem
    ]
    if problems:
        raise ValidationError(problems, code="basket")
    if payment_method not in PaymentMethod.values:
        raise ValidationError(_("Moyen de paiement inconnu."), code="payment_method")

    groups = priced.groups
    for group in groups:
        choice = fulfilments.get(group.merchant.pk)
        if choice is None or choice.kind not in Fulfilment.values:
            raise ValidationError(
                _("Choisissez le retrait ou la livraison pour %(shop)s.") % {"shop": group.merchant.name},
                code="fulfilment",
            )
        if choice.kind == Fulfilment.COLLECT and not group.merchant.click_and_collect:
            raise ValidationError(
                _("%(shop)s ne propose pas le retrait en boutique.") % {"shop": group.merchant.name}, code="collect"
            )
        if choice.kind == Fulfilment.DELIVERY and not group.merchant.delivery_eligible:
            raise ValidationError(
                _("%(shop)s ne peut pas être livré.") % {"shop": group.merchant.name}, code="delivery"
            )
    delivered = [g for g in groups if fulfilments[g.merchant.pk].kind == Fulfilment.DELIVERY]
    if payment_method == PaymentMethod.IN_STORE and (delivered or not town.pay_in_store_enabled):
        raise ValidationError(
            _("Le paiement en boutique n'est possible que pour un retrait en boutique."), code="in_store"
        )

    user_id = actor.user_id if actor.kind == "resident" else None
    same_client = Q(basket=basket) | Q(user_id=user_id) if user_id is not None else Q(basket=basket)
    # Only card orders wait for a payment; pay-in-store ones have their own rules (UNCOLLECTED_GRACE).
    client_key = limits.client_ip_key(client_ip) if client_ip and payment_method == PaymentMethod.CARD else ""
    with _one_checkout_of(basket):
        if not basket.lines.exists():  # an order sent meanwhile from this basket took its lines
            raise ValidationError(
                _("Une autre commande vient d’être passée depuis ce panier : rechargez la page."), code="concurrent"
            )
        if client_key:
            _refuse_beyond_client_limits(client_key, same_client, priced)  # before the earlier order is released
        _release_earlier_checkouts(same_client, actor)
        return _take_and_write_order(
            basket=basket,
            contact=contact,
            fulfilments=fulfilments,
            priced=priced,
            delivered=delivered,
            address_text=address_text,
            delivery_slot_id=delivery_slot_id,
            delivery_instructions=delivery_instructions,
            payment_method=payment_method,
            actor=actor,
            user_id=user_id,
            same_client=same_client,
            client_key=client_key,
            town=town,
            payment_hold=payment_hold,
            now=now,
        )


@contextmanager
def _one_checkout_of(basket: Basket) -> Iterator[None]:
    """One checkout of a basket at a time, from before its earlier order is released until the new one
    is committed: a second submit of the same basket (a double click, two tabs) waits, then finds the
    basket emptied, instead of cancelling the order the first one has just placed. A session-level
    advisory lock, since the release and the new order are separate transactions."""
    key = f"checkout-basket:{connection.schema_name}:{basket.pk}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [key])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [key])


def _take_and_write_order(
    *,
    basket: Basket,
    contact: Contact,
    fulfilments: Mapping[int, FulfilmentChoice],
    priced: PricedBasket,
    delivered: list[MerchantGroup],
    address_text: str,
    delivery_slot_id: int | None,
    delivery_instructions: str,
    payment_method: str,
    actor: Actor,
    user_id: int | None,
    same_client: Q,
    client_key: str,
    town: Town,
    payment_hold: dt.timedelta | None,
    now: dt.datetime,
) -> Order:
    """The transaction of place_order: limits re-checked under lock, stock and capacity taken, order written."""
    groups = priced.groups
    with transaction.atomic():
        if client_key:
            _lock_client(client_key)
            _refuse_beyond_client_limits(client_key, same_client, priced)
        # One checkout of a basket at a time: a second one sent meanwhile finds the basket emptied.
        Basket.objects.select_for_update().filter(pk=basket.pk).first()
        if not basket.lines.exists():
            raise ValidationError(_("Votre panier est vide."), code="empty")
        if Order.objects.filter(same_client, status=OrderStatus.PENDING_PAYMENT).exists():
            raise ValidationError(
                _("Une autre commande vient d’être passée depuis ce panier : rechargez la page."), code="concurrent"
            )
        delivery = _take_delivery(delivered, address_text, delivery_slot_id, now) if delivered else None

        order = Order.objects.create(
            user_id=user_id,
            status=OrderStatus.PENDING_PAYMENT if payment_method == PaymentMethod.CARD else OrderStatus.PLACED,
            payment_method=payment_method,
            first_name=contact.first_name,
            last_name=contact.last_name,
            email=contact.email,
            phone=contact.phone,
            terms_accepted_at=now,
            expires_at=(
                now + (payment_hold or limits.payment_hold(is_guest=user_id is None))
                if payment_method == PaymentMethod.CARD
                else None
            ),
            basket=basket,
            client_key=client_key,
            delivery_instructions=delivery_instructions[:300] if delivered else "",
            **_delivery_fields(delivery),
        )
        items_total = 0
        # Variant-id order: every checkout takes row locks in the same order (no deadlock).
        lines = sorted(((g, line) for g in groups for line in g.lines), key=lambda pair: pair[1].variant.pk)
        merchant_orders: dict[int, MerchantOrder] = {}
        for group in groups:
            choice = fulfilments[group.merchant.pk]
            window = None
            if choice.kind == Fulfilment.COLLECT:
                windows = pickup_windows(merchant=group.merchant, now=now, time_zone=town.time_zone)
                window = find_window(windows, choice.pickup_window_key) if choice.pickup_window_key else None
                if window is None and choice.pickup_window_key:
                    raise ValidationError(
                        _("Ce créneau de retrait chez %(shop)s n'est plus disponible.") % {"shop": group.merchant.name},
                        code="pickup",
                    )
                window = window or (windows[0] if windows else None)
            merchant_orders[group.merchant.pk] = MerchantOrder.objects.create(
                order=order,
                merchant=group.merchant,
                merchant_name=group.merchant.name,
                status=order.status if order.status == OrderStatus.PLACED else MerchantOrderStatus.PENDING_PAYMENT,
                fulfilment=choice.kind,
                pickup_starts_at=window.starts_at if window else None,
                pickup_ends_at=window.ends_at if window else None,
                pickup_code=_pickup_code(),
            )
        for group, line in lines:
            variant = _take_stock(line.variant.pk, line.quantity)
            price = variant.effective_price_cents
            total = line_total_cents(unit_price_cents=price, quantity=line.quantity)
            OrderLine.objects.create(
                merchant_order=merchant_orders[group.merchant.pk],
                variant=variant,
                product_title=variant.product.title,
                variant_name=variant.name,
                sku=variant.sku,
                unit=variant.product.unit,
                quantity=line.quantity,
                unit_price_cents=price,
                vat_rate=variant.product.vat_rate,
                total_cents=total,
                is_perishable=variant.product.is_perishable,
                stock_taken=None if variant.stock is None else stock_units(line.quantity),
            )
            merchant_orders[group.merchant.pk].items_total_cents += total
            items_total += total
        for merchant_order in merchant_orders.values():
            merchant_order.save(update_fields=["items_total_cents"])
        order.items_total_cents = items_total
        order.total_cents = items_total + order.delivery_fee_cents
        order.save(update_fields=["items_total_cents", "total_cents"])
        record_status_change(order, order.status, actor, note=_("Commande passée"))
        basket.lines.all().delete()
        if order.status == OrderStatus.PLACED:
            queue_order_notifications(order=order, kind="order_placed")
            outbox.emit(outbox.ORDER_PLACED, order_id=order.pk)
    return order


def _release_earlier_checkouts(same_client: Q, actor: Actor) -> None:
    """The client starts another checkout: its card orders still waiting for payment give their stock
    and delivery capacity back, each in its own transaction, before the new order takes any (giving
    back and taking in one transaction would lock variant rows out of id order: deadlocks)."""
    waiting = Order.objects.filter(same_client, status=OrderStatus.PENDING_PAYMENT).values_list("pk", flat=True)
    for order_id in list(waiting):
        cancel_unpaid_order(
            order_id=order_id, actor=actor, reason=_("Remplacée par une nouvelle commande du même client.")
        )


def _refuse_beyond_client_limits(client_key: str, same_client: Q, priced: PricedBasket) -> None:
    """What other card orders from this IP address hold unpaid: a few orders, and no more than the
    town's cap of any one product, whatever the number of sessions (basket) the units are spread over."""
    others = list(
        Order.objects.filter(status=OrderStatus.PENDING_PAYMENT, client_key=client_key)
        .exclude(same_client)
        .values_list("pk", flat=True)
    )
    if len(others) >= limits.UNPAID_ORDERS_PER_IP:
        raise ValidationError(
            _(
                "Trop de commandes attendent leur paiement depuis votre connexion : payez-en une ou "
                "réessayez dans quelques minutes."
            ),
            code="unpaid_limit",
        )
    capped = {
        line.variant.pk: (line, cap) for g in priced.groups for line in g.lines if (cap := units_cap(line.variant))
    }
    if not others or not capped:
        return
    held = dict(
        OrderLine.objects.filter(merchant_order__order_id__in=others, variant_id__in=capped)
        .values("variant_id")
        .annotate(units=Sum("stock_taken"))
        .values_list("variant_id", "units")
    )
    for variant_id, (line, cap) in capped.items():
        already = held.get(variant_id) or 0
        if already + stock_units(line.quantity) > cap:
            raise ValidationError(
                _(
                    "« %(title)s » : %(held)s déjà en attente de paiement depuis votre connexion, au plus "
                    "%(cap)s à la fois. Payez cette commande ou réessayez dans quelques minutes."
                )
                % {"title": line.variant.product.title, "held": already, "cap": cap},
                code="unpaid_limit",
            )


def _lock_client(client_key: str) -> None:
    """Serialises the checkouts of one IP address (until commit), so that each counts the others."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(client_key[:15], 16)])


@dataclass(frozen=True)
class _Delivery:
    offer: DeliveryOffer
    address: Address | None  # None: the address service was down, ``address_text`` as typed
    address_text: str
    slot: SlotAvailability | None


def _take_delivery(
    delivered: list[MerchantGroup], address_text: str, slot_id: int | None, now: dt.datetime
) -> _Delivery:
    """The delivery's address, offer and slot, its capacity taken (zone's day and slot's, both or neither)."""
    items_total_cents = sum(g.total_cents for g in delivered)
    address: Address | None = None
    try:
        try:
            address = delivery_provider.resolve_address(address_text)
        except DeliveryUnavailable as error:
            if error.code != "geocoder_unavailable":
                raise
            # The service is down, not the address wrong: the order is kept and an agent places it.
            offer = delivery_provider.offer_without_location(items_total_cents=items_total_cents, now=now)
        else:
            offer = delivery_provider.offer_for(address=address, items_total_cents=items_total_cents, now=now)
        slot = delivery_provider.choose_slot(offer, slot_id)
        delivery_provider.reserve(
            zone_id=offer.zone_id, delivery_date=offer.delivery_date, slot_id=slot.slot_id if slot else None
        )
    except DeliveryUnavailable as error:
        raise ValidationError(error.message, code="delivery") from None
    return _Delivery(offer=offer, address=address, address_text=" ".join(address_text.split()), slot=slot)


def _delivery_fields(delivery: _Delivery | None) -> dict[str, Any]:
    if delivery is None:
        return {}
    offer, address, slot = delivery.offer, delivery.address, delivery.slot
    located: dict[str, Any] = (
        {
            "delivery_address_label": address.label,
            "delivery_postcode": address.postcode,
            "delivery_city": address.city,
            "delivery_insee_code": address.insee_code,
            "delivery_latitude": address.latitude,
            "delivery_longitude": address.longitude,
        }
        if address is not None
        else {"delivery_address_label": delivery.address_text[:250], "delivery_needs_geocoding": True}
    )
    return {
        **located,
        "delivery_zone_id": offer.zone_id,
        "delivery_zone_name": offer.zone_name,
        "delivery_vehicle": offer.vehicle,
        "delivery_date": offer.delivery_date,
        "delivery_slot_id": slot.slot_id if slot else None,
        "delivery_window_start": slot.start if slot else None,
        "delivery_window_end": slot.end if slot else None,
        "delivery_fee_cents": offer.fee_cents,
        # Items are added afterwards; the total must add up at every write (CHECK constraint).
        "total_cents": offer.fee_cents,
    }


def _take_stock(variant_id: int, quantity: Any) -> Variant:
    """Re-reads the variant (still on sale?) and takes its stock with one conditional UPDATE."""
    variant = get_sellable_variant(variant_id)
    if variant.stock is not None:
        units = stock_units(quantity)
        taken = Variant.objects.filter(pk=variant.pk, stock__gte=units).update(stock=F("stock") - units)
        if not taken:
            raise ValidationError(
                _("« %(title)s » n'est plus disponible dans cette quantité.") % {"title": variant.product.title},
                code="stock",
            )
        variant.stock -= units
    return variant


def _give_back_stock(order: Order, *, merchant_order: MerchantOrder | None = None) -> None:
    lines = OrderLine.objects.filter(merchant_order__order=order, stock_taken__isnull=False, variant__isnull=False)
    if merchant_order is not None:
        lines = lines.filter(merchant_order=merchant_order)
    # Variant by variant, in one order, as stock is taken: two cancellations never wait for each other.
    for line in lines.order_by("variant_id", "pk"):
        if line.variant_id is None:  # left out by the query above
            continue
        Variant.objects.filter(pk=line.variant_id, stock__isnull=False).update(stock=F("stock") + line.stock_taken)
        line.stock_taken = None
        line.save(update_fields=["stock_taken"])


def _release_delivery(order: Order) -> None:
    if order.delivery_zone_id is not None and order.delivery_date is not None:
        delivery_provider.release(
            zone_id=order.delivery_zone_id, delivery_date=order.delivery_date, slot_id=order.delivery_slot_id
        )


# --- payment outcomes ---------------------------------------------------------------------------
def lock_order(order_id: int) -> Order:
    return Order.objects.select_for_update().get(pk=order_id)


def mark_order_paid(*, order_id: int, amount_cents: int, currency: str, actor: Actor, note: str = "") -> Order:
    """Pending → paid, once: a second call (webhook after browser return, replayed event) changes nothing.

    An amount or currency that differs from the order flags it for review and changes nothing else.
    """
    with transaction.atomic():
        order = lock_order(order_id)
        if order.status in (OrderStatus.PAID, OrderStatus.REVIEW):
            return order
        if amount_cents != order.total_cents or currency.upper() != order.currency:
            _flag_for_review(
                order,
                _("Montant payé %(paid)s %(cur)s différent du montant de la commande %(total)s.")
                % {"paid": amount_cents, "cur": currency.upper(), "total": order.total_cents},
                actor,
            )
            return order
        if order.status == OrderStatus.CANCELLED:
            # Paid after the reservation expired: stock may be gone; the town decides (refund or serve).
            _flag_for_review(order, _("Paiement reçu après l'expiration de la commande."), actor)
            return order
        now = timezone.now()
        previous = order.status
        order.status, order.paid_at, order.expires_at, order.client_key = OrderStatus.PAID, now, None, ""
        order.save(update_fields=["status", "paid_at", "expires_at", "client_key"])
        order.merchant_orders.update(status=MerchantOrderStatus.PAID, paid_at=now)
        record_status_change(order, OrderStatus.PAID, actor, from_status=previous, note=note)
        queue_order_notifications(order=order, kind="order_paid")
        # In this transaction: a paid order never exists without the event that posts it to the ledger.
        outbox.emit(outbox.ORDER_PAID, order_id=order.pk)
    return order


def _flag_for_review(order: Order, reason: str, actor: Actor) -> None:
    previous = order.status
    order.status, order.review_reason, order.client_key = OrderStatus.REVIEW, reason[:300], ""
    order.save(update_fields=["status", "review_reason", "client_key"])
    record_status_change(order, OrderStatus.REVIEW, actor, from_status=previous, note=reason)


def cancel_unpaid_order(*, order_id: int, actor: Actor, reason: str) -> Order:
    """Pending payment → cancelled: stock and delivery capacity go back. Paid orders are left alone."""
    with transaction.atomic():
        order = lock_order(order_id)
        if order.status != OrderStatus.PENDING_PAYMENT:
            return order
        order.status, order.expires_at, order.client_key = OrderStatus.CANCELLED, None, ""
        order.save(update_fields=["status", "expires_at", "client_key"])
        order.merchant_orders.update(status=MerchantOrderStatus.CANCELLED)
        _give_back_stock(order)
        _release_delivery(order)
        record_status_change(order, OrderStatus.CANCELLED, actor, from_status=OrderStatus.PENDING_PAYMENT, note=reason)
        if PhoneOrder.objects.filter(order=order).exists():
            # Taken by phone: the resident is not at a screen watching the hold run out (checkout.phone_orders).
            queue_order_notifications(order=order, kind="order_cancelled")
        transaction.on_commit(lambda: _cancel_intent_quietly(order.pk))
    return order


def _cancel_intent_quietly(order_id: int) -> None:
    """So a late card payment cannot succeed on a cancelled order (if it still does, it goes to review)."""
    from checkout.models import Payment
    from payments.gateways import GatewayError, idempotency_key
    from payments.means import card_of

    payment = Payment.objects.filter(order_id=order_id).first()
    if payment is None:
        return
    town = current_town()
    # Already succeeded or unreachable: the webhook path flags a late success for review.
    with contextlib.suppress(GatewayError):
        card_of(town).cancel(
            payment_id=payment.intent_id, idempotency_key=idempotency_key("cancel-intent", town.schema_name, order_id)
        )


def expire_unpaid_orders(*, now: dt.datetime | None = None) -> int:
    """Cancels orders still unpaid after the timeout (run by beat in every town)."""
    now = now or timezone.now()
    expired = Order.objects.filter(status=OrderStatus.PENDING_PAYMENT, expires_at__lt=now).values_list("pk", flat=True)
    count = 0
    for order_id in list(expired):
        order = cancel_unpaid_order(order_id=order_id, actor=SYSTEM, reason=_("Paiement non reçu à temps."))
        count += order.status == OrderStatus.CANCELLED
    return count


# A shop keeps a pay-in-store order this long after the end of its pickup window (or after it was
# placed, without one); then its goods go back on sale. Without this limit, anyone could hold a
# shop's whole stock for ever by ordering and never coming.
UNCOLLECTED_GRACE = dt.timedelta(days=3)
_OPEN_IN_STORE = (MerchantOrderStatus.PLACED, MerchantOrderStatus.ACCEPTED, MerchantOrderStatus.READY)


def expire_uncollected_orders(*, now: dt.datetime | None = None) -> int:
    """Cancels the parts of pay-in-store orders nobody came for (run by beat in every town): their
    stock goes back on sale; when no part is left, the order is cancelled and everyone told."""
    now = now or timezone.now()
    due = (
        MerchantOrder.objects.filter(order__payment_method=PaymentMethod.IN_STORE, status__in=_OPEN_IN_STORE)
        .annotate(deadline=Coalesce("pickup_ends_at", "order__created_at"))
        .filter(deadline__lt=now - UNCOLLECTED_GRACE)
        .order_by("order_id", "pk")
        .values_list("pk", flat=True)
    )
    return sum(_expire_uncollected(merchant_order_id) for merchant_order_id in list(due))


def _expire_uncollected(merchant_order_id: int) -> bool:
    with transaction.atomic():
        order, merchant_order = _lock_merchant_order(merchant_order_id)
        if merchant_order.status not in _OPEN_IN_STORE:
            return False  # collected or refused meanwhile
        previous = merchant_order.status
        merchant_order.status = MerchantOrderStatus.CANCELLED
        merchant_order.save(update_fields=["status"])
        _give_back_stock(order, merchant_order=merchant_order)
        note = _("Non retirée : la commande est annulée, les articles sont remis en vente.")
        record_status_change(
            order, MerchantOrderStatus.CANCELLED, SYSTEM, merchant_order=merchant_order, from_status=previous, note=note
        )
        if not order.merchant_orders.exclude(status=MerchantOrderStatus.CANCELLED).exists():
            order.status = OrderStatus.CANCELLED
            order.save(update_fields=["status"])
            record_status_change(order, OrderStatus.CANCELLED, SYSTEM, from_status=OrderStatus.PLACED, note=note)
            queue_order_notifications(order=order, kind="order_cancelled")
    return True


# --- the merchant's steps -------------------------------------------------------------------------
_NEXT = {
    "accept": ((MerchantOrderStatus.PAID, MerchantOrderStatus.PLACED), MerchantOrderStatus.ACCEPTED),
    "ready": ((MerchantOrderStatus.ACCEPTED,), MerchantOrderStatus.READY),
}


def _lock_merchant_order(merchant_order_id: int) -> tuple[Order, MerchantOrder]:
    order_id = MerchantOrder.objects.values_list("order_id", flat=True).get(pk=merchant_order_id)
    order = lock_order(order_id)
    return order, MerchantOrder.objects.select_related("merchant").get(pk=merchant_order_id)


def _step(merchant_order_id: int, step: str, actor: Actor) -> StepOutcome:
    allowed, target = _NEXT[step]
    with transaction.atomic():
        order, merchant_order = _lock_merchant_order(merchant_order_id)
        if merchant_order.status == target:
            return StepOutcome(merchant_order)
        if merchant_order.status not in allowed:
            raise ValidationError(
                _("Cette commande est « %(status)s » : action impossible.")
                % {"status": merchant_order.get_status_display()},
                code="state",
            )
        previous = merchant_order.status
        merchant_order.status = target
        fields = ["status"]
        if target == MerchantOrderStatus.ACCEPTED:
            merchant_order.accepted_at = timezone.now()
            fields.append("accepted_at")
        merchant_order.save(update_fields=fields)
        record_status_change(order, target, actor, merchant_order=merchant_order, from_status=previous)
        notified = 0
        # A delivered part waits for the courier (delivery rounds, issue 12): nothing to tell the resident yet.
        if target == MerchantOrderStatus.READY and merchant_order.fulfilment == Fulfilment.COLLECT:
            notified = queue_order_notifications(order=order, kind="order_ready", merchant_order=merchant_order)
    return StepOutcome(merchant_order, is_resident_notified=notified > 0)


def accept_merchant_order(*, merchant_order_id: int, actor: Actor) -> MerchantOrder:
    """Paid (or to pay in store) → accepted: the shop prepares it."""
    return _step(merchant_order_id, "accept", actor).merchant_order


def mark_merchant_order_ready(*, merchant_order_id: int, actor: Actor) -> StepOutcome:
    """Accepted → ready for pickup (the resident is told) or for the courier; the outcome says whether
    a message to the resident was queued."""
    return _step(merchant_order_id, "ready", actor)


def hand_over(*, merchant_order_id: int, pickup_code: str, actor: Actor) -> MerchantOrder:
    """Ready → collected, only with the code the resident shows at the shop.

    A part the town delivers is not handed over here: the courier collects it with the code of the shop's
    ticket, and it becomes delivered at the door (``mark_delivered``, with the proof of delivery).
    """
    with transaction.atomic():
        order, merchant_order = _lock_merchant_order(merchant_order_id)
        if merchant_order.fulfilment == Fulfilment.DELIVERY:
            raise ValidationError(
                _("Cette commande est livrée par la ville : le livreur la retire avec le code du ticket."),
                code="delivery",
            )
        if merchant_order.status != MerchantOrderStatus.READY:
            raise ValidationError(_("Cette commande n'est pas prête à être remise."), code="state")
        # Phone keyboards may send full-width digits: NFKC makes them ASCII; anything else left that
        # is not ASCII cannot be the code (and compare_digest only takes ASCII text).
        typed = unicodedata.normalize("NFKC", pickup_code).strip().replace(" ", "")
        if not typed.isascii() or not secrets.compare_digest(typed, merchant_order.pickup_code):
            raise ValidationError(_("Code de retrait incorrect."), code="code")
        target = MerchantOrderStatus.COLLECTED
        merchant_order.status, merchant_order.handed_over_at = target, timezone.now()
        merchant_order.save(update_fields=["status", "handed_over_at"])
        # Paid at the counter: the shop's hand-over is the record that it took the money (the town's
        # ledger never sees it: docs/money.md, pay in store).
        note = (
            _("Payé en boutique au retrait : %(amount)s") % {"amount": format_price(merchant_order.kept_cents)}
            if order.payment_method == PaymentMethod.IN_STORE
            else ""
        )
        record_status_change(
            order, target, actor, merchant_order=merchant_order, from_status=MerchantOrderStatus.READY, note=note
        )
        outbox.emit(outbox.MERCHANT_ORDER_HANDED_OVER, merchant_order_id=merchant_order.pk)
    return merchant_order


def mark_delivered(*, merchant_order_id: int, actor: Actor) -> MerchantOrder:
    """The town's courier handed this part to the resident (proof recorded by logistics): → delivered.

    The courier collected it at the shop with the code of the shop's ticket; the shop may not have marked it ready
    first. Idempotent: a part already delivered is returned as it is.
    """
    with transaction.atomic():
        order, merchant_order = _lock_merchant_order(merchant_order_id)
        if merchant_order.status == MerchantOrderStatus.DELIVERED:
            return merchant_order
        if merchant_order.fulfilment != Fulfilment.DELIVERY or merchant_order.status not in (
            MerchantOrderStatus.PAID,
            MerchantOrderStatus.ACCEPTED,
            MerchantOrderStatus.READY,
        ):
            raise ValidationError(_("Cette commande ne peut pas être livrée."), code="state")
        previous = merchant_order.status
        merchant_order.status, merchant_order.handed_over_at = MerchantOrderStatus.DELIVERED, timezone.now()
        merchant_order.save(update_fields=["status", "handed_over_at"])
        record_status_change(
            order, MerchantOrderStatus.DELIVERED, actor, merchant_order=merchant_order, from_status=previous
        )
        outbox.emit(outbox.MERCHANT_ORDER_HANDED_OVER, merchant_order_id=merchant_order.pk)
    return merchant_order


# --- refusals and refunds -----------------------------------------------------------------------
def _cancel_delivery_if_nothing_left(order: Order, actor: Actor) -> None:
    """Every delivered part was refused: no courier goes out, so the slot is freed and the resident
    gets the delivery fee back, once. Caller holds the order lock. (Paying in store is for
    collection only: a delivered order is a card order.)"""
    from checkout.payments import refund_amount

    if order.merchant_orders.filter(fulfilment=Fulfilment.DELIVERY, lines__is_refused=False).exists():
        return
    if Refund.objects.filter(order=order, is_delivery_fee=True).exists():
        return  # done already: neither the fee nor the slot twice
    if order.delivery_fee_cents and order.payment_method == PaymentMethod.CARD:
        refund_amount(
            order=order,
            merchant_order=None,
            amount_cents=order.delivery_fee_cents,
            reason=_("Frais de livraison : plus rien à livrer"),
            idempotency_parts=("delivery-fee", order.pk),
            actor=actor,
            is_delivery_fee=True,
        )
    _release_delivery(order)


def refuse_line(*, line_id: int, actor: Actor, reason: str = "") -> OrderLine:
    """The merchant cannot supply a line (out of stock): it is refunded through the gateway, the resident told."""
    from checkout.payments import refund_amount

    with transaction.atomic():
        line = OrderLine.objects.select_related("merchant_order").get(pk=line_id)
        order, merchant_order = _lock_merchant_order(line.merchant_order_id)
        line.refresh_from_db()
        if line.is_refused:
            return line
        if merchant_order.status not in (
            MerchantOrderStatus.PAID,
            MerchantOrderStatus.PLACED,
            MerchantOrderStatus.ACCEPTED,
        ):
            raise ValidationError(_("On ne peut plus refuser un article de cette commande."), code="state")
        line.is_refused, line.refused_at = True, timezone.now()
        line.save(update_fields=["is_refused", "refused_at"])
        note = reason or _("Article indisponible : %(title)s") % {"title": line.product_title}
        if order.payment_method == PaymentMethod.CARD:
            refund_amount(
                order=order,
                merchant_order=merchant_order,
                amount_cents=line.total_cents,
                reason=note,
                idempotency_parts=("refuse-line", line.pk),
                actor=actor,
            )
        else:
            merchant_order.items_total_cents -= line.total_cents
            merchant_order.save(update_fields=["items_total_cents"])
            Order.objects.filter(pk=order.pk).update(
                items_total_cents=F("items_total_cents") - line.total_cents,
                total_cents=F("total_cents") - line.total_cents,
            )
        merchant_order.refresh_from_db()
        if not merchant_order.lines.filter(is_refused=False).exists():
            previous = merchant_order.status
            merchant_order.status = (
                MerchantOrderStatus.REFUNDED
                if order.payment_method == PaymentMethod.CARD
                else MerchantOrderStatus.CANCELLED
            )
            merchant_order.save(update_fields=["status"])
            record_status_change(
                order, merchant_order.status, actor, merchant_order=merchant_order, from_status=previous, note=note
            )
            if merchant_order.fulfilment == Fulfilment.DELIVERY:
                _cancel_delivery_if_nothing_left(order, actor)
        else:
            record_status_change(
                order,
                merchant_order.status,
                actor,
                merchant_order=merchant_order,
                from_status=merchant_order.status,
                note=note,
            )
        queue_order_notifications(order=order, kind="line_refused", merchant_order=merchant_order, line=line)
    return line


# --- what the delivery rounds write (logistics calls these: checkout never imports logistics) --------
def set_delivery_eta(
    *, order_id: int, start: dt.time | None, end: dt.time | None, door_code: str | None = None
) -> Order:
    """Records when the courier should reach the resident (town clock; both or neither) and, when given,
    the code the resident hands the courier. Writes only what changed; safe to call again."""
    if (start is None) != (end is None) or (start is not None and end is not None and end <= start):
        raise ValidationError("A delivery window needs a start before its end, or neither.")
    if door_code is not None and (len(door_code) > 6 or not door_code.isascii()):
        raise ValidationError("A door code has at most six ASCII characters.")
    with transaction.atomic():
        order = lock_order(order_id)
        wanted: dict[str, Any] = {"delivery_eta_start": start, "delivery_eta_end": end}
        if door_code is not None:
            wanted["delivery_door_code"] = door_code
        changed = [name for name, value in wanted.items() if getattr(order, name) != value]
        for name in changed:
            setattr(order, name, wanted[name])
        if changed:
            order.save(update_fields=changed)
    return order


def set_courier_pickup(*, merchant_order_id: int, at: dt.time | None, code: str) -> MerchantOrder:
    """Records when the courier should come to the shop (town clock) and the code printed on the shop's
    ticket that the courier scans there. Writes only what changed; safe to call again."""
    if len(code) > 8 or not code.isascii():
        raise ValidationError("A courier code has at most eight ASCII characters.")
    with transaction.atomic():
        merchant_order = MerchantOrder.objects.select_for_update().get(pk=merchant_order_id)
        if merchant_order.fulfilment != Fulfilment.DELIVERY:
            raise ValidationError("Only a delivered part is collected by a courier.")
        if (merchant_order.courier_pickup_at, merchant_order.courier_code) != (at, code):
            merchant_order.courier_pickup_at, merchant_order.courier_code = at, code
            merchant_order.save(update_fields=["courier_pickup_at", "courier_code"])
    return merchant_order
