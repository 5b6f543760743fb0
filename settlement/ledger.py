"""Posting to the ledger: balanced, idempotent, concurrency-safe entries and cheap balance reads.

- Each external event posts once: the entry row is inserted first under the unique
  (source, external_id); a replay — even a concurrent one, which waits on the first one's insert —
  hits the constraint and posts nothing.
- Stored balances move in the entry's transaction with ``balance_cents = balance_cents + x``, one
  account at a time in account-id order, so two entries touching the same accounts never deadlock.
- The database re-checks what Python checks here (deferred trigger: the entry sums to zero at commit).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F

from settlement.models import Account, AccountKind, JournalEntry, NormalSide, Posting

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


# The town's chart of accounts (money.md §8.3); merchant accounts are made from their code.
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


def _spec_for(code: str) -> tuple[AccountSpec, int | None]:
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


def ensure_accounts(codes: Sequence[str]) -> dict[str, Account]:
    """The accounts of these codes, created when missing; safe when two transactions create one at once."""
    wanted = sorted(set(codes))
    specs = {code: _spec_for(code) for code in wanted}
    found = {account.code: account for account in Account.objects.filter(code__in=wanted)}
    missing = [code for code in wanted if code not in found]
    if missing:
        # ON CONFLICT DO NOTHING: a concurrent creator wins quietly, then the re-read finds its row.
        Account.objects.bulk_create(
            [
                Account(
                    code=code,
                    name=specs[code][0].name,
                    kind=specs[code][0].kind,
                    normal_side=specs[code][0].normal_side,
                    merchant_id=specs[code][1],
                )
                for code in missing
            ],
            ignore_conflicts=True,
        )
        found.update({account.code: account for account in Account.objects.filter(code__in=missing)})
    return found


def validate_lines(lines: Sequence[tuple[str, int]]) -> None:
    """Raise LedgerError unless the lines can form one balanced entry."""
    if len(lines) < 2:
        raise LedgerError("an entry needs at least two postings")
    for code, amount in lines:
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise LedgerError(f"amount for {code} must be integer cents, got {amount!r}")
        if amount == 0:
            raise LedgerError(f"zero posting to {code}")
        _spec_for(code)
    total = sum(amount for _code, amount in lines)
    if total != 0:
        raise LedgerError(f"entry does not balance: debits minus credits = {total}")


def post_entry(
    *,
    source: str,
    external_id: str,
    description: str,
    lines: Sequence[tuple[str, int]],
    reverses: JournalEntry | None = None,
) -> JournalEntry | None:
    """Posts one balanced entry for one event, atomically; returns None when the event was already posted.

    ``lines`` are (account code, amount in cents): positive debits, negative credits. A replay is a
    no-op even if its lines differ: the first posting of an event is the truth.
    """
    validate_lines(lines)
    with transaction.atomic():
        try:
            with transaction.atomic():
                entry = JournalEntry.objects.create(
                    source=source, external_id=str(external_id), description=description[:300], reverses=reverses
                )
        except IntegrityError:
            return None
        accounts = ensure_accounts([code for code, _amount in lines])
        Posting.objects.bulk_create(
            [Posting(entry=entry, account=accounts[code], amount_cents=amount) for code, amount in lines]
        )
        movements: dict[int, int] = defaultdict(int)
        for code, amount in lines:
            movements[accounts[code].pk] += amount
        # Account-id order: every transaction locks account rows in the same order (no deadlock).
        for account_id in sorted(movements):
            if movements[account_id]:
                Account.objects.filter(pk=account_id).update(balance_cents=F("balance_cents") + movements[account_id])
    return entry


def reverse_entry(*, entry: JournalEntry, description: str = "") -> JournalEntry | None:
    """Cancels an entry by posting its mirror image (the original stays); None if it was already reversed."""
    lines = [(posting.account.code, -posting.amount_cents) for posting in entry.postings.select_related("account")]
    return post_entry(
        source="reversal",
        external_id=str(entry.pk),
        description=description or f"Annulation de {entry.source} {entry.external_id}",
        lines=lines,
        reverses=entry,
    )


def _normal_side_balance(account: Account | None) -> int:
    if account is None:
        return 0
    return account.balance_cents if account.normal_side == NormalSide.DEBIT else -account.balance_cents


def balance(account_code: str) -> int:
    """The account's balance on its normal side (what a liability owes, what an asset holds); 0 if unused."""
    _spec_for(account_code)
    return _normal_side_balance(Account.objects.filter(code=account_code).first())


def merchant_balances(merchant_id: int) -> tuple[int, int]:
    """(held, available) owed to the merchant, in cents; available may be negative after a late refund."""
    held_code, available_code = merchant_held(merchant_id), merchant_available(merchant_id)
    accounts = {account.code: account for account in Account.objects.filter(code__in=(held_code, available_code))}
    return _normal_side_balance(accounts.get(held_code)), _normal_side_balance(accounts.get(available_code))


def entry_for(source: str, external_id: str | int) -> JournalEntry | None:
    return JournalEntry.objects.filter(source=source, external_id=str(external_id)).first()
