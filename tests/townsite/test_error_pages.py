"""Error pages speak French and keep the town's frame: a lost resident finds the way home."""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings
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


@override_settings(DEBUG=True)
@pytest.mark.parametrize("path", ["/commerces/ferme-depuis-longtemps/", "/cette-page-n-existe-pas/"])
def test_with_debug_on_a_missing_shop_or_page_of_a_town_still_gets_the_towns_french_page(client_a, path):
    response = client_a.get(path)

    assert response.status_code == 404
    page = response.content.decode()
    assert "<title>Page introuvable — Ville A</title>" in page
    assert '<a href="/">Revenir à l’accueil</a>' in page
    assert "Page not found" not in page
    assert "DEBUG = True" not in page


@override_settings(DEBUG=True)
def test_with_debug_on_a_town_address_without_its_final_slash_is_still_redirected(client_a):
    response = client_a.get("/commerces")

    assert response.status_code == 301
    assert response["Location"] == "/commerces/"


@override_settings(DEBUG=True)
def test_with_debug_on_a_missing_product_seen_by_its_shopkeeper_keeps_the_signed_in_header(client_a, town_a):
    sign_in(client_a, town_a, role=Role.MERCHANT_STAFF, email="boutique@ville-a.test")

    response = client_a.get("/gestion/catalogue/produits/999999/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "Page introuvable" in page
    assert "boutique@ville-a.test" in page
