"""What a notification says: e-mails (HTML + text) and SMS texts, rendered from an order's snapshot.

Everything shown comes from the order rows (lines snapshot title, price and VAT), never from the
live catalogue, so a message sent late still tells what was bought. Rendering happens in the town
whose schema is active (``tenants.current.current_town``): its name, logo and colour brand the e-mail.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.sms import SINGLE_SMS_SEPTETS, fit_single_sms, gsm7_length, to_gsm7
from catalog.formatting import (
    UNIT_SUFFIXES,
    format_clock,
    format_day,
    format_price,
    format_quantity,
    format_short_day,
    format_vat_rate,
)
from checkout.models import Fulfilment, MerchantOrder, Notification, Order, OrderLine, PaymentMethod
from checkout.money import DELIVERY_VAT_RATE, vat_breakdown
from checkout.payment_links import payment_link_path
from checkout.pickup import window_label
from checkout.tokens import status_path
from tenants.actions import town_absolute_url, town_url
from tenants.current import current_town_or_none, town_today, town_zone
from tenants.models import DEFAULT_PRIMARY_COLOUR, Town

DELIVERY_WINDOW_KINDS = frozenset({"delivery_window", "delivery_window_moved"})
# Order-wide events: with a merchant order attached, the notification is that merchant's copy.
MERCHANT_EVENT_KINDS = frozenset({"order_paid", "order_placed", "order_cancelled"})


@dataclass(frozen=True)
class LineView:
    title: str
    quantity: str  # "3" for pieces, "0,35 kg" for weighed goods
    unit_price: str  # "2,50 €" or "24,90 €/kg"
    total: str
    total_cents: int
    is_perishable: bool
    is_refused: bool


@dataclass(frozen=True)
class MerchantOrderView:
    merchant_order: MerchantOrder
    merchant_name: str
    fulfilment: str
    is_delivery: bool
    pickup_window: str
    pickup_short: str  # "27/11 13 h 30-14 h 30" (a pickup) or "08/12" (a delivery), for SMS
    shop_address: str
    shop_phone: str
    pickup_code: str
    items_total: str
    lines: list[LineView] = field(default_factory=list)


@dataclass(frozen=True)
class VatView:
    rate: str
    net: str
    vat: str
    gross: str


def line_view(line: OrderLine) -> LineView:
    suffix = UNIT_SUFFIXES.get(line.unit)
    title = f"{line.product_title} — {line.variant_name}" if line.variant_name else line.product_title
    return LineView(
        title=title,
        quantity=format_quantity(line.quantity, line.unit),
        unit_price=format_price(line.unit_price_cents) + (f"/{suffix}" if suffix else ""),
        total=format_price(line.total_cents),
        total_cents=line.total_cents,
        is_perishable=line.is_perishable,
        is_refused=line.is_refused,
    )


def pickup_short(merchant_order: MerchantOrder, town: Town | None) -> str:
    """ "27/11 13 h 30-14 h 30" for a pickup, "08/12 14 h-16 h" for a delivery (its slot), "08/12" for a
    delivery without one: the when of an SMS, in the town's clock."""
    if merchant_order.fulfilment == Fulfilment.DELIVERY:
        order = merchant_order.order
        if order.delivery_date is None:
            return ""
        text = format_short_day(order.delivery_date)
        if order.delivery_window_start is not None and order.delivery_window_end is not None:
            text += f" {format_clock(order.delivery_window_start)}-{format_clock(order.delivery_window_end)}"
        return text
    if not merchant_order.pickup_starts_at:
        return ""
    zone = town_zone(town)
    start = merchant_order.pickup_starts_at.astimezone(zone)
    text = f"{format_short_day(start.date())} {format_clock(start.time())}"
    if merchant_order.pickup_ends_at:
        text += f"-{format_clock(merchant_order.pickup_ends_at.astimezone(zone).time())}"
    return text


