"""The request as ``tenants.middleware.TownMiddleware`` leaves it, for type annotations only.

Every request passes through the middleware, which sets ``request.tenant`` (the town whose host was
asked for, or ``public_town()`` on the operator site and on its own error pages) and
``request.urlconf``. Views that need the town call ``tenants.current.current_town()``; this type is
for the code around the middleware that reads the request's own attributes. Never instantiated: the
objects are Django's requests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from tenants.models import Town


class TownRequest(HttpRequest):
    tenant: Town
    urlconf: str
