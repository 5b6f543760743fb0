"""Attacks on the operator console, town routing and the host cache (review of tenants)."""

from __future__ import annotations

import io
import threading

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import Client
from PIL import Image

from accounts.models import Role, User
from tenants.actions import suspend_town
from tenants.hosts import find_town_for_host
from tenants.models import Domain, Town, TownStatus
from tests.tenants.test_console_and_api import _branding_data


def _png(name: str = "logo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "#003366").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


# --- Bugs -------------------------------------------------------------------------------------


def test_clearing_the_logo_in_the_console_empties_the_field(operator_client, town_a, settings, tmp_path):
    """Found in review, now fixed; before the fix: Ticking "Effacer" next to the logo is a 500 error (AttributeError: 'bool' object has no attribute 'name').

    The ModelForm gives ``False`` for a cleared file field; ``update_branding`` copies it with
    ``setattr`` instead of ``field.save_form_data``, and ``FileField.pre_save`` chokes on the bool:
    an operator can never remove a town's logo or hero image.
    """
    settings.MEDIA_ROOT = tmp_path
    assert operator_client.post("/console/villes/ville-a/", _branding_data(logo=_png())).status_code == 302

    response = operator_client.post("/console/villes/ville-a/", _branding_data(**{"logo-clear": "on"}))

    assert response.status_code == 302
    town_a.refresh_from_db()
    assert town_a.logo.name == ""


def test_a_verified_www_custom_domain_reaches_its_town(db, town_a):
    """Found in review, now fixed; before the fix: A town whose verified custom domain is ``www.<something>`` is unreachable (404 page).

    The middleware strips ``www.`` (django-tenants' ``remove_www``) before looking the host up, so
    ``www.monshopping-ville-a.fr`` is searched as ``monshopping-ville-a.fr``; the TLS ask endpoint
    meanwhile allows the certificate for the www host. Custom domains of towns very often start with www.
    """
    Domain.objects.create(domain="www.monshopping-ville-a.fr", tenant=town_a, is_primary=False, is_verified=True)

    response = Client(HTTP_HOST="www.monshopping-ville-a.fr").get("/pages/cgv/")

    assert response.status_code == 200


def test_name_of_a_town_cannot_be_blanked_in_the_console(operator_client, town_a):
    """Found in review, now fixed; before the fix: The console accepts an empty town name (``Town.name`` is ``blank=True``), while provisioning
    refuses one: the town site then shows no name in its header, title and legal pages."""
    response = operator_client.post("/console/villes/ville-a/", _branding_data(name="   "))

    assert response.status_code == 200
    town_a.refresh_from_db()
    assert town_a.name == "Ville A"


def test_name_of_a_town_cannot_be_blanked_through_the_api(db, town_a):
    """Found in review, now fixed; before the fix: Same hole through ``PATCH /api/v1/towns/<slug>/``: ``{"name": ""}`` is saved."""
    from accounts.tokens import issue_api_token

    operator = User.objects.create_user(email="api@operateur.test", role=Role.OPERATOR, is_staff=True)
    api = Client(HTTP_HOST="test", HTTP_AUTHORIZATION=f"Token {issue_api_token(user=operator)}")

    response = api.patch("/api/v1/towns/ville-a/", {"name": ""}, content_type="application/json")

    assert response.status_code == 400
    town_a.refresh_from_db()
    assert town_a.name == "Ville A"


def test_a_request_during_suspension_does_not_keep_the_town_online(db, town_a, django_capture_on_commit_callbacks):
    """Found in review, now fixed; before the fix: The host cache is invalidated by ``post_save`` *inside* the suspension transaction.

    A request arriving between that invalidation and the commit still reads the committed row
    (status ready) and caches it for 60 s under the new generation: the suspended town stays online
    for another minute (and a deleted town keeps being routed to its dropped schema, 500 errors).
    Invalidating in ``transaction.on_commit`` closes the window.
    """
    host = town_a.primary_host
    seen: list[str] = []

    def concurrent_request() -> None:
        try:
            town = find_town_for_host(host)
            seen.append(town.status if town else "none")
        finally:
            connections.close_all()

    with django_capture_on_commit_callbacks(execute=True):
        suspend_town(town=town_a)
        worker = threading.Thread(target=concurrent_request)
        worker.start()
        worker.join(timeout=30)
    assert seen == [TownStatus.READY]  # the other connection still saw the committed row

    connection.set_schema_to_public()
    town = find_town_for_host(host)
    assert town is not None
    assert town.status == TownStatus.SUSPENDED


# --- Behaviour pinned (passing) ------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "VILLE-A.TEST",
        "ville-a.test.",
        "www.ville-a.test",
        "ville-a.test:8000",
    ],
)
def test_town_host_variants_reach_the_town(db, host):
    response = Client(HTTP_HOST=host).get("/pages/cgv/")
    assert response.status_code == 200
    assert "Ville A" in response.content.decode()


