"""A printable order ticket (PDF, A4) per merchant order, for merchants who prepare on paper.

Big type, the pickup code in words and as a QR code, one line per article with a box to tick.
"""

from __future__ import annotations

import segno
from django.template.loader import render_to_string
from django.utils import translation

from catalog.formatting import format_price
from checkout.models import Fulfilment, MerchantOrder
from checkout.notifications.content import merchant_order_view
from tenants.current import current_town_or_none


def ticket_context(merchant_order: MerchantOrder) -> dict[str, object]:
    order = merchant_order.order
    town = current_town_or_none()
    view = merchant_order_view(merchant_order, town)
    qr = segno.make(merchant_order.pickup_code, error="m")
    return {
        "town_name": town.name if town else "Comptoir",
        "order": order,
        "number": order.number,
        "view": view,
        "customer_first_name": order.first_name,
        "customer_phone": order.phone,
        "is_delivery": merchant_order.fulfilment == Fulfilment.DELIVERY,
        "delivery_address": ", ".join(
            part
            for part in (order.delivery_address_label, f"{order.delivery_postcode} {order.delivery_city}".strip())
            if part
        ),
        "delivery_instructions": order.delivery_instructions,
        "total": format_price(merchant_order.items_total_cents),
        "is_pay_in_store": order.payment_method == "in_store",
        "qr_data_uri": qr.svg_data_uri(scale=6, border=2),
    }


def render_ticket_html(merchant_order: MerchantOrder) -> str:
    with translation.override("fr"):
        return render_to_string("checkout/ticket.html", ticket_context(merchant_order))


def render_ticket_pdf(merchant_order: MerchantOrder) -> bytes:
    """The ticket as PDF bytes (WeasyPrint; no network: the QR code is an inline SVG)."""
    from weasyprint import HTML  # imported here: loading Pango costs ~0.3 s, only tickets need it

    return HTML(string=render_ticket_html(merchant_order)).write_pdf()
