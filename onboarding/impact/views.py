"""The impact dashboard page and the CSV export of each of its tables (town staff, read-only)."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.requests import AuthenticatedRequest
from onboarding.impact.queries import impact_dashboard
from onboarding.permissions import onboarding_view
from settlement.reports.statements import csv_bytes
from tenants.current import town_today, town_zone


@require_GET
@onboarding_view
def impact(request: AuthenticatedRequest) -> HttpResponse:
    board = impact_dashboard(today=town_today(), zone=town_zone())
    return render(request, "onboarding/impact/dashboard.html", {"board": board, "onboarding_tab": "impact"})


@require_GET
@onboarding_view
def impact_csv(request: AuthenticatedRequest, table: str) -> HttpResponse:
    board = impact_dashboard(today=town_today(), zone=town_zone())
    found = next((candidate for candidate in board.tables if candidate.slug == table), None)
    if found is None:
        raise Http404(table)
    response = HttpResponse(csv_bytes(found.csv_header, found.rows), content_type="text/csv; charset=utf-8")
    period = board.period
    response["Content-Disposition"] = (
        f'attachment; filename="{found.slug}-{period.first_day:%Y-%m-%d}-{period.last_day:%Y-%m-%d}.csv"'
    )
    return response
