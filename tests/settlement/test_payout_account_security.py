"""Where a merchant's money goes is decided by the town: a shop account cannot redirect payouts."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import Role
from catalog.models import MerchantMembership
from settlement.payouts.bank_details import IBAN_TO_CHECK, save_connected_account, save_payout_account
from settlement.payouts.guards import PayoutError
from settlement.payouts.models import MerchantPayoutAccount
from settlement.payouts.runs import run_payout
from tests.settlement.payout_factories import french_iban, make_available, payable_merchant, set_treasury, town_user

ADDRESS = {"street": "rue Royale", "postcode": "62100", "town": "Calais"}


@pytest.fixture(autouse=True)
def in_town_a(town_a):
    with town_a:
        yield town_a


def _staff_of(merchant):
    user = town_user(Role.MERCHANT_STAFF)
    MerchantMembership.objects.create(merchant=merchant, user_id=user.pk)
    return user


def test_an_iban_changed_by_the_shop_holds_payouts_until_a_town_agent_checks_it():
    merchant = payable_merchant("Épicerie")
    staff = _staff_of(merchant)

    save_payout_account(merchant=merchant, actor=staff, holder_name="Épicerie", iban=french_iban(990001), **ADDRESS)

    account = MerchantPayoutAccount.objects.get(merchant=merchant)
    assert (account.is_blocked, account.blocked_reason) == (True, IBAN_TO_CHECK)

    save_payout_account(merchant=merchant, actor=town_user(), holder_name="Épicerie", iban=account.iban, **ADDRESS)

    account.refresh_from_db()
    assert (account.is_blocked, account.blocked_reason) == (False, "")


def test_the_shop_cannot_lift_a_block_left_by_a_returned_transfer_by_retyping_an_iban():
    merchant = payable_merchant("Fromagerie", blocked=True)
    staff = _staff_of(merchant)

    save_payout_account(merchant=merchant, actor=staff, holder_name="Fromagerie", iban=french_iban(990002), **ADDRESS)

    assert MerchantPayoutAccount.objects.get(merchant=merchant).is_blocked


def test_only_town_staff_record_a_stripe_connected_account():
    merchant = payable_merchant("Caviste")
    staff = _staff_of(merchant)

    with pytest.raises(PayoutError, match="agents de la ville"):
        save_connected_account(merchant=merchant, actor=staff, stripe_account_id="acct_1Pirate42", lift_block=True)

    assert MerchantPayoutAccount.objects.get(merchant=merchant).stripe_account_id in (None, "")
    save_connected_account(merchant=merchant, actor=town_user(), stripe_account_id="acct_1Caviste42")
    assert MerchantPayoutAccount.objects.get(merchant=merchant).stripe_account_id == "acct_1Caviste42"


def test_the_iban_check_block_is_recognised_whatever_language_first_loaded_the_module():
    import importlib

    from django.utils import translation

    import settlement.payouts.bank_details as bank_details

    with translation.override("en"):
        reloaded = importlib.reload(bank_details)
    try:
        merchant = payable_merchant("Épicerie")
        with translation.override("en"):
            reloaded.save_payout_account(
                merchant=merchant,
                actor=_staff_of(merchant),
                holder_name="Épicerie",
                iban=french_iban(990003),
                **ADDRESS,
            )
        account = MerchantPayoutAccount.objects.get(merchant=merchant)
        assert account.blocked_reason.startswith("Nouvel IBAN saisi par le commerçant")

        importlib.reload(bank_details)  # another process, loaded in French, checks the same IBAN
        bank_details.save_payout_account(
            merchant=merchant, actor=town_user(), holder_name="Épicerie", iban=account.iban, **ADDRESS
        )
        account.refresh_from_db()
        assert (account.is_blocked, account.blocked_reason) == (False, "")
    finally:
        importlib.reload(bank_details)


def test_a_merchant_changing_their_iban_is_held_until_the_town_checks_it(town_a):
    with town_a:
        shop = payable_merchant("Boulangerie")
        make_available(shop, 5000)
        shopkeeper = town_user(Role.MERCHANT_STAFF)
        save_payout_account(
            merchant=shop,
            actor=shopkeeper,
            holder_name="Boulangerie",
            iban=french_iban(777),
            street="rue Royale",
            postcode="62100",
            town="Calais",
        )
        set_treasury()
        batch = run_payout(cut_off=timezone.now(), actor=town_user()).batch
        assert batch.lines.count() == 0
        assert list(batch.blocks.values_list("reason", flat=True)) == ["blocked"]
