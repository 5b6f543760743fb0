"""Delivering notifications when the outside world misbehaves: SMTP down or up, SMS provider down,
broker down. The order is never touched; failures are counted, retried, then shown to the town."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from datetime import timedelta
from email.message import Message
from unittest import mock

import pytest
import time_machine
from aiosmtpd.controller import Controller
from celery.exceptions import Retry
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.models import Role
from accounts.sms.backends import locmem
from checkout.models import MerchantOrderStatus, Notification, NotificationStatus, Order, OrderStatus
from checkout.notifications import MAX_ATTEMPTS, queue_order_notifications, retry_delay_seconds
from checkout.tasks import send_notification_task, send_pending_notifications_task
from tests.catalog.factories import MerchantFactory
from tests.catalog.test_backoffice import sign_in
from tests.checkout.notification_factories import Line, make_order


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings: object) -> Iterator[_Inbox]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd), Django's SMTP backend pointed at it."""
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=closed_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield inbox
    controller.stop()


@pytest.fixture
def smtp_down(settings: object) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = closed_port()
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 2


@pytest.fixture
def sms_outbox(settings: object) -> list[locmem.SmsMessage]:
    settings.SMS_BACKEND = "accounts.sms.backends.locmem.SmsBackend"
    locmem.outbox.clear()
    return locmem.outbox


def quiet_order() -> Order:
    """A placed order whose merchant has neither e-mail nor mobile: only the resident is e-mailed."""
    return make_order([(MerchantFactory(name="Boulangerie Dupont", email="", phone=""), [Line("Baguette", 110)])])


def queue(django_capture_on_commit_callbacks, **kwargs: object) -> None:
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        queue_order_notifications(**kwargs)


def test_with_smtp_up_a_real_smtp_server_receives_the_receipt_as_text_and_html(
    town_a, smtp_server, django_capture_on_commit_callbacks
):
    with town_a:
        order = quiet_order()
        queue(django_capture_on_commit_callbacks, order=order, kind="order_paid")
        notification = Notification.objects.get(channel="email")

    assert (notification.status, notification.attempts, notification.last_error) == ("sent", 1, "")
    [(recipients, message)] = smtp_server.messages
    assert recipients == ["jeanne@exemple.fr"]
    assert message.get_content_type() == "multipart/alternative"
    parts = {part.get_content_type(): part.get_payload(decode=True).decode() for part in message.get_payload()}
    assert set(parts) == {"text/plain", "text/html"}
    assert f"Commande n° {order.number} — payée." in parts["text/plain"]
    assert '<html lang="fr">' in parts["text/html"]


def test_with_smtp_down_each_attempt_is_counted_then_the_notification_fails_and_the_town_can_resend_it(
    town_a, client_a, smtp_down, settings, django_capture_on_commit_callbacks
):
    with town_a:
        order = quiet_order()
        queue(django_capture_on_commit_callbacks, order=order, kind="order_paid")
        notification = Notification.objects.get(channel="email")
        statuses = (Order.objects.get(pk=order.pk).status, order.merchant_orders.get().status)

    assert notification.status == NotificationStatus.FAILED
    assert notification.attempts == MAX_ATTEMPTS == 5
    assert notification.last_error.startswith("ConnectionRefusedError: [Errno 111] Connection refused")
    assert statuses == (OrderStatus.PAID, MerchantOrderStatus.PAID)

    sign_in(client_a, town_a, role=Role.TOWN_AGENT)
    page = client_a.get(reverse("checkout_staff:failed_notifications")).content.decode()
    assert f"n° {order.number}" in page
    assert "ConnectionRefusedError: [Errno 111] Connection refused" in page
    assert '<td data-label="Tentatives">5</td>' in page

    # The mail server is fixed: "Renvoyer" gives the notification a fresh set of attempts.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(reverse("checkout_staff:resend_notification", args=[notification.pk]))
    assert response.status_code == 302
    with town_a:
        notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.last_error) == ("sent", 1, "")
    assert [message.to for message in mail.outbox] == [["jeanne@exemple.fr"]]


def test_a_worker_retries_with_exponential_backoff_and_stops_counting_at_the_database_row(
    town_a, smtp_down, django_capture_on_commit_callbacks
):
    with town_a:
        order = quiet_order()
        with django_capture_on_commit_callbacks(execute=False), transaction.atomic():
            queue_order_notifications(order=order, kind="order_paid")
        notification = Notification.objects.get(channel="email")

        # A real worker (not eager): each failure asks Celery to run the task again later.
        countdowns = []
        send_notification_task.push_request(is_eager=False, retries=0)
        try:
            with mock.patch.object(send_notification_task, "retry", side_effect=Retry) as retry:
                for _attempt in range(MAX_ATTEMPTS - 1):
                    with pytest.raises(Retry):
                        send_notification_task.run(notification.pk)
                    countdowns.append(retry.call_args.kwargs["countdown"])
                assert send_notification_task.run(notification.pk) == "failed"
                assert send_notification_task.run(notification.pk) == "failed"  # no sixth attempt
        finally:
            send_notification_task.pop_request()
        notification.refresh_from_db()

    assert countdowns == [30, 60, 120, 240] == [retry_delay_seconds(n) for n in range(1, 5)]
    assert (notification.status, notification.attempts) == ("failed", 5)


