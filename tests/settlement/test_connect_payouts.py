"""Connect mode payouts: the régie's batches, paid by one Stripe payout per line on each connected account."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from accounts.models import Role
from payments.models import WebhookEvent
from settlement.ledger.invariants import check_invariants
from settlement.ledger.queries import balance, merchant_balances
from settlement.payouts.bank_details import save_connected_account
from settlement.payouts.guards import PayoutError
from settlement.payouts.models import (
    MerchantPayoutAccount,
    PayoutBatchState,
    PayoutBlockReason,
    PayoutLine,
    PayoutLineStatus,
)
from settlement.payouts.returns import mark_batch_executed
from settlement.payouts.runs import approve_batch, export_batch, run_payout
from settlement.payouts.stripe_payouts import payout_key
from settlement.tasks import send_pending_connect_payouts_task
from tests.checkout import stripe_fixtures
from tests.settlement import connect_fixtures
from tests.settlement.connect_fixtures import (
    BAKERY_ACCOUNT,
    GROCER_ACCOUNT,
    connected_shop,
    hand_over_all,
    pay_on_the_platform,
    post_webhook,
)
from tests.settlement.payout_factories import payable_merchant, town_user

connect_town = connect_fixtures.connect_town
paid_order = connect_fixtures.paid_order
stripe_fake = stripe_fixtures.stripe_fake
stripe_fake_server = stripe_fixtures.stripe_fake_server


def payout_requests(stripe_fake):
    return [request for request in stripe_fake.requests if request.method == "POST" and request.path == "/v1/payouts"]


@pytest.fixture
def transferred(connect_town, paid_order, stripe_fake, django_capture_on_commit_callbacks):
    """Bakery (4,75 € net) and grocer (8,45 € net) transferred, the charge's funds now available at Stripe."""
    order, bakery, grocer = paid_order
    with connect_town:
        hand_over_all(order, django_capture_on_commit_callbacks)
    for account in (BAKERY_ACCOUNT, GROCER_ACCOUNT):
        stripe_fake.release_pending(account=account)
    return bakery, grocer


def exported_batch(town, stripe_fake):
    preparer, approver = town_user(Role.TOWN_AGENT), town_user(Role.TOWN_ADMIN)
    batch = run_payout(cut_off=timezone.now(), actor=preparer).batch
    approve_batch(batch=batch, actor=approver)
    stripe_fake.clear_requests()
    return export_batch(batch=batch, actor=preparer)


def test_exporting_makes_one_payout_per_line_on_each_connected_account_with_deterministic_keys(
    connect_town, transferred, stripe_fake
):
    bakery, grocer = transferred
    with connect_town:
        batch = exported_batch(connect_town, stripe_fake)

        lines = {line.merchant_id: line for line in batch.lines.all()}
        assert batch.state == PayoutBatchState.EXPORTED
        assert (batch.file_xml, batch.file_sha256) == (None, "")
        assert {m: (line.amount_cents, line.stripe_account_id) for m, line in lines.items()} == {
            bakery.pk: (475, BAKERY_ACCOUNT),
            grocer.pk: (845, GROCER_ACCOUNT),
        }
        schema = connect_town.schema_name
        assert sorted(
            (r.stripe_account, r.params["amount"], r.idempotency_key, r.params["metadata"]["payout_line"])
            for r in payout_requests(stripe_fake)
        ) == sorted(
            [
                (
                    BAKERY_ACCOUNT,
                    "475",
                    payout_key(schema=schema, line_id=lines[bakery.pk].pk),
                    str(lines[bakery.pk].pk),
                ),
                (
                    GROCER_ACCOUNT,
                    "845",
                    payout_key(schema=schema, line_id=lines[grocer.pk].pk),
                    str(lines[grocer.pk].pk),
                ),
            ]
        )
        for line in lines.values():
            assert stripe_fake.get(line.stripe_payout_id, account=line.stripe_account_id)["amount"] == line.amount_cents
            assert line.status == PayoutLineStatus.PENDING
        assert stripe_fake.balance(account=BAKERY_ACCOUNT) == (0, 0)
        assert merchant_balances(bakery.pk) == (0, 0)
        assert balance("payout_in_transit") == -1_320

        # Nothing is sent twice: the periodic catch-up finds every line already paid out.
        assert send_pending_connect_payouts_task.apply().get() == 0
        assert len(payout_requests(stripe_fake)) == 2
        with pytest.raises(PayoutError, match="déjà été exporté"):
            export_batch(batch=batch, actor=town_user())


