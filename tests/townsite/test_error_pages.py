"""Error pages speak French and keep the town's frame: a lost resident finds the way home."""

from __future__ import annotations

from django.test import RequestFactory
from django.views.defaults import server_error

from accounts.models import Role
from tests.catalog.test_backoffice import sign_in


def test_an_unknown_page_of_a_town_says_so_in_french_with_the_way_home(client_a):
    response = client_a.get("/cette-page-n-existe-pas/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "<title>Page introuvable — Ville A</title>" in page
    assert '<a href="/">Revenir à l’accueil</a>' in page
    assert '<html lang="fr">' in page


def test_an_unknown_page_of_the_operator_site_says_so_too(client, db):
    response = client.get("/nulle-part/", HTTP_HOST="test")  # the root domain in tests

    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


def test_a_page_the_account_may_not_see_says_why_in_french(client_a, town_a):
    sign_in(client_a, town_a, role=Role.MERCHANT_STAFF, email="boutique@ville-a.test")

    response = client_a.get("/gestion/finances/")

    assert response.status_code == 403
    page = response.content.decode()
    assert "Accès refusé" in page
    assert "Votre compte (boutique@ville-a.test) ne donne pas accès à cette page." in page
    assert "403 Forbidden" not in page


def test_the_server_error_page_needs_nothing_from_the_request():
    response = server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    page = response.content.decode()
    assert "Une erreur est survenue" in page
    assert "Rien de ce que vous avez validé avant n’est perdu" in page
