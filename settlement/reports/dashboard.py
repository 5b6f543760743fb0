"""The town's finance dashboard: what was collected, what is owed to merchants, what the next payout pays.

Read from the ledger only, so the dashboard, the statements and the payout run can never disagree:
"collected" is the card payments posted (entries ``order_paid``), "refunded" the refunds posted, a
merchant's turnover their share of those payments (items only: the delivery fee is posted to the town
or its partner, never to a merchant) minus the refunds posted against them. A correction (reversal
entry) counts with the event it cancels. Each figure is one grouped query, whatever the number of
merchants.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.db.models import BigIntegerField, Count, Expression, F, Q, QuerySet, Sum
from django.db.models.functions import Cast, Coalesce, TruncDay, TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import TOWN_STAFF_ROLES, User
from catalog.formatting import format_price
from payments.collectors import current_collector
from settlement.agreements.queries import note_agreements
from settlement.ledger.accounts import DELIVERY_FEES, DELIVERY_PARTNER_PAYABLE, PSP_CLEARING
from settlement.ledger.models import Account, JournalEntry, PayoutSchedule, Posting, SettlementPolicy
from settlement.ledger.rules import ORDER_PAID, REFUND, get_policy
from settlement.payouts.models import MerchantPayoutAccount
from settlement.reports.statements import Amount, Cell, csv_bytes
from tenants.collation import by_name

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


def can_view_town_finances(user: User) -> bool:
    """Town admins and town agents only; merchants, couriers and residents never."""
    return bool(user.is_authenticated and user.is_active and user.role in TOWN_STAFF_ROLES)


def require_town_finances(user: User) -> None:
    """403 for a signed-in user who is not town staff."""
    if not can_view_town_finances(user):
        raise PermissionDenied


# --- periods ---------------------------------------------------------------------------------------
class Granularity:
    DAY = "jour"
    WEEK = "semaine"
    MONTH = "mois"
    CHOICES = ((DAY, gettext_lazy("Jour")), (WEEK, gettext_lazy("Semaine")), (MONTH, gettext_lazy("Mois")))


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC, from whole days of the town's calendar."""

    first_day: dt.date
    last_day: dt.date
    zone: ZoneInfo

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first_day, dt.time(0), tzinfo=self.zone)

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(self.last_day + dt.timedelta(days=1), dt.time(0), tzinfo=self.zone)


def month_to_date(now: dt.datetime, zone: ZoneInfo) -> Period:
    """From the 1st of the current month to today, town time: the default view."""
    today = now.astimezone(zone).date()
    return Period(first_day=today.replace(day=1), last_day=today, zone=zone)


def _bucket_start(day: dt.date, granularity: str) -> dt.date:
    if granularity == Granularity.WEEK:
        return day - dt.timedelta(days=day.weekday())  # ISO weeks start on Monday, like TruncWeek
    if granularity == Granularity.MONTH:
        return day.replace(day=1)
    return day


def _next_bucket(day: dt.date, granularity: str) -> dt.date:
    if granularity == Granularity.WEEK:
        return day + dt.timedelta(days=7)
    if granularity == Granularity.MONTH:
        return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return day + dt.timedelta(days=1)


def bucket_label(day: dt.date, granularity: str) -> str:
    if granularity == Granularity.WEEK:
        return _("semaine du %s") % f"{day:%d/%m/%Y}"
    if granularity == Granularity.MONTH:
        return f"{day:%m/%Y}"
    return f"{day:%d/%m/%Y}"


def buckets(period: Period, granularity: str) -> list[dt.date]:
    """Every bucket of the period, so days without a sale show as zero rather than vanish."""
    result, day = [], _bucket_start(period.first_day, granularity)
    while day <= period.last_day:
        result.append(day)
        day = _next_bucket(day, granularity)
    return result


# --- the figures -----------------------------------------------------------------------------------
class PostingKind(TypedDict):
    kind: str  # the source of the posting's entry, or of the entry it reverses


def _with_kind(postings: QuerySet[Posting]) -> QuerySet[WithAnnotations[Posting, PostingKind]]:
    # A reversal counts as the event it cancels, with the opposite sign already in its amounts.
    return postings.annotate(kind=Coalesce(F("entry__reverses__source"), F("entry__source")))


def _in_period(period: Period) -> QuerySet[WithAnnotations[Posting, PostingKind]]:
    return _with_kind(Posting.objects.filter(entry__created_at__gte=period.start, entry__created_at__lt=period.end))


@dataclass(frozen=True)
class Collected:
    collected_cents: int  # card payments captured, delivery fees included
    refunded_cents: int
    delivery_fees_cents: int

    @property
    def net_cents(self) -> int:
        return self.collected_cents - self.refunded_cents


