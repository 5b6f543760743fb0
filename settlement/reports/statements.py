"""Statements read from the ledger: the merchant's statement (PDF, CSV), the town's journal export.

Every figure comes from postings, never from checkout's order totals, so a statement always agrees
with the balances the payout run reads. From the merchant's side an amount is *owed*: a sale adds to
what the town owes, a refund, a commission or a transfer takes from it (the ledger stores the same
movement as a signed credit/debit on the merchant's held and available accounts).

French CSV for Excel: semicolons, decimal commas, UTF-8 with a byte order mark, and any text cell
that starts like a formula neutralised (CSV injection, as catalog/export.py does).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from catalog.export import BYTE_ORDER_MARK, french_csv_writer, neutralise_formula
from catalog.formatting import format_amount
from catalog.models import Merchant
from checkout.models import MerchantOrder, Order, Refund
from settlement.ledger.accounts import PAYOUT_IN_TRANSIT
from settlement.ledger.models import Account, JournalEntry, Posting
from settlement.ledger.rules import ORDER_PAID, REFUND, RELEASE, get_policy
from settlement.payouts.iban import mask_iban
from settlement.payouts.models import PayoutBatch, PayoutBatchState, PayoutBlock, PayoutLine
from settlement.payouts.returns import PAYOUT_RETURNED
from settlement.payouts.runs import PAYOUT_BATCH
from tenants.collation import by_name
from tenants.current import current_town, town_zone

REVERSAL = "reversal"


# --- French CSV ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Amount:
    """A money cell: written with a decimal comma and never neutralised (a negative amount is a number)."""

    cents: int


Cell = str | int | Amount | None


def csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, Amount):
        return format_amount(value.cents)
    if isinstance(value, int):
        return str(value)
    return neutralise_formula(value)


class _Line:
    """A file-like object that hands back what csv.writer writes, so rows can be streamed."""

    def write(self, text: str) -> str:
        return text


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterator[str]:
    """The CSV text line by line (BOM first): for StreamingHttpResponse on large exports."""
    writer = french_csv_writer(_Line())
    yield BYTE_ORDER_MARK + writer.writerow([csv_cell(cell) for cell in header])
    for row in rows:
        yield writer.writerow([csv_cell(cell) for cell in row])


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    return "".join(csv_lines(header, rows)).encode("utf-8")


def format_date(moment: dt.datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%d/%m/%Y")


def format_datetime(moment: dt.datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%d/%m/%Y %H:%M")


# --- merchant statement ----------------------------------------------------------------------------
class LineKind:
    SALE = "sale"
    REFUND = "refund"
    COMMISSION = "commission"
    PAYOUT = "payout"
    ADJUSTMENT = "adjustment"


@dataclass(frozen=True)
class StatementLine:
    at: dt.datetime
    kind: str
    label: str
    reference: str
    # Change in what the town owes the merchant: positive for a sale, negative for a refund or transfer.
    amount_cents: int
    date_text: str  # town time, for the PDF and the CSV


@dataclass
class MerchantStatement:
    """One merchant's movements over [start, end), with the balances before and after."""

    merchant: Merchant
    town_name: str
    start: dt.datetime
    end: dt.datetime
    zone: ZoneInfo
    title: str
    opening_held_cents: int
    opening_available_cents: int
    closing_held_cents: int
    closing_available_cents: int
    minimum_payout_cents: int
    lines: list[StatementLine] = field(default_factory=list)
    # Set on a payout batch's statement only.
    batch: PayoutBatch | None = None
    transfer_cents: int = 0
    transfer_iban: str = ""
    not_paid_reason: str = ""

    def _lines(self, kind: str) -> list[StatementLine]:
        return [line for line in self.lines if line.kind == kind]

    def _total(self, kind: str) -> int:
        return sum(line.amount_cents for line in self.lines if line.kind == kind)

    @property
    def sales(self) -> list[StatementLine]:
        return self._lines(LineKind.SALE)

    @property
    def refunds(self) -> list[StatementLine]:
        return self._lines(LineKind.REFUND)

    @property
    def fees(self) -> list[StatementLine]:
        """Commission and other deductions (disputes, corrections): what reduced the merchant's due."""
        return [line for line in self.lines if line.kind in (LineKind.COMMISSION, LineKind.ADJUSTMENT)]

    @property
    def payouts(self) -> list[StatementLine]:
        return self._lines(LineKind.PAYOUT)

    @property
    def sales_cents(self) -> int:
        return self._total(LineKind.SALE)

    @property
    def refunds_cents(self) -> int:
        return -self._total(LineKind.REFUND)

    @property
    def fees_cents(self) -> int:
        return -self._total(LineKind.COMMISSION) - self._total(LineKind.ADJUSTMENT)

    @property
    def paid_cents(self) -> int:
        """Transferred to the merchant in the period (a returned transfer counts back)."""
        return -self._total(LineKind.PAYOUT)

    @property
    def start_text(self) -> str:
        return format_date(self.start, self.zone)

    @property
    def end_text(self) -> str:
        """The last day covered (the end is exclusive: midnight of the next day)."""
        return format_date(self.end - dt.timedelta(microseconds=1), self.zone)

    @property
    def opening_cents(self) -> int:
        return self.opening_held_cents + self.opening_available_cents

    @property
    def closing_cents(self) -> int:
        return self.closing_held_cents + self.closing_available_cents

    @property
    def carried_over_cents(self) -> int:
        """A negative available balance brought in from before: netted from this period's payout."""
        return min(self.opening_available_cents, 0)

    @property
    def carried_forward_cents(self) -> int:
        """Available but not transferred: a negative balance, or one under the town's minimum transfer."""
        if self.closing_available_cents < self.minimum_payout_cents:
            return self.closing_available_cents
        return 0

    @property
    def order_count(self) -> int:
        return len(self.sales)


