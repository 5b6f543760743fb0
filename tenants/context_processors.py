from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def platform(request: HttpRequest) -> dict[str, object]:
    """What every page needs to know: which town's site this is (if any) and the platform's name."""
    tenant = getattr(request, "tenant", None)
    town = tenant if tenant is not None and getattr(tenant, "schema_name", "public") != "public" else None
    return {
        "town": town,
        "platform_name": settings.PLATFORM_NAME,
        "platform_domain": settings.PLATFORM_DOMAIN,
        "brand_primary": town.primary_color if town else "#1d3557",
        "brand_secondary": town.secondary_color if town else "#6b2737",
    }
