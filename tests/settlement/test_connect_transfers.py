"""Connect mode (docs/architecture.md §4, mode 2): one Stripe transfer per released merchant order, against the fake."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from checkout.models import MerchantOrder
from settlement.ledger.invariants import check_invariants
from settlement.ledger.models import Release
from settlement.ledger.queries import balance, merchant_balances
from settlement.ledger.rules import post_payment_captured, release_merchant_order
from settlement.payouts.bank_details import save_connected_account
from settlement.payouts.models import ConnectTransfer, ConnectTransferStatus
from settlement.payouts.transfers import send_transfer, transfer_key
from settlement.tasks import send_pending_connect_transfers_task
from tests.checkout import stripe_fixtures
from tests.settlement import connect_fixtures, factories
from tests.settlement.connect_fixtures import (
    BAKERY_ACCOUNT,
    GROCER_ACCOUNT,
    connected_shop,
    hand_over_all,
    pay_on_the_platform,
)
from tests.settlement.payout_factories import town_user

connect_town = connect_fixtures.connect_town
paid_order = connect_fixtures.paid_order
stripe_fake = stripe_fixtures.stripe_fake
stripe_fake_server = stripe_fixtures.stripe_fake_server


def transfer_requests(stripe_fake):
    return [request for request in stripe_fake.requests if request.method == "POST" and request.path == "/v1/transfers"]


def test_each_released_merchant_order_is_transferred_once_from_the_order_charge(
    connect_town, paid_order, stripe_fake, django_capture_on_commit_callbacks
):
    order, bakery, grocer = paid_order
    with connect_town:
        hand_over_all(order, django_capture_on_commit_callbacks)

        intent_id = order.payment.intent_id
        charge_id = stripe_fake.charge_for(intent_id)["id"]
        group = f"order-{connect_town.schema_name}-{order.pk}"
        bakery_order = MerchantOrder.objects.get(order=order, merchant=bakery)
        grocer_order = MerchantOrder.objects.get(order=order, merchant=grocer)
        # 5 % commission, split by largest remainder: 500 → 25 + 475, 890 → 45 + 845.
        assert [(r.merchant_id, r.amount_cents, r.commission_cents) for r in Release.objects.order_by("pk")] == [
            (bakery.pk, 500, 25),
            (grocer.pk, 890, 45),
        ]
        assert [
            (request.params, request.stripe_account, request.idempotency_key)
            for request in transfer_requests(stripe_fake)
        ] == [
            (
                {
                    "amount": "475",
                    "currency": "eur",
                    "destination": BAKERY_ACCOUNT,
                    "source_transaction": charge_id,
                    "transfer_group": group,
                },
                None,
                transfer_key(schema=connect_town.schema_name, merchant_order_id=bakery_order.pk),
            ),
            (
                {
                    "amount": "845",
                    "currency": "eur",
                    "destination": GROCER_ACCOUNT,
                    "source_transaction": charge_id,
                    "transfer_group": group,
                },
                None,
                transfer_key(schema=connect_town.schema_name, merchant_order_id=grocer_order.pk),
            ),
        ]
        transfers = list(ConnectTransfer.objects.order_by("pk"))
        assert [(t.merchant_order_id, t.amount_cents, t.status, t.attempts) for t in transfers] == [
            (bakery_order.pk, 475, ConnectTransferStatus.TRANSFERRED, 1),
            (grocer_order.pk, 845, ConnectTransferStatus.TRANSFERRED, 1),
        ]
        for transfer in transfers:
            stored = stripe_fake.get(transfer.transfer_id)
            assert (stored["amount"], stored["source_transaction"]) == (transfer.amount_cents, charge_id)
        # The merchants are still owed their share until it reaches their bank; it sits on Stripe.
        assert merchant_balances(bakery.pk) == (0, 475)
        assert merchant_balances(grocer.pk) == (0, 845)
        assert balance(f"connect_transferred:{bakery.pk}") == 475
        assert balance(f"connect_transferred:{grocer.pk}") == 845
        # The platform keeps the commission: 1 390 captured − 1 320 transferred, less Stripe's fee
        # on the charge (1.4 % of 1 390 = 19 + 25 cents = 44), posted from its balance transaction.
        assert balance("psp_clearing") == 70 - 44
        assert balance("psp_fees") == 44
        assert balance("commission") == 70
        assert stripe_fake.balance(account=BAKERY_ACCOUNT) == (0, 475)
        assert check_invariants() == []


def test_replays_of_the_release_and_the_transfer_make_no_second_transfer(
    connect_town, paid_order, stripe_fake, django_capture_on_commit_callbacks
):
    order, bakery, _grocer = paid_order
    with connect_town:
        hand_over_all(order, django_capture_on_commit_callbacks)
        bakery_order = MerchantOrder.objects.get(order=order, merchant=bakery)
        transfer = ConnectTransfer.objects.get(merchant_order=bakery_order)

        with django_capture_on_commit_callbacks(execute=True):
            assert release_merchant_order(merchant_order_id=bakery_order.pk) is None
        assert send_transfer(connect_transfer_id=transfer.pk).transfer_id == transfer.transfer_id
        assert send_pending_connect_transfers_task.apply().get() == 0

        assert len(transfer_requests(stripe_fake)) == 2
        assert ConnectTransfer.objects.count() == 2
        assert balance(f"connect_transferred:{bakery.pk}") == 475


def test_a_transfer_made_but_not_recorded_is_replayed_by_stripe_under_the_same_key(
    connect_town, paid_order, stripe_fake, django_capture_on_commit_callbacks
):
    order, bakery, _grocer = paid_order
    with connect_town:
        stripe_fake.fail_next_request(path_prefix="/v1/transfers", count=2)  # both released, neither sent
        hand_over_all(order, django_capture_on_commit_callbacks)
        transfer = ConnectTransfer.objects.get(merchant_order__merchant=bakery)
        stripe_fake.clear_requests()

        made = []

        def killed_before_commit() -> None:
            with transaction.atomic():
                made.append(send_transfer(connect_transfer_id=transfer.pk))
                raise RuntimeError("killed")

        # The worker dies after Stripe made the transfer, before our commit: nothing of ours is kept.
        with pytest.raises(RuntimeError):
            killed_before_commit()
        transfer.refresh_from_db()
        assert (transfer.status, transfer.transfer_id) == (ConnectTransferStatus.FAILED, None)

        retried = send_transfer(connect_transfer_id=transfer.pk)

        first, second = transfer_requests(stripe_fake)
        assert first.idempotency_key == second.idempotency_key == transfer.idempotency_key
        assert (first.is_replay, second.is_replay) == (False, True)
        assert retried.transfer_id == made[0].transfer_id
        assert retried.status == ConnectTransferStatus.TRANSFERRED
        assert balance(f"connect_transferred:{bakery.pk}") == 475


def test_a_refused_transfer_keeps_the_release_and_the_periodic_task_retries_it_with_the_same_key(
    connect_town, paid_order, stripe_fake, django_capture_on_commit_callbacks
):
    order, bakery, grocer = paid_order
    with connect_town:
        stripe_fake.fail_next_request(path_prefix="/v1/transfers", status=500)

        hand_over_all(order, django_capture_on_commit_callbacks)

        failed = ConnectTransfer.objects.get(merchant_order__merchant=bakery)
        assert (failed.status, failed.transfer_id, failed.attempts) == (ConnectTransferStatus.FAILED, None, 1)
        assert failed.last_error == "Le prestataire de paiement a rencontré une erreur. Veuillez réessayer."
        assert Release.objects.filter(merchant_order__merchant=bakery).exists()
        assert merchant_balances(bakery.pk) == (0, 475)
        assert balance(f"connect_transferred:{bakery.pk}") == 0
        assert ConnectTransfer.objects.get(merchant_order__merchant=grocer).status == ConnectTransferStatus.TRANSFERRED

        assert send_pending_connect_transfers_task.apply().get() == 1

        failed.refresh_from_db()
        assert (failed.status, failed.attempts, failed.last_error) == (ConnectTransferStatus.TRANSFERRED, 2, "")
        keys = [request.idempotency_key for request in transfer_requests(stripe_fake)]
        assert keys.count(failed.idempotency_key) == 2
        assert len(transfer_requests(stripe_fake)) == 3
        assert balance(f"connect_transferred:{bakery.pk}") == 475
        assert check_invariants() == []


def test_a_merchant_without_a_connected_account_is_transferred_once_it_has_one(
    connect_town, stripe_fake, django_capture_on_commit_callbacks
):
    with connect_town:
        shop = connected_shop("Fleuriste", None, [("Bouquet", 1_500, None)])
    order = pay_on_the_platform(
        connect_town, stripe_fake, django_capture_on_commit_callbacks, [(shop["variants"][0], 1)]
    )
    with connect_town:
        hand_over_all(order, django_capture_on_commit_callbacks)
        transfer = ConnectTransfer.objects.get()
        assert (transfer.status, transfer.last_error) == (
            ConnectTransferStatus.FAILED,
            "Le commerçant n’a pas encore de compte Stripe connecté.",
        )
        assert transfer_requests(stripe_fake) == []

        save_connected_account(merchant=shop["merchant"], actor=town_user(), stripe_account_id="acct_fleuriste")
        assert send_pending_connect_transfers_task.apply().get() == 1

        transfer.refresh_from_db()
        assert (transfer.status, transfer.destination_account_id, transfer.amount_cents) == (
            ConnectTransferStatus.TRANSFERRED,
            "acct_fleuriste",
            1_425,
        )
        assert check_invariants() == []


def test_a_regie_town_makes_no_transfer(town_a, django_capture_on_commit_callbacks):
    with town_a:
        (shop,) = factories.merchants(1)
        order = factories.paid_order([(shop, 5_000)])
        post_payment_captured(order_id=order.pk)
        merchant_order = order.merchant_orders.get()
        factories.hand_over(merchant_order, order.paid_at - dt.timedelta(days=30))

        with django_capture_on_commit_callbacks(execute=True):
            assert release_merchant_order(merchant_order_id=merchant_order.pk) is not None

        assert ConnectTransfer.objects.count() == 0
        assert balance(f"connect_transferred:{shop.pk}") == 0


def test_a_transfer_still_not_made_a_day_later_is_reported_by_the_nightly_check(
    connect_town, paid_order, stripe_fake, django_capture_on_commit_callbacks
):
    order, _bakery, _grocer = paid_order
    with connect_town:
        stripe_fake.fail_next_request(path_prefix="/v1/transfers", status=500)
        hand_over_all(order, django_capture_on_commit_callbacks)
        failed = ConnectTransfer.objects.get(status=ConnectTransferStatus.FAILED)
        assert check_invariants() == []

        ConnectTransfer.objects.filter(pk=failed.pk).update(created_at=failed.created_at - dt.timedelta(days=2))

        assert check_invariants() == [
            f"connect transfer {failed.pk} of merchant order {failed.merchant_order_id} not made after a day: "
            "Le prestataire de paiement a rencontré une erreur. Veuillez réessayer."
        ]