def test_payout_paid_executes_the_line_and_payout_failed_returns_it_recredits_and_blocks(
    connect_town, transferred, stripe_fake
):
    bakery, grocer = transferred
    with connect_town:
        batch = exported_batch(connect_town, stripe_fake)
        bakery_line = batch.lines.get(merchant=bakery)
        grocer_line = batch.lines.get(merchant=grocer)

    stripe_fake.settle_payout(bakery_line.stripe_payout_id, account=BAKERY_ACCOUNT, is_paid=True)
    paid = stripe_fake.last_event("payout.paid", account=BAKERY_ACCOUNT)
    assert post_webhook(paid)["outcome"] == f"line {bakery_line.pk} executed"
    assert post_webhook(paid)["outcome"] == "duplicate"
    stripe_fake.settle_payout(grocer_line.stripe_payout_id, account=GROCER_ACCOUNT, is_paid=False)
    failed = stripe_fake.last_event("payout.failed", account=GROCER_ACCOUNT)
    assert post_webhook(failed)["outcome"] == f"line {grocer_line.pk} returned"

    with connect_town:
        bakery_line.refresh_from_db()
        grocer_line.refresh_from_db()
        batch.refresh_from_db()
        assert bakery_line.status == PayoutLineStatus.EXECUTED
        assert (grocer_line.status, grocer_line.return_reason_code, grocer_line.return_reason) == (
            PayoutLineStatus.RETURNED,
            "account_cl",
            "le compte bancaire est clôturé",
        )
        assert batch.state == PayoutBatchState.PARTIALLY_RETURNED
        # Bakery: paid out of its Stripe balance. Grocer: owed again, and the money is back on Stripe.
        assert merchant_balances(bakery.pk) == (0, 0)
        assert balance(f"connect_transferred:{bakery.pk}") == 0
        assert merchant_balances(grocer.pk) == (0, 845)
        assert balance(f"connect_transferred:{grocer.pk}") == 845
        assert stripe_fake.balance(account=GROCER_ACCOUNT) == (845, 0)
        assert balance("payout_in_transit") == 0
        account = MerchantPayoutAccount.objects.get(merchant=grocer)
        assert account.is_blocked
        assert account.blocked_reason.startswith(f"Versement Stripe {grocer_line.end_to_end_id} du ")
        assert "le compte bancaire est clôturé" in account.blocked_reason
        assert WebhookEvent.objects.filter(type__startswith="payout.").count() == 2
        assert check_invariants() == []

        # The next run lists the grocer as blocked until the town lifts it.
        stripe_fake.clear_requests()
        later = run_payout(cut_off=timezone.now(), actor=town_user())
        assert later.created is False or [b.reason for b in later.batch.blocks.filter(merchant=grocer)] == [
            PayoutBlockReason.BLOCKED
        ]
        save_connected_account(merchant=grocer, actor=town_user(), stripe_account_id=GROCER_ACCOUNT, lift_block=True)
        assert not MerchantPayoutAccount.objects.get(merchant=grocer).is_blocked


def test_a_late_failure_after_paid_takes_the_money_back_from_the_merchants_stripe_balance(
    connect_town, transferred, stripe_fake
):
    bakery, _grocer = transferred
    with connect_town:
        line = exported_batch(connect_town, stripe_fake).lines.get(merchant=bakery)
    stripe_fake.settle_payout(line.stripe_payout_id, account=BAKERY_ACCOUNT, is_paid=True)
    post_webhook(stripe_fake.last_event("payout.paid", account=BAKERY_ACCOUNT))
    stripe_fake.settle_payout(line.stripe_payout_id, account=BAKERY_ACCOUNT, is_paid=False)
    post_webhook(stripe_fake.last_event("payout.failed", account=BAKERY_ACCOUNT))

    with connect_town:
        line.refresh_from_db()
        assert line.status == PayoutLineStatus.RETURNED
        assert merchant_balances(bakery.pk) == (0, 475)
        assert balance(f"connect_transferred:{bakery.pk}") == 475
        assert check_invariants() == []


