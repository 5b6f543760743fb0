"""The town's chart of accounts (docs/money.md §3): account codes, what each one is, and what makes lines
a valid entry. Merchant accounts (held, available) and Connect's transferred accounts are made from
their code on first use."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from settlement.ledger.models import AccountKind, NormalSide

PSP_CLEARING = "psp_clearing"
BANK = "bank"
PAYOUT_IN_TRANSIT = "payout_in_transit"
REFUNDS_PAYABLE = "refunds_payable"
PSP_FEES = "psp_fees"
COMMISSION = "commission"
SUSPENSE = "suspense"
DELIVERY_FEES = "delivery_fees"
DELIVERY_PARTNER_PAYABLE = "delivery_partner_payable"
DISPUTE_LOSSES = "dispute_losses"


@dataclass(frozen=True)
class AccountSpec:
    name: str
    kind: str
    normal_side: str


# The town's chart of accounts (docs/money.md §3); merchant accounts are made from their code.
CHART: dict[str, AccountSpec] = {
    PSP_CLEARING: AccountSpec("Encaissements carte chez le prestataire", AccountKind.ASSET, NormalSide.DEBIT),
    BANK: AccountSpec("Compte bancaire de la régie", AccountKind.ASSET, NormalSide.DEBIT),
    PAYOUT_IN_TRANSIT: AccountSpec("Virements émis, non encore débités", AccountKind.ASSET, NormalSide.DEBIT),
    REFUNDS_PAYABLE: AccountSpec("Remboursements à effectuer", AccountKind.LIABILITY, NormalSide.CREDIT),
    PSP_FEES: AccountSpec("Frais du prestataire de paiement", AccountKind.EXPENSE, NormalSide.DEBIT),
    COMMISSION: AccountSpec("Commission de la ville", AccountKind.REVENUE, NormalSide.CREDIT),
    SUSPENSE: AccountSpec("Opérations en attente d'affectation", AccountKind.SUSPENSE, NormalSide.DEBIT),
    DELIVERY_FEES: AccountSpec("Frais de livraison (recette)", AccountKind.REVENUE, NormalSide.CREDIT),
    DELIVERY_PARTNER_PAYABLE: AccountSpec(
        "Frais de livraison à reverser au partenaire", AccountKind.LIABILITY, NormalSide.CREDIT
    ),
    DISPUTE_LOSSES: AccountSpec("Contestations perdues", AccountKind.EXPENSE, NormalSide.DEBIT),
}
_MERCHANT_CODE = re.compile(r"^merchant:(?P<id>[1-9][0-9]*):(?P<part>held|available)$")
# Connect mode: money already transferred to the merchant's Stripe connected account and not yet
# paid out to their bank. An asset of the collector's books (it left psp_clearing but the merchant
# is still owed it on *available* until the payout lands), so the payout run keeps reading
# *available* alone. Not a ``merchant:`` account: statements and the dashboard list what the
# merchant is owed, and this is where the money sits, not a debt to them.
_CONNECT_CODE = re.compile(r"^connect_transferred:(?P<id>[1-9][0-9]*)$")


class LedgerError(ValueError):
    """An entry the ledger refuses (unbalanced, a zero line, an unknown account)."""


def merchant_held(merchant_id: int) -> str:
    return f"merchant:{merchant_id}:held"


def merchant_available(merchant_id: int) -> str:
    return f"merchant:{merchant_id}:available"


def connect_transferred(merchant_id: int) -> str:
    return f"connect_transferred:{merchant_id}"


def spec_for(code: str) -> tuple[AccountSpec, int | None]:
    """What an account code stands for, and the merchant it belongs to if any; LedgerError if unknown."""
    if code in CHART:
        return CHART[code], None
    connect = _CONNECT_CODE.match(code)
    if connect is not None:
        name = f"Commerçant {connect['id']} : transféré sur son compte Stripe, non versé"
        return AccountSpec(name, AccountKind.ASSET, NormalSide.DEBIT), None
    match = _MERCHANT_CODE.match(code)
    if match is None:
        raise LedgerError(f"unknown account code {code!r}")
    merchant_id = int(match["id"])
    if match["part"] == "held":
        name = f"Commerçant {merchant_id} : ventes en attente de libération"
    else:
        name = f"Commerçant {merchant_id} : disponible à reverser"
    return AccountSpec(name, AccountKind.LIABILITY, NormalSide.CREDIT), merchant_id


def validate_lines(lines: Sequence[tuple[str, int]]) -> None:
    """Raise LedgerError unless the lines can form one balanced entry."""
    if len(lines) < 2:
        raise LedgerError("an entry needs at least two postings")
    for code, amount in lines:
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise LedgerError(f"amount for {code} must be integer cents, got {amount!r}")
        if amount == 0:
            raise LedgerError(f"zero posting to {code}")
        spec_for(code)
    total = sum(amount for _code, amount in lines)
    if total != 0:
        raise LedgerError(f"entry does not balance: debits minus credits = {total}")
