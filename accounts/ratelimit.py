"""The platform's one rate limit: a fixed-window counter per client, kept in the cache.

Keys go through the cache's tenant-aware key function (settings.CACHES: django-tenants' make_key
puts the current schema in front), so each town counts apart: a client stopped in one town is not
stopped in another, and one town's traffic never uses up another's budget.
"""

from __future__ import annotations

import time

from django.core.cache import cache


def is_over_limit(*, scope: str, client: str, limit: int, window_seconds: int) -> bool:
    """Counts one request of ``client`` in ``scope``; True once more than ``limit`` came in this window.

    Windows are fixed (aligned on multiples of ``window_seconds``): at a window's edge a client may
    get up to twice ``limit`` in a short time, which the limits chosen by callers allow for.
    """
    window = int(time.time() // window_seconds)
    key = f"ratelimit:{scope}:{client}:{window}"
    # add() then incr(): both atomic (Redis, locmem), so simultaneous requests each get their own count.
    cache.add(key, 0, timeout=window_seconds + 10)
    try:
        return cache.incr(key) > limit
    except ValueError:  # expired between add and incr: the next window has started
        return False
