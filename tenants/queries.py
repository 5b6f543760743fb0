"""Reads of towns for operator staff, and the check that only they may make them."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404

from tenants.collation import by_name
from tenants.hosts import with_public_hosts
from tenants.models import Domain, Town, TownQuerySet

# tenants sits below accounts (docs/architecture.md §1): any user model, checked by its attributes.
AnyUser = AbstractBaseUser | AnonymousUser


def ensure_operator(user: AnyUser) -> None:
    if not (user.is_authenticated and user.is_active and getattr(user, "is_operator", False)):
        raise PermissionDenied


def list_towns_for_operator(user: AnyUser) -> TownQuerySet:
    """All real towns (never the template or spares), with their domains in one extra query."""
    ensure_operator(user)
    towns = Town.objects.towns().prefetch_related(Prefetch("domains", queryset=Domain.objects.order_by("-is_primary")))
    return with_public_hosts(towns.order_by(*by_name(), "pk"))


def get_town_for_operator(user: AnyUser, slug: str) -> Town:
    ensure_operator(user)
    town = Town.objects.towns().filter(slug=slug).first()
    if town is None:
        raise Http404(slug)
    return town


def list_live_towns() -> TownQuerySet:
    """What the operator site's home shows to everyone."""
    return with_public_hosts(Town.objects.live().prefetch_related("domains").order_by(*by_name(), "pk"))