def _merchant_accounts(merchant: Merchant) -> dict[int, str]:
    """{account id: "held" | "available"} of the merchant's ledger accounts (absent until first posting)."""
    return {
        pk: code.rsplit(":", 1)[1] for pk, code in Account.objects.filter(merchant=merchant).values_list("pk", "code")
    }


def _balances_before(
    accounts: dict[int, str],
    moment: dt.datetime,
    *,
    also_entry_ids: Sequence[int] = (),
    except_entry_ids: Sequence[int] = (),
) -> dict[str, int]:
    """Held and available owed to the merchant before ``moment`` (credit-normal: minus the signed sum).

    ``also_entry_ids`` / ``except_entry_ids`` move entries across the boundary: a payout entry is
    made just after its cut-off but belongs to the statement that ends at that cut-off.
    """
    before = Q(entry__created_at__lt=moment) & ~Q(entry_id__in=list(except_entry_ids))
    sums = (
        Posting.objects.filter(account_id__in=accounts)
        .filter(before | Q(entry_id__in=list(also_entry_ids)))
        .values("account_id")
        .annotate(total=Sum("amount_cents"))
    )
    result = {"held": 0, "available": 0}
    for row in sums:
        result[accounts[row["account_id"]]] -= row["total"]
    return result


def _order_numbers(order_ids: set[int]) -> dict[int, str]:
    return {order.pk: order.number for order in Order.objects.filter(pk__in=order_ids).only("pk", "created_at")}


