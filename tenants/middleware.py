"""Routes each request to its town by host name: root domain → operator site, town hosts → town site."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import set_urlconf
from django.utils import timezone, translation
from django.utils.deprecation import MiddlewareMixin
from django_tenants.utils import remove_www

from tenants.actions import platform_url
from tenants.connection import connection
from tenants.current import town_zone
from tenants.hosts import find_town_for_host, is_platform_root
from tenants.models import Town, TownStatus
from tenants.requests import TownRequest

# Paths a suspended town still answers (load balancers probe them).
ALWAYS_REACHABLE_PATHS = ("/healthz",)


def public_town() -> Town:
    """An unsaved Town standing for the public schema (operator site on the root domain)."""
    return Town(schema_name="public", name=settings.PLATFORM_NAME, slug=None, status=TownStatus.READY)


class TownMiddleware(MiddlewareMixin):
    def process_request(self, request: TownRequest) -> HttpResponse | None:
        connection.set_schema_to_public()
        try:
            hostname = request.get_host().split(":")[0].lower().rstrip(".")
        except DisallowedHost:
            return self._page(request, "tenants/unknown_host.html", status=400)

        if is_platform_root(hostname):
            request.tenant = public_town()
            request.urlconf = settings.PUBLIC_SCHEMA_URLCONF
            set_urlconf(request.urlconf)
            return None

        # A custom domain may itself be "www.…": the exact host first, then without "www.".
        town = find_town_for_host(hostname) or find_town_for_host(remove_www(hostname))
        if town is None:
            return self._page(request, "tenants/unknown_host.html", status=404, hostname=hostname)
        town.domain_url = hostname
        request.tenant = town
        if town.status == TownStatus.SUSPENDED and request.path not in ALWAYS_REACHABLE_PATHS:
            response = self._page(request, "tenants/suspended.html", status=503, town=town)
            response["Retry-After"] = "86400"
            return response
        connection.set_tenant(town)
        # Town time for the whole request: localtime() and the templates' |date read it.
        timezone.activate(town_zone(town))
        request.urlconf = settings.ROOT_URLCONF
        set_urlconf(request.urlconf)
        return None

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        timezone.deactivate()
        return response

    @staticmethod
    def _page(request: TownRequest, template: str, *, status: int, **context: object) -> HttpResponse:
        request.tenant = public_town()
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        with translation.override(language):
            response = render(request, template, {"operator_url": platform_url(), **context}, status=status)
        return response
