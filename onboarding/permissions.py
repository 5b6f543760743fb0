"""Who brings businesses online: the town's admins and agents (not couriers, coordinators or merchants)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from accounts.models import AnyUser, Role
from accounts.requests import signed_in_view

ONBOARDING_ROLES = frozenset({Role.TOWN_ADMIN, Role.TOWN_AGENT})


def is_onboarding_staff(user: AnyUser) -> bool:
    """An active town admin or town agent."""
    return bool(user.is_authenticated and user.is_active and user.role in ONBOARDING_ROLES)


def require_onboarding_staff(user: AnyUser) -> None:
    """403 for a signed-in user who is not a town admin or agent."""
    if not is_onboarding_staff(user):
        raise PermissionDenied


# Anonymous → login page; signed in without a town staff role → 403.
onboarding_view = signed_in_view(require_onboarding_staff)
