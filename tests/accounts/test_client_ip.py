"""The client's address through the reverse proxies we trust, and no further."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from accounts.network import client_ip, client_network


@pytest.mark.parametrize(
    ("trusted", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "127.0.0.1"),  # no proxy trusted: the header is the client's own words
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "10.6.6.6, 203.0.113.9", "203.0.113.9"),  # what the client prepended is ignored
        (2, "10.6.6.6, 203.0.113.9, 172.16.0.2", "203.0.113.9"),
        (2, "203.0.113.9", "127.0.0.1"),  # fewer hops than proxies: not through ours, not believed
        (1, "", "127.0.0.1"),
    ],
)
def test_the_client_is_the_address_the_outermost_trusted_proxy_saw(settings, trusted, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = trusted
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request) == expected


def test_login_lockouts_use_the_same_address(settings):
    from axes.helpers import get_client_ip_address

    settings.TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")

    assert get_client_ip_address(request) == "203.0.113.9"


@pytest.mark.parametrize(
    ("address", "counted_as"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:5:7:a:b:c:d", "2001:db8:5:7::/64"),  # a whole /64 is one subscriber line
        ("2001:db8:5:7::1", "2001:db8:5:7::/64"),
        ("::ffff:198.51.100.7", "198.51.100.7"),  # an IPv4 client seen through an IPv6 socket
        ("", ""),
    ],
)
def test_limits_count_an_ipv6_client_by_its_64_network(address, counted_as):
    assert client_network(address) == counted_as
