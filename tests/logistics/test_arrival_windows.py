"""The resident is told when the courier comes: once, and again only when the window slips; the window,
the door code and the courier's time and code reach checkout's pages through checkout's own rows."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from accounts.sms import gsm7_length, is_gsm7
from accounts.sms.backends import locmem
from catalog.formatting import format_clock
from checkout.actions import mark_delivered, set_courier_pickup, set_delivery_eta
from checkout.models import Fulfilment, MerchantOrder, Notification, NotificationStatus, Order
from checkout.tickets import render_ticket_html, render_ticket_pdf
from checkout.tokens import status_path
from logistics.models import Delivery, DeliveryPart, DeliveryStatus, PartStatus
from logistics.notify import arrival_windows_changed, window_news
from logistics.planner import plan_rounds
from tests.catalog.factories import MerchantFactory
from tests.checkout.conftest import MERCHANT, merchant_user
from tests.checkout.notification_factories import Line, make_order
from tests.logistics.factories import IN_CENTRE, TUESDAY, TUESDAY_MORNING, delivery, delivery_zones, fleet, shop

# Friday 27 November 2026, 9 h 30 in Calais: the day's rounds are planned.
FRIDAY_MORNING = dt.datetime(2026, 11, 27, 8, 30, tzinfo=dt.UTC)
T = dt.time
TOLD = (T(14, 10), T(14, 40))
SHOP_VISIT = T(13, 50)


@pytest.fixture
def sms_outbox(settings: object) -> list[locmem.SmsMessage]:
    settings.SMS_BACKEND = "accounts.sms.backends.locmem.SmsBackend"
    locmem.outbox.clear()
    return locmem.outbox


def planned_delivery(
    *,
    eta: tuple[dt.time, dt.time] | None = TOLD,
    pickup: dt.time | None = SHOP_VISIT,
    status: str = DeliveryStatus.PLANNED,
    phone: str = "06 12 34 56 78",
    shop_name: str = "Boulangerie Dupont",
    date: dt.date | None = None,
) -> Delivery:
    """A paid order delivered by the town, on a plan that gave it an arrival window (inside a town)."""
    order = make_order(
        [(MerchantFactory(name=shop_name), [Line("Pain de campagne", 380)])],
        fulfilment=Fulfilment.DELIVERY,
        phone=phone,
    )
    if date is not None:
        Order.objects.filter(pk=order.pk).update(delivery_date=date)
    delivery = Delivery.objects.create(
        order=order,
        status=status,
        date=date or order.delivery_date,
        window_start=T(14, 0),
        window_end=T(16, 0),
        eta_start=eta[0] if eta else None,
        eta_end=eta[1] if eta else None,
        door_code="123456",
    )
    DeliveryPart.objects.create(
        delivery=delivery, merchant_order=order.merchant_orders.get(), collect_code="ACDE34", pickup_eta=pickup
    )
    return delivery


def replan(delivery: Delivery, start: dt.time, end: dt.time, capture) -> int:
    """The planner moved the window and calls back after its commit."""
    Delivery.objects.filter(pk=delivery.pk).update(eta_start=start, eta_end=end)
    with capture(execute=True):
        return arrival_windows_changed([delivery.pk])


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_the_first_window_is_sent_once_by_email_and_sms_with_the_door_code(
    town_a, django_capture_on_commit_callbacks, sms_outbox
):
    with town_a:
        delivery = planned_delivery()
        with django_capture_on_commit_callbacks(execute=True):
            first = arrival_windows_changed([delivery.pk])
        with django_capture_on_commit_callbacks(execute=True):
            second = arrival_windows_changed([delivery.pk, delivery.pk])
        number = delivery.order.number
        delivery.refresh_from_db()
        statuses = set(Notification.objects.filter(order=delivery.order).values_list("kind", "channel", "status"))

    assert (first, second) == (2, 0)
    assert delivery.told_eta_start == T(14, 10)
    assert statuses == {
        ("delivery_window:1410-1440", "email", NotificationStatus.SENT),
        ("delivery_window:1410-1440", "sms", NotificationStatus.SENT),
    }
    [sms] = sms_outbox
    assert sms.to == "+33612345678"
    assert sms.text == (
        f"Ville A : votre commande {number} sera livrée aujourd'hui entre 14 h 10 et 14 h 40. "
        "Code à donner au livreur : 123456"
    )
    assert is_gsm7(sms.text)  # "n°" is not GSM-7: the number stands alone
    assert gsm7_length(sms.text) <= 160
    [email] = mail.outbox
    assert email.to == ["jeanne@exemple.fr"]
    assert email.subject == f"Commande n° {number} : livraison aujourd'hui entre 14 h 10 et 14 h 40"
    assert f"Votre commande n° {number} sera livrée aujourd'hui entre 14 h 10 et 14 h 40." in email.body
    assert "Code à donner au livreur : 123456" in email.body
    html = email.alternatives[0][0]
    assert "Code à donner au livreur : <strong>123456</strong>" in html


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_a_window_up_to_a_quarter_of_an_hour_later_is_not_told_a_later_or_any_earlier_one_is(
    town_a, django_capture_on_commit_callbacks, sms_outbox
):
    with town_a:
        delivery = planned_delivery()
        with django_capture_on_commit_callbacks(execute=True):
            arrival_windows_changed([delivery.pk])
        sms_outbox.clear()
        mail.outbox.clear()

        within = replan(delivery, T(14, 25), T(14, 55), django_capture_on_commit_callbacks)
        after_within = (list(sms_outbox), Delivery.objects.get(pk=delivery.pk).told_eta_start)
        later = replan(delivery, T(14, 26), T(14, 56), django_capture_on_commit_callbacks)
        earlier = replan(delivery, T(14, 20), T(14, 50), django_capture_on_commit_callbacks)
        again = replan(delivery, T(14, 20), T(14, 50), django_capture_on_commit_callbacks)
        number = delivery.order.number
        told = Delivery.objects.get(pk=delivery.pk).told_eta_start
        order = Order.objects.get(pk=delivery.order_id)

    assert within == 0
    assert after_within == ([], T(14, 10))
    assert (later, earlier, again) == (2, 2, 0)
    assert [sms.text for sms in sms_outbox] == [
        f"Ville A : votre livraison est décalée : entre 14 h 26 et 14 h 56 aujourd'hui. "
        f"Code à donner au livreur : 123456. Commande {number}",
        f"Ville A : votre livraison est décalée : entre 14 h 20 et 14 h 50 aujourd'hui. "
        f"Code à donner au livreur : 123456. Commande {number}",
    ]
    assert [email.subject for email in mail.outbox] == [
        f"Commande n° {number} : livraison décalée entre 14 h 26 et 14 h 56",
        f"Commande n° {number} : livraison décalée entre 14 h 20 et 14 h 50",
    ]
    assert told == T(14, 20)
    for sms in sms_outbox:
        assert gsm7_length(sms.text) <= 160
    # The status page follows every move, told or not.
    assert (order.delivery_eta_start, order.delivery_eta_end) == (T(14, 20), T(14, 50))


@pytest.mark.parametrize(
    ("told", "new", "kind"),
    [
        (None, T(9, 0), "delivery_window"),
        (T(14, 10), T(14, 10), None),
        (T(14, 10), T(14, 25), None),
        (T(14, 10), T(14, 26), "delivery_window_moved"),
        (T(14, 10), T(14, 9), "delivery_window_moved"),
    ],
)
def test_which_window_changes_are_news(told, new, kind):
    assert window_news(told_start=told, new_start=new) == kind


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_without_a_mobile_number_only_the_email_goes_and_a_later_day_is_named(
    town_a, django_capture_on_commit_callbacks, sms_outbox
):
    with town_a:
        delivery = planned_delivery(phone="03 21 00 00 00", date=dt.date(2026, 11, 28))
        with django_capture_on_commit_callbacks(execute=True):
            queued = arrival_windows_changed([delivery.pk])

    assert queued == 1
    assert sms_outbox == []
    [email] = mail.outbox
    assert "sera livrée le samedi 28 novembre entre 14 h 10 et 14 h 40." in email.body


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_unplanned_and_cancelled_deliveries_are_copied_to_checkout_but_nobody_is_told(
    town_a, django_capture_on_commit_callbacks, sms_outbox
):
    with town_a:
        waiting = planned_delivery(eta=None, pickup=None, status=DeliveryStatus.TO_PLAN)
        cancelled = planned_delivery(status=DeliveryStatus.CANCELLED, shop_name="Épicerie du Port")
        MerchantOrder.objects.filter(order=cancelled.order).update(courier_pickup_at=T(13, 0), courier_code="OLD123")
        with django_capture_on_commit_callbacks(execute=True):
            queued = arrival_windows_changed([waiting.pk, cancelled.pk, 999_999])
        notifications = Notification.objects.filter(order__in=[waiting.order_id, cancelled.order_id]).count()
        rows = {
            order.pk: (order.delivery_eta_start, order.delivery_door_code)
            for order in Order.objects.filter(pk__in=[waiting.order_id, cancelled.order_id])
        }
        cancelled_part = MerchantOrder.objects.get(order=cancelled.order)

    assert queued == 0
    assert (sms_outbox, mail.outbox, notifications) == ([], [], 0)
    assert rows == {waiting.order_id: (None, "123456"), cancelled.order_id: (None, "123456")}
    assert (cancelled_part.courier_pickup_at, cancelled_part.courier_code) == (None, "")


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_the_shops_get_the_couriers_time_and_code_and_a_refused_part_loses_them(
    town_a, django_capture_on_commit_callbacks, sms_outbox
):
    with town_a:
        delivery = planned_delivery()
        with django_capture_on_commit_callbacks(execute=True):
            arrival_windows_changed([delivery.pk])
        part = MerchantOrder.objects.get(order=delivery.order)
        told = (part.courier_pickup_at, part.courier_code)
        DeliveryPart.objects.filter(delivery=delivery).update(status=PartStatus.REFUSED)
        with django_capture_on_commit_callbacks(execute=True):
            arrival_windows_changed([delivery.pk])
        part.refresh_from_db()

    assert told == (T(13, 50), "ACDE34")
    assert (part.courier_pickup_at, part.courier_code) == (None, "")


def test_checkout_refuses_a_window_that_ends_before_it_starts_and_a_courier_code_on_a_collected_part(town_a):
    with town_a:
        order = make_order(fulfilment=Fulfilment.DELIVERY)
        collected = make_order(email="autre@exemple.fr").merchant_orders.get()
        with pytest.raises(ValidationError):
            set_delivery_eta(order_id=order.pk, start=T(15, 0), end=T(14, 0))
        with pytest.raises(ValidationError):
            set_delivery_eta(order_id=order.pk, start=T(15, 0), end=None)
        with pytest.raises(ValidationError):
            set_courier_pickup(merchant_order_id=collected.pk, at=T(13, 0), code="ACDE34")
        order.refresh_from_db()
        collected.refresh_from_db()

    assert (order.delivery_eta_start, order.delivery_eta_end) == (None, None)
    assert (collected.courier_pickup_at, collected.courier_code) == (None, "")


# --- where it stands, on checkout's pages -------------------------------------------------------------------


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_the_status_page_says_when_the_courier_comes_then_when_it_was_delivered(
    client_a, town_a, django_capture_on_commit_callbacks, sms_outbox
):
    with town_a:
        delivery = planned_delivery()
        before = status_path(delivery.order)
        page_before = client_a.get(before).content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            arrival_windows_changed([delivery.pk])
        planned_page = client_a.get(before).content.decode()
        part = MerchantOrder.objects.get(order=delivery.order)
        with time_machine.travel(dt.datetime(2026, 11, 27, 13, 22, tzinfo=dt.UTC), tick=False):
            mark_delivered(merchant_order_id=part.pk, actor=MERCHANT)
        delivered_page = client_a.get(before).content.decode()

    assert "Livraison prévue" not in page_before
    assert '<p class="delivery-progress"><strong>Livraison prévue entre 14 h 10 et 14 h 40</strong></p>' in planned_page
    # The code the resident gives the courier is the delivery's door code, not the shop's pickup code.
    assert "Code à donner au livreur : <strong>123456</strong>" in planned_page
    assert "482913" not in planned_page
    assert '<p class="delivery-progress"><strong>Livrée à 14 h 22</strong></p>' in delivered_page
    assert "Livraison prévue" not in delivered_page


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_the_shop_screen_and_ticket_show_when_the_courier_comes_and_the_code_as_text_and_qr(
    client_a, town_a, django_capture_on_commit_callbacks, sms_outbox
):
    with town_a:
        delivery = planned_delivery()
        with django_capture_on_commit_callbacks(execute=True):
            arrival_windows_changed([delivery.pk])
        part = MerchantOrder.objects.select_related("order", "merchant").get(order=delivery.order)
        user = merchant_user(part.merchant, "boulangerie@exemple.fr")
        client_a.force_login(user)
        html = render_ticket_html(part)
        pdf = render_ticket_pdf(part)
    screen = client_a.get(f"/gestion/mes-commandes/{part.pk}/").content.decode()

    assert "Passage du livreur vers 13 h 50" in screen
    assert "<strong>ACDE34</strong>" in screen
    assert '<svg role="img"' in screen
    assert "<title>QR code du code ACDE34</title>" in screen
    # Only the town's staff see the delivery panel.
    assert "delivery-panel" not in screen
    assert "Passage du livreur vers 13 h 50" in html
    assert "Code du livreur : <strong>ACDE34</strong>" in html
    assert '<svg width="' in html.split("Code du livreur")[1]
    assert pdf.startswith(b"%PDF-")


# --- with the planner's own output ----------------------------------------------------------------------------


def test_a_planned_day_tells_each_resident_the_window_the_planner_chose(
    town_a, django_capture_on_commit_callbacks, sms_outbox
):
    with time_machine.travel(TUESDAY_MORNING, tick=False), town_a:
        delivery_zones()
        fleet(bikes=1, cars=1, car_start="13:00")
        bakery = shop("Boulangerie du Beffroi", 50.9520, 1.8560)
        made = [delivery([bakery], point) for point in IN_CENTRE[:2]]
        with django_capture_on_commit_callbacks(execute=True):
            plan_rounds(date=TUESDAY, seconds=1)
        with django_capture_on_commit_callbacks(execute=True):
            arrival_windows_changed([planned.pk for planned in made])
        deliveries = list(Delivery.objects.filter(pk__in=[planned.pk for planned in made]).select_related("order"))
        parts = list(DeliveryPart.objects.filter(delivery__in=deliveries).select_related("merchant_order"))

    assert len(deliveries) == 2
    for planned in deliveries:
        assert planned.status == DeliveryStatus.PLANNED
        assert planned.told_eta_start == planned.eta_start
        assert (planned.order.delivery_eta_start, planned.order.delivery_eta_end) == (
            planned.eta_start,
            planned.eta_end,
        )
        assert planned.order.delivery_door_code == planned.door_code
    for part in parts:
        assert part.pickup_eta is not None
        assert (part.merchant_order.courier_pickup_at, part.merchant_order.courier_code) == (
            part.pickup_eta,
            part.collect_code,
        )
    assert len(mail.outbox) == 2
    assert sorted(sms.text for sms in sms_outbox) == sorted(
        f"Ville A : votre commande {planned.order.number} sera livrée aujourd'hui entre "
        f"{format_clock(planned.eta_start)} et {format_clock(planned.eta_end)}. "
        f"Code à donner au livreur : {planned.door_code}"
        for planned in deliveries
    )


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_the_longest_slip_message_still_fits_one_sms_with_its_code(
    town_a, django_capture_on_commit_callbacks, sms_outbox
):
    town_a.name = "Saint-Martin-Boulogne-sur-Mer"  # longer than the 20 characters an SMS keeps of it
    with town_a:
        delivery = planned_delivery(date=dt.date(2026, 12, 30))  # "le mercredi 30 décembre"
        with django_capture_on_commit_callbacks(execute=True):
            arrival_windows_changed([delivery.pk])
        replan(delivery, T(16, 50), T(17, 20), django_capture_on_commit_callbacks)

    first, moved = sms_outbox
    assert moved.text.startswith("Saint-Martin-Boulog... : votre livraison est décalée")
    assert (
        "sera livrée le mercredi 30 décembre entre 14 h 10 et 14 h 40. Code à donner au livreur : 123456" in first.text
    )
    assert "entre 16 h 50 et 17 h 20 le mercredi 30 décembre. Code à donner au livreur : 123456." in moved.text
    assert not moved.text.endswith("...")
    assert gsm7_length(first.text) <= 160
    assert gsm7_length(moved.text) <= 160
