"""Who is asking: the client's address, read through the reverse proxies we trust and no others."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's IP address, for rate limits and login lockouts.

    Behind ``TRUSTED_PROXY_COUNT`` reverse proxies (Caddy or nginx in front of gunicorn: 1),
    REMOTE_ADDR is the last proxy and the client is the address the outermost trusted proxy put in
    X-Forwarded-For, counted from the right: entries further left were written by the client and
    may be forged. With no trusted proxy (the default), X-Forwarded-For is ignored altogether.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < count:
        return remote  # not through all our proxies: do not trust what it says
    return forwarded[-count]


def client_network(ip: str) -> str:
    """What a per-client limit should count: an IPv4 address, or the /64 network of an IPv6 one (one
    subscriber line gets a whole /64, so a script could take a new address for every request)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # ::ffff:198.51.100.7 is 198.51.100.7
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)
