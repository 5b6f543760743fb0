"""The printable order ticket: a real PDF, big type, what to prepare and when; a delivery's day, address
and instructions; never the pickup code (a ticket stapled to the bag would carry the proof with it)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from pypdf import PdfReader

from checkout.models import Fulfilment, MerchantOrder, Order, PaymentMethod
from checkout.tickets import render_ticket_html, render_ticket_pdf
from tests.catalog.factories import MerchantFactory
from tests.checkout.notification_factories import Line, make_order

# Tuesday 8 December 2026, 14 h to 15 h 30 in Calais (UTC+1).
PICKUP_STARTS = dt.datetime(2026, 12, 8, 13, 0, tzinfo=dt.UTC)
PICKUP_ENDS = dt.datetime(2026, 12, 8, 14, 30, tzinfo=dt.UTC)


def ticket_order():
    shop = MerchantFactory(name="Fromagerie du Beffroi")
    return make_order(
        [(shop, [Line("Maroilles", 890, Decimal(3)), Line("Mimolette", 2490, Decimal("0.350"), unit="kg")])],
        payment_method=PaymentMethod.IN_STORE,
        first_name="Jeanne",
        phone="06 12 34 56 78",
        pickup_code="482913",
    )


def test_the_ticket_shows_customer_window_quantities_and_total_but_not_the_pickup_code(town_a):
    with town_a:
        order = ticket_order()
        order.merchant_orders.update(pickup_starts_at=PICKUP_STARTS, pickup_ends_at=PICKUP_ENDS)
        html = render_ticket_html(order.merchant_orders.get())

    assert f"<h1>Commande n° {order.number}</h1>" in html
    assert '<p class="when">Retrait en boutique — mardi 8 décembre, de 14 h à 15 h 30</p>' in html
    assert "Jeanne — 06 12 34 56 78" in html
    assert '<td class="qty">3</td>' in html
    assert '<td class="qty">0,35 kg</td>' in html
    assert "Total TTC : 35,42\xa0€" in html  # 3 × 8,90 + 0,350 × 24,90 (8,715 → 8,72)
    assert "À encaisser au retrait" in html
    assert "demandez au client son code de retrait et saisissez-le dans votre espace commerçant" in html
    assert "482913" not in html
    assert "<img" not in html
    assert html.count('<span class="box" aria-hidden="true"></span>') == 2


def test_a_delivery_ticket_shows_the_day_the_address_once_and_the_instructions(town_a):
    with town_a:
        order = make_order(
            [(MerchantFactory(name="Crèmerie"), [Line("Maroilles", 890)])], fulfilment=Fulfilment.DELIVERY
        )
        Order.objects.filter(pk=order.pk).update(
            delivery_address_label="12 Rue Royale 62100 Calais",
            delivery_date=dt.date(2026, 12, 8),
            delivery_instructions="Interphone 12, 2e étage",
        )
        html = render_ticket_html(MerchantOrder.objects.select_related("order").get(order=order))

    assert '<p class="when">Livraison à domicile le mardi 8 décembre</p>' in html
    assert "<strong>Adresse de livraison :</strong> 12 Rue Royale, 62100 Calais" in html
    assert "<strong>Instructions pour le livreur :</strong> Interphone 12, 2e étage" in html
    assert "Le client donnera son code au livreur." in html
    assert "482913" not in html


def test_the_ticket_is_a_real_pdf(town_a, tmp_path):
    with town_a:
        pdf = render_ticket_pdf(ticket_order().merchant_orders.get())

    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert len(pdf) > 5_000
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "482913" not in text
    assert "Maroilles" in text
