"""Disputes, PSP fees and transfer reversals end to end: the Stripe fake, the real webhook URL, the ledger.

A Connect town (5 % commission, no hold): éclairs 2 × 2,50 € at the bakery and honey 8,90 € at the
grocer, paid 13,90 € on the platform. Stripe's fee on that charge is 1.4 % + 25 cents = 44 cents.
"""

from __future__ import annotations

from typing import Any

from checkout.models import Dispute, MerchantOrder, Order, OrderStatus, OutboxEvent, Payment
from checkout.payments import refund_merchant_order
from settlement.ledger.invariants import check_invariants
from settlement.ledger.models import JournalEntry, SettlementPolicy
from settlement.ledger.queries import balance, merchant_balances
from settlement.ledger.rules import DISPUTE_LOST, DISPUTE_OPENED, DISPUTE_WON, PSP_FEE, post_missing_entries
from settlement.payouts.models import ConnectReversalStatus, ConnectTransfer, ConnectTransferReversal
from settlement.payouts.transfers import CONNECT_TRANSFER_REVERSAL, reversal_key, send_reversal
from settlement.tasks import send_pending_connect_transfers_task
from tests.checkout import stripe_fixtures
from tests.settlement import connect_fixtures
from tests.settlement.connect_fixtures import (
    BAKERY_ACCOUNT,
    STAFF,
    hand_over_all,
    post_webhook,
)

connect_town = connect_fixtures.connect_town
paid_order = connect_fixtures.paid_order
stripe_fake = stripe_fixtures.stripe_fake
stripe_fake_server = stripe_fixtures.stripe_fake_server


def lines_of(entry: JournalEntry) -> list[tuple[str, int]]:
    return list(entry.postings.order_by("pk").values_list("account__code", "amount_cents"))


def entries(source: str) -> list[JournalEntry]:
    return list(JournalEntry.objects.filter(source=source).order_by("pk"))


def dispute_events(town) -> list[dict[str, Any]]:
    """What checkout announced to the ledger about disputes, in order (its outbox, all processed)."""
    with town:
        events = OutboxEvent.objects.filter(kind="dispute_changed", subscriber="settlement.ledger")
        assert not events.filter(processed_at__isnull=True).exists()
        return list(events.order_by("pk").values_list("payload", flat=True))


def deliver(event: dict, callbacks) -> str:
    with callbacks(execute=True):
        return post_webhook(event)["outcome"]


# --- PSP fees -------------------------------------------------------------------------------------
def test_the_charge_fee_is_posted_once_keyed_by_its_balance_transaction(
    connect_town, paid_order, stripe_fake, django_capture_on_commit_callbacks
):
    order, _bakery, _grocer = paid_order
    charge = stripe_fake.charge_for(order.payment.intent_id)

    # Replays: the same event again, and another event that re-retrieves the paid intent.
    assert deliver(stripe_fake.last_event("payment_intent.succeeded"), django_capture_on_commit_callbacks) == (
        "duplicate"
    )
    deliver(stripe_fake.last_event("charge.succeeded"), django_capture_on_commit_callbacks)

    with connect_town:
        payment = Payment.objects.get(order=order)
        assert (payment.fee_cents, payment.fee_balance_transaction_id) == (44, charge["balance_transaction"])
        fees = entries(PSP_FEE)
        assert [(entry.external_id, lines_of(entry)) for entry in fees] == [
            (charge["balance_transaction"], [("psp_fees", 44), ("psp_clearing", -44)])
        ]
        assert balance("psp_clearing") == 1_390 - 44
        assert check_invariants() == []


