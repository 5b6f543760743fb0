"""Posting to the ledger: balanced, idempotent, concurrency-safe entries.

- Each external event posts once: the entry row is inserted first under the unique
  (source, external_id); a replay — even a concurrent one, which waits on the first one's insert —
  hits the constraint and posts nothing.
- Stored balances move in the entry's transaction with ``balance_cents = balance_cents + x``, one
  account at a time in account-id order, so two entries touching the same accounts never deadlock.
- The database re-checks what Python checks here (deferred trigger: the entry sums to zero at commit).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.db.models import F

from settlement.ledger.accounts import spec_for, validate_lines
from settlement.ledger.models import Account, JournalEntry, Posting


def ensure_accounts(codes: Sequence[str]) -> dict[str, Account]:
    """The accounts of these codes, created when missing; safe when two transactions create one at once."""
    wanted = sorted(set(codes))
    specs = {code: spec_for(code) for code in wanted}
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
