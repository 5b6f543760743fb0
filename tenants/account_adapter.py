"""allauth, told which town it serves: e-mails name the town and link to its public host.

allauth builds the links of its e-mails (password reset, "an account already exists", address
confirmation) and its "Hello from …" lines from the request: ``VILLE-A.test:6666`` in the Host
header ended up in the reset link. Here every such link is rebuilt on the town's public host by
``town_absolute_url``, and the site allauth names is the town.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django_tenants.utils import get_public_schema_name

from tenants.actions import town_absolute_url
from tenants.hosts import town_public_host
from tenants.requests import TownRequest


@dataclass(frozen=True)
class PublicSite:
    """What allauth's templates read from ``current_site``."""

    name: str
    domain: str


def _public_site(request: TownRequest) -> PublicSite:
    town = request.tenant
    if town.schema_name == get_public_schema_name():
        return PublicSite(name=settings.PLATFORM_NAME, domain=settings.PLATFORM_DOMAIN)
    return PublicSite(name=town.name, domain=town_public_host(town))


def _on_public_host(request: TownRequest, value: object) -> object:
    """A link allauth built on the request's host, moved to the town's public host; anything else as is."""
    if not isinstance(value, str):
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != request.get_host().lower():
        return value
    return town_absolute_url(request.tenant, urlunsplit(("", "", parts.path, parts.query, parts.fragment)))


class TownAccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        request = allauth_context.request
        mail_context = {"request": request, "email": email, "current_site": _public_site(request)}
        mail_context.update({key: _on_public_host(request, value) for key, value in context.items()})
        self.render_mail(template_prefix, email, mail_context).send()

    def format_email_subject(self, subject: str) -> str:
        return f"[{_public_site(allauth_context.request).name}] {subject}"

    def get_login_redirect_url(self, request: TownRequest) -> str:
        # A delivery coordinator's work is the dispatcher board, not the shop window.
        landing = settings.LOGIN_REDIRECT_URLS_BY_ROLE.get(getattr(request.user, "role", ""))
        return landing or super().get_login_redirect_url(request)

    def _get_login_attempts_cache_key(self, request: TownRequest, **credentials: Any) -> str:
        # allauth keys its failed-login limit on the request's host: another spelling of the host
        # (case, port) would start a fresh count.
        login = credentials.get("email", credentials.get("username", "")).lower()
        return f"{_public_site(request).domain}:{login}"