def statement_lines(
    accounts: dict[int, str],
    start: dt.datetime,
    end: dt.datetime,
    *,
    also_entry_ids: Sequence[int] = (),
    except_entry_ids: Sequence[int] = (),
) -> tuple[list[StatementLine], dict[str, int]]:
    """The merchant's movements in [start, end) (give or take listed entries), one line per journal entry.

    Returns the lines and the movement per account part ({"held": …, "available": …}, owed side).
    """
    in_transit = Posting.objects.filter(entry_id=OuterRef("entry_id"), account__code__startswith=PAYOUT_IN_TRANSIT)
    postings = (
        Posting.objects.filter(account_id__in=accounts)
        .filter(
            (Q(entry__created_at__gte=start, entry__created_at__lt=end) & ~Q(entry_id__in=list(except_entry_ids)))
            | Q(entry_id__in=list(also_entry_ids))
        )
        .annotate(is_transfer=Exists(in_transit))
        .select_related("entry", "entry__reverses")
        .order_by("entry__created_at", "entry_id", "pk")
    )
    by_entry: dict[int, tuple[JournalEntry, bool, int]] = {}
    movement = {"held": 0, "available": 0}
    for posting in postings:
        owed = -posting.amount_cents
        movement[accounts[posting.account_id]] += owed
        entry, is_transfer, total = by_entry.get(posting.entry_id, (posting.entry, posting.is_transfer, 0))
        by_entry[posting.entry_id] = (entry, is_transfer, total + owed)

    def ids_of(source: str) -> set[int]:
        # External ids of our own events are row ids; anything else (a gateway's id) is not looked up.
        entries = (value[0] for value in by_entry.values())
        return {int(entry.external_id) for entry in entries if entry.source == source and entry.external_id.isdigit()}

    refunds = {refund.pk: refund for refund in Refund.objects.filter(pk__in=ids_of(REFUND)).only("pk", "order_id")}
    merchant_orders = dict(MerchantOrder.objects.filter(pk__in=ids_of(RELEASE)).values_list("pk", "order_id"))
    order_ids = ids_of(ORDER_PAID) | {refund.order_id for refund in refunds.values()} | set(merchant_orders.values())
    numbers = _order_numbers(order_ids)

    def number_of(order_id: int | None) -> str:
        return numbers.get(order_id, "") if order_id else ""

    def own_id(entry: JournalEntry) -> int | None:
        return int(entry.external_id) if entry.external_id.isdigit() else None

    zone = town_zone()
    lines: list[StatementLine] = []
    for entry, is_transfer, owed in by_entry.values():
        if owed == 0:
            continue  # a release without commission only moves money from held to available
        if entry.source == ORDER_PAID:
            number = number_of(own_id(entry)) or entry.external_id
            kind, label, reference = LineKind.SALE, _("Commande n° %s") % number, number
        elif entry.source == REFUND:
            refund = refunds.get(own_id(entry) or 0)
            number = number_of(refund.order_id if refund else None)
            label = _("Remboursement, commande n° %s") % number if number else _("Remboursement")
            kind, reference = LineKind.REFUND, number
        elif entry.source == RELEASE:
            number = number_of(merchant_orders.get(own_id(entry) or 0))
            label = _("Commission, commande n° %s") % number if number else _("Commission")
            kind, reference = LineKind.COMMISSION, number
        elif is_transfer or entry.source in (PAYOUT_BATCH, PAYOUT_RETURNED):
            # A transfer, its cancellation or its return by the bank: the payout run's own wording.
            kind, label, reference = LineKind.PAYOUT, entry.description, entry.external_id
        else:
            # Disputes and corrections: the entry's own description says what happened.
            kind, label, reference = LineKind.ADJUSTMENT, entry.description, entry.external_id
        lines.append(StatementLine(entry.created_at, kind, label, reference, owed, format_date(entry.created_at, zone)))
    return lines, movement


