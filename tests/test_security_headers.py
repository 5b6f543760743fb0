"""Security headers per kind of host and page (test plan T-SEC-02): HSTS and the Content-Security-Policy."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from accounts.models import Role, User
from tenants.models import Domain

YEAR = 31_536_000
ROOT = Path(__file__).resolve().parents[1]
STRICT = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}


def policy_of(response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy, directive by directive."""
    directives = (part.split() for part in response["Content-Security-Policy"].split(";") if part.strip())
    return {name: sources for name, *sources in directives}


def assert_strict_policy(response) -> None:
    policy = policy_of(response)
    assert {name: policy.get(name) for name in STRICT} == STRICT
    assert not [name for name, sources in policy.items() if "'unsafe-inline'" in sources or "'unsafe-eval'" in sources]
    html = response.content.decode() if response["Content-Type"].startswith("text/html") else ""
    nonces = re.findall(r'<style nonce="([^"]+)">', html)
    # The town's colours are the only inline style: allowed by this response's nonce, and only it.
    assert policy["style-src"] == ["'self'", *(f"'nonce-{nonce}'" for nonce in nonces[:1])]
    assert len(set(nonces)) <= 1


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
    """``includeSubDomains`` goes out on the platform domain only: on a custom domain it would force
    HTTPS on every other name of the town's own domain for a year."""
    response = Client(HTTP_HOST=host).get("/healthz", secure=True)

    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == expected


def test_no_hsts_over_plain_http(custom_domain):
    for host in ("ville-a.test", "achetez-a-ville-a.fr"):
        assert "Strict-Transport-Security" not in Client(HTTP_HOST=host).get("/healthz")


TOWN_PAGES_ANONYMOUS = [
    "/",
    "/commerces/",
    "/recherche/?q=pain",
    "/categories/alimentation/",
    "/panier/",
    "/commande/",
    "/pages/mentions-legales/",
    "/compte/login/",
    "/compte/signup/",
    "/compte/password/reset/",
    "/compte/confirm-email/",
    "/nulle-part/",
    "/sitemap.xml",
    "/api/v1/products/",
]
TOWN_PAGES_STAFF = [
    "/gestion/",
    "/gestion/catalogue/",
    "/gestion/pages/cgv/",
    "/gestion/livraison/",
    "/gestion/commandes/en-attente/",
    "/gestion/mes-commandes/",
    "/gestion/finances/",
    "/gestion/reversements/",
    "/gestion/reversements/coordonnees-bancaires/",
]
TOWN_PAGES_RESIDENT = ["/compte/commandes/", "/compte/mes-donnees/", "/compte/supprimer/"]


@pytest.mark.parametrize("path", TOWN_PAGES_ANONYMOUS)
def test_every_public_town_page_carries_the_strict_policy(client_a, path):
    """Django sets the strict CSP on every public town page (the Caddyfile relies on it)."""
    response = client_a.get(path)

    assert response.status_code in (200, 302, 404), response.status_code
    assert_strict_policy(response)


def test_staff_resident_and_operator_pages_carry_the_strict_policy(town_a, client_a, operator_client):
    with town_a:
        admin = User.objects.create_user(email="maire@ville-a.fr", role=Role.TOWN_ADMIN)
        resident = User.objects.create_user(email="habitante@ville-a.fr")
    pages = [(admin, path) for path in TOWN_PAGES_STAFF] + [(resident, path) for path in TOWN_PAGES_RESIDENT]
    for user, path in pages:
        with town_a:
            client_a.force_login(user)
        response = client_a.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert_strict_policy(response)
    for path in ("/", "/console/", "/console/villes/nouvelle/", "/compte/password/change/"):
        response = operator_client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert_strict_policy(response)
    unknown = Client(HTTP_HOST="inconnue.test").get("/")
    assert unknown.status_code == 404
    assert_strict_policy(unknown)


PAGE_TEMPLATES = [
    path
    for directory in ("templates", "*/templates")
    for path in ROOT.glob(f"{directory}/**/*.html")
    # e-mails and printed PDFs are never pages a browser opens under our policy
    if not re.search(r"/emails?/|_pdf|/ticket\.html$", str(path))
]


def test_page_templates_have_no_inline_script_event_handler_or_style_attribute():
    assert len(PAGE_TEMPLATES) > 50
    found = {}
    for path in PAGE_TEMPLATES:
        html = path.read_text()
        problems = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)[^>]*>", html)
        problems += re.findall(r"\son[a-z]+\s*=", html) + re.findall(r"\sstyle\s*=", html)
        problems += re.findall(r"<style(?![^>]*nonce=)[^>]*>", html) + re.findall(r"javascript:", html)
        if problems:
            found[str(path.relative_to(ROOT))] = problems
    assert found == {}


@pytest.mark.slow
def test_pages_may_show_media_from_the_s3_bucket_and_nowhere_else():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "AWS_STORAGE_BUCKET_NAME": "photos-comptoir",
        "AWS_S3_ENDPOINT_URL": "https://s3.fr-par.scw.cloud",
    }
    code = "import django; django.setup(); from django.conf import settings as s; print(*s.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src'])"
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)

    assert result.stdout.split() == [
        "'self'",
        "data:",
        "https://s3.fr-par.scw.cloud",
        "https://photos-comptoir.s3.fr-par.scw.cloud",
    ]