# --- disputes -------------------------------------------------------------------------------------
def test_a_dispute_flags_the_order_without_changing_its_status_and_posts_the_withdrawal_once(
    connect_town, paid_order, stripe_fake, django_capture_on_commit_callbacks
):
    order, bakery, grocer = paid_order
    dispute = stripe_fake.open_dispute(order.payment.intent_id, amount=1_000)
    created = stripe_fake.last_event("charge.dispute.created")

    outcomes = [deliver(created, django_capture_on_commit_callbacks) for _ in range(3)]
    outcomes.append(
        deliver(stripe_fake.last_event("charge.dispute.funds_withdrawn"), django_capture_on_commit_callbacks)
    )

    assert outcomes == [
        f"dispute {dispute['id']} needs_response",
        "duplicate",
        "duplicate",
        f"dispute {dispute['id']} needs_response: unchanged",
    ]
    assert dispute_events(connect_town) == [
        {
            "order_id": order.pk,
            "dispute_id": dispute["id"],
            "status": "needs_response",
            "amount_cents": 1_000,
            "fee_cents": 1_500,
        }
    ]
    with connect_town:
        assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
        assert list(Dispute.objects.values_list("order_id", "status", "amount_cents", "fee_cents")) == [
            (order.pk, "needs_response", 1_000, 1_500)
        ]
        # 10 € over 5 € and 8,90 €: 359.71 and 640.29 → largest remainder gives the cent to the bakery.
        opened = entries(DISPUTE_OPENED)
        assert [(entry.external_id, lines_of(entry)) for entry in opened] == [
            (
                dispute["id"],
                [
                    (f"merchant:{bakery.pk}:available", 360),
                    (f"merchant:{grocer.pk}:available", 640),
                    ("psp_clearing", -2_500),
                    ("psp_fees", 1_500),
                ],
            )
        ]
        assert merchant_balances(bakery.pk) == (500, -360)
        assert balance("psp_clearing") == 1_390 - 44 - 2_500
        assert check_invariants() == []


def test_a_won_dispute_gives_the_merchants_their_share_back_and_the_fee_stays_lost(
    connect_town, paid_order, stripe_fake, django_capture_on_commit_callbacks
):
    order, bakery, grocer = paid_order
    dispute = stripe_fake.open_dispute(order.payment.intent_id)  # the whole 13,90 €
    deliver(stripe_fake.last_event("charge.dispute.created"), django_capture_on_commit_callbacks)

    stripe_fake.close_dispute(dispute["id"], is_won=True)
    assert deliver(stripe_fake.last_event("charge.dispute.closed"), django_capture_on_commit_callbacks) == (
        f"dispute {dispute['id']} won"
    )
    deliver(stripe_fake.last_event("charge.dispute.closed"), django_capture_on_commit_callbacks)

    with connect_town:
        assert Dispute.objects.get().status == "won"
        assert [lines_of(entry) for entry in entries(DISPUTE_WON)] == [
            [
                ("psp_clearing", 1_390),
                (f"merchant:{bakery.pk}:available", -500),
                (f"merchant:{grocer.pk}:available", -890),
            ]
        ]
        assert entries(DISPUTE_LOST) == []
        assert merchant_balances(bakery.pk) == (500, 0)
        assert merchant_balances(grocer.pk) == (890, 0)
        assert balance("psp_fees") == 44 + 1_500
        assert balance("psp_clearing") == 1_390 - 44 - 1_500
        assert check_invariants() == []


def test_a_lost_dispute_stays_with_the_merchants_by_default(
    connect_town, paid_order, stripe_fake, django_capture_on_commit_callbacks
):
    order, bakery, grocer = paid_order
    dispute = stripe_fake.open_dispute(order.payment.intent_id, amount=1_000)
    deliver(stripe_fake.last_event("charge.dispute.created"), django_capture_on_commit_callbacks)

    stripe_fake.close_dispute(dispute["id"], is_won=False)
    deliver(stripe_fake.last_event("charge.dispute.closed"), django_capture_on_commit_callbacks)

    with connect_town:
        assert Dispute.objects.get().status == "lost"
        assert entries(DISPUTE_LOST) == []
        assert merchant_balances(bakery.pk) == (500, -360)
        assert merchant_balances(grocer.pk) == (890, -640)
        assert balance("dispute_losses") == 0


