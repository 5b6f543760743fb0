"""The printable order ticket: a real PDF, big type, the pickup code in words and as a QR code."""

from __future__ import annotations

import io
from decimal import Decimal

from pypdf import PdfReader

from checkout.models import PaymentMethod
from checkout.tickets import render_ticket_html, render_ticket_pdf
from tests.catalog.factories import MerchantFactory
from tests.checkout.notification_factories import Line, make_order


def ticket_order():
    shop = MerchantFactory(name="Fromagerie du Beffroi")
    return make_order(
        [(shop, [Line("Maroilles", 890, Decimal(3)), Line("Mimolette", 2490, Decimal("0.350"), unit="kg")])],
        payment_method=PaymentMethod.IN_STORE,
        first_name="Jeanne",
        phone="06 12 34 56 78",
        pickup_code="482913",
    )


def test_the_ticket_shows_code_customer_quantities_total_and_a_qr_code(town_a):
    with town_a:
        order = ticket_order()
        html = render_ticket_html(order.merchant_orders.get())

    assert f"<h1>Commande n° {order.number}</h1>" in html
    assert '<p class="code">482913</p>' in html
    assert "Jeanne — 06 12 34 56 78" in html
    assert '<td class="qty">3</td>' in html
    assert '<td class="qty">0,35 kg</td>' in html
    assert "Total TTC : 35,42\xa0€" in html  # 3 × 8,90 + 0,350 × 24,90 (8,715 → 8,72)
    assert "À encaisser au retrait" in html
    assert 'src="data:image/svg+xml' in html
    assert 'alt="QR code du code de retrait 482913"' in html
    assert html.count('<span class="box" aria-hidden="true"></span>') == 2


def test_the_ticket_is_a_real_pdf(town_a, tmp_path):
    with town_a:
        pdf = render_ticket_pdf(ticket_order().merchant_orders.get())

    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert len(pdf) > 5_000
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "482913" in text
    assert "Maroilles" in text
