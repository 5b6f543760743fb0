"""Which town a host reaches: the town's own and verified custom domains, whatever their spelling; never
a spare or template schema, never a 500 for a malformed host; a suspended town answers 503 at once."""

from __future__ import annotations

import json
import threading

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import Client

from accounts.models import User
from tenants.actions import resume_town, suspend_town, verify_custom_domain
from tenants.hosts import find_town_for_host
from tenants.models import Domain, Town, TownStatus


def test_town_host_serves_the_town_home_with_its_branding(client_a, town_a):
    response = client_a.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Les commerces de Ville A" in html
    assert f"--brand-primary: {town_a.primary_color}" in html
    assert '<html lang="fr">' in html
    assert 'href="#contenu"' in html  # skip link
    assert '<main id="contenu"' in html


def test_unknown_host_gets_a_french_404_linking_to_the_operator_site(db):
    response = Client(HTTP_HOST="inconnue.test").get("/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "Cette place de marché n'existe pas" in html
    assert 'href="https://test/"' in html


def test_unknown_host_on_another_path_is_still_a_404_page_not_a_500(db):
    response = Client(HTTP_HOST="nulle-part.example.org").get("/compte/login/?next=/x")
    assert response.status_code == 404


def test_suspended_town_gets_a_503_page_and_comes_back_when_resumed(db, town_a, client_a):
    suspend_town(town=town_a)

    response = client_a.get("/")
    assert response.status_code == 503
    assert "momentanément fermée" in response.content.decode()
    assert response["Retry-After"] == "86400"

    resume_town(town=town_a)
    assert client_a.get("/").status_code == 200


def test_unverified_custom_domain_is_not_routed_until_verified(db, town_a):
    domain = Domain.objects.create(domain="achetez-a-ville-a.fr", tenant=town_a, is_primary=False)
    client = Client(HTTP_HOST="achetez-a-ville-a.fr")

    assert client.get("/").status_code == 404

    verify_custom_domain(domain=domain)
    response = client.get("/")
    assert response.status_code == 200
    assert "Les commerces de Ville A" in response.content.decode()


def test_root_domain_lists_live_towns_only(db, town_a, town_b):
    suspend_town(town=town_b)

    html = Client(HTTP_HOST="test").get("/").content.decode()

    assert "Ville A" in html
    assert "Ville B" not in html
    assert "Modèle" not in html


def test_healthz_answers_json_on_every_host(db, client_a, town_b):
    for client in (client_a, Client(HTTP_HOST="test")):
        response = client.get("/healthz")
        assert response.status_code == 200
        body = json.loads(response.content)
        assert body["status"] == "ok"
        assert body["checks"]["database"]["ok"] is True
    suspend_town(town=town_b)
    assert Client(HTTP_HOST=town_b.primary_host).get("/healthz").status_code == 200


def test_tls_ask_endpoint_allows_only_verified_town_hosts(db, town_a):
    client = Client(HTTP_HOST="test")
    Domain.objects.create(domain="pas-encore.fr", tenant=town_a, is_primary=False, is_verified=False)

    assert client.get("/internal/tls-ask", {"domain": "ville-a.test"}).status_code == 200
    assert client.get("/internal/tls-ask", {"domain": "pas-encore.fr"}).status_code == 404
    assert client.get("/internal/tls-ask", {"domain": "evil.example"}).status_code == 404
    assert client.get("/internal/tls-ask").status_code == 404


def test_town_urls_are_not_reachable_on_the_operator_host(db):
    assert Client(HTTP_HOST="test").get("/pages/cgv/").status_code == 404


def test_operator_console_is_not_reachable_on_a_town_host(client_a):
    assert client_a.get("/console/").status_code == 404


def test_town_pages_cost_no_host_lookup_query_once_cached(client_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client_a.get("/healthz")  # warms the host → town cache

    with CaptureQueriesContext(connection) as queries:
        response = client_a.get("/pages/cgv/")
    assert response.status_code == 200
    assert not [q["sql"] for q in queries.captured_queries if "tenants_domain" in q["sql"]]


def test_media_of_one_town_are_not_served_on_another_town_host(client_a, client_b, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "v_ville_b" / "photos").mkdir(parents=True)
    (tmp_path / "v_ville_b" / "photos" / "vitrine.jpg").write_text("à B")

    assert client_b.get("/media/v_ville_b/photos/vitrine.jpg").status_code == 200
    assert client_a.get("/media/v_ville_b/photos/vitrine.jpg").status_code == 404
    assert client_a.get("/media/v_ville_a/photos/../../v_ville_b/photos/vitrine.jpg").status_code == 404


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


def test_a_verified_www_custom_domain_reaches_its_town(db, town_a):
    """A verified custom domain starting with ``www.`` reaches its town (the TLS ask endpoint allows its
    certificate): the host is looked up as sent, not stripped of ``www.`` like django-tenants'
    ``remove_www`` does. Custom domains of towns very often start with www."""
    Domain.objects.create(domain="www.monshopping-ville-a.fr", tenant=town_a, is_primary=False, is_verified=True)

    response = Client(HTTP_HOST="www.monshopping-ville-a.fr").get("/pages/cgv/")

    assert response.status_code == 200


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


def test_unknown_host_lookups_are_not_cached_as_a_town(db, town_a):
    assert Client(HTTP_HOST="bientot.fr").get("/").status_code == 404
    Domain.objects.create(domain="bientot.fr", tenant=town_a, is_primary=False, is_verified=True)
    assert Client(HTTP_HOST="bientot.fr").get("/pages/cgv/").status_code == 200


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


def test_a_request_during_suspension_does_not_keep_the_town_online(db, town_a, django_capture_on_commit_callbacks):
    """A request reading the town between the suspension's write and its commit cannot keep the town
    online: the host cache is invalidated in ``transaction.on_commit``. Invalidated inside the transaction,
    that request would cache the committed row (status ready) for 60 s under the new generation, and a
    deleted town would keep being routed to its dropped schema."""
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
