"""Security headers per kind of host and page (test plan T-SEC-02): HSTS and the Content-Security-Policy."""

from __future__ import annotations

import pytest
from django.test import Client

from tenants.models import Domain

YEAR = 31_536_000


@pytest.fixture
def custom_domain(town_a):
    return Domain.objects.create(domain="achetez-a-ville-a.fr", tenant=town_a, is_primary=False, is_verified=True)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("test", f"max-age={YEAR}; includeSubDomains"),
        ("ville-a.test", f"max-age={YEAR}; includeSubDomains"),
        ("VILLE-A.test:443", f"max-age={YEAR}; includeSubDomains"),
        ("achetez-a-ville-a.fr", f"max-age={YEAR}"),
        ("ACHETEZ-A-VILLE-A.FR.", f"max-age={YEAR}"),
    ],
)
def test_hsts_covers_subdomains_on_the_platform_domain_only(custom_domain, host, expected):
    """Found in review, now fixed: ``includeSubDomains`` went out on custom domains too, where it
    would force HTTPS on every other name of the town's own domain for a year."""
    response = Client(HTTP_HOST=host).get("/healthz", secure=True)

    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == expected


def test_no_hsts_over_plain_http(custom_domain):
    for host in ("ville-a.test", "achetez-a-ville-a.fr"):
        assert "Strict-Transport-Security" not in Client(HTTP_HOST=host).get("/healthz")
