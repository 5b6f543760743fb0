"""Payout runs (money.md §8.6–8.7): every state change of merchants' bank details, batches and statements.

Ledger movements (signed cents: positive debit, negative credit), each keyed once by its event:

| event                          | source / external_id          | debit                          | credit                  |
|--------------------------------|-------------------------------|--------------------------------|-------------------------|
| batch prepared                 | payout_batch / batch id       | each merchant available        | payout_in_transit total |
| batch cancelled before export  | reversal / that entry's id    | payout_in_transit total        | each merchant available |
| line executed (statement, hand)| payout_executed / line id     | payout_in_transit              | bank                    |
| line returned, not yet executed| payout_returned / line id     | payout_in_transit              | merchant available      |
| line returned after execution  | payout_returned / line id     | bank                           | merchant available      |

so payout_in_transit comes back to zero for every batch whose lines are all executed or returned.

Connect towns (DESIGN.md §4 mode 2) use the same batches, lines, states and entries; only the
payee and the leg outside the town's books differ: a line pays the merchant's connected account
(snapshot ``stripe_account_id``), ``export_batch`` makes one Stripe payout per line instead of a
SEPA file (payouts_connect), and where the régie credits *bank*, Connect credits
``connect_transferred:<merchant>`` — the money leaves the merchant's Stripe balance, not the
treasury. Returns re-credit *available* and block the merchant in both modes.

Runs, exports and statement imports of one town are serialised by a transaction-scoped advisory
lock keyed on the town's schema; the partial unique index on ``period_key`` is the backstop, so the
same period run twice — or twice at once, or after a worker died mid-run — yields one batch.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import TOWN_STAFF_ROLES, Role, User
from catalog.models import Merchant
from settlement import sepa
from settlement.bank_statements import StatementEntry, parse_bank_statement
from settlement.iban import validate_bic, validate_iban
from settlement.ledger import (
    BANK,
    PAYOUT_IN_TRANSIT,
    connect_transferred,
    ensure_accounts,
    merchant_available,
    post_entry,
    reverse_entry,
)
from settlement.models import (
    EXPORTED_STATES,
    Account,
    MerchantPayoutAccount,
    PayoutBatch,
    PayoutBatchState,
    PayoutBlock,
    PayoutBlockReason,
    PayoutLine,
    PayoutLineStatus,
    PayoutSchedule,
    SettlementPolicy,
    StatementImport,
    StatementLine,
    StatementLineStatus,
    validate_stripe_account_id,
)
from settlement.rules import get_policy
from settlement.transfers import current_town, is_connect_town
from tenants.models import Town

PAYOUT_BATCH = "payout_batch"
PAYOUT_EXECUTED = "payout_executed"
PAYOUT_RETURNED = "payout_returned"
# First half of the advisory lock key: "payouts" among the project's advisory locks; the second
# half is the town's schema, so two towns never wait for each other.
_LOCK_CLASS = 0x50415931
_END_TO_END_RE = re.compile(r"PL([1-9][0-9]{0,17})")


class PayoutError(Exception):
    """An action the town cannot take now; the messages are French and shown to the user."""

    def __init__(self, messages: str | list[str]) -> None:
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("\n".join(self.messages))


@dataclass(frozen=True)
class PayoutRun:
    batch: PayoutBatch
    created: bool


@dataclass(frozen=True)
class StatementImportResult:
    statement_import: StatementImport
    created: bool
    executed: int = 0
    returned: int = 0
    already_applied: int = 0
    unmatched: int = 0
    duplicates: int = 0


# --- Town, lock, schedule -------------------------------------------------------------------------


def _lock_town_payouts() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_LOCK_CLASS, connection.schema_name])


def town_time_zone() -> ZoneInfo:
    return ZoneInfo(current_town().time_zone or "Europe/Paris")


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


# --- Merchants' bank details ----------------------------------------------------------------------


def payout_problem(account: MerchantPayoutAccount | None, *, is_connect: bool | None = None) -> tuple[str, str] | None:
    """Why a merchant cannot be paid now (reason code, French detail), or None when they can.

    Régie: a valid IBAN, a holder and the signed convention. Connect: a connected account (Stripe
    holds the bank details and the merchant's agreement with the operator). Blocked in both.
    """
    if is_connect is None:
        is_connect = is_connect_town()
    if is_connect:
        if account is None or not account.stripe_account_id:
            return PayoutBlockReason.NO_CONNECTED_ACCOUNT, _("Aucun compte Stripe connecté n’a été enregistré.")
        if account.is_blocked:
            return PayoutBlockReason.BLOCKED, account.blocked_reason
        return None
    if account is None or not account.iban:
        return PayoutBlockReason.NO_ACCOUNT, _("Aucun IBAN n’a été enregistré.")
    try:
        validate_iban(account.iban)
    except ValidationError as error:
        return PayoutBlockReason.INVALID_IBAN, " ".join(error.messages)
    if not account.holder_name.strip():
        return PayoutBlockReason.NO_ACCOUNT, _("Le titulaire du compte n’est pas renseigné.")
    if account.agreement_accepted_at is None:
        return PayoutBlockReason.NO_AGREEMENT, _("La convention de reversement n’a pas été acceptée.")
    if account.is_blocked:
        return PayoutBlockReason.BLOCKED, account.blocked_reason
    return None


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
    return account


IBAN_TO_CHECK = _("Nouvel IBAN saisi par le commerçant : à vérifier par la ville avant tout virement.")


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
    return account


def accept_agreement(*, merchant: Merchant, actor: User) -> MerchantPayoutAccount:
    """Records that the convention with the régie is signed (once: the first acceptance is kept)."""
    with transaction.atomic():
        account = MerchantPayoutAccount.objects.select_for_update().filter(merchant=merchant).first()
        if account is None:
            raise PayoutError(_("Enregistrez d’abord les coordonnées bancaires du commerçant."))
        if account.agreement_accepted_at is None:
            account.agreement_accepted_at = timezone.now()
            account.agreement_accepted_by = actor
            account.save(update_fields=["agreement_accepted_at", "agreement_accepted_by", "updated_at"])
    return account


def update_payout_settings(*, actor: User, **fields: object) -> SettlementPolicy:
    """Town admins set the treasury account (debtor), schedule, cut-off hour, minimum and SEPA format."""
    if actor.role != Role.TOWN_ADMIN:
        raise PayoutError(_("Seul un administrateur de la ville peut modifier les paramètres de reversement."))
    allowed = {
        "payout_schedule",
        "payout_cut_off_hour",
        "minimum_payout_cents",
        "sepa_version",
        "treasury_holder_name",
        "treasury_iban",
        "treasury_bic",
        "treasury_street",
        "treasury_building_number",
        "treasury_postcode",
        "treasury_town",
        "treasury_country",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"unknown payout settings: {sorted(unknown)}")
    if fields.get("treasury_iban"):
        fields["treasury_iban"] = validate_iban(str(fields["treasury_iban"]))
    if fields.get("treasury_bic"):
        fields["treasury_bic"] = validate_bic(str(fields["treasury_bic"]))
    with transaction.atomic():
        policy = get_policy()
        policy = SettlementPolicy.objects.select_for_update().get(pk=policy.pk)
        for name, value in fields.items():
            setattr(policy, name, value)
        policy.full_clean()
        policy.save()
    return policy


def treasury_problems(policy: SettlementPolicy) -> list[str]:
    """What is missing before a SEPA file can be drawn on the town's treasury account."""
    problems = []
    if not policy.treasury_holder_name.strip():
        problems.append(_("Le titulaire du compte de la régie n’est pas renseigné."))
    if not policy.treasury_iban:
        problems.append(_("L’IBAN du compte de la régie n’est pas renseigné."))
    if not policy.treasury_town.strip() or not policy.treasury_postcode.strip():
        problems.append(_("L’adresse du compte de la régie est incomplète."))
    return problems


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
    wait for the next run (money.md scenario 25), so the balance is summed from the postings of
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
    time_zone = town_time_zone()
    period_key = period_key_for(cut_off, time_zone)
    with transaction.atomic():
        _lock_town_payouts()
        existing = PayoutBatch.objects.exclude(state=PayoutBatchState.CANCELLED).filter(period_key=period_key).first()
        if existing is not None:
            return PayoutRun(existing, created=False)
        policy = get_policy()
        is_connect = is_connect_town()
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
        lines: list[PayoutLine] = []
        blocks: list[PayoutBlock] = []
        for merchant_id, amount in owed.items():
            if amount == 0:
                continue
            if amount < 0:
                blocks.append(_block(batch, merchant_id, PayoutBlockReason.NEGATIVE, "", amount))
                continue
            account = accounts.get(merchant_id)
            problem = payout_problem(account, is_connect=is_connect)
            if problem is not None:
                blocks.append(_block(batch, merchant_id, problem[0], problem[1], amount))
            elif amount < policy.minimum_payout_cents:
                blocks.append(_block(batch, merchant_id, PayoutBlockReason.BELOW_MINIMUM, "", amount))
            else:
                lines.append(_line(batch, account, amount, is_connect=is_connect))  # type: ignore[arg-type]
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


def _line(batch: PayoutBatch, account: MerchantPayoutAccount, amount: int, *, is_connect: bool) -> PayoutLine:
    return PayoutLine(
        stripe_account_id=(account.stripe_account_id or "") if is_connect else "",
        batch=batch,
        merchant_id=account.merchant_id,
        amount_cents=amount,
        holder_name=account.holder_name,
        iban=account.iban,
        bic=account.bic,
        street=account.street,
        building_number=account.building_number,
        postcode=account.postcode,
        town=account.town,
        country=account.country,
    )


def run_scheduled_payout(*, now: dt.datetime | None = None) -> PayoutRun | None:
    """Prepares the draft batch of the latest cut-off if none was made for it (the beat task's body).

    Skipped while a régie town has not set its treasury account (its payouts are not switched on;
    Connect towns pay from the merchants' Stripe balances and need none), and for a period whose batch was cancelled: recreating it is a decision for the town's staff.
    """
    policy = get_policy()
    if not is_connect_town() and treasury_problems(policy):
        return None
    cut_off = latest_cut_off(now=now or timezone.now(), policy=policy, time_zone=town_time_zone())
    if PayoutBatch.objects.filter(period_key=period_key_for(cut_off, town_time_zone())).exists():
        return None
    return run_payout(cut_off=cut_off, actor=None)


# --- Approval, export, cancellation ---------------------------------------------------------------


def _locked(batch: PayoutBatch) -> PayoutBatch:
    return PayoutBatch.objects.select_for_update().get(pk=batch.pk)


def _require_staff(actor: User) -> None:
    if actor.role not in TOWN_STAFF_ROLES or not actor.is_active:
        raise PayoutError(_("Seuls les agents de la ville peuvent agir sur un reversement."))


def approve_batch(*, batch: PayoutBatch, actor: User) -> PayoutBatch:
    """Draft → approved, by a second town user (four eyes: never the one who prepared it)."""
    _require_staff(actor)
    with transaction.atomic():
        batch = _locked(batch)
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

    Régie: the SEPA file is built, checked, stored with its hash, and never rebuilt. Connect: no
    file; once the batch is frozen, one Stripe payout per line is made on the merchant's connected
    account (payouts_connect.send_batch_payouts, each line in its own transaction with its own
    deterministic key; the periodic task sends what the gateway refused for now or never answered).
    """
    _require_staff(actor)
    now = now or timezone.now()
    town = current_town()
    is_connect = is_connect_town(town)
    with transaction.atomic():
        _lock_town_payouts()
        batch = _locked(batch)
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
        if any(line.is_connect != is_connect for line in lines):
            # Prepared before the town changed how it collects: its payees are of the other kind.
            raise PayoutError(
                _("Ce lot a été préparé pour un autre mode d’encaissement : annulez-le et préparez-le à nouveau.")
            )
        if sum(line.amount_cents for line in lines) != batch.total_cents or len(lines) != batch.line_count:
            raise PayoutError(_("Les lignes du lot ne correspondent plus à son total : export refusé."))
        if is_connect:
            batch.execution_date = now.astimezone(ZoneInfo(town.time_zone or "Europe/Paris")).date()
        else:
            _attach_sepa_file(batch, lines, town, now)
        batch.exported_at = now
        batch.exported_by = actor
        batch.state = PayoutBatchState.EXPORTED
        batch.save()
    if is_connect:
        from settlement.payouts_connect import send_batch_payouts

        send_batch_payouts(batch=batch)
        batch.refresh_from_db()
    return batch


def _attach_sepa_file(batch: PayoutBatch, lines: list[PayoutLine], town: Town, now: dt.datetime) -> None:
    """Builds the batch's SEPA file (XSD-validated, totals re-read) onto it; PayoutError if it cannot be."""
    policy = get_policy()
    problems = treasury_problems(policy)
    if problems:
        raise PayoutError(problems)
    time_zone = ZoneInfo(town.time_zone or "Europe/Paris")
    message_id = batch.reference
    remittance = f"{town.name} marketplace reversement {batch.reference}"
    # The file goes to the bank the day it is exported: ask for execution the next business day.
    execution_date = now.astimezone(time_zone).date() + dt.timedelta(days=1)
    transfer_batch = sepa.TransferBatch(
        message_id=message_id,
        payment_info_id=f"{message_id}-P",
        debtor=sepa.Debtor(
            name=policy.treasury_holder_name,
            iban=policy.treasury_iban,
            bic=policy.treasury_bic or None,
            address=sepa.PostalAddress(
                street=policy.treasury_street,
                building_number=policy.treasury_building_number,
                postcode=policy.treasury_postcode,
                town=policy.treasury_town,
                country=policy.treasury_country or "FR",
            ),
        ),
        execution_date=execution_date,
        lines=[
            sepa.TransferLine(
                end_to_end_id=line.end_to_end_id,
                creditor_name=line.holder_name,
                creditor_iban=line.iban,
                creditor_bic=line.bic or None,
                creditor_address=sepa.PostalAddress(
                    street=line.street,
                    building_number=line.building_number,
                    postcode=line.postcode,
                    town=line.town,
                    country=line.country or "FR",
                )
                if line.town
                else None,
                amount_cents=line.amount_cents,
                remittance=remittance,
            )
            for line in lines
        ],
        version=policy.sepa_version,  # type: ignore[arg-type]
        created_at=now,
    )
    try:
        sepa_file = sepa.build_credit_transfer_file(transfer_batch)
    except sepa.SepaError as error:
        raise PayoutError(error.messages) from error
    batch.file_xml = sepa_file.xml
    batch.file_sha256 = sepa_file.sha256
    batch.message_id = sepa_file.message_id
    batch.payment_info_id = sepa_file.payment_info_id
    batch.sepa_version = sepa_file.version
    batch.execution_date = sepa_file.execution_date


def cancel_batch(*, batch: PayoutBatch, actor: User) -> PayoutBatch:
    """Draft or approved → cancelled: the money goes back to the merchants' available balances."""
    _require_staff(actor)
    with transaction.atomic():
        _lock_town_payouts()
        batch = _locked(batch)
        if batch.state not in (PayoutBatchState.DRAFT, PayoutBatchState.APPROVED):
            raise PayoutError(_("Un lot exporté ne peut plus être annulé."))
        if batch.entry_id is not None:
            reverse_entry(entry=batch.entry, description=f"Annulation du reversement {batch.reference}")
        batch.state = PayoutBatchState.CANCELLED
        batch.cancelled_by = actor
        batch.cancelled_at = timezone.now()
        batch.save(update_fields=["state", "cancelled_by", "cancelled_at"])
    return batch


# --- Execution and returns ------------------------------------------------------------------------


def _paid_from(line: PayoutLine) -> str:
    """The account an executed line's money left: the treasury (SEPA), or the merchant's Stripe balance."""
    return connect_transferred(line.merchant_id) if line.is_connect else BANK


def _execute_line(line: PayoutLine, when: dt.datetime) -> None:
    post_entry(
        source=PAYOUT_EXECUTED,
        external_id=str(line.pk),
        description=f"Virement {line.end_to_end_id} débité",
        lines=[(PAYOUT_IN_TRANSIT, line.amount_cents), (_paid_from(line), -line.amount_cents)],
    )
    line.status = PayoutLineStatus.EXECUTED
    line.executed_at = when
    line.save(update_fields=["status", "executed_at"])


def _return_line(line: PayoutLine, *, code: str, reason: str, when: dt.datetime) -> None:
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
    if line.is_connect:
        blocked_reason = (
            _(
                "Versement Stripe %(reference)s du %(date)s en échec : %(reason)s. "
                "Le commerçant doit corriger son compte bancaire chez Stripe."
            )
            % details
        )
    else:
        blocked_reason = _("Virement %(reference)s du %(date)s retourné : %(reason)s. Corrigez l’IBAN.") % details
    MerchantPayoutAccount.objects.filter(merchant_id=line.merchant_id).update(
        is_blocked=True, blocked_reason=blocked_reason[:300], updated_at=timezone.now()
    )


def _refresh_state(batch: PayoutBatch, when: dt.datetime) -> None:
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
    _require_staff(actor)
    now = timezone.now()
    with transaction.atomic():
        _lock_town_payouts()
        batch = _locked(batch)
        if batch.state not in (PayoutBatchState.EXPORTED, PayoutBatchState.PARTIALLY_RETURNED):
            raise PayoutError(_("Seul un lot exporté peut être marqué comme exécuté."))
        if batch.lines.exclude(stripe_account_id="").exists():
            raise PayoutError(_("Les versements Stripe sont marqués exécutés par Stripe lui-même, pas à la main."))
        for line in batch.lines.select_for_update().filter(status=PayoutLineStatus.PENDING).order_by("pk"):
            _execute_line(line, now)
        _refresh_state(batch, now)
    return batch


def import_bank_statement(*, data: bytes, file_name: str, actor: User | None) -> StatementImportResult:
    """Applies a camt.052/053/054 or CSV statement once: debits execute lines, credits return them,
    anything unknown is kept in suspense without posting. The same file again changes nothing."""
    digest = hashlib.sha256(data).hexdigest()
    entries = parse_bank_statement(data)  # BankStatementError: nothing of the file is applied
    now = timezone.now()
    with transaction.atomic():
        _lock_town_payouts()
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
            _refresh_state(_locked(batch), now)
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
        _return_line(line, code=entry.return_reason_code or "", reason=entry.return_reason or "", when=when)
        return StatementLineStatus.RETURNED, line, ""
    if line.status != PayoutLineStatus.PENDING:
        return StatementLineStatus.ALREADY_APPLIED, line, ""
    _execute_line(line, when)
    return StatementLineStatus.EXECUTED, line, ""
