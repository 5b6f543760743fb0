"""Payout runs (docs/money.md §6–7): preparing a period's batch, approving, exporting and cancelling it.

Ledger movements (signed cents: positive debit, negative credit), each keyed once by its event:

| event                          | source / external_id          | debit                          | credit                  |
|--------------------------------|-------------------------------|--------------------------------|-------------------------|
| batch prepared                 | payout_batch / batch id       | each merchant available        | payout_in_transit total |
| batch cancelled before export  | reversal / that entry's id    | payout_in_transit total        | each merchant available |

then each line is executed or returned (``returns``), so payout_in_transit comes back to zero for
every batch whose lines are all executed or returned.

Connect towns (docs/architecture.md §4, mode 2) use the same batches, lines, states and entries; only the
payee and the leg outside the town's books differ: a line pays the merchant's connected account
(snapshot ``stripe_account_id``), ``export_batch`` makes one Stripe payout per line instead of a
SEPA file (stripe_payouts), and where the régie credits *bank*, Connect credits
``connect_transferred:<merchant>`` — the money leaves the merchant's Stripe balance, not the
treasury. Returns re-credit *available* and block the merchant in both modes. What differs is
asked of the town's collector (``settlement.payouts.collectors``), never of its mode.

Runs, exports and statement imports of one town are serialised by the town's payout lock (``guards``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import TOWN_STAFF_ROLES, User
from payments.collectors import collector_for, current_collector
from settlement.agreements.queries import note_agreements
from settlement.ledger.accounts import PAYOUT_IN_TRANSIT, merchant_available
from settlement.ledger.actions import ensure_accounts, post_entry, reverse_entry
from settlement.ledger.models import Account, PayoutSchedule, SettlementPolicy
from settlement.ledger.rules import get_policy
from settlement.payouts.guards import PayoutError, lock_town_payouts, locked_batch, require_staff
from settlement.payouts.models import (
    EXPORTED_STATES,
    MerchantPayoutAccount,
    PayoutBatch,
    PayoutBatchState,
    PayoutBlock,
    PayoutBlockReason,
    PayoutLine,
)
from settlement.payouts.returns import PAYOUT_RETURNED
from tenants.current import current_town, town_zone

PAYOUT_BATCH = "payout_batch"


@dataclass(frozen=True)
class PayoutRun:
    batch: PayoutBatch
    created: bool


# --- Schedule -------------------------------------------------------------------------------------


def latest_cut_off(*, now: dt.datetime, policy: SettlementPolicy, time_zone: ZoneInfo) -> dt.datetime:
    """The most recent cut-off at or before ``now``: the 1st/16th (or every day) at the policy's hour, local time."""
    local_now = now.astimezone(time_zone)
    hour = policy.payout_cut_off_hour
    day = local_now.date()
    while True:
        if policy.payout_schedule == PayoutSchedule.DAILY or day.day in (1, 16):
            # Built from the civil date so the cut-off stays at the local hour across DST changes.
            candidate = dt.datetime(day.year, day.month, day.day, hour, tzinfo=time_zone)
            if candidate <= local_now:
                return candidate.astimezone(dt.UTC)
        day -= dt.timedelta(days=1)


def period_key_for(cut_off: dt.datetime, time_zone: ZoneInfo) -> str:
    return cut_off.astimezone(time_zone).date().isoformat()


# --- The run --------------------------------------------------------------------------------------

_OWED_SQL = """
SELECT a.merchant_id,
       -a.balance_cents,
       -COALESCE(SUM(p.amount_cents) FILTER (
            WHERE e.created_at <= %s OR e.source IN (%s, %s) OR r.source = %s), 0)
FROM settlement_account a
LEFT JOIN settlement_posting p ON p.account_id = a.id
LEFT JOIN settlement_journalentry e ON e.id = p.entry_id
LEFT JOIN settlement_journalentry r ON r.id = e.reverses_id
WHERE a.merchant_id IS NOT NULL AND a.code LIKE 'merchant:%%:available'
GROUP BY a.id
ORDER BY a.merchant_id
"""


def owed_at_cut_off(cut_off: dt.datetime) -> dict[int, int]:
    """What the town owes each merchant (available) at the cut-off, never more than it owes now.

    The stored balance is not enough: sales released and refunds posted after the cut-off must
    wait for the next run (docs/money.md §12, scenario 25), so the balance is summed from the postings of
    entries made up to the cut-off. Payout movements (batches, their cancellations, returns) count
    whatever their time: a batch prepared late for an earlier cut-off is still already paid. Taking
    the smaller of that and the current balance means a refund made since the cut-off is netted
    now rather than paying money the merchant no longer has.
    """
    with connection.cursor() as cursor:
        cursor.execute(_OWED_SQL, [cut_off, PAYOUT_BATCH, PAYOUT_RETURNED, PAYOUT_BATCH])
        rows = cursor.fetchall()
    return {merchant_id: int(min(current, at_cut_off)) for merchant_id, current, at_cut_off in rows}