@pytest.mark.parametrize(
    "host",
    [
        "ville-a.test@evil.example",
        "ville-a.test:80:80",
        "ville-a.test/evil",
        "ville-a.test evil",
        "[::1]:8000",
        "v_ville_a",
        "_template.test",
        "x" * 300 + ".test",
        "ville-a.test\\.evil",
    ],
)
def test_malformed_host_headers_get_a_page_never_a_500(db, host):
    response = Client(HTTP_HOST=host).get("/")
    assert response.status_code in (400, 404)
    assert "Ville A" not in response.content.decode()


def test_spare_and_template_towns_are_never_routed(db):
    template = Town.objects.get(status=TownStatus.TEMPLATE)
    Domain.objects.create(domain="modele.test", tenant=template, is_primary=False, is_verified=True)
    assert Client(HTTP_HOST="modele.test").get("/").status_code == 404


def test_unverified_custom_domain_is_refused_by_tls_ask_and_routing(db, town_a):
    Domain.objects.create(domain="pas-encore.fr", tenant=town_a, is_primary=False, is_verified=False)
    assert Client(HTTP_HOST="pas-encore.fr").get("/").status_code == 404
    assert Client(HTTP_HOST="test").get("/internal/tls-ask", {"domain": "pas-encore.fr"}).status_code == 404


def test_suspended_town_refuses_login_and_api_but_answers_healthz(db, town_a, client_a):
    with town_a:
        User.objects.create_user(email="habitant@ville-a.fr", password="mot-de-passe-long-1")
    suspend_town(town=town_a)

    login = client_a.post("/compte/login/", {"login": "habitant@ville-a.fr", "password": "mot-de-passe-long-1"})
    assert login.status_code == 503
    assert settings.SESSION_COOKIE_NAME not in login.cookies
    assert client_a.get("/api/v1/products/").status_code == 503
    assert client_a.get("/media/v_ville_a/x.png").status_code == 503
    assert client_a.get("/healthz").status_code == 200


def test_suspended_town_pages_do_not_depend_on_a_previous_urlconf(db, town_a, client_a, client_b):
    suspend_town(town=town_a)
    client_b.get("/")  # a town request sets the town urlconf in this thread
    response = client_a.get("/gestion/")
    assert response.status_code == 503
    assert response["Retry-After"] == "86400"


def test_console_and_api_refuse_anonymous_and_town_users(db, town_a):
    with town_a:
        impostor = User.objects.create_user(
            email="faux-operateur@ville-a.fr", password="mot-de-passe-long-1", role=Role.OPERATOR, is_staff=True
        )
    client = Client(HTTP_HOST="test")
    # town credentials mean nothing on the operator site
    login = client.post("/compte/login/", {"login": impostor.email, "password": "mot-de-passe-long-1"})
    assert login.status_code == 200
    console = client.get("/console/")
    assert console.status_code == 302
    assert console["Location"].startswith("/compte/login/")
    assert client.post("/console/villes/ville-a/suspendre/").status_code == 302
    Town.objects.get(slug="ville-a", status=TownStatus.READY)


def test_public_resident_is_forbidden_on_the_console(db):
    resident = User.objects.create_user(email="curieux@exemple.fr", password="mot-de-passe-long-1")
    client = Client(HTTP_HOST="test")
    client.force_login(resident)
    assert client.get("/console/").status_code == 403
    assert client.post("/console/villes/ville-a/suspendre/").status_code == 403
    assert client.get("/console/villes/ville-a/").status_code == 403
    assert client.get("/api/v1/towns/").status_code == 403
    Town.objects.get(slug="ville-a", status=TownStatus.READY)


