"""How a payout line ends (docs/money.md §6–7): executed — seen on the treasury's bank statement, marked
by hand, or paid by Stripe — or returned, which re-credits the merchant and blocks their payouts.

| event                          | source / external_id          | debit                          | credit                  |
|--------------------------------|-------------------------------|--------------------------------|-------------------------|
| line executed (statement, hand)| payout_executed / line id     | payout_in_transit              | bank                    |
| line returned, not yet executed| payout_returned / line id     | payout_in_transit              | merchant available      |
| line returned after execution  | payout_returned / line id     | bank                           | merchant available      |

Connect lines (``stripe_payouts``) post the same entries with ``connect_transferred:<merchant>`` in
place of *bank*: their money leaves the merchant's Stripe balance, not the treasury.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from payments.collectors import collector_by_mode
from settlement.ledger.accounts import PAYOUT_IN_TRANSIT, merchant_available
from settlement.ledger.actions import post_entry
from settlement.payouts.bank_statements import StatementEntry, parse_bank_statement
from settlement.payouts.guards import PayoutError, lock_town_payouts, locked_batch, require_staff
from settlement.payouts.models import (
    EXPORTED_STATES,
    MerchantPayoutAccount,
    PayoutBatch,
    PayoutBatchState,
    PayoutLine,
    PayoutLineStatus,
    StatementImport,
    StatementLine,
    StatementLineStatus,
)

PAYOUT_EXECUTED = "payout_executed"

PAYOUT_RETURNED = "payout_returned"

_END_TO_END_RE = re.compile(r"PL([1-9][0-9]{0,17})")


@dataclass(frozen=True)
class StatementImportResult:
    statement_import: StatementImport
    created: bool
    executed: int = 0
    returned: int = 0
    already_applied: int = 0
    unmatched: int = 0
    duplicates: int = 0


def _paid_from(line: PayoutLine) -> str:
    """The account an executed line's money left, as the collector that paid the line says (the
    treasury for a SEPA transfer, the merchant's Stripe balance for a Stripe payout)."""
    return collector_by_mode(line.collector_mode).paid_from(line.merchant_id)


def execute_line(line: PayoutLine, when: dt.datetime) -> None:
    """The line's money left (bank debit seen, or Stripe paid it): posted once, the line executed."""
    post_entry(
        source=PAYOUT_EXECUTED,
        external_id=str(line.pk),
        description=f"Virement {line.end_to_end_id} débité",
        lines=[(PAYOUT_IN_TRANSIT, line.amount_cents), (_paid_from(line), -line.amount_cents)],
    )
    line.status = PayoutLineStatus.EXECUTED
    line.executed_at = when
    line.save(update_fields=["status", "executed_at"])


def return_line(line: PayoutLine, *, code: str, reason: str, when: dt.datetime) -> None:
    """The line's money came back: the merchant re-credited (once) and their payouts blocked until fixed."""
    # Before the debit was seen the money is still in transit; after it, it came back where it left.
    origin = PAYOUT_IN_TRANSIT if line.status == PayoutLineStatus.PENDING else _paid_from(line)
    post_entry(
        source=PAYOUT_RETURNED,
        external_id=str(line.pk),
        description=f"Virement {line.end_to_end_id} retourné",
        lines=[(origin, line.amount_cents), (merchant_available(line.merchant_id), -line.amount_cents)],
    )
    line.status = PayoutLineStatus.RETURNED
    line.returned_at = when
    line.return_reason_code = (code or "")[:10]
    line.return_reason = reason[:300]
    line.save(update_fields=["status", "returned_at", "return_reason_code", "return_reason"])
    details = {"reference": line.end_to_end_id, "date": when.date().strftime("%d/%m/%Y"), "reason": reason}
    blocked_reason = collector_by_mode(line.collector_mode).return_blocked_reason(details)
    MerchantPayoutAccount.objects.filter(merchant_id=line.merchant_id).update(
        is_blocked=True, blocked_reason=blocked_reason[:300], updated_at=timezone.now()
    )


def refresh_batch_state(batch: PayoutBatch, when: dt.datetime) -> None:
    """The batch's state from its lines' (settled once none is pending; partially returned if any came back)."""
    statuses = set(batch.lines.values_list("status", flat=True))
    if PayoutLineStatus.RETURNED in statuses:
        state = PayoutBatchState.PARTIALLY_RETURNED
    elif PayoutLineStatus.PENDING in statuses:
        state = PayoutBatchState.EXPORTED
    else:
        state = PayoutBatchState.SETTLED
    settled_at = batch.settled_at or (when if PayoutLineStatus.PENDING not in statuses else None)
    if (state, settled_at) != (batch.state, batch.settled_at):
        batch.state, batch.settled_at = state, settled_at
        batch.save(update_fields=["state", "settled_at"])


