"""Payout test data: town users, merchants with bank details, money made available, a treasury.

Use inside a town (``with town_a:``). Amounts go straight to *available* through post_entry, as a
release would leave them, so each test states exactly what every merchant is owed.
"""

from __future__ import annotations

import datetime as dt
import itertools

from schwifty import IBAN

from accounts.models import Role, User
from catalog.models import Merchant
from settlement.agreements.models import AcceptanceMethod, AgreementAcceptance
from settlement.agreements.queries import current_version, render_for
from settlement.ledger.accounts import PSP_CLEARING, merchant_available
from settlement.ledger.actions import post_entry
from settlement.payouts.models import MerchantPayoutAccount
from settlement.payouts.treasury import update_payout_settings
from tests.catalog.factories import MerchantFactory

TREASURY_IBAN = "FR7630001007941234567890185"
_sequence = itertools.count(1)


def french_iban(number: int) -> str:
    """A valid French IBAN (RIB key and check digits computed by schwifty) for account ``number``."""
    return str(IBAN.generate("FR", bank_code="30006", branch_code="00001", account_code=f"{number:011d}"))


def town_user(role: str = Role.TOWN_AGENT, email: str | None = None) -> User:
    email = email or f"agent{next(_sequence)}@ville.test"
    return User.objects.create_user(email=email, password="mot-de-passe-solide", role=role)


def payable_merchant(
    name: str = "", *, agreement: bool = True, blocked: bool = False, account: bool = True
) -> Merchant:
    """A merchant with a valid IBAN and, unless told otherwise, the current agreement accepted."""
    number = next(_sequence)
    merchant = MerchantFactory(name=name or f"Boutique {number}")
    if account:
        MerchantPayoutAccount.objects.create(
            merchant=merchant,
            holder_name=merchant.name,
            iban=french_iban(number),
            street="rue Royale",
            building_number=str(number),
            postcode="62100",
            town="Calais",
            is_blocked=blocked,
            blocked_reason="Virement retourné" if blocked else "",
        )
    if agreement:
        accept_current_agreement(merchant)
    return merchant


def accept_current_agreement(
    merchant: Merchant, *, at: dt.datetime | str = "2026-01-05T10:00:00+01:00"
) -> AgreementAcceptance:
    """The merchant accepted the town's current agreement online (text and digest as the page showed them)."""
    shown = render_for(current_version(), merchant)
    return AgreementAcceptance.objects.create(
        merchant=merchant,
        version=shown.version,
        method=AcceptanceMethod.ONLINE,
        signer_name=f"Gérant de {merchant.name}"[:140],
        accepted_at=at,
        ip_address="192.0.2.10",
        rendered_text=shown.text,
        text_sha256=shown.sha256,
    )


def make_available(merchant: Merchant, cents: int, *, key: str | None = None) -> None:
    """``cents`` more owed to the merchant (negative: a refund after payout), as one posted event."""
    post_entry(
        source="test_available",
        external_id=key or f"{merchant.pk}-{next(_sequence)}",
        description="Test",
        lines=[(PSP_CLEARING, cents), (merchant_available(merchant.pk), -cents)],
    )


def set_treasury(admin: User | None = None, **overrides: object) -> None:
    admin = admin or town_user(Role.TOWN_ADMIN)
    fields: dict[str, object] = {
        "treasury_holder_name": "Régie marketplace de la Ville",
        "treasury_iban": TREASURY_IBAN,
        "treasury_street": "place du Soldat Inconnu",
        "treasury_building_number": "1",
        "treasury_postcode": "62100",
        "treasury_town": "Calais",
        **overrides,
    }
    update_payout_settings(actor=admin, **fields)
