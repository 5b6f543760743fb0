"""Who may run the town's deliveries: the dispatcher pages (fleet, shifts, board) and nothing else.

A delivery coordinator sees the delivery pages only; every other back-office page keeps refusing
them through its own check (catalogue, orders, finances, site appearance), and the people pages
show them the couriers only (``accounts.queries``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from accounts.models import AnyUser, Role
from accounts.requests import signed_in_view

DISPATCHER_ROLES = frozenset({Role.TOWN_ADMIN, Role.TOWN_AGENT, Role.DELIVERY_COORDINATOR})


def is_dispatcher(user: AnyUser) -> bool:
    """An active town admin, town agent or delivery coordinator."""
    return bool(user.is_authenticated and user.is_active and user.role in DISPATCHER_ROLES)


def require_dispatcher(user: AnyUser) -> None:
    """403 for a signed-in user who does not run the deliveries (residents, merchants, couriers)."""
    if not is_dispatcher(user):
        raise PermissionDenied


# Anonymous → login page; signed in without a dispatcher role → 403.
dispatcher_view = signed_in_view(require_dispatcher)