def test_operator_session_means_nothing_on_a_town_host(operator_client, client_a):
    cookie = operator_client.cookies[settings.SESSION_COOKIE_NAME].value
    client_a.cookies[settings.SESSION_COOKIE_NAME] = cookie
    response = client_a.get("/gestion/")
    assert response.status_code == 302
    assert response["Location"].startswith("/compte/login/")


def test_town_session_means_nothing_on_the_root_domain(db, town_a, client_a):
    with town_a:
        admin = User.objects.create_user(email="maire@ville-a.fr", role=Role.TOWN_ADMIN)
        client_a.force_login(admin)
    root = Client(HTTP_HOST="test")
    root.cookies[settings.SESSION_COOKIE_NAME] = client_a.cookies[settings.SESSION_COOKIE_NAME].value
    assert root.get("/console/").status_code == 302
    assert root.get("/api/v1/towns/").status_code in (401, 403)


def test_console_writes_refuse_get_and_missing_csrf(db, operator_client):
    assert operator_client.get("/console/villes/ville-a/suspendre/").status_code == 405
    Town.objects.get(slug="ville-a", status=TownStatus.READY)

    strict = Client(HTTP_HOST="test", enforce_csrf_checks=True)
    strict.cookies = operator_client.cookies
    assert strict.post("/console/villes/ville-a/suspendre/").status_code == 403
    assert strict.post("/api/v1/towns/ville-a/suspend/").status_code == 403
    Town.objects.get(slug="ville-a", status=TownStatus.READY)


def test_console_unknown_or_absurd_slugs_are_404(operator_client):
    for slug in ("inconnue", "a" * 500, "_template", "public"):
        assert operator_client.get(f"/console/villes/{slug}/").status_code == 404
        assert operator_client.post(f"/console/villes/{slug}/suspendre/").status_code == 404
    assert operator_client.get("/console/villes/%2e%2e/").status_code == 404


@pytest.mark.parametrize(
    "slug",
    ["Ville-C", "ville_c", "-ville", "ville-", "pg-ville", "a" * 41, "ville--c", "été", "www", "v\u200bille", "1 2"],
)
def test_console_refuses_bad_slugs_with_a_form_error_and_creates_nothing(operator_client, slug):
    before = Town.objects.count()
    response = operator_client.post(
        "/console/villes/nouvelle/",
        {"name": "Ville C", "slug": slug, "kind": "commune", "primary_color": "#003366", "secondary_color": "#6b2737"},
    )
    assert response.status_code == 200
    assert Town.objects.count() == before


@pytest.mark.parametrize(
    "domain",
    ["test", "ville-b.test", "x.ville-a.test", "127.0.0.1", "-bad.fr", "évian.fr", "a" * 64 + ".fr", "ville-a.test."],
)
def test_console_refuses_platform_or_invalid_custom_domains(operator_client, domain):
    before = (Town.objects.count(), Domain.objects.count())
    response = operator_client.post(
        "/console/villes/nouvelle/",
        {
            "name": "Ville C",
            "slug": "ville-c",
            "kind": "commune",
            "primary_color": "#003366",
            "secondary_color": "#6b2737",
            "custom_domain": domain,
        },
    )
    assert response.status_code == 200
    assert (Town.objects.count(), Domain.objects.count()) == before


def test_console_edit_refuses_css_injection_in_colours(operator_client, town_a, client_a):
    payload = "#003366;}</style><script>alert(1)</script>"
    response = operator_client.post("/console/villes/ville-a/", _branding_data(primary_color=payload))
    assert response.status_code == 200
    town_a.refresh_from_db()
    assert town_a.primary_color != payload
    assert "<script>alert(1)" not in client_a.get("/").content.decode()


def test_console_escapes_town_names_and_taglines(operator_client, town_a, client_a):
    evil = '<img src=x onerror="alert(1)">'
    assert operator_client.post("/console/villes/ville-a/", _branding_data(tagline=evil)).status_code == 302
    assert evil not in client_a.get("/").content.decode()
    assert evil not in operator_client.get("/console/").content.decode()


