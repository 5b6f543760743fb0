"""The platform's one rate limit (accounts.ratelimit), used by address suggestions and checkout."""

from __future__ import annotations

import datetime as dt

import time_machine

from accounts.ratelimit import is_over_limit

START = dt.datetime(2026, 12, 5, 10, 0, 0, tzinfo=dt.UTC)  # a window starts (fixed windows)


def hits(count: int, **kwargs: object) -> list[bool]:
    options = {"scope": "essai", "client": "198.51.100.7", "limit": 3, "window_seconds": 60, **kwargs}
    return [is_over_limit(**options) for _ in range(count)]


def test_a_client_is_over_the_limit_past_it_until_the_next_window(town_a):
    with town_a:
        with time_machine.travel(START, tick=False):
            assert hits(5) == [False, False, False, True, True]
        with time_machine.travel(START + dt.timedelta(seconds=59), tick=False):
            assert hits(1) == [True]
        with time_machine.travel(START + dt.timedelta(seconds=60), tick=False):
            assert hits(4) == [False, False, False, True]


def test_each_town_scope_and_client_counts_apart(town_a, town_b):
    with time_machine.travel(START, tick=False):
        with town_a:
            assert hits(4) == [False, False, False, True]
        with town_b:
            assert hits(1) == [False]  # the cache key carries the town's schema
        with town_a:
            assert hits(1, scope="autre") == [False]
            assert hits(1, client="203.0.113.9") == [False]