def merchant_order_view(merchant_order: MerchantOrder, town: Town | None) -> MerchantOrderView:
    merchant = merchant_order.merchant
    return MerchantOrderView(
        merchant_order=merchant_order,
        merchant_name=merchant_order.merchant_name,
        fulfilment=merchant_order.fulfilment_label,
        is_delivery=merchant_order.is_delivery,
        pickup_window=window_label(
            merchant_order.pickup_starts_at, merchant_order.pickup_ends_at, zone=town_zone(town)
        ),
        pickup_short=pickup_short(merchant_order, town),
        shop_address=merchant.postal_address,
        shop_phone=merchant.phone,
        # A delivered part's code is for the courier: the delivery's door code once the rounds set it.
        pickup_code=(merchant_order.is_delivery and merchant_order.order.delivery_door_code)
        or merchant_order.pickup_code,
        items_total=format_price(merchant_order.items_total_cents),
        lines=[line_view(line) for line in merchant_order.lines.all()],
    )


def vat_lines(order: Order, merchant_orders: list[MerchantOrder]) -> list[VatView]:
    """VAT per rate over the lines sold and the delivery fee (at the standard rate)."""
    # Refused lines are no longer sold (and were taken off the order's totals): out of the VAT too.
    amounts = [
        (line.vat_rate, line.total_cents) for mo in merchant_orders for line in mo.lines.all() if not line.is_refused
    ]
    if order.delivery_fee_cents:
        amounts.append((DELIVERY_VAT_RATE, order.delivery_fee_cents))
    return [
        VatView(
            rate=format_vat_rate(vat.rate),
            net=format_price(vat.net_cents),
            vat=format_price(vat.vat_cents),
            gross=format_price(vat.gross_cents),
        )
        for vat in vat_breakdown(amounts)
    ]


def status_url(order: Order, town: Town | None) -> str:
    return town_absolute_url(town, status_path(order)) if town else status_path(order)


def branding(town: Town | None) -> dict[str, object]:
    logo_url = town_absolute_url(town, town.logo.url) if town and town.logo else ""
    return {
        "town": town,
        "town_name": town.name if town else "Comptoir",
        "town_home": town_url(town) if town else "",
        "logo_url": logo_url,
        "primary_color": (town.primary_color if town else "") or DEFAULT_PRIMARY_COLOUR,
    }


def refused_line_ids(kind: str) -> list[int] | None:
    """Line ids encoded in a ``line_refused:<id>,<id>`` kind; None when the kind names them all."""
    _, _sep, suffix = kind.partition(":")
    if not suffix or not all(part.isdigit() for part in suffix.split(",")):
        return None
    return [int(part) for part in suffix.split(",")]


def base_kind(kind: str) -> str:
    return kind.partition(":")[0]


def told_window(kind: str) -> tuple[dt.time, dt.time] | None:
    """The window a ``delivery_window:1410-1440`` kind was about (the event's, not the order's latest)."""
    start, _sep, end = kind.partition(":")[2].partition("-")
    try:
        return dt.time(int(start[:2]), int(start[2:])), dt.time(int(end[:2]), int(end[2:]))
    except ValueError:
        return None


def delivery_window_context(order: Order, kind: str) -> dict[str, object]:
    """ "aujourd'hui" or "le mardi 8 décembre", the window in the town's words, the code for the courier."""
    start, end = told_window(kind) or (order.delivery_eta_start, order.delivery_eta_end)
    day = order.delivery_date
    when = _("aujourd'hui") if day is None or day == town_today() else _("le %(day)s") % {"day": format_day(day)}
    return {
        "delivery_when": when,
        "eta_start": format_clock(start) if start else "",
        "eta_end": format_clock(end) if end else "",
        "door_code": order.delivery_door_code,
    }