def test_a_lost_dispute_arriving_before_its_opening_converges_and_the_town_takes_it_over(
    connect_town, paid_order, stripe_fake, django_capture_on_commit_callbacks
):
    order, bakery, grocer = paid_order
    with connect_town:
        SettlementPolicy.objects.filter(pk=1).update(dispute_losses_borne_by_town=True)
    dispute = stripe_fake.open_dispute(order.payment.intent_id, amount=1_000)
    stripe_fake.close_dispute(dispute["id"], is_won=False)

    # The decision arrives first, the opening afterwards.
    deliver(stripe_fake.last_event("charge.dispute.closed"), django_capture_on_commit_callbacks)
    late = deliver(stripe_fake.last_event("charge.dispute.created"), django_capture_on_commit_callbacks)

    assert late == f"dispute {dispute['id']} lost: unchanged"
    assert [event["status"] for event in dispute_events(connect_town)] == ["lost"]
    with connect_town:
        assert Dispute.objects.get().status == "lost"
        assert [(entry.source, entry.external_id) for entry in JournalEntry.objects.filter(
            source__startswith="dispute_").order_by("pk")] == [
            (DISPUTE_OPENED, dispute["id"]),
            (DISPUTE_LOST, dispute["id"]),
        ]  # fmt: skip
        assert [lines_of(entry) for entry in entries(DISPUTE_LOST)] == [
            [
                ("dispute_losses", 1_000),
                (f"merchant:{bakery.pk}:available", -360),
                (f"merchant:{grocer.pk}:available", -640),
            ]
        ]
        assert merchant_balances(bakery.pk) == (500, 0)
        assert merchant_balances(grocer.pk) == (890, 0)
        assert balance("dispute_losses") == 1_000
        assert check_invariants() == []


def test_a_dispute_on_a_payment_of_no_town_is_acknowledged_and_ignored(connect_town, stripe_fake):
    event = stripe_fake.make_event(
        "charge.dispute.created",
        {
            "id": "dp_unknown",
            "object": "dispute",
            "amount": 1_000,
            "payment_intent": "pi_unknown",
            "status": "needs_response",
        },
    )

    assert post_webhook(event) == {"received": True, "outcome": "unknown payment"}
    with connect_town:
        assert Dispute.objects.count() == 0


# --- transfer reversals (Connect) -----------------------------------------------------------------
def reversal_requests(stripe_fake, transfer_id: str) -> list:
    return [
        r for r in stripe_fake.requests if r.method == "POST" and r.path == f"/v1/transfers/{transfer_id}/reversals"
    ]


def refund_bakery(order: Order, bakery, amount_cents: int, callbacks, key: str = "r1"):
    bakery_order = MerchantOrder.objects.get(order=order, merchant=bakery)
    with callbacks(execute=True):
        return refund_merchant_order(
            merchant_order_id=bakery_order.pk,
            amount_cents=amount_cents,
            reason="Éclair écrasé",
            request_key=key,
            actor=STAFF,
        )


def test_a_refund_after_the_transfer_is_taken_back_from_the_merchant_connected_account_once(
    connect_town, paid_order, stripe_fake, django_capture_on_commit_callbacks
):
    order, bakery, _grocer = paid_order
    with connect_town:
        hand_over_all(order, django_capture_on_commit_callbacks)
        transfer = ConnectTransfer.objects.get(merchant_id=bakery.pk)

        refund = refund_bakery(order, bakery, 200, django_capture_on_commit_callbacks)
        # Replays: the periodic task, the task itself, the same form submitted again.
        assert send_pending_connect_transfers_task.apply().get() == 0
        reversal = ConnectTransferReversal.objects.get()
        assert send_reversal(reversal_id=reversal.pk).status == ConnectReversalStatus.REVERSED
        assert refund_bakery(order, bakery, 200, django_capture_on_commit_callbacks) == refund

        reversal.refresh_from_db()
        key = reversal_key(schema=connect_town.schema_name, refund_id=refund.pk)
        assert [(r.params, r.idempotency_key) for r in reversal_requests(stripe_fake, transfer.transfer_id)] == [
            ({"amount": "200"}, key)
        ]
        assert (reversal.refund_id, reversal.amount_cents, reversal.status, reversal.attempts) == (
            refund.pk,
            200,
            ConnectReversalStatus.REVERSED,
            1,
        )
        assert stripe_fake.get(reversal.reversal_id)["transfer"] == transfer.transfer_id
        assert [(entry.external_id, lines_of(entry)) for entry in entries(CONNECT_TRANSFER_REVERSAL)] == [
            (str(reversal.pk), [("psp_clearing", 200), (f"connect_transferred:{bakery.pk}", -200)])
        ]
        # What sits on the merchant's Stripe balance again equals what they are owed.
        assert merchant_balances(bakery.pk) == (0, 275)
        assert balance(f"connect_transferred:{bakery.pk}") == 275
        assert stripe_fake.balance(account=BAKERY_ACCOUNT) == (0, 275)
        assert stripe_fake.get(transfer.transfer_id)["amount_reversed"] == 200
        assert check_invariants() == []


