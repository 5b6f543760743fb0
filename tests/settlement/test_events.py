"""Checkout's real actions → after-commit events → ledger tasks (eager Celery) in the right town."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from checkout.actions import Actor, accept_merchant_order, hand_over, mark_merchant_order_ready, mark_order_paid
from checkout.models import Order, OrderStatus, OutboxEvent, PaymentMethod
from checkout.payments import confirm_payment_from_return, refund_merchant_order, start_payment
from checkout.tasks import deliver_pending_events_task
from payments.gateways import gateway_account_id, get_gateway
from settlement.ledger.invariants import check_invariants
from settlement.ledger.models import JournalEntry, Release, SettlementPolicy
from settlement.ledger.queries import balance, merchant_balances
from settlement.ledger.receivers import LEDGER
from tests.checkout.conftest import basket_with, make_shop, order_from
from tests.tenants.test_celery import running_worker

STAFF = Actor(kind="town_agent", user_id=1)


def _ordered(town):
    bakery = make_shop("Boulangerie", products=[("Éclair", 250, None)])
    grocer = make_shop("Épicerie", products=[("Miel", 890, None)])
    order = order_from(basket_with([(bakery["variants"][0], 2), (grocer["variants"][0], 1)]))
    return order, bakery["merchant"], grocer["merchant"]


def _sweep_at(moment: dt.datetime) -> int:
    with time_machine.travel(moment, tick=False):
        return deliver_pending_events_task.apply().get()


def _check_ledger_at(moment: dt.datetime, capsys) -> str:
    with time_machine.travel(moment, tick=False):
        call_command("check_ledger", "ville-a")
    return capsys.readouterr().out


def _paid_order_through_the_gateway(town, callbacks):
    bakery = make_shop("Boulangerie", products=[("Éclair", 250, None)])
    grocer = make_shop("Épicerie", products=[("Miel", 890, None)])
    order = order_from(basket_with([(bakery["variants"][0], 2), (grocer["variants"][0], 1)]))
    payment = start_payment(order=order)
    get_gateway(town).confirm_payment(account_id=gateway_account_id(town), intent_id=payment.intent_id)
    with callbacks(execute=True):
        confirm_payment_from_return(order=order)
    return order, bakery["merchant"], grocer["merchant"]


def test_a_paid_order_is_posted_once_in_its_own_town(town_a, town_b, django_capture_on_commit_callbacks):
    with town_a:
        order, bakery, grocer = _paid_order_through_the_gateway(town_a, django_capture_on_commit_callbacks)
        with django_capture_on_commit_callbacks(execute=True):  # webhook after the browser return
            mark_order_paid(order_id=order.pk, amount_cents=1390, currency="EUR", actor=STAFF)

        entry = JournalEntry.objects.get()
        assert (entry.source, entry.external_id) == ("order_paid", str(order.pk))
        assert merchant_balances(bakery.pk) == (500, 0)
        assert merchant_balances(grocer.pk) == (890, 0)
        assert balance("psp_clearing") == 1390
        assert check_invariants() == []
    with town_b:
        assert JournalEntry.objects.count() == 0


def test_a_refund_by_the_town_is_posted_against_the_merchants_held_share(town_a, django_capture_on_commit_callbacks):
    with town_a:
        order, bakery, _grocer = _paid_order_through_the_gateway(town_a, django_capture_on_commit_callbacks)
        merchant_order = order.merchant_orders.get(merchant=bakery)

        with django_capture_on_commit_callbacks(execute=True):
            refund = refund_merchant_order(
                merchant_order_id=merchant_order.pk, amount_cents=250, reason="Abîmé", request_key="r1", actor=STAFF
            )

        entry = JournalEntry.objects.get(source="refund")
        assert entry.external_id == str(refund.pk)
        assert merchant_balances(bakery.pk) == (250, 0)
        assert balance("psp_clearing") == 1140
        assert check_invariants() == []


def test_handover_releases_at_once_when_the_town_holds_nothing(town_a, django_capture_on_commit_callbacks):
    with town_a:
        SettlementPolicy.objects.update_or_create(pk=1, defaults={"hold_days": 0})
        order, bakery, grocer = _paid_order_through_the_gateway(town_a, django_capture_on_commit_callbacks)
        merchant_order = order.merchant_orders.get(merchant=bakery)
        accept_merchant_order(merchant_order_id=merchant_order.pk, actor=STAFF)
        mark_merchant_order_ready(merchant_order_id=merchant_order.pk, actor=STAFF)

        with django_capture_on_commit_callbacks(execute=True):
            hand_over(merchant_order_id=merchant_order.pk, pickup_code=merchant_order.pickup_code, actor=STAFF)

        assert Release.objects.get().merchant_order_id == merchant_order.pk
        assert merchant_balances(bakery.pk) == (0, 500)
        assert merchant_balances(grocer.pk) == (890, 0)


def test_handover_with_the_default_hold_releases_nothing_yet(town_a, django_capture_on_commit_callbacks):
    with town_a:
        order, bakery, _grocer = _paid_order_through_the_gateway(town_a, django_capture_on_commit_callbacks)
        merchant_order = order.merchant_orders.get(merchant=bakery)
        accept_merchant_order(merchant_order_id=merchant_order.pk, actor=STAFF)
        mark_merchant_order_ready(merchant_order_id=merchant_order.pk, actor=STAFF)

        with django_capture_on_commit_callbacks(execute=True):
            hand_over(merchant_order_id=merchant_order.pk, pickup_code=merchant_order.pickup_code, actor=STAFF)

        assert Release.objects.count() == 0
        assert merchant_balances(bakery.pk) == (500, 0)


def test_the_periodic_task_releases_in_the_town_it_runs_in(town_a, django_capture_on_commit_callbacks):
    from settlement.tasks import release_due_merchant_orders_task

    with town_a:
        order, bakery, _grocer = _paid_order_through_the_gateway(town_a, django_capture_on_commit_callbacks)
        merchant_order = order.merchant_orders.get(merchant=bakery)
        merchant_order.__class__.objects.filter(pk=merchant_order.pk).update(
            status="collected", handed_over_at=order.paid_at - dt.timedelta(days=3)
        )

        assert release_due_merchant_orders_task.apply().get() == 1
        assert connection.schema_name == town_a.schema_name
        assert merchant_balances(bakery.pk) == (0, 500)


def test_a_payment_whose_process_died_after_commit_waits_in_the_outbox_then_the_sweep_posts_it_once(
    town_a, django_capture_on_commit_callbacks, capsys
):
    paid_at = timezone.now()
    with town_a:
        order, bakery, grocer = _ordered(town_a)
        # The payment commits, then the process is killed: nothing queued "after commit" ever runs.
        with time_machine.travel(paid_at, tick=False), django_capture_on_commit_callbacks(execute=False):
            mark_order_paid(order_id=order.pk, amount_cents=1390, currency="EUR", actor=STAFF)

        assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
        assert JournalEntry.objects.count() == 0
        event = OutboxEvent.objects.get(subscriber=LEDGER)
        assert (event.kind, event.subscriber, event.payload, event.processed_at, event.attempts) == (
            "order_paid",
            "settlement.ledger",
            {"order_id": order.pk},
            None,
            0,
        )
        # On its way, not missing: the invariants hold and the command exits 0.
        assert check_invariants() == []
        assert _check_ledger_at(paid_at + dt.timedelta(seconds=30), capsys) == (
            "ville-a: ok, 1 event(s) waiting for the ledger (oldest 30 s)\n"
        )
        # A fresh event is left to its own hand-over; a minute later the sweep delivers it.
        assert _sweep_at(paid_at + dt.timedelta(seconds=30)) == 0
        assert JournalEntry.objects.count() == 0
        assert _sweep_at(paid_at + dt.timedelta(minutes=2)) == 2  # the ledger's event and logistics' one

        entry = JournalEntry.objects.get()
        assert (entry.source, entry.external_id) == ("order_paid", str(order.pk))
        assert merchant_balances(bakery.pk) == (500, 0)
        assert merchant_balances(grocer.pk) == (890, 0)
        event.refresh_from_db()
        assert (event.processed_at, event.attempts) == (paid_at + dt.timedelta(minutes=2), 1)
        # Sweeping again (and again) posts nothing more.
        assert _sweep_at(paid_at + dt.timedelta(minutes=10)) == 0
        assert _sweep_at(paid_at + dt.timedelta(minutes=30)) == 0
        assert JournalEntry.objects.count() == 1
        assert balance("psp_clearing") == 1390
        assert _check_ledger_at(paid_at + dt.timedelta(minutes=30), capsys) == "ville-a: ok\n"


def test_a_posting_that_fails_keeps_its_event_pending_with_the_error_and_is_retried_after_a_pause(
    town_a, django_capture_on_commit_callbacks
):
    paid_at = timezone.now()
    with town_a:
        order, _bakery, _grocer = _ordered(town_a)
        with time_machine.travel(paid_at, tick=False), django_capture_on_commit_callbacks(execute=False) as callbacks:
            mark_order_paid(order_id=order.pk, amount_cents=1390, currency="EUR", actor=STAFF)
        # Something the ledger refuses until it is put right (here: the order no longer reads as a card order).
        Order.objects.filter(pk=order.pk).update(payment_method=PaymentMethod.IN_STORE)

        with time_machine.travel(paid_at, tick=False):
            for callback in callbacks:
                callback()

        event = OutboxEvent.objects.get(subscriber=LEDGER)
        assert (event.processed_at, event.attempts, event.last_error, event.retry_after) == (
            None,
            1,
            f"LedgerError: order {order.pk} is not a paid card order",
            paid_at + dt.timedelta(minutes=1),
        )
        assert JournalEntry.objects.count() == 0
        assert _sweep_at(paid_at + dt.timedelta(seconds=59)) == 0
        assert _sweep_at(paid_at + dt.timedelta(minutes=1, seconds=30)) == 1  # fails again: waits 2 minutes
        event.refresh_from_db()
        assert (event.attempts, event.retry_after) == (2, paid_at + dt.timedelta(minutes=3, seconds=30))

        Order.objects.filter(pk=order.pk).update(payment_method=PaymentMethod.CARD)
        assert _sweep_at(paid_at + dt.timedelta(minutes=3)) == 0
        assert _sweep_at(paid_at + dt.timedelta(minutes=4)) == 1

        event.refresh_from_db()
        assert (event.processed_at, event.attempts, event.last_error) == (paid_at + dt.timedelta(minutes=4), 3, "")
        assert [(entry.source, entry.external_id) for entry in JournalEntry.objects.all()] == [
            ("order_paid", str(order.pk))
        ]
        assert check_invariants() == []


@pytest.mark.slow
@pytest.mark.worker
def test_with_a_real_worker_the_payment_is_posted_by_the_worker_in_its_town(committed_town):
    with running_worker(), committed_town:
        order, bakery, grocer = _ordered(committed_town)

        mark_order_paid(order_id=order.pk, amount_cents=1390, currency="EUR", actor=STAFF)  # commits

        deadline = time.monotonic() + 90
        while OutboxEvent.objects.filter(processed_at=None).exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        event = OutboxEvent.objects.get(subscriber=LEDGER)
        assert (event.processed_at is not None, event.attempts, event.last_error) == (True, 1, "")
        assert [(entry.source, entry.external_id) for entry in JournalEntry.objects.all()] == [
            ("order_paid", str(order.pk))
        ]
        assert merchant_balances(bakery.pk) == (500, 0)
        assert merchant_balances(grocer.pk) == (890, 0)