def collected_in(period: Period) -> Collected:
    """Card payments and refunds posted in the period (clearing account), and the delivery fees in them."""
    fee_accounts = (DELIVERY_FEES, DELIVERY_PARTNER_PAYABLE)
    # django-stubs 5.2 wants one value, not an iterable, for `__in` on an annotation (typeddjango/django-stubs#3313).
    postings = _in_period(period).filter(account__code__in=(PSP_CLEARING, *fee_accounts), kind__in=(ORDER_PAID, REFUND))  # type: ignore[misc]
    totals = postings.aggregate(
        collected=Sum("amount_cents", filter=Q(account__code=PSP_CLEARING, kind=ORDER_PAID), default=0),
        refunded=Sum("amount_cents", filter=Q(account__code=PSP_CLEARING, kind=REFUND), default=0),
        fees=Sum("amount_cents", filter=Q(account__code__in=fee_accounts, kind=ORDER_PAID), default=0),
    )
    return Collected(
        collected_cents=totals["collected"], refunded_cents=-totals["refunded"], delivery_fees_cents=-totals["fees"]
    )


@dataclass(frozen=True)
class OwedToMerchants:
    held_cents: int  # sold, not yet released by the hold policy
    available_cents: int  # released, net of negative balances
    negative_cents: int  # what merchants owe the town (refunds after payout), already inside available

    @property
    def total_cents(self) -> int:
        return self.held_cents + self.available_cents


def owed_to_merchants() -> OwedToMerchants:
    """What the town owes its merchants now, from the stored balances (credit-normal: minus the signed sum)."""
    held, available = Q(code__endswith=":held"), Q(code__endswith=":available")
    totals = Account.objects.filter(merchant__isnull=False).aggregate(
        held=Sum("balance_cents", filter=held, default=0),
        available=Sum("balance_cents", filter=available, default=0),
        negative=Sum("balance_cents", filter=available & Q(balance_cents__gt=0), default=0),
    )
    return OwedToMerchants(
        held_cents=-totals["held"], available_cents=-totals["available"], negative_cents=totals["negative"]
    )


def next_payout_at(now: dt.datetime, policy: SettlementPolicy, zone: ZoneInfo) -> dt.datetime:
    """The next cut-off after ``now``: the 1st and the 16th (or every day) at the policy's hour, town time."""
    local_now = now.astimezone(zone)
    day = local_now.date()
    while True:
        if policy.payout_schedule == PayoutSchedule.DAILY or day.day in (1, 16):
            # Built from the civil date, as the payout run does, so DST never shifts the hour.
            cut_off = dt.datetime(day.year, day.month, day.day, policy.payout_cut_off_hour, tzinfo=zone)
            if cut_off > local_now:
                return cut_off
        day += dt.timedelta(days=1)


@dataclass(frozen=True)
class NextPayout:
    at: dt.datetime
    amount_cents: int  # what the run would transfer on today's balances
    merchant_count: int
    blocked_cents: int  # owed at least the minimum, but no valid IBAN, no agreement, or blocked
    blocked_count: int
    minimum_cents: int


def next_payout(now: dt.datetime, policy: SettlementPolicy, zone: ZoneInfo) -> NextPayout:
    """When the next payout runs and what it would pay on today's available balances (≥ the minimum).

    Merchants the run would list as blocked (the collector's payout_problem) are counted apart: the town
    has to act on them before the cut-off.
    """
    # Credit-normal: a merchant owed at least the minimum has a signed balance of -minimum or less.
    due = dict(
        Account.objects.filter(
            merchant__isnull=False, code__endswith=":available", balance_cents__lte=-policy.minimum_payout_cents
        ).values_list("merchant_id", "balance_cents")
    )
    bank_details = {
        account.merchant_id: account for account in MerchantPayoutAccount.objects.filter(merchant_id__in=due)
    }
    note_agreements(bank_details.values())
    collector = current_collector()
    payable = {
        merchant_id: -balance
        for merchant_id, balance in due.items()
        if collector.payout_problem(bank_details.get(merchant_id)) is None
    }
    return NextPayout(
        at=next_payout_at(now, policy, zone),
        amount_cents=sum(payable.values()),
        merchant_count=len(payable),
        blocked_cents=-sum(balance for merchant_id, balance in due.items() if merchant_id not in payable),
        blocked_count=len(due) - len(payable),
        minimum_cents=policy.minimum_payout_cents,
    )