def test_a_payout_refused_for_lack_of_available_funds_waits_and_is_retried_under_a_new_key(
    connect_town, stripe_fake, django_capture_on_commit_callbacks
):
    with connect_town:
        bakery = connected_shop("Boulangerie", BAKERY_ACCOUNT, [("Éclair", 250, None)])
    order = pay_on_the_platform(
        connect_town, stripe_fake, django_capture_on_commit_callbacks, [(bakery["variants"][0], 2)]
    )
    with connect_town:
        hand_over_all(order, django_capture_on_commit_callbacks)
        # The charge's funds are still pending at Stripe: the payout cannot be made yet.
        line = exported_batch(connect_town, stripe_fake).lines.get()
        assert (line.status, line.stripe_payout_id) == (PayoutLineStatus.PENDING, "")
        assert line.payout_error == "Le solde disponible est insuffisant pour cette opération."

        stripe_fake.release_pending(account=BAKERY_ACCOUNT)
        assert send_pending_connect_payouts_task.apply().get() == 1

        line.refresh_from_db()
        assert (line.status, line.payout_error) == (PayoutLineStatus.PENDING, "")
        assert line.stripe_payout_id.startswith("po_")
        first, second = payout_requests(stripe_fake)
        # Stripe keeps the refusal under the first key: the second try needs its own, still deterministic.
        schema = connect_town.schema_name
        assert (first.idempotency_key, first.status) == (payout_key(schema=schema, line_id=line.pk), 400)
        assert (second.idempotency_key, second.status) == (payout_key(schema=schema, line_id=line.pk, attempt=1), 200)


@pytest.mark.usefixtures("transferred")
def test_a_payout_refused_for_good_returns_the_line_at_once(connect_town, stripe_fake):
    with connect_town:
        stripe_fake.fail_next_request(
            status=400, error_type="invalid_request_error", code="account_invalid", path_prefix="/v1/payouts"
        )
        batch = exported_batch(connect_town, stripe_fake)

        returned = batch.lines.get(status=PayoutLineStatus.RETURNED)
        assert returned.stripe_payout_id == ""
        assert returned.return_reason == "Le prestataire de paiement a refusé la demande."
        assert batch.lines.get(status=PayoutLineStatus.PENDING).stripe_payout_id.startswith("po_")
        assert MerchantPayoutAccount.objects.get(merchant_id=returned.merchant_id).is_blocked
        assert merchant_balances(returned.merchant_id)[1] in (475, 845)
        assert check_invariants() == []


def test_a_merchant_without_a_connected_account_is_blocked_in_the_run_whatever_their_iban(connect_town):
    with connect_town:
        with_iban_only = payable_merchant("Fromagerie")  # valid IBAN and agreement: régie-ready only
        connected = payable_merchant("Crêperie")
        MerchantPayoutAccount.objects.filter(merchant=connected).update(stripe_account_id="acct_creperie")
        from tests.settlement.payout_factories import make_available

        make_available(with_iban_only, 3_000)
        make_available(connected, 2_000)

        batch = run_payout(cut_off=timezone.now(), actor=town_user()).batch

        assert [(b.merchant_id, b.reason, b.detail) for b in batch.blocks.all()] == [
            (
                with_iban_only.pk,
                PayoutBlockReason.NO_CONNECTED_ACCOUNT,
                "Aucun compte Stripe connecté n’a été enregistré.",
            )
        ]
        assert [(line.merchant_id, line.stripe_account_id) for line in batch.lines.all()] == [
            (connected.pk, "acct_creperie")
        ]


def test_connect_lines_are_confirmed_by_stripe_not_by_hand_and_their_payee_is_frozen(
    connect_town, transferred, stripe_fake
):
    with connect_town:
        batch = exported_batch(connect_town, stripe_fake)
        line = batch.lines.first()

        with pytest.raises(PayoutError, match="Stripe lui-même"):
            mark_batch_executed(batch=batch, actor=town_user())
        with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
            PayoutLine.objects.filter(pk=line.pk).update(stripe_account_id="acct_pirate")
        with pytest.raises(DatabaseError, match="already has its Stripe payout"), transaction.atomic():
            PayoutLine.objects.filter(pk=line.pk).update(stripe_payout_id="po_other")


