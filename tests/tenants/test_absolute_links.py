"""Absolute links (e-mails, canonical, og:image, JSON-LD) name the town's public host, never the request's.

A request on ``VILLE-A.test:6666`` must not put that host, case or port into the password-reset
link it mails, nor into the page's canonical URL and og:image.
"""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client, override_settings

from accounts.models import User
from catalog.models import Photo
from tenants.actions import town_absolute_url, town_url
from tenants.models import Domain
from tests.catalog.factories import MerchantFactory, ProductFactory

ODD_HOST = "VILLE-A.test:6666"


@pytest.fixture
def vase(town_a):
    with town_a:
        product = ProductFactory(title="Vase en grès", slug="vase", merchant=MerchantFactory(slug="poterie"))
        Photo.objects.create(product=product, image="photos/products/1/vase.jpg", width=1200, height=900)
    return product


def _head_links(html: str) -> dict[str, str]:
    return {
        "canonical": re.search(r'<link rel="canonical" href="([^"]+)">', html).group(1),
        "og:url": re.search(r'<meta property="og:url" content="([^"]+)">', html).group(1),
        "og:image": re.search(r'<meta property="og:image" content="([^"]+)">', html).group(1),
    }


def _json_ld(html: str) -> dict:
    return json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))


def test_password_reset_mail_links_to_the_towns_host_whatever_host_and_port_the_request_named(town_a, mailoutbox):
    with town_a:
        User.objects.create_user(email="habitant@ville-a.fr", password="un-mot-de-passe-solide")

    Client(HTTP_HOST=ODD_HOST).post("/compte/password/reset/", {"email": "habitant@ville-a.fr"})

    [message] = mailoutbox
    assert re.search(r"https://ville-a\.test/compte/password/reset/key/[^\s/]+/", message.body)
    assert "6666" not in message.body
    assert "VILLE-A" not in message.body
    assert message.subject.startswith("[Ville A] ")


def test_canonical_og_image_and_json_ld_name_the_towns_host_whatever_host_the_request_named(vase):
    html = Client(HTTP_HOST=ODD_HOST).get("/commerces/poterie/vase/").content.decode()

    links = _head_links(html)
    assert links["canonical"] == "https://ville-a.test/commerces/poterie/vase/"
    assert links["og:url"] == "https://ville-a.test/commerces/poterie/vase/"
    assert re.fullmatch(r"https://ville-a\.test/media/\S+/vase\.jpg", links["og:image"])
    data = _json_ld(html)
    assert data["url"] == "https://ville-a.test/commerces/poterie/vase/"
    assert data["image"] == [links["og:image"]]


def test_links_name_the_custom_domain_once_it_is_verified_and_primary(town_a, vase):
    Domain.objects.create(domain="achetez-a-ville-a.fr", tenant=town_a, is_primary=True, is_verified=True)

    html = Client(HTTP_HOST="ville-a.test").get("/commerces/poterie/vase/").content.decode()

    assert _head_links(html)["canonical"] == "https://achetez-a-ville-a.fr/commerces/poterie/vase/"
    assert town_url(town_a) == "https://achetez-a-ville-a.fr/"


def test_an_unverified_primary_domain_is_never_named(town_a):
    Domain.objects.create(domain="pas-encore-a-nous.fr", tenant=town_a, is_primary=True, is_verified=False)

    assert town_url(town_a) == "https://ville-a.test/"


@override_settings(LOCAL_DEVELOPMENT=True, PUBLIC_URL_PORT="8000")
def test_local_development_links_are_plain_http_on_the_configured_port(town_a, vase):
    html = Client(HTTP_HOST="ville-a.test:6666").get("/commerces/poterie/vase/").content.decode()

    assert _head_links(html)["canonical"] == "http://ville-a.test:8000/commerces/poterie/vase/"
    assert town_url(town_a) == "http://ville-a.test:8000/"


def test_a_path_that_looks_like_another_host_stays_on_the_town(town_a):
    assert town_absolute_url(town_a, "//evil.example/x?y=1") == "https://ville-a.test/evil.example/x?y=1"
    assert (
        town_absolute_url(town_a, "https://bucket.example/photo.jpg?sig=1") == "https://bucket.example/photo.jpg?sig=1"
    )


def test_listing_towns_with_their_links_costs_no_query_per_town(operator_client, django_assert_num_queries):
    operator_client.get("/console/")  # session and user loaded once
    with django_assert_num_queries(5):  # search_path, session, user, towns (with their public host), domains
        response = operator_client.get("/console/")

    assert "https://ville-a.test/" in response.content.decode()
    assert "https://ville-b.test/" in response.content.decode()
