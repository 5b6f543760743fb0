"""check_invariants() and ``manage.py check_ledger``: silent on a sound ledger, loud on drift."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from checkout.models import Order
from checkout.outbox import ORDER_PAID, emit
from settlement.ledger.invariants import check_invariants
from settlement.ledger.rules import post_payment_captured
from settlement.tasks import check_ledger_task
from tests.settlement.factories import merchants, paid_order


@pytest.fixture
def posted_order(town_a):
    with town_a:
        shop_a, shop_b = merchants(2)
        order = paid_order([(shop_a, 1234), (shop_b, 1)])
        post_payment_captured(order_id=order.pk)
        yield order


def test_a_sound_ledger_has_no_problem_and_the_command_exits_zero(posted_order, capsys):
    assert check_invariants() == []
    connection.set_schema_to_public()

    call_command("check_ledger", "ville-a")

    assert capsys.readouterr().out == "ville-a: ok\n"


def test_a_tampered_stored_balance_is_reported_and_the_command_exits_non_zero(posted_order, caplog):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE settlement_account SET balance_cents = balance_cents + 1 WHERE code = 'psp_clearing'")
    assert check_invariants() == [
        "the sum of all account balances is 1, not 0",
        "account psp_clearing: stored balance 1236 differs from its postings 1235",
    ]
    connection.set_schema_to_public()

    with caplog.at_level(logging.ERROR), pytest.raises(CommandError) as raised:
        call_command("check_ledger", "ville-a")

    assert raised.value.returncode == 1
    assert [record.levelno for record in caplog.records] == [logging.ERROR, logging.ERROR]


def test_a_paid_order_without_capture_is_reported(town_a):
    with town_a:
        (shop,) = merchants(1)
        order = paid_order([(shop, 500)])

        assert check_invariants() == [f"paid order {order.pk} has no capture entry"]


def test_a_capture_that_no_longer_matches_the_order_is_reported(posted_order):
    Order.objects.filter(pk=posted_order.pk).update(items_total_cents=1236, total_cents=1236)

    assert check_invariants() == [f"capture of order {posted_order.pk} is 1235, the order total is 1236"]


def test_the_nightly_task_logs_each_problem_as_an_error(posted_order, caplog):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE settlement_account SET balance_cents = 0")

    with caplog.at_level(logging.ERROR):
        assert check_ledger_task.apply().get() == 3

    assert all(record.levelno == logging.ERROR for record in caplog.records)


def test_an_unknown_town_is_an_error(db):
    with pytest.raises(CommandError, match="no town"):
        call_command("check_ledger", "nulle-part")


@pytest.fixture
def payment_waiting_for_the_ledger(town_a):
    """A paid order whose event was written with the payment but never delivered (process killed)."""
    written_at = timezone.now().replace(microsecond=0)
    with town_a:
        (shop,) = merchants(1)
        with time_machine.travel(written_at, tick=False), transaction.atomic():
            order = paid_order([(shop, 500)])
            emit(ORDER_PAID, order_id=order.pk)
    return order, written_at


def test_events_waiting_for_the_ledger_are_counted_and_the_command_still_exits_zero(
    payment_waiting_for_the_ledger, capsys
):
    _order, written_at = payment_waiting_for_the_ledger

    with time_machine.travel(written_at + dt.timedelta(minutes=14, seconds=59), tick=False):
        call_command("check_ledger", "ville-a")

    assert capsys.readouterr().out == "ville-a: ok, 1 event(s) waiting for the ledger (oldest 14 min)\n"


def test_an_event_waiting_more_than_fifteen_minutes_is_a_problem_and_the_command_exits_non_zero(
    town_a, payment_waiting_for_the_ledger, capsys, caplog
):
    order, written_at = payment_waiting_for_the_ledger
    problem = (
        "1 checkout event(s) waiting for the ledger for more than 15 minutes; "
        f'oldest: order_paid {{"order_id": {order.pk}}} since {written_at:%Y-%m-%d %H:%M:%S} UTC, '
        "0 attempt(s), last error: none"
    )

    with time_machine.travel(written_at + dt.timedelta(minutes=15, seconds=1), tick=False):
        with town_a:
            assert check_invariants() == [problem]
        with caplog.at_level(logging.ERROR), pytest.raises(CommandError) as raised:
            call_command("check_ledger", "ville-a")

    assert raised.value.returncode == 1
    output = capsys.readouterr()
    assert output.err == f"ville-a: {problem}\n"
    assert output.out == "ville-a: 1 event(s) waiting for the ledger (oldest 15 min)\n"
    assert [record.levelno for record in caplog.records] == [logging.ERROR]