def test_a_sent_notification_is_never_sent_again(town_a, django_capture_on_commit_callbacks):
    with town_a:
        order = quiet_order()
        queue(django_capture_on_commit_callbacks, order=order, kind="order_paid")
        notification = Notification.objects.get(channel="email")
        assert send_notification_task.delay(notification.pk).get() == "sent"
    assert len(mail.outbox) == 1


@pytest.mark.slow
def test_with_the_sms_provider_down_the_sms_fails_after_its_retries_and_the_order_is_untouched(
    town_a, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "accounts.sms.backends.brevo.SmsBackend"
    settings.SMS_API_URL = f"http://127.0.0.1:{closed_port()}/v3/transactionalSMS/send"
    settings.SMS_API_KEY = "xkeysib-test"
    with town_a:
        order = quiet_order()
        part = order.merchant_orders.get()
        before = (order.status, part.status, order.total_cents)
        queue(django_capture_on_commit_callbacks, order=order, kind="order_ready", merchant_order=part)
        sms = Notification.objects.get(channel="sms")
        email_notification = Notification.objects.get(channel="email")
        order.refresh_from_db()
        part.refresh_from_db()

    assert (sms.status, sms.attempts, sms.recipient) == ("failed", 5, "+33612345678")
    assert sms.last_error.startswith("SmsError: Brevo injoignable : [Errno 111] Connection refused")
    assert email_notification.status == "sent"  # one channel down does not hold the other back
    assert (order.status, part.status, order.total_cents) == before


def test_with_the_broker_down_notifications_stay_pending_and_the_sweep_sends_them_later(
    town_a, sms_outbox, django_capture_on_commit_callbacks, merchant_sms_on
):
    with town_a:
        shop = MerchantFactory(name="Boulangerie Dupont", email="dupont@boulangerie.fr", phone="0611223344")
        order = make_order([(shop, [Line("Baguette", 110)])])
        broker_down = OperationalError("[Errno 111] Connection refused")
        with mock.patch.object(send_notification_task, "apply_async", side_effect=broker_down) as apply_async:
            queue(django_capture_on_commit_callbacks, order=order, kind="order_paid")
        assert apply_async.call_count == 3  # resident e-mail, merchant e-mail, merchant SMS: all tried

        # The order and its notifications are committed; nothing was sent.
        assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
        pending = list(Notification.objects.exclude(channel="in_app").values_list("status", "attempts"))
        assert pending == [("pending", 0)] * 3
        assert mail.outbox == []
        assert sms_outbox == []

        # A minute is when the task should long have arrived; before that the sweep leaves rows alone.
        assert send_pending_notifications_task.delay().get() == 0
        with time_machine.travel(timezone.now() + timedelta(minutes=2)):
            assert send_pending_notifications_task.delay().get() == 3
        statuses = set(Notification.objects.values_list("status", flat=True))

    assert statuses == {"sent"}
    assert sorted(message.to[0] for message in mail.outbox) == ["dupont@boulangerie.fr", "jeanne@exemple.fr"]
    assert [message.to for message in sms_outbox] == ["+33611223344"]


def test_the_sweep_picks_up_a_notification_stalled_between_retries(town_a, smtp_down, settings):
    with town_a:
        order = quiet_order()
        stalled = Notification.objects.create(
            order=order, kind="order_paid", channel="email", recipient="jeanne@exemple.fr", attempts=2
        )
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        with time_machine.travel(timezone.now() + timedelta(minutes=5)):
            assert send_pending_notifications_task.delay().get() == 0  # its retry may still be on its way
        with time_machine.travel(timezone.now() + timedelta(minutes=16)):
            assert send_pending_notifications_task.delay().get() == 1
        stalled.refresh_from_db()
    assert (stalled.status, stalled.attempts) == ("sent", 3)


@pytest.fixture
def broker_on_a_closed_port() -> Iterator[None]:
    """Celery for real (not eager), its broker a Redis URL nobody listens on."""
    from config.celery import app as celery_app
    from tests.tenants.test_celery import _forget_cached_connections

    keys = ("broker_url", "task_always_eager", "broker_connection_retry_on_startup", "task_publish_retry_policy")
    previous = {key: celery_app.conf[key] for key in keys}
    celery_app.conf.update(
        broker_url=f"redis://127.0.0.1:{closed_port()}/0",
        task_always_eager=False,
        task_publish_retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.1},
    )
    _forget_cached_connections()
    yield
    celery_app.conf.update(previous)
    _forget_cached_connections()


def test_a_real_broker_that_is_down_leaves_the_order_committed_and_the_notifications_pending(
    town_a, broker_on_a_closed_port, django_capture_on_commit_callbacks
):
    with town_a:
        order = quiet_order()
        queue(django_capture_on_commit_callbacks, order=order, kind="order_paid")
        rows = list(Notification.objects.exclude(channel="in_app").values_list("channel", "status", "attempts"))
        assert Order.objects.filter(pk=order.pk, status=OrderStatus.PAID).exists()
    assert rows == [("email", "pending", 0)]
    assert mail.outbox == []
