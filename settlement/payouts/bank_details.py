"""Merchants' bank details: where a merchant is paid and the changes to them (an IBAN typed by the
merchant's staff waits for the town's check; Connect towns record the merchant's Stripe connected
account instead). Whether the town may pay a merchant is its collector's ``payout_problem`` (the
agreement included: ``settlement.agreements``). Each save is announced after commit
(``settlement.agreements.signals.bank_details_saved``)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import TOWN_STAFF_ROLES, User
from catalog.models import Merchant
from settlement.agreements.actions import announce_bank_details_saved
from settlement.payouts.guards import PayoutError
from settlement.payouts.iban import validate_bic, validate_iban
from settlement.payouts.models import MerchantPayoutAccount, validate_stripe_account_id


def save_payout_account(
    *,
    merchant: Merchant,
    actor: User,
    holder_name: str,
    iban: str,
    bic: str = "",
    street: str,
    building_number: str = "",
    postcode: str,
    town: str,
    country: str = "FR",
) -> MerchantPayoutAccount:
    """Records a merchant's bank details (IBAN checked, RIB key included).

    An IBAN entered or changed by the merchant's own staff holds their payouts until a town agent
    checks it (saving the details again): a hijacked shop account must not redirect the money. An
    IBAN entered by town staff lifts any block (the one left by a returned transfer included).
    """
    iban = validate_iban(iban)
    bic = validate_bic(bic) if bic else ""
    is_town_staff = actor.role in TOWN_STAFF_ROLES
    with transaction.atomic():
        account = MerchantPayoutAccount.objects.select_for_update().filter(merchant=merchant).first()
        is_new_iban = account is None or account.iban != iban
        if account is None:
            account = MerchantPayoutAccount(merchant=merchant)
        if is_town_staff and (is_new_iban or account.blocked_reason == IBAN_TO_CHECK):
            account.is_blocked = False
            account.blocked_reason = ""
        elif is_new_iban and not is_town_staff:
            account.is_blocked = True
            account.blocked_reason = IBAN_TO_CHECK
        account.holder_name = holder_name.strip()
        account.iban = iban
        account.bic = bic
        account.street = street.strip()
        account.building_number = building_number.strip()
        account.postcode = postcode.strip()
        account.town = town.strip()
        account.country = (country or "FR").strip().upper()
        account.updated_by = actor
        if is_new_iban:
            account.iban_changed_at = timezone.now()
            account.iban_changed_by = actor
        account.save()
        announce_bank_details_saved(merchant.pk)
    return account


# Stored as the block's reason and recognised by equality, so it is one fixed text (French, the
# records' language), never translated when the module happens to be loaded by an English request.
IBAN_TO_CHECK = "Nouvel IBAN saisi par le commerçant : à vérifier par la ville avant tout virement."


def save_connected_account(
    *, merchant: Merchant, actor: User, stripe_account_id: str, lift_block: bool = False
) -> MerchantPayoutAccount:
    """Records the merchant's Stripe connected account (Connect towns); a new account, or the town
    confirming the merchant fixed their bank details at Stripe, lifts a block left by a failed payout.

    Town staff only: whoever sets this account decides where the merchant's money goes.
    """
    if actor.role not in TOWN_STAFF_ROLES:
        raise PayoutError(_("Seuls les agents de la ville enregistrent le compte Stripe d’un commerçant."))
    stripe_account_id = stripe_account_id.strip()
    validate_stripe_account_id(stripe_account_id)
    with transaction.atomic():
        account = MerchantPayoutAccount.objects.select_for_update().filter(merchant=merchant).first()
        if account is None:
            # The bank details live at Stripe; the name is kept for the batch lines and statements.
            account = MerchantPayoutAccount(merchant=merchant, holder_name=merchant.name[:140])
        taken = MerchantPayoutAccount.objects.filter(stripe_account_id=stripe_account_id).exclude(merchant=merchant)
        if taken.exists():
            raise PayoutError(_("Ce compte Stripe est déjà celui d’un autre commerçant de la ville."))
        if account.stripe_account_id != stripe_account_id or lift_block:
            account.is_blocked = False
            account.blocked_reason = ""
        account.stripe_account_id = stripe_account_id
        account.updated_by = actor
        account.save()
        announce_bank_details_saved(merchant.pk)
    return account
