"""Order notifications: recorded once per event, sent after commit, French e-mails that add up."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction

from accounts.sms import gsm7_length, is_gsm7
from accounts.sms.backends import locmem
from checkout.models import (
    Fulfilment,
    MerchantOrderStatus,
    Notification,
    NotificationStatus,
    Order,
    OrderLine,
    PaymentMethod,
)
from checkout.notifications import queue_order_notifications
from checkout.tokens import order_public_id_from_token
from tests.catalog.factories import MerchantFactory
from tests.checkout.notification_factories import Line, make_order

NBSP = "\xa0"


def eur(amount: str) -> str:
    """French price as format_price writes it (no-break space before the euro sign)."""
    return f"{amount}{NBSP}€"


@pytest.fixture
def sms_outbox(settings: object) -> list[locmem.SmsMessage]:
    settings.SMS_BACKEND = "accounts.sms.backends.locmem.SmsBackend"
    locmem.outbox.clear()
    return locmem.outbox


def queue(django_capture_on_commit_callbacks, **kwargs: object) -> None:
    """Queue inside a transaction, as the order actions do, then run what waits for the commit."""
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        queue_order_notifications(**kwargs)


def two_shop_order(**kwargs: object):
    bakery = MerchantFactory(name="Boulangerie Dupont", email="dupont@boulangerie.fr", phone="06 11 22 33 44")
    grocer = MerchantFactory(name="Épicerie du Port", email="", phone="03 21 00 00 00")
    return make_order(
        [
            (
                bakery,
                [
                    Line("Pain de campagne", 380, Decimal(2)),
                    Line("Éclair au café", 250, Decimal(3), is_perishable=True),
                ],
            ),
            (
                grocer,
                [
                    Line("Vin de Loire", 1290, vat_rate=2000),
                    Line("Mimolette", 2490, Decimal("0.350"), unit="kg", is_perishable=True),
                ],
            ),
        ],
        delivery_fee_cents=490,
        **kwargs,
    )


def test_a_paid_order_notifies_the_resident_and_each_merchant_once_even_when_queued_twice(
    town_a, django_capture_on_commit_callbacks, sms_outbox, merchant_sms_on
):
    with town_a:
        order = two_shop_order()
        bakery_part, grocer_part = order.merchant_orders.order_by("pk")

        queue(django_capture_on_commit_callbacks, order=order, kind="order_paid")
        queue(django_capture_on_commit_callbacks, order=order, kind="order_paid")

        rows = set(Notification.objects.values_list("merchant_order_id", "channel", "recipient", "status"))
    assert rows == {
        (None, "email", "jeanne@exemple.fr", "sent"),
        (bakery_part.pk, "email", "dupont@boulangerie.fr", "sent"),
        (bakery_part.pk, "sms", "+33611223344", "sent"),
        (bakery_part.pk, "in_app", "", "sent"),
        # No e-mail address, a landline: the grocer is told in its space only (and by the town's desk).
        (grocer_part.pk, "in_app", "", "sent"),
    }
    assert sorted(message.to[0] for message in mail.outbox) == ["dupont@boulangerie.fr", "jeanne@exemple.fr"]
    assert [message.to for message in sms_outbox] == ["+33611223344"]
    assert order.number in sms_outbox[0].text
    assert gsm7_length(sms_outbox[0].text) <= 160


def test_the_receipt_is_french_with_exact_vat_lines_the_withdrawal_notice_and_a_working_status_link(
    town_a, django_capture_on_commit_callbacks, sms_outbox
):
    with town_a:
        order = two_shop_order()
        queue(django_capture_on_commit_callbacks, order=order, kind="order_paid")
    receipt = next(message for message in mail.outbox if message.to == ["jeanne@exemple.fr"])
    text = receipt.body
    html = receipt.alternatives[0][0]

    assert receipt.subject == f"Ville A : confirmation de votre commande n° {order.number}"
    assert receipt.from_email.startswith("Ville A <")
    # 2 × 3,80 + 3 × 2,50 = 15,10 at 5,5 %; 12,90 at 20 %; 0,350 kg × 24,90 = 8,715 → 8,72 at 5,5 %;
    # delivery 4,90 at 20 %. Per rate: 20 % → 17,80 TTC = 14,83 HT + 2,97; 5,5 % → 23,82 = 22,58 + 1,24.
    assert f"- 20 % : HT {eur('14,83')}, TVA {eur('2,97')}, TTC {eur('17,80')}" in text
    assert f"- 5,5 % : HT {eur('22,58')}, TVA {eur('1,24')}, TTC {eur('23,82')}" in text
    assert f"Frais de livraison : {eur('4,90')}" in text
    assert f"TOTAL TTC : {eur('41,62')}" in text
    assert f"- Mimolette (périssable) : 0,35 kg × {eur('24,90')}/kg = {eur('8,72')}" in text
    assert f"- Pain de campagne : 2 × {eur('3,80')} = {eur('7,60')}" in text
    assert "Code de retrait : 482913" in text
    assert "article L221-28 du Code de la consommation" in text
    assert "Dans cette commande, sont concernés : Éclair au café, Mimolette." in text

    link = re.search(r"https://ville-a\.test/commande/suivi/(?P<token>[^/\s]+)/", text)
    assert link is not None
    with town_a:  # the token names its town: it opens the order there, and nowhere else
        assert order_public_id_from_token(link["token"]) == str(order.public_id)
    assert link.group(0) in html

    assert '<html lang="fr">' in html
    assert '<th scope="col"' in html
    assert "Détail de la TVA" in html
    assert f'<td style="text-align:right;padding:4px;white-space:nowrap;">{eur("1,24")}</td>' in html


def test_the_merchant_email_lists_what_to_prepare_and_the_customer(
    town_a, django_capture_on_commit_callbacks, sms_outbox
):
    with town_a:
        order = two_shop_order(payment_method=PaymentMethod.IN_STORE)
        queue(django_capture_on_commit_callbacks, order=order, kind="order_placed")
    to_merchant = next(message for message in mail.outbox if message.to == ["dupont@boulangerie.fr"])
    assert to_merchant.subject == f"Nouvelle commande n° {order.number} à accepter"
    assert "à encaisser en boutique au retrait" in to_merchant.body
    assert "Client : Jeanne — 06 12 34 56 78" in to_merchant.body
    assert f"- Éclair au café (périssable) : 3 × {eur('2,50')} = {eur('7,50')}" in to_merchant.body
    assert "Mimolette" not in to_merchant.body  # the grocer's part is not the bakery's business


def test_each_refusal_is_one_email_with_the_refunded_amount(town_a, django_capture_on_commit_callbacks, sms_outbox):
    with town_a:
        order = two_shop_order()
        bakery_part = order.merchant_orders.order_by("pk").first()
        eclair = OrderLine.objects.get(product_title="Éclair au café")
        bread = OrderLine.objects.get(product_title="Pain de campagne")
        OrderLine.objects.filter(pk=eclair.pk).update(is_refused=True)

        queue(
            django_capture_on_commit_callbacks,
            order=order,
            kind="line_refused",
            merchant_order=bakery_part,
            line=eclair,
        )
        queue(
            django_capture_on_commit_callbacks,
            order=order,
            kind="line_refused",
            merchant_order=bakery_part,
            line=eclair,
        )
        assert len(mail.outbox) == 1

        OrderLine.objects.filter(pk=bread.pk).update(is_refused=True)
        queue(
            django_capture_on_commit_callbacks, order=order, kind="line_refused", merchant_order=bakery_part, line=bread
        )

    first, second = mail.outbox
    assert first.subject == f"Commande n° {order.number} : article indisponible chez Boulangerie Dupont"
    assert f"- Éclair au café (périssable) : 3 × {eur('2,50')} = {eur('7,50')}" in first.body
    assert f"Nous vous remboursons {eur('7,50')} sur le moyen de paiement utilisé." in first.body
    assert "Pain de campagne" not in first.body
    assert f"Nous vous remboursons {eur('7,60')}" in second.body


def test_order_ready_sends_an_email_and_a_short_gsm7_sms_with_the_pickup_code(
    town_a, django_capture_on_commit_callbacks, sms_outbox
):
    with town_a:
        shop = MerchantFactory(name="Fromagerie « Au Bon Goût » de la place d’Armes, maître fromager affineur")
        order = make_order([(shop, [Line("Maroilles", 890)])], phone="+33 7 81 22 33 44")
        part = order.merchant_orders.get()
        queue(django_capture_on_commit_callbacks, order=order, kind="order_ready", merchant_order=part)

    [email] = mail.outbox
    assert email.subject.startswith(f"Commande n° {order.number} prête chez Fromagerie")
    assert "Code de retrait : 482913" in email.body
    [sms] = sms_outbox
    assert sms.to == "+33781223344"
    assert "Code de retrait : 482913" in sms.text
    assert gsm7_length(sms.text) <= 160
    assert is_gsm7(sms.text)
    assert "prete" in sms.text  # ê is not GSM-7: one accent less, not a UCS-2 message at 70 characters


def test_cancellation_tells_the_resident_and_only_the_merchants_who_heard_of_the_order(
    town_a, django_capture_on_commit_callbacks, sms_outbox
):
    with town_a:
        order = two_shop_order()
        queue(django_capture_on_commit_callbacks, order=order, kind="order_paid")
        mail.outbox.clear()
        never_told = make_order(email="autre@exemple.fr")

        queue(django_capture_on_commit_callbacks, order=order, kind="order_cancelled")
        queue(django_capture_on_commit_callbacks, order=never_told, kind="order_cancelled")

        in_app = Notification.objects.filter(kind="order_cancelled", channel="in_app").count()
    assert sorted((message.to[0], message.subject) for message in mail.outbox) == [
        ("autre@exemple.fr", f"Commande n° {never_told.number} annulée"),
        ("dupont@boulangerie.fr", f"Commande n° {order.number} annulée"),
        ("jeanne@exemple.fr", f"Commande n° {order.number} annulée"),
    ]
    assert in_app == 2  # both shops of the first order, none for the order nobody had heard of


def test_each_new_refund_is_news_and_a_replayed_one_is_not(town_a, django_capture_on_commit_callbacks, sms_outbox):
    with town_a:
        order = two_shop_order()
        part = order.merchant_orders.order_by("pk").first()
        part.refunded_cents = 500
        part.save(update_fields=["refunded_cents"])
        queue(django_capture_on_commit_callbacks, order=order, kind="order_refunded", merchant_order=part)
        queue(django_capture_on_commit_callbacks, order=order, kind="order_refunded", merchant_order=part)
        part.refunded_cents = 1510
        part.status = MerchantOrderStatus.REFUNDED
        part.save(update_fields=["refunded_cents", "status"])
        queue(django_capture_on_commit_callbacks, order=order, kind="order_refunded", merchant_order=part)

    assert [message.subject for message in mail.outbox] == [
        f"Commande n° {order.number} : remboursement de {eur('5,00')}",
        f"Commande n° {order.number} : remboursement de {eur('15,10')}",
    ]


def test_nothing_is_sent_before_the_order_commits(
    town_a, django_capture_on_commit_callbacks, sms_outbox, merchant_sms_on
):
    with town_a:
        order = two_shop_order()
        with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
            queue_order_notifications(order=order, kind="order_paid")
        pending = Notification.objects.filter(status=NotificationStatus.PENDING).count()
    assert len(callbacks) == 1
    assert pending == 3  # resident e-mail, bakery e-mail, bakery SMS (in-app needs no sending)
    assert mail.outbox == []
    assert sms_outbox == []


def test_unknown_kinds_and_missing_merchant_orders_are_refused(town_a):
    from django.core.exceptions import ValidationError

    with town_a:
        order = make_order()
        with pytest.raises(ValidationError, match="Unknown notification kind"):
            queue_order_notifications(order=order, kind="order_shipped")
        with pytest.raises(ValidationError, match="need the merchant order"):
            queue_order_notifications(order=order, kind="order_ready")
        assert not Notification.objects.exists()


# --- one way to write a time, an address and the code's use ----------------------------------------

# Tuesday 8 December 2026, 14 h to 15 h 30 in Calais (UTC+1).
PICKUP_STARTS = dt.datetime(2026, 12, 8, 13, 0, tzinfo=dt.UTC)
PICKUP_ENDS = dt.datetime(2026, 12, 8, 14, 30, tzinfo=dt.UTC)


def test_emails_and_sms_write_pickup_times_and_the_shops_address_as_the_site_does(
    town_a, django_capture_on_commit_callbacks, sms_outbox, merchant_sms_on
):
    with town_a:
        shop = MerchantFactory(
            name="Boulangerie Dupont",
            address_line="5 place d'Armes",
            postcode="62100",
            email="dupont@boulangerie.fr",
            phone="06 11 22 33 44",
        )
        order = make_order([(shop, [Line("Pain de campagne", 380)])])
        order.merchant_orders.update(pickup_starts_at=PICKUP_STARTS, pickup_ends_at=PICKUP_ENDS)
        queue(django_capture_on_commit_callbacks, order=order, kind="order_paid")
        part = order.merchant_orders.get()

    receipt = next(message for message in mail.outbox if message.to == ["jeanne@exemple.fr"])
    when_and_where = "Retrait en boutique le mardi 8 décembre, de 14 h à 15 h 30, 5 place d'Armes, 62100 Calais."
    assert when_and_where in receipt.body
    assert "le mardi 8 décembre, de 14 h à 15 h 30, 5 place d&#x27;Armes, 62100 Calais." in receipt.alternatives[0][0]
    assert "Code de retrait : 482913" in receipt.body
    [sms] = sms_outbox
    assert sms.text == (
        f"Ville A : nouvelle commande {order.number}, retrait en boutique le 08/12 14 h-15 h 30. "
        f"A accepter : https://ville-a.test/gestion/mes-commandes/{part.pk}/"
    )
    for text in (receipt.body, receipt.alternatives[0][0], sms.text):
        assert not re.search(r"\d\d:\d\d", text)


def test_a_delivered_orders_emails_write_the_address_once_and_the_code_is_for_the_courier(
    town_a, django_capture_on_commit_callbacks, sms_outbox
):
    with town_a:
        shop = MerchantFactory(name="Crèmerie du Beffroi", email="creme@exemple.fr")
        order = make_order([(shop, [Line("Maroilles", 890)])], fulfilment=Fulfilment.DELIVERY)
        # The label the national address base gives: it already ends with the postcode and the town.
        Order.objects.filter(pk=order.pk).update(
            delivery_address_label="12 Rue Royale 62100 Calais", delivery_date=dt.date(2026, 12, 8)
        )
        queue(django_capture_on_commit_callbacks, order=Order.objects.get(pk=order.pk), kind="order_paid")

    receipt = next(message for message in mail.outbox if message.to == ["jeanne@exemple.fr"])
    to_shop = next(message for message in mail.outbox if message.to == ["creme@exemple.fr"])
    html = receipt.alternatives[0][0]
    assert "Livraison à domicile le mardi 8 décembre, au 12 Rue Royale, 62100 Calais." in receipt.body
    assert "Code à donner au livreur : 482913" in receipt.body
    assert "Code à donner au livreur : <strong" in html
    assert "Code de retrait" not in receipt.body + html
    assert "62100 Calais, 62100 Calais" not in receipt.body + html
    # The shop learns where and when, never the code that proves the resident at the door.
    assert "Livraison à domicile le mardi 8 décembre, au 12 Rue Royale, 62100 Calais." in to_shop.body
    assert "482913" not in to_shop.body + to_shop.alternatives[0][0]
