"""Resident-facing delivery pages: the address suggestions used by checkout's address field."""

from __future__ import annotations

from dataclasses import asdict

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from logistics.forms import AddressQueryForm
from logistics.geocoding import MIN_QUERY_LENGTH, GeocodingError, get_geocoder

SUGGESTIONS = 5


@require_GET
def address_suggestions(request: HttpRequest) -> HttpResponse:
    """Up to five addresses for the text typed: an HTML fragment (HTMX) or JSON (``?format=json``)."""
    form = AddressQueryForm(request.GET)
    text = form.cleaned_data["q"] if form.is_valid() else ""
    as_json = form.is_valid() and form.cleaned_data["format"] == "json"
    addresses, error = [], ""
    if len(text) >= MIN_QUERY_LENGTH:
        try:
            addresses = get_geocoder().search(text, limit=SUGGESTIONS)
        except GeocodingError as failure:
            error = failure.message
    if as_json:
        body = {"query": text, "results": [asdict(address) for address in addresses]}
        if error:
            body["error"] = error
        return JsonResponse(body, status=503 if error else 200)
    context = {"text": text, "addresses": addresses, "error": error, "too_short": len(text) < MIN_QUERY_LENGTH}
    return render(request, "logistics/_address_suggestions.html", context)
