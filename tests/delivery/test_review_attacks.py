"""Review: an attacker and a clumsy user against the delivery zone editor and the address
suggestions. Bad input gets a French message (never a 500), other towns stay invisible, and the
public endpoint's limits hold."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from accounts.models import Role
from delivery.models import DeliveryZone
from tests.delivery.factories import CarZoneFactory, LocalAddressFactory
from tests.delivery.test_zone_editor import SQUARE, sign_in, url, zone_form

SUGGESTIONS = "/livraison/adresses/"


@pytest.fixture
def admin_client(client_a, town_a) -> Client:
    sign_in(client_a, town_a, role=Role.TOWN_ADMIN)
    client_a.raise_request_exception = False  # a 500 is a response here, as a town agent sees it
    return client_a


def _nested_features(depth: int) -> str:
    geometry: dict = SQUARE
    for _ in range(depth):
        geometry = {"type": "Feature", "geometry": geometry}
    return json.dumps(geometry)


@pytest.mark.parametrize(
    "geometry_text",
    [
        "[" * 50_000,
        '{"type":"Polygon","coordinates":' + "[" * 50_000,
        _nested_features(900),
    ],
    ids=["deep-array", "deep-coordinates", "nested-features"],
)
def test_deeply_nested_geojson_is_refused_in_french_not_a_500(admin_client, town_a, geometry_text):
    """Found in review, now fixed; before the fix: pasting "[[[[…" (50,000 brackets: a truncated or hostile paste) or a Feature nested in a
    Feature 900 times into /gestion/livraison/zones/nouvelle/ → 500 (RecursionError).
    delivery/geometry.py parse_zone_geometry catches only ValueError from json.loads, and
    _geometry_object recurses once per nested Feature without any depth limit."""
    response = admin_client.post(url("zone_create"), zone_form(geometry_text=geometry_text))
    assert response.status_code == 200
    assert "GeoJSON" in response.content.decode()
    with town_a:
        assert not DeliveryZone.objects.exists()


@pytest.mark.parametrize(
    "geometry_text",
    [
        '{"type":"Polygon","coordinates":[[[NaN,NaN],[1,2],[2,2],[NaN,NaN]]]}',
        '{"type":"Polygon","coordinates":[[[Infinity,50],[1.87,50.94],[1.87,50.96],[Infinity,50]]]}',
        '{"type":"Polygon","coordinates":"x"}',
        '{"type":"Polygon","coordinates":[[[1.84]]]}',
        '{"type":"Polygon","coordinates":[[[1.84,50.94],[1.87,50.94]]]}',
        '{"type":["Polygon"]}',
        '{"type":"GeometryCollection","geometries":[]}',
        '{"type":"FeatureCollection","features":[1,2]}',
        '{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null}]}',
        '{"type":"Polygon","coordinates":[[[1' + "0" * 5000 + ",50.94]]]}",
        "null",
        "1e999",
        '"Polygon"',
    ],
)
def test_malformed_geojson_gets_a_french_form_error(admin_client, town_a, geometry_text):
    response = admin_client.post(url("zone_create"), zone_form(geometry_text=geometry_text))
    assert response.status_code == 200
    with town_a:
        assert not DeliveryZone.objects.exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"daily_capacity": "99999999999"},
        {"position": "99999999"},
        {"fee": "9999999999999999999999"},
        {"minimum_basket": "-1"},
        {"cutoff_time": "25:99"},
        {"insee_codes_text": "62100 ; DROP TABLE", "geometry_text": ""},
        {"insee_codes_text": "62193 " * 5000, "geometry_text": ""},
        {"vehicle": "fusee"},
        {"name": "x" * 500},
    ],
)
def test_absurd_zone_numbers_and_codes_are_form_errors(admin_client, town_a, overrides):
    response = admin_client.post(url("zone_create"), zone_form(**overrides))
    if "62193 " in overrides.get("insee_codes_text", ""):
        # 5,000 copies of one valid code: accepted, de-duplicated to one
        assert response.status_code == 302
        with town_a:
            assert DeliveryZone.objects.get().insee_codes == ["62193"]
        return
    assert response.status_code == 200
    with town_a:
        assert not DeliveryZone.objects.exists()


def test_zone_names_cannot_inject_markup(admin_client, town_a):
    with town_a:
        CarZoneFactory(name="<script>alert(1)</script>")
    html = admin_client.get(url("zone_list")).content.decode()
    assert "<script>alert(1)</script>" not in html


def test_zone_delete_and_activation_do_not_happen_on_get(admin_client, town_a):
    with town_a:
        zone = CarZoneFactory()
    assert admin_client.get(url("zone_delete", zone_id=zone.pk)).status_code == 200  # confirmation page
    assert admin_client.get(url("zone_active", zone_id=zone.pk) + "?is_active=").status_code == 405
    with town_a:
        zone.refresh_from_db()
        assert zone.is_active is True


def test_zone_editor_posts_need_the_csrf_token(town_a):
    with town_a:
        zone = CarZoneFactory()
    client = Client(HTTP_HOST=town_a.primary_host, enforce_csrf_checks=True)
    sign_in(client, town_a, role=Role.TOWN_ADMIN)
    assert client.post(url("zone_delete", zone_id=zone.pk)).status_code == 403
    assert client.post(url("zone_active", zone_id=zone.pk), {}).status_code == 403
    with town_a:
        zone.refresh_from_db()
        assert zone.is_active is True


# --- address suggestions ---------------------------------------------------------------------------
def test_cached_suggestions_of_one_town_never_answer_another(client_a, client_b, town_a, town_b):
    with town_a:
        LocalAddressFactory(street="Rue Royale", city="Calais")
    with town_b:
        LocalAddressFactory(street="Rue Royale", city="Autreville", postcode="59000", insee_code="59350")
    first = client_a.get(SUGGESTIONS, {"q": "rue royale", "format": "json"}).json()["results"]
    second = client_b.get(SUGGESTIONS, {"q": "rue royale", "format": "json"}).json()["results"]
    assert [address["city"] for address in first] == ["Calais"]
    assert [address["city"] for address in second] == ["Autreville"]


@pytest.mark.parametrize(
    "query",
    [
        {"q": "x" * 5000},
        {"q": "rue & | ! :* ( ) '"},
        {"q": "rue", "format": "xml"},
        {"q": ["a", "b"]},
        {},
    ],
)
def test_suggestions_survive_absurd_input(client_a, town_a, query):
    client_a.raise_request_exception = False
    response = client_a.get(SUGGESTIONS, query)
    assert response.status_code == 200


def test_a_nul_character_in_the_query_gets_the_400_page(client_a, town_a):
    response = client_a.get(SUGGESTIONS, {"q": "\x00\x00\x00"})
    assert response.status_code == 400


def test_suggestions_do_not_accept_writes(client_a):
    assert client_a.post(SUGGESTIONS, {"q": "rue royale"}).status_code == 405


@pytest.fixture
def limit_of_three(town_a, monkeypatch):
    from delivery import views

    monkeypatch.setattr(views, "REQUESTS_PER_MINUTE", 3)
    with town_a:
        LocalAddressFactory()


def _five_lookups(client, *, remote: str, forwarded_for: list[str]) -> list[int]:
    return [
        client.get(
            SUGGESTIONS, {"q": "rue royale", "format": "json"}, REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded
        ).status_code
        for forwarded in forwarded_for
    ]


def test_residents_behind_the_reverse_proxy_are_not_limited_together(client_a, limit_of_three, settings):
    """Found in review, now fixed: behind Caddy/nginx REMOTE_ADDR is the proxy, and the limit was keyed
    on it, so a town's residents shared one budget of 60 lookups a minute."""
    settings.TRUSTED_PROXY_COUNT = 1  # one reverse proxy in front, as deployed (infra/)
    residents = [f"203.0.113.{resident}" for resident in range(1, 6)]
    assert _five_lookups(client_a, remote="127.0.0.1", forwarded_for=residents) == [200] * 5


def test_without_a_trusted_proxy_a_forged_forwarded_for_changes_nothing(client_a, limit_of_three, settings):
    """gunicorn facing clients directly (the default): X-Forwarded-For is the client's own words, so
    sending a new one with each request must not reset the limit."""
    settings.TRUSTED_PROXY_COUNT = 0
    forged = [f"203.0.113.{number}" for number in range(1, 6)]
    assert _five_lookups(client_a, remote="198.51.100.7", forwarded_for=forged) == [200, 200, 200, 429, 429]


def test_behind_one_proxy_only_the_address_it_wrote_counts(client_a, limit_of_three, settings):
    """The client can prepend anything to X-Forwarded-For; the proxy appends the real address last."""
    settings.TRUSTED_PROXY_COUNT = 1
    forged = [f"10.0.0.{number}, 203.0.113.9" for number in range(1, 6)]
    assert _five_lookups(client_a, remote="127.0.0.1", forwarded_for=forged) == [200, 200, 200, 429, 429]