def test_payout_events_of_unknown_accounts_or_payouts_change_nothing(connect_town, transferred, stripe_fake):
    bakery, _grocer = transferred
    with connect_town:
        line = exported_batch(connect_town, stripe_fake).lines.get(merchant=bakery)
    stranger = stripe_fake.make_event(
        "payout.paid", {"id": line.stripe_payout_id, "object": "payout", "amount": 475, "status": "paid"}, "acct_x"
    )
    other_payout = stripe_fake.make_event(
        "payout.paid", {"id": "po_not_ours", "object": "payout", "amount": 475, "status": "paid"}, BAKERY_ACCOUNT
    )

    assert post_webhook(stranger)["outcome"] == "unknown payout: ignored"
    assert post_webhook(other_payout)["outcome"] == "unknown payout: ignored"

    with connect_town:
        line.refresh_from_db()
        assert line.status == PayoutLineStatus.PENDING
        assert WebhookEvent.objects.filter(type__startswith="payout.").count() == 0


def test_the_bank_details_page_records_the_connected_account_in_a_connect_town(connect_town, client_a):
    from tests.catalog.test_backoffice import sign_in
    from tests.settlement.test_merchant_bank_details import LIST, edit_url

    with connect_town:
        shop = payable_merchant("Fleuriste", account=False)
        other = payable_merchant("Primeur", account=False)
        MerchantPayoutAccount.objects.create(
            merchant=other,
            holder_name="Primeur",
            iban="",
            street="",
            postcode="",
            town="",
            stripe_account_id="acct_primeur",
        )
    sign_in(client_a, connect_town, role=Role.TOWN_AGENT)

    assert "Compte Stripe connecté" in client_a.get(edit_url(shop.slug)).content.decode()
    refused = client_a.post(edit_url(shop.slug), {"stripe_account_id": "FR7630006000011234567890189"})
    taken = client_a.post(edit_url(shop.slug), {"stripe_account_id": "acct_primeur"})
    saved = client_a.post(edit_url(shop.slug), {"stripe_account_id": " acct_fleuriste "})

    assert "Un identifiant de compte Stripe commence par « acct_ »." in refused.content.decode()
    assert "Ce compte Stripe est déjà celui d’un autre commerçant de la ville." in taken.content.decode()
    assert saved.status_code == 302
    with connect_town:
        account = MerchantPayoutAccount.objects.get(merchant=shop)
        assert (account.stripe_account_id, account.holder_name, account.iban) == ("acct_fleuriste", "Fleuriste", "")
    page = client_a.get(LIST).content.decode()
    assert "acct_fleuriste" in page
    assert "Prêt pour les reversements." in page


def test_a_payout_event_still_finds_its_line_after_the_merchant_changed_connected_account(
    connect_town, stripe_fake, django_capture_on_commit_callbacks
):
    """A payout's events are routed by the payout line's own snapshot of the connected account, not
    the merchant's current one: after re-onboarding at Stripe, the payout.paid / payout.failed of a
    payout on the old account still reaches its line instead of leaving it pending for ever."""
    with connect_town:
        bakery = connected_shop("Boulangerie", BAKERY_ACCOUNT, [("Éclair", 250, None)])
    order = pay_on_the_platform(
        connect_town, stripe_fake, django_capture_on_commit_callbacks, [(bakery["variants"][0], 2)]
    )
    with connect_town:
        hand_over_all(order, django_capture_on_commit_callbacks)
    stripe_fake.release_pending(account=BAKERY_ACCOUNT)
    with connect_town:
        preparer, approver = town_user(Role.TOWN_AGENT), town_user(Role.TOWN_ADMIN)
        batch = run_payout(cut_off=timezone.now(), actor=preparer).batch
        approve_batch(batch=batch, actor=approver)
        line = export_batch(batch=batch, actor=preparer).lines.get()
        assert line.stripe_payout_id
        # The merchant re-onboards: the town records their new connected account.
        save_connected_account(merchant=bakery["merchant"], actor=approver, stripe_account_id="acct_boulangerie_v2")

    stripe_fake.settle_payout(line.stripe_payout_id, account=BAKERY_ACCOUNT, is_paid=True)
    outcome = post_webhook(stripe_fake.last_event("payout.paid", account=BAKERY_ACCOUNT))["outcome"]

    assert outcome == f"line {line.pk} executed"
    with connect_town:
        line.refresh_from_db()
        assert line.status == PayoutLineStatus.EXECUTED
        assert balance("payout_in_transit") == 0
