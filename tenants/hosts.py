"""Host name → town lookup, cached so that a page view costs no extra query."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db.models import OuterRef, Subquery

from tenants.connection import connection

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from tenants.models import Town

    TownsT = TypeVar("TownsT", bound=QuerySet[Town])

HOST_CACHE_SECONDS = 60
_GENERATION_KEY = "town-hosts:generation"
_MISSING = "missing"
# Set on Town instances by the host lookup and with_public_hosts(); read by town_public_host().
PUBLIC_DOMAIN_ATTRIBUTE = "verified_primary_domain"


def is_platform_root(hostname: str) -> bool:
    return hostname in {settings.PLATFORM_DOMAIN, f"www.{settings.PLATFORM_DOMAIN}"}


def _verified_primary_domain_of(town_ref: OuterRef) -> Subquery:
    """The town's primary domain if it is verified (a custom domain the town chose), as a subquery."""
    from tenants.models import Domain

    primary = Domain.objects.filter(tenant=town_ref, is_primary=True, is_verified=True)
    return Subquery(primary.values("domain")[:1])


def with_public_hosts(towns: TownsT) -> TownsT:
    """``towns`` carrying what ``town_public_host`` needs, so that listing their links costs no query per town."""
    return towns.annotate(**{PUBLIC_DOMAIN_ATTRIBUTE: _verified_primary_domain_of(OuterRef("pk"))})


def town_public_host(town: Town) -> str:
    """The host a town's absolute links name: its verified primary domain, else its platform subdomain.

    Never the host of the request being answered: a link mailed or published from a request on
    ``VILLE-A.test:6666`` (or on a secondary custom domain) must point where the town says it lives.
    The host lookup and ``with_public_hosts`` fill the domain in; any other instance pays one query, once.
    """
    if not hasattr(town, PUBLIC_DOMAIN_ATTRIBUTE):
        from tenants.models import Town as TownModel

        primary = TownModel.objects.filter(pk=town.pk).values_list(
            _verified_primary_domain_of(OuterRef("pk")), flat=True
        )
        setattr(town, PUBLIC_DOMAIN_ATTRIBUTE, primary.first())
    return (getattr(town, PUBLIC_DOMAIN_ATTRIBUTE) or town.primary_host).lower()


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
        .annotate(town_public_domain=_verified_primary_domain_of(OuterRef("tenant")))
        .first()
    )
    town = domain.tenant if domain else None
    if domain is not None:
        # Cached with the town: its absolute links cost no query on the pages it serves.
        setattr(town, PUBLIC_DOMAIN_ATTRIBUTE, domain.town_public_domain)
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