def mark_batch_executed(*, batch: PayoutBatch, actor: User) -> PayoutBatch:
    """Every line still pending is recorded as debited from the treasury (the bank confirmed the file)."""
    require_staff(actor)
    now = timezone.now()
    with transaction.atomic():
        lock_town_payouts()
        batch = locked_batch(batch)
        if batch.state not in (PayoutBatchState.EXPORTED, PayoutBatchState.PARTIALLY_RETURNED):
            raise PayoutError(_("Seul un lot exporté peut être marqué comme exécuté."))
        if batch.lines.exclude(stripe_account_id="").exists():
            raise PayoutError(_("Les versements Stripe sont marqués exécutés par Stripe lui-même, pas à la main."))
        for line in batch.lines.select_for_update().filter(status=PayoutLineStatus.PENDING).order_by("pk"):
            execute_line(line, now)
        refresh_batch_state(batch, now)
    return batch


def import_bank_statement(*, data: bytes, file_name: str, actor: User | None) -> StatementImportResult:
    """Applies a camt.052/053/054 or CSV statement once: debits execute lines, credits return them,
    anything unknown is kept in suspense without posting. The same file again changes nothing."""
    digest = hashlib.sha256(data).hexdigest()
    entries = parse_bank_statement(data)  # BankStatementError: nothing of the file is applied
    now = timezone.now()
    with transaction.atomic():
        lock_town_payouts()
        existing = StatementImport.objects.filter(file_sha256=digest).first()
        if existing is not None:
            return StatementImportResult(existing, created=False)
        statement_import = StatementImport.objects.create(
            file_name=file_name[:200], file_sha256=digest, imported_by=actor, entry_count=len(entries)
        )
        counts = {status: 0 for status in StatementLineStatus.values}
        duplicates = 0
        touched: dict[int, PayoutBatch] = {}
        for entry in entries:
            if StatementLine.objects.filter(statement_id=entry.statement_id, entry_ref=entry.entry_ref).exists():
                duplicates += 1  # the same movement came in another file already (camt.054 then .053)
                continue
            status, line, note = _apply_statement_entry(entry, now)
            counts[status] += 1
            if line is not None:
                touched[line.batch_id] = line.batch
            StatementLine.objects.create(
                statement_import=statement_import,
                statement_id=entry.statement_id,
                entry_ref=entry.entry_ref,
                end_to_end_id=(entry.end_to_end_id or "")[:35],
                amount_cents=entry.amount_cents,
                booking_date=entry.booking_date,
                is_credit=entry.is_credit,
                is_return=entry.is_return,
                return_reason_code=(entry.return_reason_code or "")[:10],
                return_reason=(entry.return_reason or "")[:300],
                status=status,
                note=note[:300],
                payout_line=line,
                raw=entry.raw,
            )
        for batch in touched.values():
            refresh_batch_state(locked_batch(batch), now)
    return StatementImportResult(
        statement_import,
        created=True,
        executed=counts[StatementLineStatus.EXECUTED],
        returned=counts[StatementLineStatus.RETURNED],
        already_applied=counts[StatementLineStatus.ALREADY_APPLIED],
        unmatched=counts[StatementLineStatus.UNMATCHED],
        duplicates=duplicates,
    )


def _apply_statement_entry(entry: StatementEntry, now: dt.datetime) -> tuple[str, PayoutLine | None, str]:
    match = _END_TO_END_RE.fullmatch(entry.end_to_end_id or "")
    line = None
    if match is not None:
        line = (
            PayoutLine.objects.select_for_update()
            .select_related("batch")
            # Stripe payouts (Connect) never go through the treasury's bank statement.
            .filter(pk=int(match[1]), batch__state__in=EXPORTED_STATES, stripe_account_id="")
            .first()
        )
    if line is None:
        note = _("Référence inconnue") if entry.end_to_end_id else _("Aucune référence de virement")
        return StatementLineStatus.UNMATCHED, None, note
    if entry.amount_cents != line.amount_cents:
        note = _("Montant %(found)s centimes, le virement %(reference)s est de %(expected)s centimes") % {
            "found": entry.amount_cents,
            "reference": line.end_to_end_id,
            "expected": line.amount_cents,
        }
        return StatementLineStatus.UNMATCHED, None, note
    when = dt.datetime.combine(entry.booking_date, dt.time(12), tzinfo=dt.UTC)
    if entry.is_return and not entry.is_credit:
        # Money left the account: whatever the bank calls it (a reversal of a return it had credited…),
        # it never gives the merchant their payout back. A person looks at it.
        return StatementLineStatus.UNMATCHED, None, _("Débit marqué comme retour ou annulation : à vérifier")
    if entry.is_credit:
        if not entry.is_return:
            return StatementLineStatus.UNMATCHED, None, _("Crédit non identifié comme un retour")
        if line.status == PayoutLineStatus.RETURNED:
            return StatementLineStatus.ALREADY_APPLIED, line, ""
        return_line(line, code=entry.return_reason_code or "", reason=entry.return_reason or "", when=when)
        return StatementLineStatus.RETURNED, line, ""
    if line.status != PayoutLineStatus.PENDING:
        return StatementLineStatus.ALREADY_APPLIED, line, ""
    execute_line(line, when)
    return StatementLineStatus.EXECUTED, line, ""
