"""Review of Connect payouts: a payout's webhook must find its line whatever happened to the merchant's account since."""

from __future__ import annotations

from django.utils import timezone

from accounts.models import Role
from settlement.ledger import balance
from settlement.models import PayoutLineStatus
from settlement.payouts import approve_batch, export_batch, run_payout, save_connected_account
from tests.checkout import stripe_fixtures
from tests.settlement import connect_fixtures
from tests.settlement.connect_fixtures import (
    BAKERY_ACCOUNT,
    connected_shop,
    hand_over_all,
    pay_on_the_platform,
    post_webhook,
)
from tests.settlement.payout_factories import town_user

connect_town = connect_fixtures.connect_town
stripe_fake = stripe_fixtures.stripe_fake
stripe_fake_server = stripe_fixtures.stripe_fake_server


def test_a_payout_event_still_finds_its_line_after_the_merchant_changed_connected_account(
    connect_town, stripe_fake, django_capture_on_commit_callbacks
):
    """Regression (found in review, fixed): payouts_connect.handle_payout_event finds the town through towns_with_connected_account,
    which reads the merchant's *current* MerchantPayoutAccount.stripe_account_id, not the lines'
    snapshot. Once a town agent records a new connected account for the merchant (re-onboarding at
    Stripe, a second account) while a payout on the old one is in flight, Stripe's payout.paid or
    payout.failed for it is acknowledged as "unknown payout: ignored": the line stays pending for
    ever, payout_in_transit never returns to zero, and a failed payout is never re-credited."""
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
