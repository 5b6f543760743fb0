from __future__ import annotations

import json

from django.test import Client

from tenants.actions import resume_town, suspend_town, verify_custom_domain
from tenants.models import Domain


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
