"""Resident-facing delivery pages: the address suggestions used by checkout's address field."""

from __future__ import annotations

import hashlib
from dataclasses import asdict

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.network import client_ip
from accounts.ratelimit import is_over_limit
from delivery.forms import AddressQueryForm
from delivery.geocoding import MIN_QUERY_LENGTH, GeocodingError, get_geocoder

SUGGESTIONS = 5
# The endpoint is public and each miss may call the national address API: answers are cached (per
# town, through the tenant-aware cache keys) and each client is limited, so nobody can exhaust the
# platform's share of the API for every town.
SUGGESTION_CACHE_SECONDS = 3600
REQUESTS_PER_MINUTE = 60


def _over_the_limit(request: HttpRequest) -> bool:
    return is_over_limit(
        scope="address-suggestions", client=client_ip(request), limit=REQUESTS_PER_MINUTE, window_seconds=60
    )


def _suggestions(text: str) -> list:
    normalised = " ".join(text.lower().split())
    key = f"address-suggestions:{settings.GEOCODER}:" + hashlib.sha256(normalised.encode()).hexdigest()
    addresses = cache.get(key)
    if addresses is None:
        addresses = get_geocoder().search(text, limit=SUGGESTIONS)
        cache.set(key, addresses, SUGGESTION_CACHE_SECONDS)
    return addresses


@require_GET
def address_suggestions(request: HttpRequest) -> HttpResponse:
    """Up to five addresses for the text typed: an HTML fragment (HTMX) or JSON (``?format=json``)."""
    form = AddressQueryForm(request.GET)
    text = form.cleaned_data["q"] if form.is_valid() else ""
    as_json = form.is_valid() and form.cleaned_data["format"] == "json"
    addresses, error = [], ""
    if len(text) >= MIN_QUERY_LENGTH:
        if _over_the_limit(request):
            return HttpResponse(
                _("Trop de recherches d’adresse en une minute : réessayez dans un instant."), status=429
            )
        try:
            addresses = _suggestions(text)
        except GeocodingError as failure:
            error = failure.message
    if as_json:
        body = {"query": text, "results": [asdict(address) for address in addresses]}
        if error:
            body["error"] = error
        return JsonResponse(body, status=503 if error else 200)
    context = {"text": text, "addresses": addresses, "error": error, "too_short": len(text) < MIN_QUERY_LENGTH}
    return render(request, "delivery/_address_suggestions.html", context)
