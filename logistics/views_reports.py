"""The monthly delivery report (page, CSV, PDF) and the proof-of-delivery photo, for the town and the coordinator."""

from __future__ import annotations

import re

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from accounts.requests import AuthenticatedRequest, signed_in_view
from logistics import reports
from logistics.models import Delivery, ProofMode
from tenants.current import town_today
from tenants.private_files import private_storage

reports_view = signed_in_view(reports.require_delivery_reports)

_MONTH = re.compile(r"(\d{4})-(\d{2})")
CSV_TYPE = "text/csv; charset=utf-8"
# Photos are shown in the page (inline): only raster types a browser cannot run anything from.
_PHOTO_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}


def _month(request: AuthenticatedRequest) -> tuple[int, int]:
    """``?mois=2026-12``; the current month when absent or not a month."""
    found = _MONTH.fullmatch(request.GET.get("mois", ""))
    if found and 2000 <= int(found[1]) <= 9998 and 1 <= int(found[2]) <= 12:
        return int(found[1]), int(found[2])
    today = town_today()
    return today.year, today.month


@require_GET
@reports_view
def month_report(request: AuthenticatedRequest) -> HttpResponse:
    year, month = _month(request)
    report = reports.monthly_report(year=year, month=month)
    return render(request, "logistics/reports/month.html", {"report": report, "mois": f"{year}-{month:02d}"})


@require_GET
@reports_view
def month_report_csv(request: AuthenticatedRequest) -> HttpResponse:
    year, month = _month(request)
    response = HttpResponse(reports.report_csv(reports.monthly_report(year=year, month=month)), content_type=CSV_TYPE)
    response["Content-Disposition"] = f'attachment; filename="livraisons-{year}-{month:02d}.csv"'
    return response


@require_GET
@reports_view
def month_report_pdf(request: AuthenticatedRequest) -> HttpResponse:
    year, month = _month(request)
    response = HttpResponse(
        reports.report_pdf(reports.monthly_report(year=year, month=month)), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="livraisons-{year}-{month:02d}.pdf"'
    return response


@require_GET
@reports_view
def proof_photo(request: AuthenticatedRequest, delivery_id: int) -> FileResponse:
    """The photo the courier took of the parcel left at the door, from the private storage (no URL of its own)."""
    delivery = get_object_or_404(Delivery, pk=delivery_id, proof_kind=ProofMode.PHOTO)
    name = delivery.proof_photo
    extension = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    content_type = _PHOTO_TYPES.get(extension, "")
    storage = private_storage()
    if not name or not content_type or not storage.exists(name):
        raise Http404(delivery_id)
    response = FileResponse(storage.open(name, "rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
