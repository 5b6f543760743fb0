"""A printable order ticket (PDF, A4) per merchant order, for merchants who prepare on paper.

Big type, one line per article with a box to tick, and for a delivery its day, address and the
resident's instructions. The pickup code is not printed: it proves, at the counter, that the person
collecting is the resident who was sent it; a ticket lies on the counter or is stapled to the bag, so a
code printed on it would prove nothing. The shop types the code the resident gives into its order screen.

A part delivered by the town's courier carries, once the rounds are planned, the time the courier should
come and the courier's code, as text and as a QR code: it is not a secret, it ties the bag on the counter
to the delivery the courier's phone expects (the courier scans it when collecting).
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

from catalog.formatting import format_clock, format_price
from checkout.models import MerchantOrder, PaymentMethod
from checkout.notifications.content import merchant_order_view
from checkout.qr import qr_svg
from tenants.current import current_town_or_none


def ticket_context(merchant_order: MerchantOrder) -> dict[str, object]:
    order = merchant_order.order
    town = current_town_or_none()
    return {
        "town_name": town.name if town else "Comptoir",
        "order": order,
        "number": order.number,
        "view": merchant_order_view(merchant_order, town),
        "customer_first_name": order.first_name,
        "customer_phone": order.phone,
        "is_delivery": merchant_order.is_delivery,
        "delivery_address": order.delivery_address,
        "delivery_instructions": order.delivery_instructions,
        "total": format_price(merchant_order.items_total_cents),
        "is_pay_in_store": order.payment_method == PaymentMethod.IN_STORE,
        "courier_pickup": format_clock(merchant_order.courier_pickup_at) if merchant_order.courier_pickup_at else "",
        "courier_code": merchant_order.courier_code,
        "courier_qr": qr_svg(merchant_order.courier_code, scale=5) if merchant_order.courier_code else "",
    }


def render_ticket_html(merchant_order: MerchantOrder) -> str:
    with translation.override("fr"):
        return render_to_string("checkout/ticket.html", ticket_context(merchant_order))


def render_ticket_pdf(merchant_order: MerchantOrder) -> bytes:
    """The ticket as PDF bytes (WeasyPrint; no network: nothing is fetched)."""
    from weasyprint import HTML  # imported here: loading Pango costs ~0.3 s, only tickets need it

    return HTML(string=render_ticket_html(merchant_order)).write_pdf()
