"""Host name → town lookup, cached so that a page view costs no extra query."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.db import connection

if TYPE_CHECKING:
    from tenants.models import Town

HOST_CACHE_SECONDS = 60
_GENERATION_KEY = "town-hosts:generation"
_MISSING = "missing"


def is_platform_root(hostname: str) -> bool:
    return hostname in {settings.PLATFORM_DOMAIN, f"www.{settings.PLATFORM_DOMAIN}"}


def _public_cache_key(hostname: str) -> str:
    generation = cache.get_or_set(_GENERATION_KEY, 1, timeout=None)
    # Hashed: a Host header is the client's to choose, and may be longer than a cache key may be.
    return f"town-hosts:{generation}:{hashlib.sha256(hostname.encode()).hexdigest()}"


def find_town_for_host(hostname: str) -> Town | None:
    """The town served on ``hostname``: verified domains only, any status (the caller decides)."""
    from tenants.models import Domain

    if connection.schema_name != "public":
        raise RuntimeError("host lookup must run in the public schema")
    key = _public_cache_key(hostname)
    cached = cache.get(key)
    if cached == _MISSING:
        return None
    if cached is not None:
        return cached
    domain = (
        Domain.objects.select_related("tenant")
        .filter(domain=hostname, is_verified=True, tenant__status__in=("ready", "suspended"))
        .first()
    )
    town = domain.tenant if domain else None
    cache.set(key, town if town is not None else _MISSING, HOST_CACHE_SECONDS)
    return town


def forget_cached_hosts() -> None:
    """Invalidate every cached lookup at once (towns or domains changed)."""
    from django_tenants.utils import schema_context

    with schema_context("public"):
        try:
            cache.incr(_GENERATION_KEY)
        except ValueError:
            cache.set(_GENERATION_KEY, 2, timeout=None)