def merchant_statement_for_period(
    *,
    merchant: Merchant,
    start: dt.datetime,
    end: dt.datetime,
    title: str = "",
    opening_entry_ids: Sequence[int] = (),
    also_entry_ids: Sequence[int] = (),
    except_entry_ids: Sequence[int] = (),
) -> MerchantStatement:
    """The merchant's statement over [start, end): orders, refunds, fees, transfers, carry-over, balances.

    Opening + lines = closing, to the cent: every posting on the merchant's accounts is in exactly
    one of "before" and "in the period" (``opening_entry_ids`` and ``also_entry_ids`` move entries
    made after their boundary to where they belong; listed entries are never counted twice).
    """
    zone = town_zone()
    accounts = _merchant_accounts(merchant)
    opening = _balances_before(accounts, start, also_entry_ids=opening_entry_ids, except_entry_ids=also_entry_ids)
    lines, movement = statement_lines(
        accounts, start, end, also_entry_ids=also_entry_ids, except_entry_ids=[*opening_entry_ids]
    )
    last_day = (end - dt.timedelta(microseconds=1)).astimezone(zone)
    return MerchantStatement(
        merchant=merchant,
        town_name=current_town().name,
        start=start,
        end=end,
        zone=zone,
        title=title
        or _("Relevé du %(start)s au %(end)s") % {"start": format_date(start, zone), "end": f"{last_day:%d/%m/%Y}"},
        opening_held_cents=opening["held"],
        opening_available_cents=opening["available"],
        closing_held_cents=opening["held"] + movement["held"],
        closing_available_cents=opening["available"] + movement["available"],
        minimum_payout_cents=get_policy().minimum_payout_cents,
        lines=lines,
    )


