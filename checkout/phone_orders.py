"""Orders taken by a town agent by phone or at the town-hall desk, for residents without internet.

Everything an order is goes through the resident's path: the basket rules (``checkout.basket``:
prices from the database, stock, the town's cap), ``place_order`` (fulfilment, delivery zones,
slots and capacity, stock taken), the payment page, the gateway and its webhook (so the ledger posts
a card payment exactly as for an online order), the notifications. What is particular here:

- the basket belongs to the order being taken (``PhoneOrder.basket``), not to the agent;
- the resident pays either by a card link sent by SMS and/or e-mail (``checkout.payment_links``;
  the stock and any delivery capacity are held until ``Order.expires_at``, longer than online since
  the resident must first read the message), or in the shop when collecting (``PaymentMethod.IN_STORE``:
  money never passes through the town, nothing is posted to the ledger; collection only, in towns
  that allow paying in store, as online);
- who took it and how (phone or desk) is recorded, and shown on the order screens.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import TOWN_STAFF_ROLES, User
from accounts.sms import normalise_french_mobile
from checkout.actions import Actor, Contact, FulfilmentChoice, place_order
from checkout.models import Basket, Fulfilment, Order, PaymentMethod
from checkout.models_phone import OrderChannel, PhoneOrder
from checkout.notifications import queue_order_notifications

# How long a card order taken by phone holds its stock, waiting for the resident to pay through the
# link: a day to find the message and someone's help to pay. With a delivery, two hours only: the
# slot is often the same day, and a late payment must not reach a round already gone.
LINK_HOLD = dt.timedelta(hours=24)
LINK_HOLD_WITH_DELIVERY = dt.timedelta(hours=2)
LIST_ROWS = 50


def can_take_orders(user: User) -> bool:
    """Town admins and agents; residents, merchants and couriers never."""
    return bool(user.is_authenticated and user.is_active and user.role in TOWN_STAFF_ROLES)


def require_order_taker(user: User) -> None:
    if not can_take_orders(user):
        raise PermissionDenied


def agent_label(user: User) -> str:
    return user.get_full_name().strip() or user.email


# --- reads --------------------------------------------------------------------------------------
def phone_orders_for(user: User) -> QuerySet[PhoneOrder]:
    """Orders taken by phone or at the desk, newest first (town staff only)."""
    require_order_taker(user)
    return PhoneOrder.objects.select_related("order", "basket").order_by("-created_at", "-pk")


def get_phone_order_for(user: User, phone_order_id: int) -> PhoneOrder:
    """One order being taken or taken, for town staff (404 for another town's id: it does not exist here)."""
    phone_order = phone_orders_for(user).filter(pk=phone_order_id).first()
    if phone_order is None:
        raise Http404(phone_order_id)
    return phone_order


# --- actions ------------------------------------------------------------------------------------
def start_phone_order(*, agent: User, channel: str) -> PhoneOrder:
    """A new order to take, with its own empty basket."""
    require_order_taker(agent)
    if channel not in OrderChannel.values:
        raise ValidationError(_("Indiquez si la commande est prise par téléphone ou au guichet."), code="channel")
    with transaction.atomic():
        return PhoneOrder.objects.create(
            basket=Basket.objects.create(), channel=channel, agent_id=agent.pk, agent_name=agent_label(agent)[:160]
        )


def place_phone_order(
    *,
    phone_order_id: int,
    agent: User,
    contact: Contact,
    fulfilments: Mapping[int, FulfilmentChoice],
    payment_method: str,
    address_text: str = "",
    delivery_slot_id: int | None = None,
    delivery_instructions: str = "",
    now: dt.datetime | None = None,
) -> Order:
    """Places the order being taken, once, through ``place_order``; then the resident is sent the payment
    link (card) or the confirmation with the pickup codes (pay in store), by SMS to a mobile and by e-mail.

    All or nothing: a refusal (out of stock, out of zone, a full slot, paying in store with a delivery)
    raises ValidationError with a French message and leaves stock, capacity, basket and this row unchanged.
    """
    require_order_taker(agent)
    now = now or timezone.now()
    if payment_method == PaymentMethod.CARD and not (normalise_french_mobile(contact.phone) or contact.email):
        raise ValidationError(
            _("Pour envoyer le lien de paiement, indiquez un numéro de mobile (06 ou 07) ou une adresse e-mail."),
            code="no_link_recipient",
        )
    with transaction.atomic():
        phone_order = PhoneOrder.objects.select_for_update().get(pk=phone_order_id)
        if phone_order.is_placed or phone_order.basket is None:
            raise ValidationError(_("Cette commande a déjà été passée."), code="placed")
        is_delivered = any(choice.kind == Fulfilment.DELIVERY for choice in fulfilments.values())
        order = place_order(
            basket=phone_order.basket,
            contact=contact,
            fulfilments=fulfilments,
            address_text=address_text,
            delivery_slot_id=delivery_slot_id,
            delivery_instructions=delivery_instructions,
            # The agent read or summed up the terms to the resident, who agreed: the form asks the agent to confirm.
            terms_accepted=True,
            payment_method=payment_method,
            actor=Actor(kind="town_agent", user_id=agent.pk),
            payment_hold=LINK_HOLD_WITH_DELIVERY if is_delivered else LINK_HOLD,
            now=now,
        )
        phone_order.order, phone_order.placed_at = order, now
        phone_order.save(update_fields=["order", "placed_at"])
        if order.payment_method == PaymentMethod.CARD:
            queue_order_notifications(order=order, kind="payment_link")
        else:
            # place_order queued the pay-in-store receipt before this row existed; asked again now, the
            # same event adds only what an order taken by phone gets more: the resident's SMS.
            queue_order_notifications(order=order, kind="order_placed")
    return order