def run_payout(
    *, cut_off: dt.datetime, actor: User | None, after_line: Callable[[int], None] | None = None
) -> PayoutRun:
    """Prepares the batch of the period ending at ``cut_off``, once: a rerun returns the existing batch.

    One line per payable merchant with at least the minimum; the others with money are recorded as
    blocked or carried forward with their reason. ``after_line`` is called with the count of lines
    written so far (tests use it to kill the process mid-transaction).
    """
    if cut_off > timezone.now():
        raise PayoutError(_("La date d’arrêté est dans le futur : les soldes ne sont pas encore connus."))
    if actor is not None and actor.role not in TOWN_STAFF_ROLES:
        raise PayoutError(_("Seuls les agents de la ville peuvent préparer un reversement."))
    time_zone = town_zone()
    period_key = period_key_for(cut_off, time_zone)
    with transaction.atomic():
        lock_town_payouts()
        existing = PayoutBatch.objects.exclude(state=PayoutBatchState.CANCELLED).filter(period_key=period_key).first()
        if existing is not None:
            return PayoutRun(existing, created=False)
        policy = get_policy()
        collector = current_collector()
        batch = PayoutBatch.objects.create(period_key=period_key, cut_off=cut_off, created_by=actor)
        # Account rows locked in id order (post_entry's order): a refund posted meanwhile waits
        # for this run instead of changing a balance between our read and our posting.
        ensure_accounts([PAYOUT_IN_TRANSIT])
        list(
            Account.objects.select_for_update()
            .filter(Q(code=PAYOUT_IN_TRANSIT) | Q(merchant__isnull=False, code__endswith=":available"))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        owed = owed_at_cut_off(cut_off)
        accounts = {
            account.merchant_id: account
            for account in MerchantPayoutAccount.objects.filter(
                merchant_id__in=[m for m, cents in owed.items() if cents]
            )
        }
        note_agreements(accounts.values())
        lines: list[PayoutLine] = []
        blocks: list[PayoutBlock] = []
        for merchant_id, amount in owed.items():
            if amount == 0:
                continue
            if amount < 0:
                blocks.append(_block(batch, merchant_id, PayoutBlockReason.NEGATIVE, "", amount))
                continue
            account = accounts.get(merchant_id)
            problem = collector.payout_problem(account)
            if problem is not None:
                blocks.append(_block(batch, merchant_id, problem[0], problem[1], amount))
            elif amount < policy.minimum_payout_cents:
                blocks.append(_block(batch, merchant_id, PayoutBlockReason.BELOW_MINIMUM, "", amount))
            else:
                lines.append(collector.payout_line(batch=batch, account=account, amount_cents=amount))
        PayoutBlock.objects.bulk_create(blocks)
        if after_line is None:
            PayoutLine.objects.bulk_create(lines)
        else:
            for count, line in enumerate(lines, start=1):
                line.save()
                after_line(count)
        total = sum(line.amount_cents for line in lines)
        if lines:
            batch.entry = post_entry(
                source=PAYOUT_BATCH,
                external_id=str(batch.pk),
                description=f"Reversement {batch.reference}",
                lines=[
                    *((merchant_available(line.merchant_id), line.amount_cents) for line in lines),
                    (PAYOUT_IN_TRANSIT, -total),
                ],
            )
        else:
            batch.state = PayoutBatchState.EMPTY
        batch.total_cents = total
        batch.line_count = len(lines)
        batch.save(update_fields=["entry", "state", "total_cents", "line_count"])
    return PayoutRun(batch, created=True)


def _block(batch: PayoutBatch, merchant_id: int, reason: str, detail: str, amount: int) -> PayoutBlock:
    return PayoutBlock(batch=batch, merchant_id=merchant_id, reason=reason, detail=detail[:300], amount_cents=amount)


def run_scheduled_payout(*, now: dt.datetime | None = None) -> PayoutRun | None:
    """Prepares the draft batch of the latest cut-off if none was made for it (the beat task's body).

    Skipped while the town has not set what its collector needs (a régie's treasury account: its
    payouts are not switched on), and for a period whose batch was cancelled: recreating it is a
    decision for the town's staff.
    """
    policy = get_policy()
    if current_collector().town_payout_problems(policy):
        return None
    cut_off = latest_cut_off(now=now or timezone.now(), policy=policy, time_zone=town_zone())
    if PayoutBatch.objects.filter(period_key=period_key_for(cut_off, town_zone())).exists():
        return None
    return run_payout(cut_off=cut_off, actor=None)


# --- Approval, export, cancellation ---------------------------------------------------------------


def approve_batch(*, batch: PayoutBatch, actor: User) -> PayoutBatch:
    """Draft → approved, by a second town user (four eyes: never the one who prepared it)."""
    require_staff(actor)
    with transaction.atomic():
        batch = locked_batch(batch)
        if batch.state != PayoutBatchState.DRAFT:
            raise PayoutError(_("Seul un lot à approuver peut être approuvé."))
        if batch.created_by_id == actor.pk:
            raise PayoutError(_("Le lot doit être approuvé par une autre personne que celle qui l’a préparé."))
        typed_by_actor = (
            batch.lines.filter(
                merchant__payout_account__iban_changed_by=actor.pk,
                merchant__payout_account__iban=F("iban"),
            )
            .order_by("merchant__name")
            .values_list("merchant__name", flat=True)
            .first()
        )
        if typed_by_actor is not None:
            raise PayoutError(
                _("Vous avez saisi l’IBAN de %(merchant)s : une autre personne doit approuver ce lot.")
                % {"merchant": typed_by_actor}
            )
        batch.state = PayoutBatchState.APPROVED
        batch.approved_by = actor
        batch.approved_at = timezone.now()
        batch.save(update_fields=["state", "approved_by", "approved_at"])
    return batch


def export_batch(*, batch: PayoutBatch, actor: User, now: dt.datetime | None = None) -> PayoutBatch:
    """Approved → exported, once; the batch is immutable from then on.

    What leaves with the batch is the town's collector's (``prepare_export``, in this transaction:
    a régie's SEPA file, built, checked, stored with its hash and never rebuilt), and so is what
    follows the commit (``execute_export``: Connect's Stripe payouts, one per line).
    """
    require_staff(actor)
    now = now or timezone.now()
    town = current_town()
    collector = collector_for(town)
    with transaction.atomic():
        lock_town_payouts()
        batch = locked_batch(batch)
        if batch.state in EXPORTED_STATES:
            raise PayoutError(_("Ce lot a déjà été exporté : son fichier ne peut pas être refait."))
        if batch.state != PayoutBatchState.APPROVED:
            raise PayoutError(_("Le lot doit être approuvé avant d’être exporté."))
        if batch.created_by_id is None and batch.approved_by_id == actor.pk:
            # A batch prepared by the scheduler had one human so far: the second must be another.
            raise PayoutError(
                _("Le lot préparé automatiquement doit être exporté par une autre personne que celle qui l’a approuvé.")
            )
        lines = list(batch.lines.order_by("pk"))
        if any(line.collector_mode != collector.mode for line in lines):
            # Prepared before the town changed how it collects: its payees are of the other kind.
            raise PayoutError(
                _("Ce lot a été préparé pour un autre mode d’encaissement : annulez-le et préparez-le à nouveau.")
            )
        if sum(line.amount_cents for line in lines) != batch.total_cents or len(lines) != batch.line_count:
            raise PayoutError(_("Les lignes du lot ne correspondent plus à son total : export refusé."))
        collector.prepare_export(batch=batch, lines=lines, town=town, now=now)
        batch.exported_at = now
        batch.exported_by = actor
        batch.state = PayoutBatchState.EXPORTED
        batch.save()
    return collector.execute_export(batch=batch)


def cancel_batch(*, batch: PayoutBatch, actor: User) -> PayoutBatch:
    """Draft or approved → cancelled: the money goes back to the merchants' available balances."""
    require_staff(actor)
    with transaction.atomic():
        lock_town_payouts()
        batch = locked_batch(batch)
        if batch.state not in (PayoutBatchState.DRAFT, PayoutBatchState.APPROVED):
            raise PayoutError(_("Un lot exporté ne peut plus être annulé."))
        if batch.entry is not None:
            reverse_entry(entry=batch.entry, description=f"Annulation du reversement {batch.reference}")
        batch.state = PayoutBatchState.CANCELLED
        batch.cancelled_by = actor
        batch.cancelled_at = timezone.now()
        batch.save(update_fields=["state", "cancelled_by", "cancelled_at"])
    return batch
