"""Figures of the impact dashboard: the last twelve months of the town's calendar, read-only.

Sales are the finance dashboard's (``settlement.reports.dashboard``): the same postings, the same dates
(when the payment or refund was posted, in the town's time zone), the same netting of refunds and
reversals, delivery fees excluded. This module only asks it for other break-downs, so the two dashboards
can never disagree. The pipeline is replayed from ``ProspectMove``: a business's step at a month's end is
the step of its last move before that end.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import BigIntegerField, CharField, Count, F, OuterRef, Q, Subquery, Value, When
from django.db.models import Case as CaseWhen
from django.db.models.functions import Cast, Coalesce, Concat, Lower
from django.utils.translation import gettext as _

from catalog.formatting import format_price
from catalog.models import MerchantKind
from checkout.models import Fulfilment, MerchantOrder, Order, Refund
from onboarding.models import PATH, ProspectMove, Step
from settlement.ledger.rules import ORDER_PAID
from settlement.reports import dashboard
from settlement.reports.statements import Amount, Cell

MONTHS = 12


# --- charts: horizontal bars drawn as SVG by the template (no script, no inline style) -------------
BAR_ROOM = 200
VALUE_WIDTH = 90
# About the width of a character at the labels' 13px: the label column fits the longest label.
CHARACTER_WIDTH = 7.5
ROW_PITCH = 28
BAR_HEIGHT = 18


def _svg(value: float) -> str:
    # Written by hand: the template's localisation would print "12,5", which SVG cannot read.
    return f"{value:.1f}"


@dataclass(frozen=True)
class Segment:
    x: str
    width: str
    css_class: str
    title: str


@dataclass(frozen=True)
class ChartRow:
    label: str
    text: str  # the value, written after the bar
    text_y: str
    bar_y: str
    segments: list[Segment]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    label_x: str
    value_x: str
    rows: list[ChartRow]
    legend: list[tuple[str, str]] = field(default_factory=list)  # (css class, label)


def _chart(
    rows: list[tuple[str, str, list[tuple[int, str, str]]]], *, legend: list[tuple[str, str]] | None = None
) -> Chart:
    """``rows``: (label, value text, [(value, css class, title)] stacked left to right)."""
    largest = max((sum(abs(value) for value, _css, _title in parts) for _label, _text, parts in rows), default=0)
    label_width = 16 + CHARACTER_WIDTH * max((len(label) for label, _text, _parts in rows), default=0)
    room = BAR_ROOM
    chart_rows = []
    for index, (label, text, parts) in enumerate(rows):
        x = label_width
        segments = []
        for value, css_class, title in parts:
            width = room * abs(value) / largest if largest else 0.0
            if width > 0:
                segments.append(Segment(x=_svg(x), width=_svg(width), css_class=css_class, title=title))
            x += width
        top = 8 + index * ROW_PITCH
        chart_rows.append(
            ChartRow(label=label, text=text, text_y=_svg(top + BAR_HEIGHT - 4), bar_y=_svg(top), segments=segments)
        )
    return Chart(
        width=round(label_width + BAR_ROOM + VALUE_WIDTH),
        height=16 + len(rows) * ROW_PITCH,
        label_x=_svg(label_width - 8),
        value_x=_svg(label_width + BAR_ROOM + 6),
        rows=chart_rows,
        legend=legend or [],
    )


def _bars(pairs: list[tuple[str, int]], *, money: bool) -> Chart:
    rows = []
    for label, value in pairs:
        text = format_price(value) if money else str(value)
        css_class = "bar bar-negative" if value < 0 else "bar"
        rows.append((label, text, [(value, css_class, f"{label} : {text}")]))
    return _chart(rows)


@dataclass(frozen=True)
class Table:
    """One table of the dashboard, its chart and its CSV export: the same rows for all three."""

    slug: str
    title: str
    caption: str
    header: list[str]  # the first column heads the rows (<th scope="row">)
    csv_header: list[str]
    rows: list[list[Cell]]
    chart: Chart

    @property
    def display_rows(self) -> list[list[str]]:
        return [[display(cell) for cell in row] for row in self.rows]


def display(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, Amount):
        return format_price(cell.cents)
    return str(cell)


# --- the months ----------------------------------------------------------------------------------
def twelve_months(today: dt.date, zone: ZoneInfo) -> dashboard.Period:
    """From the 1st of the month eleven months ago to today, in the town's calendar."""
    first = today.replace(day=1)
    for _step in range(MONTHS - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return dashboard.Period(first_day=first, last_day=today, zone=zone)


def month_starts(period: dashboard.Period) -> list[dt.date]:
    return dashboard.buckets(period, dashboard.Granularity.MONTH)


def _month_end(start: dt.date, period: dashboard.Period) -> dt.datetime:
    """The end of the month (exclusive, town time), or the end of the period for the current month."""
    following = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return min(dt.datetime.combine(following, dt.time(0), tzinfo=period.zone), period.end)


def _month_label(start: dt.date) -> str:
    return f"{start:%m/%Y}"


# --- the pipeline --------------------------------------------------------------------------------
def pipeline_by_month(period: dashboard.Period) -> list[tuple[dt.date, Counter[str], int]]:
    """Per month: businesses per step at the month's end, and how many went live during it (one query)."""
    moves = (
        ProspectMove.objects.filter(moved_at__lt=period.end)
        .order_by("moved_at", "id")
        .values_list("prospect_id", "to_step", "moved_at")
    )
    steps: dict[int, str] = {}
    result: list[tuple[dt.date, Counter[str], int]] = []
    pending = iter(moves)
    move = next(pending, None)
    for start in month_starts(period):
        month_start = dt.datetime.combine(start, dt.time(0), tzinfo=period.zone)
        end = _month_end(start, period)
        went_live: set[int] = set()
        while move is not None and move[2] < end:
            prospect_id, to_step, moved_at = move
            steps[prospect_id] = to_step
            if to_step == Step.LIVE and moved_at >= month_start:
                went_live.add(prospect_id)
            move = next(pending, None)
        result.append((start, Counter(steps.values()), len(went_live)))
    return result


# Each step's colour in the stacked chart: the path from light to dark, then the two steps off the path.
STEP_ORDER: tuple[Step, ...] = (*PATH, Step.PAUSED, Step.DECLINED)


def pipeline_table(months: list[tuple[dt.date, Counter[str], int]]) -> Table:
    rows: list[list[Cell]] = []
    chart_rows = []
    for start, counts, _live in months:
        rows.append([_month_label(start), *(counts.get(step.value, 0) for step in STEP_ORDER)])
        parts = [
            (counts[step.value], f"bar step-{index}", f"{step.label} : {counts[step.value]}")
            for index, step in enumerate(STEP_ORDER)
            if counts.get(step.value)
        ]
        chart_rows.append((_month_label(start), str(sum(counts.values())), parts))
    return Table(
        slug="etapes",
        title=_("Commerces par étape de l’accompagnement"),
        caption=_("Nombre de commerces à chaque étape, en fin de mois (mois en cours : aujourd’hui)"),
        header=[_("Mois"), *(str(step.label) for step in STEP_ORDER)],
        csv_header=["mois", *(step.value for step in STEP_ORDER)],
        rows=rows,
        chart=_chart(chart_rows, legend=[(f"step-{index}", str(step.label)) for index, step in enumerate(STEP_ORDER)]),
    )


def live_table(months: list[tuple[dt.date, Counter[str], int]]) -> Table:
    rows: list[list[Cell]] = [
        [_month_label(start), counts.get(Step.LIVE.value, 0), went_live] for start, counts, went_live in months
    ]
    return Table(
        slug="commerces-en-ligne",
        title=_("Commerces en ligne"),
        caption=_("Commerces en ligne en fin de mois, et mis en ligne pendant le mois"),
        header=[_("Mois"), _("En ligne en fin de mois"), _("Mis en ligne dans le mois")],
        csv_header=["mois", "en_ligne_fin_de_mois", "mis_en_ligne_dans_le_mois"],
        rows=rows,
        chart=_bars(
            [(_month_label(start), counts.get(Step.LIVE.value, 0)) for start, counts, _live in months], money=False
        ),
    )


# --- sales (the finance dashboard's definitions) --------------------------------------------------
SALES_HEADER = [_("Commandes"), _("Ventes d’articles"), _("Remboursements"), _("Chiffre d’affaires")]
SALES_CSV = list(dashboard.SALES_COLUMNS)


def _sales_cells(sales: dashboard.Sales) -> list[Cell]:
    return [sales.order_count, Amount(sales.items_cents), Amount(sales.refunds_cents), Amount(sales.turnover_cents)]


def monthly_sales(period: dashboard.Period) -> list[dashboard.PeriodSales]:
    """Turnover per month: the finance dashboard's own function, month by month."""
    return dashboard.sales_by_period(period, dashboard.Granularity.MONTH)


def monthly_sales_table(rows: list[dashboard.PeriodSales]) -> Table:
    total = dashboard.total_sales([row.sales for row in rows])
    return Table(
        slug="ventes-par-mois",
        title=_("Ventes en ligne par mois"),
        caption=_("Ventes en ligne par mois (hors frais de livraison, remboursements déduits)"),
        header=[_("Mois"), *(str(head) for head in SALES_HEADER)],
        csv_header=["mois", *SALES_CSV],
        rows=[[_month_label(row.starts_on), *_sales_cells(row.sales)] for row in rows]
        + [[_("Total"), *_sales_cells(total)]],
        chart=_bars([(_month_label(row.starts_on), row.sales.turnover_cents) for row in rows], money=True),
    )


def source_id() -> Cast:
    # A reversal counts with the entry it reverses: the order (or refund) is that entry's.
    return Cast(Coalesce(F("entry__reverses__external_id"), F("entry__external_id")), BigIntegerField())


def fulfilment_of_posting() -> CaseWhen:
    """Collection or delivery, for a merchant's posting of a payment (its merchant order) or a refund."""
    paid = MerchantOrder.objects.filter(order_id=OuterRef("source_id"), merchant_id=OuterRef("account__merchant_id"))
    refunded = Refund.objects.filter(pk=OuterRef("source_id"))
    return CaseWhen(
        When(kind=ORDER_PAID, then=Subquery(paid.values("fulfilment")[:1])),
        default=Subquery(refunded.values("merchant_order__fulfilment")[:1]),
        output_field=CharField(),
    )


def _grouped_table(
    *, slug: str, title: str, caption: str, first: str, labels: dict[str, str], sales: dict[object, dashboard.Sales]
) -> Table:
    known = [(label, sales.get(value)) for value, label in labels.items()]
    other = [row for key, row in sales.items() if key not in labels]
    pairs = [(label, row) for label, row in known if row is not None]
    if other:
        pairs.append((_("Autre"), dashboard.total_sales(other)))
    total = dashboard.total_sales([row for _label, row in pairs])
    return Table(
        slug=slug,
        title=title,
        caption=caption,
        header=[first, *(str(head) for head in SALES_HEADER)],
        csv_header=[slug.rsplit("-", 1)[-1], *SALES_CSV],
        rows=[[label, *_sales_cells(row)] for label, row in pairs] + [[_("Total"), *_sales_cells(total)]],
        chart=_bars([(label, row.turnover_cents) for label, row in pairs], money=True),
    )


def sales_by_sector_table(period: dashboard.Period) -> Table:
    sales = dashboard.sales_by_group(period, F("account__merchant__kind"))
    return _grouped_table(
        slug="ventes-par-secteur",
        title=_("Ventes en ligne par secteur"),
        caption=_(
            "Ventes en ligne des douze derniers mois par type de commerce (une commande passée chez deux types "
            "de commerce compte dans chacun)"
        ),
        first=_("Secteur"),
        labels={value: str(label) for value, label in MerchantKind.choices},
        sales=sales,
    )


def sales_by_mode_table(period: dashboard.Period) -> Table:
    sales = dashboard.sales_by_group(period, fulfilment_of_posting(), source_id=source_id())
    return _grouped_table(
        slug="ventes-par-mode",
        title=_("Ventes en ligne par mode de retrait"),
        caption=_(
            "Ventes en ligne des douze derniers mois : retrait en boutique ou livraison (une commande retirée "
            "chez un commerçant et livrée par un autre compte dans les deux)"
        ),
        first=_("Mode"),
        labels={value: str(label) for value, label in Fulfilment.choices},
        sales=sales,
    )


# --- repeat buyers --------------------------------------------------------------------------------
@dataclass(frozen=True)
class RepeatBuyers:
    buyers: int  # residents with at least one paid order in the period
    repeat_buyers: int  # of whom, with two or more

    @property
    def share_percent(self) -> str:
        return f"{100 * self.repeat_buyers / self.buyers:.1f}".replace(".", ",") if self.buyers else "0"


def repeat_buyers(period: dashboard.Period) -> RepeatBuyers:
    """Residents (an account, else an e-mail address) with ≥ 1 and ≥ 2 orders among the period's paid orders."""
    buyer = CaseWhen(
        When(user_id__isnull=False, then=Concat(Value("compte:"), Cast("user_id", CharField()))),
        default=Concat(Value("e-mail:"), Lower("email")),
        output_field=CharField(),
    )
    counts = (
        Order.objects.filter(pk__in=dashboard.paid_order_ids(period))
        .filter(Q(user_id__isnull=False) | ~Q(email=""))
        .annotate(buyer=buyer)
        .values("buyer")
        .annotate(orders=Count("pk"))
        .values_list("orders", flat=True)
    )
    found = list(counts)
    return RepeatBuyers(buyers=len(found), repeat_buyers=sum(1 for orders in found if orders >= 2))


def repeat_buyers_table(figures: RepeatBuyers) -> Table:
    return Table(
        slug="clients-fideles",
        title=_("Clients fidèles"),
        caption=_(
            "Habitants ayant payé au moins deux commandes sur les douze derniers mois, parmi ceux qui en ont payé une"
        ),
        header=[_("Mesure"), _("Valeur")],
        csv_header=["mesure", "valeur"],
        rows=[
            [_("Habitants ayant payé au moins une commande"), figures.buyers],
            [_("dont au moins deux commandes"), figures.repeat_buyers],
            [_("Part des clients fidèles (%)"), figures.share_percent],
        ],
        chart=_bars(
            [(_("Au moins une commande"), figures.buyers), (_("Au moins deux commandes"), figures.repeat_buyers)],
            money=False,
        ),
    )


# --- the page ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImpactDashboard:
    period: dashboard.Period
    tables: list[Table]
    sales_total: dashboard.Sales
    repeat: RepeatBuyers


def impact_dashboard(*, today: dt.date, zone: ZoneInfo) -> ImpactDashboard:
    """Every table of the dashboard, in a fixed number of queries (five)."""
    period = twelve_months(today, zone)
    months = pipeline_by_month(period)
    by_month = monthly_sales(period)
    repeat = repeat_buyers(period)
    return ImpactDashboard(
        period=period,
        tables=[
            pipeline_table(months),
            live_table(months),
            monthly_sales_table(by_month),
            sales_by_sector_table(period),
            sales_by_mode_table(period),
            repeat_buyers_table(repeat),
        ],
        sales_total=dashboard.total_sales([row.sales for row in by_month]),
        repeat=repeat,
    )
