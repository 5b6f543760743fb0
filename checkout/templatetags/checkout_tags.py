"""Display helpers for baskets and orders (French formats)."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.forms import BaseForm, BoundField
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from accounts.models import AnyUser
from catalog.formatting import format_decimal, format_quantity
from checkout import queries
from checkout.models import Order
from checkout.qr import qr_svg
from checkout.tokens import status_path

register = template.Library()


@register.filter
def quantity(value: Decimal, unit: str) -> str:
    """2 · 0,35 kg · 1,5 l"""
    return format_quantity(value, unit)


@register.filter
def quantity_input(value: Decimal) -> str:
    return format_decimal(Decimal(value))


@register.filter
def vat_percent(rate: int) -> str:
    """2000 → "20 %", 550 → "5,5 %"."""
    return format_decimal(Decimal(rate) / 100) + "\u00a0%"


@register.simple_tag(takes_context=True)
def basket_count(context: template.Context) -> int:
    """Articles in the visitor's basket, for the header's basket link (``checkout.queries.basket_count_for``)."""
    request = context.get("request")
    return queries.basket_count_for(request) if request is not None else 0


@register.filter
def get_field(form: BaseForm, name: str) -> BoundField:
    return form[name]


@register.filter
def handles_orders(user: AnyUser) -> bool:
    return queries.can_handle_orders(user)


@register.filter
def status_url(order: Order) -> str:
    """The order's status page: the signed link its e-mails carry, usable signed in or not."""
    return status_path(order)


@register.filter
def phone(value: str) -> str:
    """0612345678 → "06 12 34 56 78", read and dialled at a glance; other numbers unchanged."""
    if len(value) == 10 and value.isascii() and value.isdigit():
        return " ".join(value[index : index + 2] for index in range(0, 10, 2))
    return value


@register.filter
def order_number(value: str) -> str:
    """An order number that never breaks at its hyphen ("2026-" / "000041") in a heading."""
    return format_html('<span class="order-number">{}</span>', value)


@register.filter
def qr_code(value: str) -> SafeString:
    """The courier's code as a QR code (inline SVG) the courier scans at the shop."""
    return qr_svg(value, label=gettext("QR code du code %(code)s") % {"code": value})