def month_bounds(year: int, month: int, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """[first day 00:00, first day of next month 00:00) in the town's time zone."""
    start = dt.datetime(year, month, 1, tzinfo=zone)
    end = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    return start, end


def monthly_statement(*, merchant: Merchant, year: int, month: int) -> MerchantStatement:
    """The merchant's statement for one calendar month (town time)."""
    start, end = month_bounds(year, month, town_zone())
    return merchant_statement_for_period(
        merchant=merchant,
        start=start,
        end=end,
        title=_("Relevé de %(month)02d/%(year)d") % {"month": month, "year": year},
    )


def statement_months(merchant: Merchant) -> list[dt.date]:
    """Months (first day, town time) in which the merchant's accounts moved, newest first."""
    months = (
        Posting.objects.filter(account__merchant=merchant)
        .annotate(month=TruncMonth("entry__created_at", tzinfo=town_zone()))
        .values_list("month", flat=True)
        .distinct()
        .order_by("-month")
    )
    return [month.date() for month in months]


STATEMENT_COLUMNS = ("date", "type", "libelle", "reference", "montant")


def _kind_label(kind: str) -> str:
    return {
        LineKind.SALE: _("Commande"),
        LineKind.REFUND: _("Remboursement"),
        LineKind.COMMISSION: _("Commission"),
        LineKind.PAYOUT: _("Virement"),
        LineKind.ADJUSTMENT: _("Régularisation"),
    }[kind]


def statement_csv(statement: MerchantStatement) -> bytes:
    """The statement as French CSV: opening balance, one line per movement, closing balance."""
    zone = statement.zone
    rows: list[Sequence[Cell]] = [
        (
            format_date(statement.start, zone),
            _("Solde"),
            _("Solde au début de la période"),
            "",
            Amount(statement.opening_cents),
        )
    ]
    rows += [
        (line.date_text, _kind_label(line.kind), line.label, line.reference, Amount(line.amount_cents))
        for line in statement.lines
    ]
    rows.append(("", _("Solde"), _("Solde à la fin de la période"), "", Amount(statement.closing_cents)))
    rows.append(("", _("Solde"), _("dont en attente de libération"), "", Amount(statement.closing_held_cents)))
    rows.append(
        (
            "",
            _("Solde"),
            _("dont disponible (reporté au prochain virement)"),
            "",
            Amount(statement.closing_available_cents),
        )
    )
    return csv_bytes(STATEMENT_COLUMNS, rows)


def render_pdf(template: str, context: dict[str, object]) -> bytes:
    """A French A4 PDF from a template (WeasyPrint; no network: no external asset is referenced)."""
    from weasyprint import HTML  # imported here: loading Pango costs ~0.3 s, only PDFs need it

    with translation.override("fr"):
        html = render_to_string(template, context)
    return HTML(string=html).write_pdf()


def statement_pdf(statement: MerchantStatement) -> bytes:
    return render_pdf("settlement/finance/statement_pdf.html", {"statement": statement})


# --- the town's journal ----------------------------------------------------------------------------
JOURNAL_COLUMNS = ("date", "ecriture", "source", "reference_externe", "libelle", "compte", "debit", "credit")


def journal_rows(start: dt.datetime, end: dt.datetime) -> Iterator[Sequence[Cell]]:
    """One row per posting of the entries made in [start, end), entry by entry (streamed, one query)."""
    zone = town_zone()
    postings = (
        Posting.objects.filter(entry__created_at__gte=start, entry__created_at__lt=end)
        .select_related("entry", "account")
        .order_by("entry__created_at", "entry_id", "pk")
    )
    for posting in postings.iterator(chunk_size=5_000):
        entry = posting.entry
        amount = posting.amount_cents
        yield (
            format_datetime(entry.created_at, zone),
            entry.pk,
            entry.source,
            entry.external_id,
            entry.description,
            posting.account.code,
            Amount(amount) if amount > 0 else None,
            Amount(-amount) if amount < 0 else None,
        )


def journal_csv_lines(start: dt.datetime, end: dt.datetime) -> Iterator[str]:
    return csv_lines(JOURNAL_COLUMNS, journal_rows(start, end))


# --- per payout batch ------------------------------------------------------------------------------
# A draft may still be cancelled: merchants see a batch once approved. An empty run is shown to the
# merchants it carried forward (a negative balance or one under the minimum).
LISTED_BATCH_STATES = (
    PayoutBatchState.EMPTY,
    PayoutBatchState.APPROVED,
    PayoutBatchState.EXPORTED,
    PayoutBatchState.SETTLED,
    PayoutBatchState.PARTIALLY_RETURNED,
)
# Before the first payout run: a statement starts with the merchant's first sale.
BEGINNING = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _live_batches() -> QuerySet[PayoutBatch]:
    return PayoutBatch.objects.exclude(state=PayoutBatchState.CANCELLED)


def merchant_statement(merchant: Merchant, batch: PayoutBatch) -> MerchantStatement:
    """The merchant's statement for one payout batch: what moved since the previous cut-off, and this transfer.

    Covers (previous live batch's cut-off, this cut-off] — the run counts entries made up to and at
    its cut-off; the batch's own transfer entry (made just after its cut-off) belongs here, and the
    previous batch's transfer to the previous statement.
    """
    previous = _live_batches().filter(cut_off__lt=batch.cut_off).order_by("-cut_off", "-pk").first()
    # [a + 1 µs, b + 1 µs) is (a, b]: the statement's periods are half-open the other way round.
    tick = dt.timedelta(microseconds=1)
    start = previous.cut_off + tick if previous else BEGINNING
    earlier_transfers = list(
        _live_batches().filter(cut_off__lt=start, entry__isnull=False).values_list("entry_id", flat=True)
    )
    statement = merchant_statement_for_period(
        merchant=merchant,
        start=start,
        end=batch.cut_off + tick,
        title=_("Relevé du reversement %s") % batch.reference,
        opening_entry_ids=earlier_transfers,
        also_entry_ids=[batch.entry_id] if batch.entry_id else [],
    )
    line = PayoutLine.objects.filter(batch=batch, merchant=merchant).first()
    block = PayoutBlock.objects.filter(batch=batch, merchant=merchant).first()
    statement.batch = batch
    statement.transfer_cents = line.amount_cents if line else 0
    statement.transfer_iban = mask_iban(line.iban) if line else ""
    statement.not_paid_reason = block.get_reason_display() if block else ""
    if previous is None:
        statement.start = statement.lines[0].at if statement.lines else batch.cut_off
    return statement


def batches_for_merchant(merchant: Merchant) -> QuerySet[PayoutBatch]:
    """Approved and later batches in which the merchant was paid or carried forward, newest first."""
    concerned = Exists(PayoutLine.objects.filter(batch=OuterRef("pk"), merchant=merchant)) | Exists(
        PayoutBlock.objects.filter(batch=OuterRef("pk"), merchant=merchant)
    )
    return PayoutBatch.objects.filter(concerned, state__in=LISTED_BATCH_STATES).order_by("-cut_off", "-pk")


def get_batch_for_merchant(merchant: Merchant, batch_id: int) -> PayoutBatch:
    """404 unless the batch is one of the merchant's listed batches."""
    batch = batches_for_merchant(merchant).filter(pk=batch_id).first()
    if batch is None:
        raise Http404(batch_id)
    return batch


# --- état de reversement (the town's supporting document for its public accountant) ----------------
@dataclass(frozen=True)
class TransferRow:
    merchant_name: str
    siret: str
    holder_name: str
    masked_iban: str
    end_to_end_id: str
    amount_cents: int
    status: str


@dataclass(frozen=True)
class CarriedForwardRow:
    merchant_name: str
    siret: str
    reason: str
    amount_cents: int


@dataclass(frozen=True)
class PayoutStatement:
    batch: PayoutBatch
    town_name: str
    zone: ZoneInfo
    rows: list[TransferRow]
    carried_forward: list[CarriedForwardRow]

    @property
    def total_cents(self) -> int:
        return sum(row.amount_cents for row in self.rows)

    @property
    def agrees_with_batch(self) -> bool:
        """The lines add up to the batch's stored total and count (what the SEPA file carries)."""
        return self.total_cents == self.batch.total_cents and len(self.rows) == self.batch.line_count


def payout_statement(batch: PayoutBatch) -> PayoutStatement:
    """One row per transfer of the batch (SIRET, masked IBAN, amount) and the merchants carried forward."""
    lines = PayoutLine.objects.filter(batch=batch).select_related("merchant").order_by(*by_name("merchant__name"), "pk")
    blocks = (
        PayoutBlock.objects.filter(batch=batch).select_related("merchant").order_by(*by_name("merchant__name"), "pk")
    )
    return PayoutStatement(
        batch=batch,
        town_name=current_town().name,
        zone=town_zone(),
        rows=[
            TransferRow(
                merchant_name=line.merchant.name,
                siret=line.merchant.siret,
                holder_name=line.holder_name,
                masked_iban=mask_iban(line.iban),
                end_to_end_id=line.end_to_end_id,
                amount_cents=line.amount_cents,
                status=line.get_status_display(),
            )
            for line in lines
        ],
        carried_forward=[
            CarriedForwardRow(
                merchant_name=block.merchant.name,
                siret=block.merchant.siret,
                reason=block.get_reason_display(),
                amount_cents=block.amount_cents,
            )
            for block in blocks
        ],
    )


PAYOUT_STATEMENT_COLUMNS = ("commercant", "siret", "titulaire", "iban", "reference_virement", "montant", "etat")


def payout_statement_csv(statement: PayoutStatement) -> bytes:
    """The état de reversement as French CSV: one line per transfer, then the total."""
    rows: list[Sequence[Cell]] = [
        (
            row.merchant_name,
            row.siret,
            row.holder_name,
            row.masked_iban,
            row.end_to_end_id,
            Amount(row.amount_cents),
            row.status,
        )
        for row in statement.rows
    ]
    rows.append((_("Total"), "", "", "", str(len(statement.rows)), Amount(statement.total_cents), ""))
    return csv_bytes(PAYOUT_STATEMENT_COLUMNS, rows)


def payout_statement_pdf(statement: PayoutStatement) -> bytes:
    return render_pdf("settlement/finance/payout_statement_pdf.html", {"statement": statement})


def get_payout_batch(batch_id: int) -> PayoutBatch:
    """A batch of the town (callers check the town-staff role first); 404 when unknown."""
    batch = PayoutBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise Http404(batch_id)
    return batch


def recent_batches(limit: int = 24) -> list[PayoutBatch]:
    """The town's latest batches for the finance page (cancelled ones included: they explain gaps)."""
    return list(PayoutBatch.objects.order_by("-cut_off", "-pk")[:limit])
