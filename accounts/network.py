"""Who is asking: the client's address, read through the reverse proxies we trust and no others."""

from __future__ import annotations

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
