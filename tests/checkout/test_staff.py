"""The town's order desk: orders a merchant has not accepted, notifications that failed."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from checkout.models import MerchantOrder, MerchantOrderStatus, Notification, Order, PaymentMethod
from checkout.views_staff import waiting_label
from tests.catalog.factories import MerchantFactory
from tests.catalog.test_backoffice import sign_in
from tests.checkout.notification_factories import Line, make_order

AWAITING = reverse("checkout_staff:awaiting_acceptance", urlconf="config.urls_town")
FAILED = reverse("checkout_staff:failed_notifications", urlconf="config.urls_town")


def resend_url(notification_id: int) -> str:
    return reverse("checkout_staff:resend_notification", args=[notification_id], urlconf="config.urls_town")


def failed_notification(order: Order, *, kind: str = "order_paid", error: str = "SMTPException: 421") -> Notification:
    return Notification.objects.create(
        order=order,
        kind=kind,
        channel="email",
        recipient=order.email,
        status="failed",
        attempts=5,
        last_error=error,
    )


def paid_ago(minutes: int, *, name: str, phone: str = "03 21 00 00 00", amount: int = 1250) -> Order:
    merchant = MerchantFactory(name=name, phone=phone)
    return make_order([(merchant, [Line("Article", amount)])], paid_at=timezone.now() - timedelta(minutes=minutes))


# --- who may enter -------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(client_a):
    response = client_a.get(AWAITING)
    assert response.status_code == 302
    assert response["Location"] == f"/compte/login/?next={AWAITING}"


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.MERCHANT_STAFF, Role.COURIER])
def test_residents_merchants_and_couriers_get_403(client_a, town_a, role):
    with town_a:
        notification = failed_notification(make_order())
    sign_in(client_a, town_a, role=role)

    assert client_a.get(AWAITING).status_code == 403
    assert client_a.get(FAILED).status_code == 403
    assert client_a.post(resend_url(notification.pk)).status_code == 403
    with town_a:
        notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("failed", 5)


@pytest.mark.parametrize("role", [Role.TOWN_ADMIN, Role.TOWN_AGENT])
def test_town_admins_and_agents_see_both_screens(client_a, town_a, role):
    sign_in(client_a, town_a, role=role)
    assert client_a.get(AWAITING).status_code == 200
    assert client_a.get(FAILED).status_code == 200


def test_another_towns_notification_is_not_found(client_a, town_a, town_b):
    with town_b:
        other = failed_notification(make_order())
    with town_a:
        assert not Notification.objects.filter(pk=other.pk).exists()
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)

    assert client_a.post(resend_url(other.pk)).status_code == 404
    with town_b:
        other.refresh_from_db()
    assert (other.status, other.attempts) == ("failed", 5)


# --- orders waiting for a merchant ---------------------------------------------------------------


def test_orders_unaccepted_after_30_minutes_are_listed_oldest_first_with_a_call_link(client_a, town_a):
    with town_a:
        recent = paid_ago(10, name="Trop récent")
        middle = paid_ago(45, name="Épicerie du Port", phone="06 11 22 33 44", amount=2390)
        oldest = paid_ago(90, name="Boulangerie Dupont", phone="03.21.46.62.00")
        accepted = paid_ago(120, name="Déjà acceptée")
        MerchantOrder.objects.filter(order=accepted).update(status=MerchantOrderStatus.ACCEPTED)
        in_store = make_order(
            [(MerchantFactory(name="Fleuriste"), [Line("Bouquet", 2500)])], payment_method=PaymentMethod.IN_STORE
        )
        Order.objects.filter(pk=in_store.pk).update(created_at=timezone.now() - timedelta(minutes=60))
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)

    page = client_a.get(AWAITING).content.decode()

    assert "Trop récent" not in page
    assert "Déjà acceptée" not in page
    assert page.index("Boulangerie Dupont") < page.index("Fleuriste") < page.index("Épicerie du Port")
    assert '<a href="tel:0321466200">Appeler 03.21.46.62.00' in page
    assert '<a href="tel:0611223344">Appeler 06 11 22 33 44' in page
    assert f"n° {oldest.number}" in page
    assert f"n° {middle.number}" in page
    assert recent.number not in page
    assert "23,90\xa0€" in page
    assert "1 h 30" in page
    assert "45 minutes" in page
    with town_a:  # each number opens the order
        assert f'/gestion/mes-commandes/{oldest.merchant_orders.get().pk}/">n° {oldest.number}</a>' in page
    assert '<th scope="col">Téléphone</th>' in page


@pytest.mark.parametrize(
    ("minutes", "label"),
    [
        (1, "1 minute"),
        (59, "59 minutes"),
        (60, "1 h 00"),
        (605, "10 h 05"),
        (1440, "1 jour 0 h"),
        (3730, "2 jours 14 h"),
    ],
)
def test_waiting_times_read_at_a_glance(minutes, label):
    assert waiting_label(minutes) == label


def test_the_awaiting_page_runs_the_same_queries_for_2_or_10_orders(client_a, town_a, django_assert_num_queries):
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)
    with town_a:
        for index in range(2):
            paid_ago(40 + index, name=f"Commerce {index}")
    client_a.get(AWAITING)  # warm the per-process caches (host lookup, town settings), as in production
    with django_assert_num_queries(4):  # town domain, session, user, merchant orders (joined)
        assert client_a.get(AWAITING).content.decode().count("Appeler") == 2
    with town_a:
        for index in range(2, 10):
            paid_ago(40 + index, name=f"Commerce {index}")
    with django_assert_num_queries(4):
        assert client_a.get(AWAITING).content.decode().count("Appeler") == 10


# --- failed notifications ------------------------------------------------------------------------


def test_failed_notifications_show_error_and_attempts_and_run_the_same_queries_for_2_or_10(
    client_a, town_a, django_assert_num_queries
):
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)
    with town_a:
        for _index in range(2):
            failed_notification(make_order(), error="SMTPRecipientsRefused: 550 mailbox unavailable")
        Notification.objects.create(order=make_order(), kind="order_paid", channel="email", status="sent")
    client_a.get(FAILED)  # warm the per-process caches, as in production
    with django_assert_num_queries(4):
        page = client_a.get(FAILED).content.decode()
    assert page.count("SMTPRecipientsRefused: 550 mailbox unavailable") == 2
    assert page.count(">Renvoyer<") == 2
    assert "Commande payée · E-mail" in page
    with town_a:
        for _index in range(8):
            failed_notification(make_order())
    with django_assert_num_queries(4):
        assert client_a.get(FAILED).content.decode().count(">Renvoyer<") == 10


def test_resending_needs_the_csrf_token_then_resets_and_sends(town_a, django_capture_on_commit_callbacks):
    client = Client(HTTP_HOST=town_a.primary_host, enforce_csrf_checks=True)
    sign_in(client, town_a, role=Role.TOWN_AGENT)
    with town_a:
        notification = failed_notification(make_order())

    assert client.post(resend_url(notification.pk)).status_code == 403  # no CSRF token
    page = client.get(FAILED)
    token = page.context["csrf_token"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(resend_url(notification.pk), {"csrfmiddlewaretoken": str(token)}, follow=True)

    assert response.redirect_chain == [(FAILED, 302)]
    assert "La notification a été remise en file d&#x27;envoi." in response.content.decode()
    with town_a:
        notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.last_error) == ("sent", 1, "")
    assert len(mail.outbox) == 1


SATURDAY_EVENING = dt.datetime(2026, 12, 5, 17, 0, tzinfo=dt.UTC)  # 18 h in Calais


@time_machine.travel(dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC), tick=False)  # Monday, 11 h in Calais
def test_the_desk_groups_waiting_orders_by_day_in_the_towns_clock_and_flags_those_from_an_earlier_day(client_a, town_a):
    with town_a:
        saturday = paid_ago(int((timezone.now() - SATURDAY_EVENING).total_seconds() // 60), name="Boulangerie Dupont")
        this_morning = paid_ago(60, name="Épicerie du Port")
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)

    page = client_a.get(AWAITING).content.decode()

    saturday_caption = "<caption>Samedi 5 décembre — en attente depuis un jour précédent</caption>"
    monday_caption = "<caption>Lundi 7 décembre</caption>"
    assert page.index(saturday_caption) < page.index(f"n° {saturday.number}") < page.index(monday_caption)
    assert page.index(monday_caption) < page.index(f"n° {this_morning.number}")
    assert "<strong>depuis le samedi 5 décembre à 18 h</strong>" in page
    assert "depuis 10 h" in page  # 9:00 UTC, this morning
    assert "2 commandes en attente" in page