def notification_context(notification: Notification) -> dict[str, object]:
    """Everything the templates of one notification need, in the town's language (French)."""
    town = current_town_or_none()
    order = notification.order
    merchant_order = notification.merchant_order
    if merchant_order is not None:
        merchant_order.order = order  # the same row: its delivery day is read without a query
        merchant_orders = [merchant_order]
    else:
        merchant_orders = list(order.merchant_orders.select_related("merchant").prefetch_related("lines"))
    views = [merchant_order_view(mo, town) for mo in merchant_orders]
    kind = base_kind(notification.kind)
    context: dict[str, object] = {
        **branding(town),
        "notification": notification,
        "kind": kind,
        "order": order,
        "number": order.number,
        "first_name": order.first_name,
        "is_pay_in_store": order.payment_method == PaymentMethod.IN_STORE,
        "merchant_orders": views,
        "merchant_order": views[0] if notification.merchant_order_id and views else None,
        "delivery_fee": format_price(order.delivery_fee_cents) if order.delivery_fee_cents else "",
        "total": format_price(order.total_cents),
        "refunded_total": format_price(order.refunded_cents),
        "status_url": status_url(order, town),
        "delivery_address": order.delivery_address,
        # The pickup code proves the resident is the one collecting: only the resident's messages carry it.
        "shows_code": not is_for_merchant(notification),
    }
    if kind in ("order_paid", "order_placed"):
        context["vat_lines"] = vat_lines(order, merchant_orders)
        context["perishable_titles"] = [
            line.title for view in views for line in view.lines if line.is_perishable and not line.is_refused
        ]
    # line_refused is always about one merchant order (KINDS_NEEDING_MERCHANT_ORDER).
    if kind == "line_refused" and merchant_order is not None:
        wanted = refused_line_ids(notification.kind)
        refused = [
            line_view(line)
            for line in merchant_order.lines.all()
            if (line.pk in wanted if wanted is not None else line.is_refused)
        ]
        context["refused_lines"] = refused
        context["refused_total"] = format_price(sum(line.total_cents for line in refused))
    if kind in DELIVERY_WINDOW_KINDS:
        context.update(delivery_window_context(order, notification.kind))
    if kind == "payment_link":
        context.update(payment_link_context(order, town))
    if kind == "order_refunded":
        # The amount the event was about (in its kind), not whatever was refunded since.
        suffix = notification.kind.partition(":")[2]
        if suffix.isdigit():
            amount = int(suffix)
        else:
            amount = merchant_order.refunded_cents if merchant_order is not None else order.refunded_cents
        context["refunded_amount"] = format_price(amount)
    return context


def payment_link_context(order: Order, town: Town | None) -> dict[str, object]:
    """The card payment link of an order taken by phone, and until when it may be paid (town clock)."""
    path = payment_link_path(order)
    until = order.expires_at.astimezone(town_zone(town)) if order.expires_at else None
    return {
        "payment_url": town_absolute_url(town, path) if town else path,
        "pay_until": f"{format_short_day(until.date())} {format_clock(until.time())}" if until else "",
        "pay_until_long": f"{format_day(until.date())}, {format_clock(until.time())}" if until else "",
    }


def is_for_merchant(notification: Notification) -> bool:
    """Order-wide events tied to one merchant's part go to that merchant; all else to the resident."""
    return bool(notification.merchant_order_id) and base_kind(notification.kind) in MERCHANT_EVENT_KINDS


def _email_template_and_subject(notification: Notification, context: dict[str, object]) -> tuple[str, str]:
    kind = base_kind(notification.kind)
    number = context["number"]
    view = context["merchant_order"]
    shop = view.merchant_name if isinstance(view, MerchantOrderView) else ""
    if is_for_merchant(notification):
        if kind == "order_cancelled":
            return "merchant_order_cancelled", _("Commande n° %(number)s annulée") % {"number": number}
        return "merchant_new_order", _("Nouvelle commande n° %(number)s à accepter") % {"number": number}
    subjects = {
        "order_paid": _("%(town)s : confirmation de votre commande n° %(number)s"),
        "order_placed": _("%(town)s : votre commande n° %(number)s, à payer en boutique"),
        "line_refused": _("Commande n° %(number)s : article indisponible chez %(shop)s"),
        "order_refunded": _("Commande n° %(number)s : remboursement de %(amount)s"),
        "order_ready": _("Commande n° %(number)s prête chez %(shop)s"),
        "order_cancelled": _("Commande n° %(number)s annulée"),
        "payment_link": _("%(town)s : votre commande n° %(number)s, à payer par carte"),
        "delivery_window": _("Commande n° %(number)s : livraison %(when)s entre %(start)s et %(end)s"),
        "delivery_window_moved": _("Commande n° %(number)s : livraison décalée entre %(start)s et %(end)s"),
    }
    template = "resident_receipt" if kind in ("order_paid", "order_placed") else kind
    subject = subjects[kind] % {
        "town": context["town_name"],
        "number": number,
        "shop": shop,
        "amount": context.get("refunded_amount", ""),
        "when": context.get("delivery_when", ""),
        "start": context.get("eta_start", ""),
        "end": context.get("eta_end", ""),
    }
    return template, subject


