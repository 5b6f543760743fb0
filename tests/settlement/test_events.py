"""Checkout's real actions → after-commit events → ledger tasks (eager Celery) in the right town."""

from __future__ import annotations

import datetime as dt

from django.db import connection

from checkout.actions import Actor, accept_merchant_order, hand_over, mark_merchant_order_ready, mark_order_paid
from checkout.gateways import gateway_account_id, get_gateway
from checkout.payments import confirm_payment_from_return, refund_merchant_order, start_payment
from settlement.invariants import check_invariants
from settlement.ledger import balance, merchant_balances
from settlement.models import JournalEntry, Release, SettlementPolicy
from tests.checkout.conftest import basket_with, make_shop, order_from

STAFF = Actor(kind="town_agent", user_id=1)


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
