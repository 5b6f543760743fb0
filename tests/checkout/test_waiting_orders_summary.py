"""The morning summary: from 8 h in the town's clock, each shop with orders still to accept gets one e-mail
(and one SMS when the town sends them) a day, in French, its times written by the one formatter."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from accounts.sms.backends import locmem
from checkout.models import MerchantOrderStatus, WaitingOrdersSummary
from checkout.tasks import send_waiting_orders_summaries_task
from tests.catalog.factories import MerchantFactory
from tests.checkout.notification_factories import Line, make_order

PARIS = ZoneInfo("Europe/Paris")
# Tuesday 8 December 2026 in Calais.
MORNING = dt.datetime(2026, 12, 8, 8, 5, tzinfo=PARIS)
YESTERDAY_EVENING = dt.datetime(2026, 12, 7, 17, 40, tzinfo=PARIS)
EARLY_TODAY = dt.datetime(2026, 12, 8, 7, 30, tzinfo=PARIS)


@pytest.fixture
def sms_outbox(settings: object) -> list[locmem.SmsMessage]:
    settings.SMS_BACKEND = "accounts.sms.backends.locmem.SmsBackend"
    locmem.outbox.clear()
    return locmem.outbox


def waiting_shops() -> dict[str, object]:
    """The bakery has two orders to accept (since yesterday 17 h 40), the grocer accepted its own."""
    bakery = MerchantFactory(name="Boulangerie Dupont", email="dupont@boulangerie.fr", phone="06 11 22 33 44")
    grocer = MerchantFactory(name="Épicerie du Port", email="port@epicerie.fr", phone="06 99 88 77 66")
    make_order([(bakery, [Line("Pain de campagne", 380)])], paid_at=YESTERDAY_EVENING)
    make_order([(bakery, [Line("Éclair au café", 250)])], paid_at=EARLY_TODAY)
    accepted = make_order([(grocer, [Line("Miel de Calais", 890)])], paid_at=YESTERDAY_EVENING)
    accepted.merchant_orders.update(status=MerchantOrderStatus.ACCEPTED)
    return {"bakery": bakery, "grocer": grocer}


def run_summaries(town: object, at: dt.datetime, capture: object) -> int:
    """Beat's run in the town at that moment, with what waits for the commit."""
    with time_machine.travel(at, tick=False), town, capture(execute=True):
        return send_waiting_orders_summaries_task.delay().get()


def test_only_shops_with_orders_waiting_get_one_french_email(town_a, django_capture_on_commit_callbacks, sms_outbox):
    with town_a:
        waiting_shops()

    recorded = run_summaries(town_a, MORNING, django_capture_on_commit_callbacks)

    assert recorded == 1
    [email] = mail.outbox
    assert email.to == ["dupont@boulangerie.fr"]
    assert email.subject == "2 commandes attendent que vous les acceptiez"
    assert email.from_email.startswith("Ville A <")
    assert (
        "Boulangerie Dupont, 2 commandes attendent toujours que vous les acceptiez. La plus ancienne est en "
        "attente depuis le lundi 7 décembre à 17 h 40." in email.body
    )
    assert "https://ville-a.test/gestion/mes-commandes/\n" in email.body
    html = email.alternatives[0][0]
    assert 'href="https://ville-a.test/gestion/mes-commandes/"' in html
    assert "depuis le lundi 7 décembre à 17 h 40" in html
    assert sms_outbox == []  # the town has not chosen SMS


def test_running_twice_the_same_day_sends_once_and_the_next_day_again(
    town_a, django_capture_on_commit_callbacks, sms_outbox
):
    with town_a:
        waiting_shops()

    first = run_summaries(town_a, MORNING, django_capture_on_commit_callbacks)
    second = run_summaries(town_a, MORNING + dt.timedelta(minutes=30), django_capture_on_commit_callbacks)
    next_day = run_summaries(town_a, MORNING + dt.timedelta(days=1), django_capture_on_commit_callbacks)

    assert (first, second, next_day) == (1, 0, 1)
    assert [email.to for email in mail.outbox] == [["dupont@boulangerie.fr"]] * 2
    with town_a:
        summaries = list(WaitingOrdersSummary.objects.order_by("day").values_list("day", "waiting_count"))
        assert all(summary.sent_at for summary in WaitingOrdersSummary.objects.all())
    assert summaries == [(dt.date(2026, 12, 8), 2), (dt.date(2026, 12, 9), 2)]