@dataclass(frozen=True)
class Sales:
    """Turnover as towns publish it: items sold minus refunds, delivery fees excluded."""

    label: str
    order_count: int
    items_cents: int
    refunds_cents: int
    siret: str = ""

    @property
    def turnover_cents(self) -> int:
        return self.items_cents - self.refunds_cents


def _merchant_sales(period: Period) -> QuerySet[WithAnnotations[Posting, PostingKind]]:
    # django-stubs 5.2 wants one value, not an iterable, for `__in` on an annotation (typeddjango/django-stubs#3313).
    return _in_period(period).filter(account__merchant__isnull=False, kind__in=(ORDER_PAID, REFUND))  # type: ignore[misc]


def _sales_aggregates() -> dict[str, object]:
    sold = Q(kind=ORDER_PAID)
    # Each order posts one line per merchant: count its entry, less the entries that reverse one.
    return {
        "items": Sum("amount_cents", filter=sold, default=0),
        "refunds": Sum("amount_cents", filter=Q(kind=REFUND), default=0),
        "orders": Count("entry_id", filter=sold & ~Q(entry__source="reversal"), distinct=True),
        "reversed_orders": Count("entry_id", filter=sold & Q(entry__source="reversal"), distinct=True),
    }


def _sales(label: str, row: dict[str, int], siret: str = "") -> Sales:
    return Sales(
        label=label,
        order_count=row["orders"] - row["reversed_orders"],
        items_cents=-row["items"],
        refunds_cents=row["refunds"],
        siret=siret,
    )


def sales_by_merchant(period: Period) -> list[Sales]:
    """One row per merchant who sold or refunded in the period, by name (one query)."""
    rows = (
        _merchant_sales(period)
        .values("account__merchant_id", "account__merchant__name", "account__merchant__siret")
        .annotate(**_sales_aggregates())
        .order_by(*by_name("account__merchant__name"), "account__merchant_id")
    )
    return [_sales(row["account__merchant__name"], row, row["account__merchant__siret"]) for row in rows]


@dataclass(frozen=True)
class PeriodSales:
    starts_on: dt.date
    sales: Sales


def sales_by_period(period: Period, granularity: str) -> list[PeriodSales]:
    """One row per day, week or month of the period (town time), empty ones included (one query)."""
    truncate = {Granularity.DAY: TruncDay, Granularity.WEEK: TruncWeek, Granularity.MONTH: TruncMonth}[granularity]
    rows = (
        _merchant_sales(period)
        .annotate(bucket=truncate("entry__created_at", tzinfo=period.zone))
        .values("bucket")
        .annotate(**_sales_aggregates())
        .order_by("bucket")
    )
    found = {row["bucket"].date(): row for row in rows}
    empty = {"items": 0, "refunds": 0, "orders": 0, "reversed_orders": 0}
    return [
        PeriodSales(starts_on=day, sales=_sales(bucket_label(day, granularity), found.get(day, empty)))
        for day in buckets(period, granularity)
    ]


def sales_by_group(period: Period, group: Expression | F, **needed: Expression) -> dict[object, Sales]:
    """Turnover per value of ``group`` (an expression over the postings, using the annotations ``needed``:
    the merchant's kind, the order's fulfilment…) by this dashboard's definitions, for other reports to
    break it down the same way (one query)."""
    rows = (
        _merchant_sales(period)
        .annotate(**needed)
        .annotate(group=group)
        .values("group")
        .annotate(**_sales_aggregates())
        .order_by("group")
    )
    return {row["group"]: _sales(str(row["group"]), row) for row in rows}


def paid_order_ids(period: Period) -> QuerySet[JournalEntry, dict[str, Any]]:
    """Ids (``order_id``) of the orders whose payment was posted in the period and not reversed by its end:
    the orders ``order_count`` counts."""
    return (
        JournalEntry.objects.filter(source=ORDER_PAID, created_at__gte=period.start, created_at__lt=period.end)
        .exclude(reversals__created_at__lt=period.end)
        .annotate(order_id=Cast("external_id", BigIntegerField()))
        .values("order_id")
    )


def total_sales(rows: list[Sales]) -> Sales:
    return Sales(
        label=_("Total"),
        order_count=sum(row.order_count for row in rows),
        items_cents=sum(row.items_cents for row in rows),
        refunds_cents=sum(row.refunds_cents for row in rows),
    )


# --- the chart -------------------------------------------------------------------------------------
def _svg_number(value: float) -> str:
    # Written by hand: the template's localisation would print "12,5", which SVG cannot read.
    return f"{value:.2f}"


@dataclass(frozen=True)
class Bar:
    x: str
    y: str
    width: str
    height: str
    title: str
    label: str  # shown under the bar, or "" when labels would overlap
    is_negative: bool


