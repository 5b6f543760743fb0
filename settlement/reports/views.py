"""Finance pages under /gestion/finances/: the town's dashboard and exports, the merchants' statements.

The dashboard, the journal and the états de reversement are for town admins and agents (403 for
anyone else); a merchant reaches only their own statements, through catalog.queries (404 for any
other merchant, so nothing hints that it exists).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from accounts.requests import AuthenticatedRequest, signed_in_view
from catalog.queries import get_merchant_for, merchants_for
from settlement.reports import dashboard, statements
from tenants.collation import by_name
from tenants.current import town_zone

# Daily bars past three months are unreadable; a year bounds the queries and the CSV.
MAX_DAYS = 366
MAX_DAILY_DAYS = 93
# A typo in the year (9999) must get a message, not the end of the calendar.
FIRST_YEAR = 2000
LAST_YEAR = 2100
CSV_TYPE = "text/csv; charset=utf-8"
PDF_TYPE = "application/pdf"


# Anonymous → login page; signed in but not town staff → 403.
town_finance_view = signed_in_view(dashboard.require_town_finances)


class PeriodForm(forms.Form):
    # <input type="date"> only takes ISO dates: the French format would show an empty field.
    du = forms.DateField(label=gettext_lazy("Du"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    au = forms.DateField(
        label=gettext_lazy("Au (inclus)"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    par = forms.ChoiceField(
        label=gettext_lazy("Ventes par"), choices=dashboard.Granularity.CHOICES, initial=dashboard.Granularity.DAY
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        first, last, granularity = data.get("du"), data.get("au"), data.get("par")
        for day in (first, last):
            if day and not FIRST_YEAR <= day.year <= LAST_YEAR:
                raise forms.ValidationError(
                    _("Choisissez des dates entre %(first)d et %(last)d.") % {"first": FIRST_YEAR, "last": LAST_YEAR},
                    code="out_of_range",
                )
        if first and last:
            days = (last - first).days + 1
            if days < 1:
                raise forms.ValidationError(_("La date de fin doit suivre la date de début."), code="order")
            if days > MAX_DAYS:
                raise forms.ValidationError(_("Choisissez une période d'un an au plus."), code="too_long")
            if granularity == dashboard.Granularity.DAY and days > MAX_DAILY_DAYS:
                raise forms.ValidationError(
                    _("Par jour, choisissez une période de trois mois au plus (ou affichez par semaine)."),
                    code="too_many_days",
                )
        return data


def _period_and_granularity(request: HttpRequest) -> tuple[PeriodForm, dashboard.Period, str]:
    """The period asked for in the query string, or month to date (also when the input is invalid)."""
    zone = town_zone()
    default = dashboard.month_to_date(timezone.now(), zone)
    initial = {"du": default.first_day, "au": default.last_day, "par": dashboard.Granularity.DAY}
    form = PeriodForm(request.GET if "du" in request.GET else None, initial=initial)
    if form.is_valid():
        data = form.cleaned_data
        return form, dashboard.Period(first_day=data["du"], last_day=data["au"], zone=zone), data["par"]
    return form, default, dashboard.Granularity.DAY


def _csv_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CSV_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=PDF_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _dates(period: dashboard.Period) -> str:
    return f"{period.first_day:%Y-%m-%d}-{period.last_day:%Y-%m-%d}"


# --- the town --------------------------------------------------------------------------------------
@require_GET
@town_finance_view
def finance_dashboard(request: AuthenticatedRequest) -> HttpResponse:
    form, period, granularity = _period_and_granularity(request)
    context = {
        "form": form,
        "board": dashboard.finance_dashboard(period=period, granularity=granularity),
        "query": request.GET.urlencode() if form.is_bound and form.is_valid() else "",
        "batches": statements.recent_batches(),
    }
    return render(request, "settlement/finance/dashboard.html", context)


@require_GET
@town_finance_view
def merchant_sales_csv(request: AuthenticatedRequest) -> HttpResponse:
    _form, period, _granularity = _period_and_granularity(request)
    return _csv_response(dashboard.merchant_sales_csv(period), f"ventes-par-commercant-{_dates(period)}.csv")


@require_GET
@town_finance_view
def period_sales_csv(request: AuthenticatedRequest) -> HttpResponse:
    _form, period, granularity = _period_and_granularity(request)
    content = dashboard.period_sales_csv(period, granularity)
    return _csv_response(content, f"ventes-par-{granularity}-{_dates(period)}.csv")


@require_GET
@town_finance_view
def journal_csv(request: AuthenticatedRequest) -> StreamingHttpResponse:
    _form, period, _granularity = _period_and_granularity(request)
    # Streamed: a busy town's year of postings would not fit comfortably in one response body.
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in statements.journal_csv_lines(period.start, period.end)),
        content_type=CSV_TYPE,
    )
    response["Content-Disposition"] = f'attachment; filename="journal-{_dates(period)}.csv"'
    return response


@require_GET
@town_finance_view
def payout_statement_pdf(request: AuthenticatedRequest, batch_id: int) -> HttpResponse:
    statement = statements.payout_statement(statements.get_payout_batch(batch_id))
    return _pdf_response(
        statements.payout_statement_pdf(statement), f"etat-de-reversement-{statement.batch.reference}.pdf"
    )


@require_GET
@town_finance_view
def payout_statement_csv(request: AuthenticatedRequest, batch_id: int) -> HttpResponse:
    statement = statements.payout_statement(statements.get_payout_batch(batch_id))
    return _csv_response(
        statements.payout_statement_csv(statement), f"etat-de-reversement-{statement.batch.reference}.csv"
    )


# --- the merchants' statements ---------------------------------------------------------------------
@require_GET
@login_required
def statement_index(request: AuthenticatedRequest) -> HttpResponse:
    """A merchant with one shop goes straight to its statements; town staff choose the merchant."""
    merchants = list(merchants_for(request.user).order_by(*by_name(), "pk")[:500])
    if not merchants:
        raise PermissionDenied
    if len(merchants) == 1:
        return redirect("finance:statement_list", merchant_slug=merchants[0].slug)
    return render(request, "settlement/finance/statement_index.html", {"merchants": merchants})


@require_GET
@login_required
def statement_list(request: AuthenticatedRequest, merchant_slug: str) -> HttpResponse:
    merchant = get_merchant_for(request.user, merchant_slug)
    context = {
        "merchant": merchant,
        "batches": list(statements.batches_for_merchant(merchant)),
        "months": statements.statement_months(merchant),
        "is_town_staff": dashboard.can_view_town_finances(request.user),
    }
    return render(request, "settlement/finance/statement_list.html", context)


def _monthly(request: AuthenticatedRequest, merchant_slug: str, year: int, month: int) -> statements.MerchantStatement:
    merchant = get_merchant_for(request.user, merchant_slug)
    if not (1 <= month <= 12 and 2000 <= year <= dt.MAXYEAR - 1):
        raise Http404(month)
    return statements.monthly_statement(merchant=merchant, year=year, month=month)


def _for_batch(request: AuthenticatedRequest, merchant_slug: str, batch_id: int) -> statements.MerchantStatement:
    merchant = get_merchant_for(request.user, merchant_slug)
    return statements.merchant_statement(merchant, statements.get_batch_for_merchant(merchant, batch_id))


@require_GET
@login_required
def monthly_statement_pdf(request: AuthenticatedRequest, merchant_slug: str, year: int, month: int) -> HttpResponse:
    statement = _monthly(request, merchant_slug, year, month)
    return _pdf_response(statements.statement_pdf(statement), f"releve-{merchant_slug}-{year}-{month:02d}.pdf")


@require_GET
@login_required
def monthly_statement_csv(request: AuthenticatedRequest, merchant_slug: str, year: int, month: int) -> HttpResponse:
    statement = _monthly(request, merchant_slug, year, month)
    return _csv_response(statements.statement_csv(statement), f"releve-{merchant_slug}-{year}-{month:02d}.csv")


@require_GET
@login_required
def batch_statement_pdf(request: AuthenticatedRequest, merchant_slug: str, batch_id: int) -> HttpResponse:
    statement = _for_batch(request, merchant_slug, batch_id)
    reference = statement.batch.reference if statement.batch else batch_id
    return _pdf_response(statements.statement_pdf(statement), f"releve-{merchant_slug}-{reference}.pdf")


@require_GET
@login_required
def batch_statement_csv(request: AuthenticatedRequest, merchant_slug: str, batch_id: int) -> HttpResponse:
    statement = _for_batch(request, merchant_slug, batch_id)
    reference = statement.batch.reference if statement.batch else batch_id
    return _csv_response(statements.statement_csv(statement), f"releve-{merchant_slug}-{reference}.csv")