@pytest.mark.parametrize("hour", [7, 12, 23])
def test_nothing_is_sent_outside_the_towns_morning(town_a, django_capture_on_commit_callbacks, hour):
    with town_a:
        waiting_shops()

    recorded = run_summaries(town_a, MORNING.replace(hour=hour, minute=59), django_capture_on_commit_callbacks)

    assert recorded == 0
    assert mail.outbox == []


def test_with_sms_enabled_the_shop_also_gets_one_gsm7_sms(
    town_a, django_capture_on_commit_callbacks, sms_outbox, merchant_sms_on
):
    with town_a:
        waiting_shops()

    run_summaries(town_a, MORNING, django_capture_on_commit_callbacks)
    run_summaries(town_a, MORNING + dt.timedelta(hours=1), django_capture_on_commit_callbacks)

    [sms] = sms_outbox
    assert sms.to == "+33611223344"
    assert sms.text == (
        "Ville A : 2 commandes attendent votre accord, la plus ancienne depuis le 07/12 17 h 40. "
        "https://ville-a.test/gestion/mes-commandes/"
    )


def test_a_failed_email_is_tried_again_by_the_next_run_and_sent_once(
    town_a, django_capture_on_commit_callbacks, sms_outbox, merchant_sms_on, settings
):
    with town_a:
        waiting_shops()
    settings.EMAIL_BACKEND = "tests.checkout.test_waiting_orders_summary.RefusingBackend"
    run_summaries(town_a, MORNING, django_capture_on_commit_callbacks)
    with town_a:
        summary = WaitingOrdersSummary.objects.get()
        assert (summary.attempts, summary.sent_at, summary.email_sent_at) == (1, None, None)
        assert summary.last_error == "ConnectionRefusedError: SMTP down"

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    run_summaries(town_a, MORNING + dt.timedelta(minutes=30), django_capture_on_commit_callbacks)

    with town_a:
        summary.refresh_from_db()
    assert summary.attempts == 2
    assert summary.sent_at is not None
    assert [email.to for email in mail.outbox] == [["dupont@boulangerie.fr"]]
    assert len(sms_outbox) == 1


def test_each_town_summarises_its_own_shops(town_a, town_b, django_capture_on_commit_callbacks):
    with town_b:
        shop_b = MerchantFactory(name="Fromagerie de B", email="fromages@ville-b.fr")
        make_order([(shop_b, [Line("Maroilles", 890)])], paid_at=YESTERDAY_EVENING)
    with town_a:
        waiting_shops()

    run_summaries(town_a, MORNING, django_capture_on_commit_callbacks)
    assert [email.to for email in mail.outbox] == [["dupont@boulangerie.fr"]]
    run_summaries(town_b, MORNING, django_capture_on_commit_callbacks)
    assert [email.to for email in mail.outbox] == [["dupont@boulangerie.fr"], ["fromages@ville-b.fr"]]
    assert "Ville B" in mail.outbox[1].from_email
    assert "https://ville-b.test/gestion/mes-commandes/" in mail.outbox[1].body


def test_a_single_waiting_order_is_written_in_the_singular(town_a, django_capture_on_commit_callbacks):
    with town_a:
        shop = MerchantFactory(name="Crèmerie", email="creme@exemple.fr")
        make_order([(shop, [Line("Beurre", 320)])], paid_at=EARLY_TODAY)

    run_summaries(town_a, MORNING, django_capture_on_commit_callbacks)

    [email] = mail.outbox
    assert email.subject == "1 commande attend que vous l'acceptiez"
    assert "Crèmerie, une commande attend toujours que vous l'acceptiez." in email.body
    assert "depuis le mardi 8 décembre à 7 h 30" in email.body
    assert "Acceptez-la (ou refusez" in email.body


class RefusingBackend:
    """An SMTP server that is down (for the retry test)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def send_messages(self, messages: object) -> int:
        raise ConnectionRefusedError("SMTP down")


def test_beat_asks_every_town_every_half_hour(settings):
    from celery.schedules import crontab

    from config.celery import app
    from tenants.tasks import TownTask

    entry = settings.CELERY_BEAT_SCHEDULE["send-waiting-orders-summaries"]

    assert entry == {"task": "checkout.send_waiting_orders_summaries", "schedule": crontab(minute="0,30")}
    assert isinstance(app.tasks[entry["task"]], TownTask)
    assert settings.CELERY_TASK_ANNOTATIONS["checkout.send_waiting_orders_summary"] == {
        "soft_time_limit": 60,
        "time_limit": 90,
    }
