"""Reading the ledger: balances on each account's normal side, and the entry of an event."""

from __future__ import annotations

from settlement.ledger.accounts import merchant_available, merchant_held, spec_for
from settlement.ledger.models import Account, JournalEntry, NormalSide


def _normal_side_balance(account: Account | None) -> int:
    if account is None:
        return 0
    return account.balance_cents if account.normal_side == NormalSide.DEBIT else -account.balance_cents


def balance(account_code: str) -> int:
    """The account's balance on its normal side (what a liability owes, what an asset holds); 0 if unused."""
    spec_for(account_code)
    return _normal_side_balance(Account.objects.filter(code=account_code).first())


def merchant_balances(merchant_id: int) -> tuple[int, int]:
    """(held, available) owed to the merchant, in cents; available may be negative after a late refund."""
    held_code, available_code = merchant_held(merchant_id), merchant_available(merchant_id)
    accounts = {account.code: account for account in Account.objects.filter(code__in=(held_code, available_code))}
    return _normal_side_balance(accounts.get(held_code)), _normal_side_balance(accounts.get(available_code))


def entry_for(source: str, external_id: str | int) -> JournalEntry | None:
    return JournalEntry.objects.filter(source=source, external_id=str(external_id)).first()