@dataclass(frozen=True)
class BarChart:
    """SVG coordinates as text, ready for the template."""

    width: int
    height: int
    axis_x: str
    plot_top: str
    plot_bottom: str
    zero_y: str
    tick_x: str
    top_tick_y: str
    label_y: str
    top_label: str
    bottom_label: str
    bars: list[Bar]


def bar_chart(rows: list[PeriodSales], *, width: int = 720, height: int = 260) -> BarChart:
    """Geometry of an SVG bar chart of turnover per period, drawn by the template without JavaScript."""
    left, top, bottom_margin = 96, 16, 40
    plot_height = height - top - bottom_margin
    values = [row.sales.turnover_cents for row in rows]
    highest, lowest = max([0, *values]), min([0, *values])
    span = (highest - lowest) or 1
    zero_y = top + plot_height * highest / span
    slot = (width - left - 8) / max(len(rows), 1)
    # One label every ``step`` bars keeps them readable on a month of days.
    step = max(1, -(-len(rows) // 12))
    bars = []
    for index, (row, value) in enumerate(zip(rows, values, strict=True)):
        bar_height = plot_height * abs(value) / span
        short = f"{row.starts_on:%d/%m}" if len(rows) > 1 else row.sales.label
        bars.append(
            Bar(
                x=_svg_number(left + index * slot + slot * 0.15),
                y=_svg_number(zero_y - bar_height if value > 0 else zero_y),
                width=_svg_number(slot * 0.7),
                height=_svg_number(bar_height),
                title=f"{row.sales.label} : {format_price(value)}",
                label=short if index % step == 0 else "",
                is_negative=value < 0,
            )
        )
    return BarChart(
        width=width,
        height=height,
        axis_x=_svg_number(left),
        plot_top=_svg_number(top),
        plot_bottom=_svg_number(top + plot_height),
        zero_y=_svg_number(zero_y),
        tick_x=_svg_number(left - 6),
        top_tick_y=_svg_number(top + 10),
        label_y=_svg_number(height - 12),
        top_label=format_price(highest),
        bottom_label=format_price(lowest),
        bars=bars,
    )


# --- the whole page --------------------------------------------------------------------------------
@dataclass(frozen=True)
class FinanceDashboard:
    period: Period
    granularity: str
    collected: Collected
    owed: OwedToMerchants
    next_payout: NextPayout
    by_merchant: list[Sales]
    merchant_total: Sales
    by_period: list[PeriodSales]
    period_total: Sales
    chart: BarChart


def finance_dashboard(*, period: Period, granularity: str, now: dt.datetime | None = None) -> FinanceDashboard:
    """Every figure of the dashboard, in a fixed number of queries."""
    now = now or timezone.now()
    by_merchant = sales_by_merchant(period)
    by_period = sales_by_period(period, granularity)
    return FinanceDashboard(
        period=period,
        granularity=granularity,
        collected=collected_in(period),
        owed=owed_to_merchants(),
        next_payout=next_payout(now, get_policy(), period.zone),
        by_merchant=by_merchant,
        merchant_total=total_sales(by_merchant),
        by_period=by_period,
        period_total=total_sales([row.sales for row in by_period]),
        chart=bar_chart(by_period),
    )


# --- CSV -------------------------------------------------------------------------------------------
SALES_COLUMNS = ("commandes", "ventes_articles", "remboursements", "chiffre_affaires")


def _sales_cells(sales: Sales) -> tuple[Cell, ...]:
    return (sales.order_count, Amount(sales.items_cents), Amount(sales.refunds_cents), Amount(sales.turnover_cents))


def merchant_sales_csv(period: Period) -> bytes:
    """Turnover per merchant (delivery fees excluded, refunds deducted) in French CSV, with a total line."""
    rows = sales_by_merchant(period)
    lines: list[tuple[Cell, ...]] = [(row.label, row.siret, *_sales_cells(row)) for row in rows]
    lines.append((_("Total"), "", *_sales_cells(total_sales(rows))))
    return csv_bytes(("commercant", "siret", *SALES_COLUMNS), lines)


def period_sales_csv(period: Period, granularity: str) -> bytes:
    """Turnover per day, week or month in French CSV, with a total line."""
    rows = sales_by_period(period, granularity)
    lines: list[tuple[Cell, ...]] = [(f"{row.starts_on:%d/%m/%Y}", *_sales_cells(row.sales)) for row in rows]
    lines.append((_("Total"), *_sales_cells(total_sales([row.sales for row in rows]))))
    return csv_bytes(("debut_periode", *SALES_COLUMNS), lines)
