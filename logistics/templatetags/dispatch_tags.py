"""Template filters of the delivery pages, for the site's menu."""

from __future__ import annotations

from django import template

from accounts.models import AnyUser
from logistics import permissions

register = template.Library()


@register.filter
def runs_deliveries(user: AnyUser) -> bool:
    """The user may open the dispatcher pages (town admins and agents, delivery coordinators)."""
    return permissions.is_dispatcher(user)
