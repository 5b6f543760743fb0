"""API tokens: issued once in clear, kept as a SHA-256 hash, checked in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.models import ApiToken, User


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_api_token(*, user: User, name: str = "") -> str:
    """Create a token for ``user`` in the current schema; the clear key is returned only here."""
    key = secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, name=name, prefix=key[:8], key_hash=_digest(key))
    return key


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """DRF authentication by ``Authorization: Token <key>`` against the current schema's tokens."""

    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("En-tête Authorization mal formé."))
        key = header[1].decode(errors="replace")
        digest = _digest(key)
        token = ApiToken.objects.select_related("user").filter(prefix=key[:8]).first()
        if token is None or not hmac.compare_digest(token.key_hash, digest) or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Jeton invalide."))
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token.user, token

    def authenticate_header(self, request: Any) -> str:
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """How the token appears in the OpenAPI schemas (operator and town APIs)."""

    target_class = "accounts.tokens.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": "Authorization", "description": "Token <clé>"}
