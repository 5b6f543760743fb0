"""Site-wide request handling: French first, no NUL character in the address, bounded request bodies,
HSTS per kind of host, the town's own 404 page."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import DisallowedHost, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.http.request import split_domain_port
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.views.defaults import bad_request, page_not_found


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


class RefuseOversizedBodiesMiddleware:
    """A request announcing a body over ``MAX_REQUEST_BODY_BYTES`` answers 413 before it is read.

    Django only bounds form fields in memory (DATA_UPLOAD_MAX_MEMORY_SIZE); an uploaded file of any
    size would be streamed to a temporary file first and refused by the form afterwards. The reverse
    proxy has the same limit (infra/): this one holds when gunicorn is reached directly. A body sent
    without a Content-Length (chunked) is not read by Django's WSGI handler at all.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BODY_BYTES:
            context = {"limit_mb": settings.MAX_REQUEST_BODY_BYTES // (1024 * 1024)}
            response = render(request, "413.html", context, status=413)
            response["Connection"] = "close"  # the unread body must not be taken for the next request
            return response
        return self.get_response(request)


class CustomDomainHstsMiddleware:
    """HSTS without ``includeSubDomains`` on a town's custom domain; Django's header everywhere else.

    ``includeSubDomains`` is right for the platform's domain: the operator serves every name under
    it (the root, each town's subdomain) over HTTPS with its wildcard certificate. On a town's own
    domain (``monshoppingcestcalais.fr``) it would make browsers refuse plain HTTP, for a year, on
    every other name under that domain, names the town may run elsewhere without TLS (an intranet,
    an old site): that is the town's decision, not ours. So there the header carries max-age only.
    Placed after Django's SecurityMiddleware, it writes the header first; Django leaves it alone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        seconds = settings.SECURE_HSTS_SECONDS
        if seconds and request.is_secure() and not _on_platform_domain(request):
            response.headers.setdefault("Strict-Transport-Security", f"max-age={seconds}")
        return response


def _on_platform_domain(request: HttpRequest) -> bool:
    try:
        hostname, _port = split_domain_port(request.get_host())
    except DisallowedHost:
        return False
    return hostname == settings.PLATFORM_DOMAIN or hostname.endswith("." + settings.PLATFORM_DOMAIN)


class TownNotFoundPageMiddleware:
    """On a town's site, a missing page or object answers the town's French 404 page, DEBUG or not.

    With DEBUG on (the default of ``make run``, so of every demonstration), Django answers a 404 with
    its English technical page: the URL patterns and the exception, never what a resident should read
    after following an old link to a shop that closed. Town hosts get the page production shows; the
    operator site keeps Django's page for developers. Last in MIDDLEWARE: the user is known when the
    page is drawn, and CommonMiddleware still turns a 404 on "/commerces" into a redirect to "/commerces/".
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.DEBUG and _on_town_site(request):
            try:
                resolve(request.path_info, urlconf=getattr(request, "urlconf", None))
            except Resolver404 as error:
                return page_not_found(request, error)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if settings.DEBUG and isinstance(exception, Http404) and _on_town_site(request):
            return page_not_found(request, exception)
        return None


def _on_town_site(request: HttpRequest) -> bool:
    town = getattr(request, "tenant", None)
    return town is not None and town.schema_name != "public"