def build_email(notification: Notification) -> EmailMultiAlternatives:
    """The e-mail of a notification: a text body, an HTML alternative, the town as sender name."""
    with translation.override("fr"):
        context = notification_context(notification)
        template, subject = _email_template_and_subject(notification, context)
        text = render_to_string(f"checkout/emails/{template}.txt", context)
        html = render_to_string(f"checkout/emails/{template}.html", {**context, "subject": subject})
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    town = context["town"]
    message = EmailMultiAlternatives(
        subject=re.sub(r"[\r\n]+", " ", subject),  # a shop name must never fold a header
        body=text,
        from_email=formataddr((str(context["town_name"]), address)) if address else None,
        to=[notification.recipient],
        reply_to=[town.publisher_email] if isinstance(town, Town) and town.publisher_email else None,
    )
    message.attach_alternative(html, "text/html")
    return message


def build_sms_text(notification: Notification) -> str:
    """One GSM-7 SMS (≤ 160 septets) for a notification."""
    with translation.override("fr"):
        context = notification_context(notification)
        view = context["merchant_order"]
        if base_kind(notification.kind) in ("order_paid", "order_placed") and isinstance(view, MerchantOrderView):
            return _new_order_sms_text(context, view)
        kind = base_kind(notification.kind)
        if kind == "receipt" and isinstance(view, MerchantOrderView):
            return _receipt_sms_text(context)
        if kind == "payment_link":
            return _payment_link_sms_text(context)
        template = kind if kind in DELIVERY_WINDOW_KINDS or kind == "order_cancelled" else "order_ready"
        text = render_to_string(f"checkout/sms/{template}.txt", context)
    return fit_single_sms(text)


def _payment_link_sms_text(context: dict[str, object]) -> str:
    """The card payment link in one SMS: a link cut short is no link, so the words around it give way
    first (the amount, then the town and the deadline), with a long custom domain."""
    text = ""
    for level in (0, 1, 2):
        context["level"] = level
        text = to_gsm7(render_to_string("checkout/sms/payment_link.txt", context))
        if gsm7_length(text) <= SINGLE_SMS_SEPTETS:
            return text
    return text  # only a host of some 90 characters gets here (send_sms then cuts it): none of the platform's


def _receipt_sms_text(context: dict[str, object]) -> str:
    """The resident's SMS for one shop of an order taken by phone: the pickup code first (what the shop
    asks for), then where and when; the shop's address is left out when it does not fit."""
    text = ""
    for with_address in (True, False):
        context["with_address"] = with_address
        text = to_gsm7(render_to_string("checkout/sms/receipt.txt", context))
        if gsm7_length(text) <= SINGLE_SMS_SEPTETS:
            return text
    return fit_single_sms(text)


def _new_order_sms_text(context: dict[str, object], view: MerchantOrderView) -> str:
    """The shop's SMS: order number, when (the fulfilment label, the pickup time) and the link to the order.

    The link must survive in one SMS: with a long town host the day is written short (08/12), and the
    cut of last resort (``fit_single_sms``) is never reached with the platform's hosts.
    """
    merchant_order = view.merchant_order
    when_long = when_short = merchant_order.fulfilment_label  # "Livraison à domicile le mardi 8 décembre"
    if merchant_order.is_delivery and view.pickup_short:
        when_short = _("livraison le %(day)s") % {"day": view.pickup_short}
    elif view.pickup_short:
        when_long = _("%(label)s le %(time)s") % {"label": when_long, "time": view.pickup_short}
        when_short = _("retrait le %(time)s") % {"time": view.pickup_short}
    path = reverse("merchant_orders:detail", args=[merchant_order.pk], urlconf=settings.ROOT_URLCONF)
    town = context["town"]
    context["screen_url"] = town_absolute_url(town, path) if isinstance(town, Town) else path
    text = ""
    for when in (when_long, when_short):
        context["when"] = when[:1].lower() + when[1:]
        text = to_gsm7(render_to_string("checkout/sms/merchant_new_order.txt", context))
        if gsm7_length(text) <= SINGLE_SMS_SEPTETS:
            return text
    return fit_single_sms(text)