def test_console_refuses_a_logo_with_an_html_extension(operator_client, town_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = operator_client.post("/console/villes/ville-a/", _branding_data(logo=_png("logo.html")))
    assert response.status_code == 200
    town_a.refresh_from_db()
    assert not town_a.logo


def test_console_refuses_a_truncated_or_empty_image(operator_client, town_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    broken = SimpleUploadedFile("hero.png", _png().read()[:40], content_type="image/png")
    empty = SimpleUploadedFile("hero.png", b"", content_type="image/png")
    for upload in (broken, empty):
        response = operator_client.post("/console/villes/ville-a/", _branding_data(hero_image=upload))
        assert response.status_code == 200
    town_a.refresh_from_db()
    assert not town_a.hero_image


def test_console_refuses_a_decompression_bomb_logo(operator_client, town_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buffer, format="PNG")  # 400 Mpx, a few kB compressed
    bomb = SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png")
    response = operator_client.post("/console/villes/ville-a/", _branding_data(logo=bomb))
    assert response.status_code == 200
    town_a.refresh_from_db()
    assert not town_a.logo


def test_uploaded_branding_is_served_sandboxed(operator_client, town_a, client_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    operator_client.post("/console/villes/ville-a/", _branding_data(logo=_png()))
    town_a.refresh_from_db()
    response = client_a.get(f"/media/public/{town_a.logo.name}")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_console_nul_characters_are_refused_not_500(operator_client):
    response = operator_client.post(
        "/console/villes/nouvelle/",
        {
            "name": "Ville\x00C",
            "slug": "ville-c\x00",
            "kind": "commune",
            "primary_color": "#003366",
            "secondary_color": "#6b2737",
            "custom_domain": "a\x00.fr",
        },
    )
    assert response.status_code == 200
    assert not Town.objects.filter(name__startswith="Ville").exclude(slug__in=("ville-a", "ville-b")).exists()
    assert operator_client.get("/internal/tls-ask?domain=a%00.fr").status_code == 400


def test_api_create_refuses_bad_input_without_500(db):
    from accounts.tokens import issue_api_token

    operator = User.objects.create_user(email="api@operateur.test", role=Role.OPERATOR, is_staff=True)
    api = Client(HTTP_HOST="test", HTTP_AUTHORIZATION=f"Token {issue_api_token(user=operator)}")
    before = (Town.objects.count(), Domain.objects.count())
    for body in (
        {"slug": "ville\x00c", "name": "C"},
        {"slug": "ville-c", "name": "C", "custom_domain": "ville-a.test"},
        {"slug": "ville-c", "name": "C", "insee_codes": ["x" * 50]},
        {"slug": "ville-c", "name": "C", "primary_color": "red"},
        {"slug": ["ville-c"], "name": "C"},
        {"slug": "ville-a", "name": "Doublon"},
    ):
        response = api.post("/api/v1/towns/", body, content_type="application/json")
        assert response.status_code == 400, (body, response.content)
    assert api.post("/api/v1/towns/", "{not json", content_type="application/json").status_code == 400
    assert (Town.objects.count(), Domain.objects.count()) == before


def test_unknown_host_lookups_are_not_cached_as_a_town(db, town_a):
    assert Client(HTTP_HOST="bientot.fr").get("/").status_code == 404
    Domain.objects.create(domain="bientot.fr", tenant=town_a, is_primary=False, is_verified=True)
    assert Client(HTTP_HOST="bientot.fr").get("/pages/cgv/").status_code == 200


def test_console_refuses_the_stripe_account_of_another_town_without_500(operator_client, town_a, town_b):
    stripe = {"payment_gateway": "stripe", "collector_mode": "regie", "stripe_account_id": "acct_1234567890"}
    assert operator_client.post("/console/villes/ville-b/", _branding_data(name="Ville B", **stripe)).status_code == 302

    response = operator_client.post("/console/villes/ville-a/", _branding_data(**stripe))

    assert response.status_code == 200
    town_a.refresh_from_db()
    assert town_a.stripe_account_id is None
