"""Site-wide request handling: French first, and no NUL character in the address."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.views.defaults import bad_request


class FrenchFirstLocaleMiddleware:
    """Like Django's LocaleMiddleware, without Accept-Language negotiation.

    French public sites speak French: a browser set up in English (common on second-hand phones)
    must not switch the town's site to English. Only the language picker (a cookie) does.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.available = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie",))
        return response


class RefuseNulCharactersMiddleware:
    """A NUL character in the path or the query string answers 400 (the French error page).

    PostgreSQL cannot store or even compare text holding one: left through, every view filtering on a
    query parameter (search filters, API filters) would answer 500 to a link carrying ``%00``. Forms
    already refuse it in posted fields (Django's ProhibitNullCharactersValidator).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or "\x00" in request.META.get("QUERY_STRING", "") or _has_nul(request):
            return bad_request(request, SuspiciousOperation("NUL character in the request address"))
        return self.get_response(request)


def _has_nul(request: HttpRequest) -> bool:
    # The query string arrives percent-encoded: %00 only shows once decoded.
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists())
