"""Isolation between towns: sessions, cookies, cache, tables in public (test plan T-ISO-02/03/04/06)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client

from accounts.models import Role, User


def _login(client: Client, email: str, password: str) -> None:
    response = client.post("/compte/login/", {"login": email, "password": password})
    assert response.status_code == 302, response.content.decode()[:2000]


def test_session_cookie_from_one_town_is_anonymous_on_another(db, town_a, town_b, client_a):
    # Given a user with the same primary key and the same password hash in both towns
    with town_a:
        alice = User.objects.create_user(email="alice@ville-a.fr", password="mot-de-passe-long-1")
    with town_b:
        User.objects.filter(pk=alice.pk).delete()
        twin = User(pk=alice.pk, email="bob@ville-b.fr", role=Role.TOWN_ADMIN, password=alice.password)
        twin.save()
    _login(client_a, "alice@ville-a.fr", "mot-de-passe-long-1")
    session_cookie = client_a.cookies[settings.SESSION_COOKIE_NAME].value
    assert "alice@ville-a.fr" in client_a.get("/").content.decode()

    # When the same cookie is replayed against town B
    client_b = Client(HTTP_HOST=town_b.primary_host)
    client_b.cookies[settings.SESSION_COOKIE_NAME] = session_cookie
    response = client_b.get("/gestion/")

    # Then town B sees an anonymous visitor
    assert response.status_code == 302
    assert response["Location"].startswith("/compte/login/")
    home = client_b.get("/").content.decode()
    assert "bob@ville-b.fr" not in home
    assert "Se connecter" in home


def test_a_flash_message_cookie_from_one_town_is_ignored_by_another(db, town_a, town_b, client_a):
    """The ``messages`` cookie is signed per town: town B does not show town A's
    "Connexion avec admin@… réussie"."""
    with town_a:
        User.objects.create_user(email="admin@ville-a.fr", password="mot-de-passe-long-1", role=Role.TOWN_ADMIN)
    login = client_a.post("/compte/login/", {"login": "admin@ville-a.fr", "password": "mot-de-passe-long-1"})
    flash = login.cookies["messages"].value

    on_a, on_b = Client(HTTP_HOST=town_a.primary_host), Client(HTTP_HOST=town_b.primary_host)
    on_a.cookies["messages"], on_b.cookies["messages"] = flash, flash

    assert "Connexion avec admin@ville-a.fr réussie" in on_a.get("/").content.decode()
    assert "admin@ville-a.fr" not in on_b.get("/").content.decode()


def test_cookies_are_host_only_secure_and_prefixed(db, town_a, client_a):
    csrf = client_a.get("/compte/login/").cookies[settings.CSRF_COOKIE_NAME]
    with town_a:
        User.objects.create_user(email="carole@ville-a.fr", password="mot-de-passe-long-2")
    response = client_a.post("/compte/login/", {"login": "carole@ville-a.fr", "password": "mot-de-passe-long-2"})
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    language = client_a.post("/i18n/setlang/", {"language": "en", "next": "/"}).cookies[settings.LANGUAGE_COOKIE_NAME]

    for cookie in (session, csrf, language):
        assert cookie.key.startswith("__Host-")
        assert cookie["secure"] is True
        assert cookie["domain"] == ""
        assert cookie["path"] == "/"
        assert cookie["samesite"] == "Lax"
    assert session["httponly"] is True


def test_same_cache_key_in_two_towns_holds_two_values(db, town_a, town_b):
    with town_a:
        cache.set("catalog", "valeur de A")
    with town_b:
        cache.set("catalog", "valeur de B")

    with town_a:
        assert cache.get("catalog") == "valeur de A"
    with town_b:
        assert cache.get("catalog") == "valeur de B"
    assert cache.get("catalog") is None
    assert settings.CACHES["default"]["KEY_FUNCTION"] == "django_tenants.cache.make_key"


def test_auth_and_sessions_are_per_town_apps():
    for app in ("django.contrib.auth", "django.contrib.sessions", "accounts"):
        assert app in settings.SHARED_APPS
        assert app in settings.TENANT_APPS
    assert settings.SESSION_COOKIE_DOMAIN is None


def test_no_town_only_table_exists_in_public(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        public_tables = {row[0] for row in cursor.fetchall()}
    assert "townsite_legalpage" not in public_tables
    assert "tenants_town" in public_tables


def test_town_tables_do_not_hold_public_tables(db, town_a):
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [town_a.schema_name])
        town_tables = {row[0] for row in cursor.fetchall()}
    assert "tenants_town" not in town_tables
    assert {"townsite_legalpage", "accounts_user", "accounts_apitoken", "django_session"} <= town_tables


@pytest.mark.parametrize("bad_host", ["evil.example", "ville-a.test.evil.example", "test.evil"])
def test_foreign_hosts_never_reach_a_town(db, bad_host):
    assert Client(HTTP_HOST=bad_host).get("/").status_code == 404


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