def test_a_full_refund_reverses_at_most_what_was_transferred_and_nets_the_commission(
    connect_town, paid_order, stripe_fake, django_capture_on_commit_callbacks
):
    order, bakery, _grocer = paid_order
    with connect_town:
        hand_over_all(order, django_capture_on_commit_callbacks)

        refund_bakery(order, bakery, 500, django_capture_on_commit_callbacks)

        assert list(ConnectTransferReversal.objects.values_list("amount_cents", "status")) == [
            (475, ConnectReversalStatus.REVERSED)
        ]
        # The commission (25) was never the merchant's money on Stripe: it stays owed, netted later.
        assert merchant_balances(bakery.pk) == (0, -25)
        assert balance(f"connect_transferred:{bakery.pk}") == 0
        assert stripe_fake.balance(account=BAKERY_ACCOUNT) == (0, 0)


def test_a_refused_reversal_falls_back_to_ledger_netting_and_is_recorded(
    connect_town, paid_order, stripe_fake, django_capture_on_commit_callbacks
):
    order, bakery, _grocer = paid_order
    with connect_town:
        hand_over_all(order, django_capture_on_commit_callbacks)
        transfer = ConnectTransfer.objects.get(merchant_id=bakery.pk)
        stripe_fake.empty_balance(account=BAKERY_ACCOUNT)  # already paid out to the bakery's bank

        refund_bakery(order, bakery, 200, django_capture_on_commit_callbacks)
        assert send_pending_connect_transfers_task.apply().get() == 0

        reversal = ConnectTransferReversal.objects.get()
        assert (reversal.status, reversal.reversal_id, reversal.entry_id, reversal.attempts) == (
            ConnectReversalStatus.REFUSED,
            None,
            None,
            1,
        )
        assert reversal.last_error == "Le solde disponible est insuffisant pour cette opération."
        assert len(reversal_requests(stripe_fake, transfer.transfer_id)) == 1
        assert entries(CONNECT_TRANSFER_REVERSAL) == []
        # Netting: the refund is out of available; the Stripe-side money is untouched.
        assert merchant_balances(bakery.pk) == (0, 275)
        assert balance(f"connect_transferred:{bakery.pk}") == 475
        assert stripe_fake.get(transfer.transfer_id)["amount_reversed"] == 0


def test_an_unanswered_reversal_is_retried_with_the_same_key(
    connect_town, paid_order, stripe_fake, django_capture_on_commit_callbacks
):
    order, bakery, _grocer = paid_order
    with connect_town:
        hand_over_all(order, django_capture_on_commit_callbacks)
        transfer = ConnectTransfer.objects.get(merchant_id=bakery.pk)
        stripe_fake.fail_next_request(status=500, path_prefix=f"/v1/transfers/{transfer.transfer_id}/reversals")

        refund_bakery(order, bakery, 200, django_capture_on_commit_callbacks)
        assert ConnectTransferReversal.objects.get().status == ConnectReversalStatus.FAILED
        assert send_pending_connect_transfers_task.apply().get() == 1

        reversal = ConnectTransferReversal.objects.get()
        requests = reversal_requests(stripe_fake, transfer.transfer_id)
        assert [r.idempotency_key for r in requests] == [reversal.idempotency_key] * len(requests)
        assert (reversal.status, stripe_fake.get(transfer.transfer_id)["amount_reversed"]) == (
            ConnectReversalStatus.REVERSED,
            200,
        )
        assert balance(f"connect_transferred:{bakery.pk}") == 275


def test_postings_whose_events_were_not_delivered_are_caught_up_by_the_periodic_task(
    connect_town, paid_order, stripe_fake, django_capture_on_commit_callbacks
):
    order, bakery, grocer = paid_order
    dispute = stripe_fake.open_dispute(order.payment.intent_id, amount=1_000)
    stripe_fake.close_dispute(dispute["id"], is_won=True)
    # The broker was down: the webhook is handled, its after-commit hand-over never runs.
    with django_capture_on_commit_callbacks(execute=False):
        post_webhook(stripe_fake.last_event("charge.dispute.closed"))

    with connect_town:
        assert entries(DISPUTE_OPENED) == []
        assert post_missing_entries() == 2
        assert post_missing_entries() == 0
        assert [entry.source for entry in JournalEntry.objects.filter(source__startswith="dispute_")] == [
            DISPUTE_OPENED,
            DISPUTE_WON,
        ]
        assert merchant_balances(bakery.pk) == (500, 0)
        assert merchant_balances(grocer.pk) == (890, 0)
