"""Town staff edit delivery zones at /gestion/livraison/: permissions, validation, actions."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role, User
from delivery.models import DeliveryDay, DeliveryZone, Vehicle
from tenants.current import town_today
from tests.delivery.factories import CargoBikeZoneFactory, CarZoneFactory, centre_polygon

PASSWORD = "mot-de-passe-solide-42"
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[1.84, 50.94], [1.87, 50.94], [1.87, 50.96], [1.84, 50.96], [1.84, 50.94]]],
}


def sign_in(client: Client, town, *, role: str) -> User:
    with town:
        user = User.objects.create_user(email=f"{role}-{User.objects.count()}@test.fr", password=PASSWORD, role=role)
        client.force_login(user)
    return user


def url(name: str, **kwargs: object) -> str:
    return reverse(f"delivery:{name}", kwargs=kwargs)


def zone_form(**overrides: object) -> dict[str, object]:
    data = {
        "name": "Centre-ville (vélo cargo)",
        "vehicle": Vehicle.CARGO_BIKE,
        "geometry_text": json.dumps(SQUARE),
        "insee_codes_text": "",
        "fee": "3,50",
        "minimum_basket": "15",
        "cutoff_time": "12:00",
        "daily_capacity": "80",
        "position": "0",
        "is_active": "on",
    }
    data.update(overrides)
    return data


@pytest.fixture
def admin_client(client_a, town_a) -> Client:
    sign_in(client_a, town_a, role=Role.TOWN_ADMIN)
    return client_a


# --- who may enter -------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(client_a):
    response = client_a.get(url("zone_list"))
    assert response.status_code == 302
    assert response["Location"] == "/compte/login/?next=/gestion/livraison/"


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.MERCHANT_STAFF, Role.COURIER])
def test_residents_merchants_and_couriers_get_403(client_a, town_a, role):
    with town_a:
        zone = CarZoneFactory()
    sign_in(client_a, town_a, role=role)
    assert client_a.get(url("zone_list")).status_code == 403
    assert client_a.get(url("zone_create")).status_code == 403
    assert client_a.post(url("zone_create"), zone_form()).status_code == 403
    assert client_a.post(url("zone_edit", zone_id=zone.pk), zone_form(name="Piraté")).status_code == 403
    assert client_a.post(url("zone_delete", zone_id=zone.pk)).status_code == 403
    assert client_a.post(url("zone_active", zone_id=zone.pk)).status_code == 403
    with town_a:
        zone.refresh_from_db()
        assert (zone.name, zone.is_active, DeliveryZone.objects.count()) == ("Agglomération (voiture)", True, 1)


@pytest.mark.parametrize("role", [Role.TOWN_ADMIN, Role.TOWN_AGENT])
def test_town_admins_and_agents_see_the_zones(client_a, town_a, role, django_assert_max_num_queries):
    with town_a:
        CargoBikeZoneFactory()
        CarZoneFactory()
    sign_in(client_a, town_a, role=role)
    with django_assert_max_num_queries(8):
        response = client_a.get(url("zone_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Centre-ville (vélo cargo)" in html
    assert "frais 3,50\xa0€, panier minimum 15,00\xa0€" in html
    assert "communes 62193, 62239, 62548, 62774, 62244" in html


def test_another_towns_zone_is_404_and_untouched(admin_client, town_a, town_b):
    with town_b:
        other = CarZoneFactory(name="Zone de la ville B")
    with town_a:
        assert not DeliveryZone.objects.filter(pk=other.pk).exists()
    assert admin_client.get(url("zone_edit", zone_id=other.pk)).status_code == 404
    assert admin_client.post(url("zone_edit", zone_id=other.pk), zone_form()).status_code == 404
    assert admin_client.post(url("zone_delete", zone_id=other.pk)).status_code == 404
    assert admin_client.post(url("zone_active", zone_id=other.pk)).status_code == 404
    with town_b:
        other.refresh_from_db()
        assert (other.name, other.is_active) == ("Zone de la ville B", True)


# --- create, edit, activate, delete --------------------------------------------------------------


def test_admin_creates_a_polygon_zone_with_euros_typed_with_a_comma(admin_client, town_a):
    response = admin_client.post(url("zone_create"), zone_form())
    assert response.status_code == 302
    assert response["Location"] == url("zone_list")
    with town_a:
        zone = DeliveryZone.objects.get()
    assert zone.geometry == SQUARE
    assert (zone.fee_cents, zone.minimum_basket_cents, zone.insee_codes) == (350, 1500, [])
    assert (zone.cutoff_time, zone.daily_capacity, zone.vehicle) == (dt.time(12, 0), 80, "cargo_bike")


def test_admin_creates_a_zone_of_communes(admin_client, town_a):
    data = zone_form(
        name="Agglomération", vehicle=Vehicle.CAR, geometry_text="", insee_codes_text="62193, 62239 2a004;62193"
    )
    assert admin_client.post(url("zone_create"), data).status_code == 302
    with town_a:
        zone = DeliveryZone.objects.get()
    assert (zone.geometry, zone.insee_codes) == (None, ["2A004", "62193", "62239"])


def test_the_edit_form_shows_euros_and_geojson(admin_client, town_a):
    with town_a:
        zone = CargoBikeZoneFactory(fee_cents=350, minimum_basket_cents=1500)
    html = admin_client.get(url("zone_edit", zone_id=zone.pk)).content.decode()
    assert 'value="3,50"' in html
    assert 'value="15,00"' in html
    assert "&quot;Polygon&quot;" in html
    assert '<label for="id_geometry_text">' in html


def test_admin_edits_a_zone(admin_client, town_a):
    with town_a:
        zone = CargoBikeZoneFactory()
    data = zone_form(name="Hyper-centre", fee="2,5", cutoff_time="10:30", daily_capacity="50")
    assert admin_client.post(url("zone_edit", zone_id=zone.pk), data).status_code == 302
    with town_a:
        zone.refresh_from_db()
    assert (zone.name, zone.fee_cents, zone.cutoff_time, zone.daily_capacity) == (
        "Hyper-centre",
        250,
        dt.time(10, 30),
        50,
    )


def test_deactivate_then_activate(admin_client, town_a):
    with town_a:
        zone = CarZoneFactory()
    assert admin_client.post(url("zone_active", zone_id=zone.pk)).status_code == 302
    with town_a:
        zone.refresh_from_db()
        assert zone.is_active is False
    admin_client.post(url("zone_active", zone_id=zone.pk), {"is_active": "on"})
    with town_a:
        zone.refresh_from_db()
        assert zone.is_active is True


def test_activation_needs_post(admin_client, town_a):
    with town_a:
        zone = CarZoneFactory()
    assert admin_client.get(url("zone_active", zone_id=zone.pk)).status_code == 405


def test_delete_asks_for_confirmation_then_deletes_on_post(admin_client, town_a):
    with town_a:
        zone = CarZoneFactory()
    page = admin_client.get(url("zone_delete", zone_id=zone.pk))
    assert page.status_code == 200
    assert "Oui, supprimer la zone" in page.content.decode()
    with town_a:
        assert DeliveryZone.objects.filter(pk=zone.pk).exists()
    assert admin_client.post(url("zone_delete", zone_id=zone.pk)).status_code == 302
    with town_a:
        assert not DeliveryZone.objects.filter(pk=zone.pk).exists()


def test_a_zone_with_deliveries_booked_ahead_cannot_be_deleted(admin_client, town_a):
    with town_a:
        zone = CarZoneFactory()
        DeliveryDay.objects.create(zone=zone, date=town_today(), capacity=40, booked=1)
    response = admin_client.post(url("zone_delete", zone_id=zone.pk))
    assert response.status_code == 200
    assert "a des livraisons réservées à venir" in response.content.decode()
    with town_a:
        assert DeliveryZone.objects.filter(pk=zone.pk).exists()


# --- validation ----------------------------------------------------------------------------------


def post_invalid(client: Client, town, **overrides: object) -> list[str]:
    response = client.post(url("zone_create"), zone_form(**overrides))
    assert response.status_code == 200
    with town:
        assert not DeliveryZone.objects.exists()
    form = response.context["form"]
    return [error for errors in form.errors.values() for error in errors]


def test_a_self_intersecting_polygon_is_refused(admin_client, town_a):
    bow_tie = {
        "type": "Polygon",
        "coordinates": [[[1.84, 50.94], [1.87, 50.96], [1.87, 50.94], [1.84, 50.96], [1.84, 50.94]]],
    }
    errors = post_invalid(admin_client, town_a, geometry_text=json.dumps(bow_tie))
    assert len(errors) == 1
    assert errors[0].startswith("Le polygone n'est pas valide (contour qui se recoupe, trou hors du contour…).")


def test_latitude_and_longitude_swapped_are_spotted(admin_client, town_a):
    ring = centre_polygon()["coordinates"][0]
    swapped = {"type": "Polygon", "coordinates": [[[lat, lon] for lon, lat in ring]]}
    assert post_invalid(admin_client, town_a, geometry_text=json.dumps(swapped)) == [
        "La latitude et la longitude semblent inversées : en GeoJSON, chaque point s'écrit "
        "[longitude, latitude] (par exemple [1.858, 50.951] pour Calais)."
    ]


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        (
            {"type": "Point", "coordinates": [1.858, 50.951]},
            "Le périmètre doit être un polygone (Polygon ou MultiPolygon), pas « Point ».",
        ),
        (
            {"type": "LineString", "coordinates": [[1.85, 50.95], [1.86, 50.96]]},
            "Le périmètre doit être un polygone (Polygon ou MultiPolygon), pas « LineString ».",
        ),
        (
            {"type": "Polygon", "coordinates": [[[-74.0, 40.7], [-73.9, 40.7], [-73.9, 40.8], [-74.0, 40.7]]]},
            "Le polygone sort de la France : vérifiez les coordonnées (longitude, latitude en degrés).",
        ),
        (
            {"type": "Polygon", "coordinates": [[[1.85, 50.95], [1.86, 50.96]]]},
            "Les coordonnées du polygone sont mal formées : chaque point s'écrit [longitude, latitude] et "
            "chaque contour a au moins quatre points, le dernier égal au premier.",
        ),
    ],
    ids=["point", "line", "new-york", "too-few-points"],
)
def test_geometries_that_are_not_french_polygons_are_refused(admin_client, town_a, geometry, message):
    assert post_invalid(admin_client, town_a, geometry_text=json.dumps(geometry)) == [message]


def test_text_that_is_not_json_is_refused(admin_client, town_a):
    assert post_invalid(admin_client, town_a, geometry_text='{"type": "Polygon",') == [
        "Le texte n'est pas du GeoJSON lisible (erreur ligne 1, colonne 20)."
    ]


def test_a_feature_collection_from_geojson_io_is_accepted(admin_client, town_a):
    collection = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": SQUARE}]}
    assert admin_client.post(url("zone_create"), zone_form(geometry_text=json.dumps(collection))).status_code == 302
    with town_a:
        assert DeliveryZone.objects.get().geometry == SQUARE


def test_wrong_insee_codes_are_named(admin_client, town_a):
    assert post_invalid(admin_client, town_a, geometry_text="", insee_codes_text="62193, 62100x, 2C001") == [
        "Ces codes ne sont pas des codes INSEE de commune : 62100X, 2C001. Un code INSEE a 5 caractères "
        "(par exemple 62193 pour Calais, 2A004 pour Ajaccio) ; ce n'est pas le code postal."
    ]


def test_a_zone_needs_a_polygon_or_communes(admin_client, town_a):
    assert post_invalid(admin_client, town_a, geometry_text="", insee_codes_text="") == [
        "Indiquez le périmètre de la zone : un polygone GeoJSON, des codes INSEE de communes, ou les deux."
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("fee", "trois", "Saisissez un prix en euros, par exemple 12,50."),
        ("minimum_basket", "-5", "Un prix ne peut pas être négatif."),
        ("daily_capacity", "0", "Le partenaire doit pouvoir assurer au moins une livraison par jour."),
    ],
)
def test_money_and_capacity_are_checked(admin_client, town_a, field, value, message):
    assert post_invalid(admin_client, town_a, **{field: value}) == [message]


def test_errors_are_summarised_with_links_to_the_fields(admin_client, town_a):
    response = admin_client.post(url("zone_create"), zone_form(fee="trois"))
    html = response.content.decode()
    assert 'role="alert"' in html
    assert '<a href="#id_fee">' in html


# --- hostile and clumsy input: a French form error, never a 500 ----------------------------------


@pytest.fixture
def lenient_admin_client(client_a, town_a) -> Client:
    """A town admin's client that answers a crash with the 500 page, as a town agent sees it."""
    sign_in(client_a, town_a, role=Role.TOWN_ADMIN)
    client_a.raise_request_exception = False
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
def test_deeply_nested_geojson_is_refused_in_french_not_a_500(lenient_admin_client, town_a, geometry_text):
    """GeoJSON nested absurdly deep (50,000 brackets of a truncated or hostile paste, a Feature nested in a
    Feature 900 times) gets the form's French error: parsing stops before Python's recursion limit."""
    response = lenient_admin_client.post(url("zone_create"), zone_form(geometry_text=geometry_text))
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
def test_malformed_geojson_gets_a_french_form_error(lenient_admin_client, town_a, geometry_text):
    response = lenient_admin_client.post(url("zone_create"), zone_form(geometry_text=geometry_text))
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
def test_absurd_zone_numbers_and_codes_are_form_errors(lenient_admin_client, town_a, overrides):
    response = lenient_admin_client.post(url("zone_create"), zone_form(**overrides))
    if "62193 " in overrides.get("insee_codes_text", ""):
        # 5,000 copies of one valid code: accepted, de-duplicated to one
        assert response.status_code == 302
        with town_a:
            assert DeliveryZone.objects.get().insee_codes == ["62193"]
        return
    assert response.status_code == 200
    with town_a:
        assert not DeliveryZone.objects.exists()


def test_zone_names_cannot_inject_markup(lenient_admin_client, town_a):
    with town_a:
        CarZoneFactory(name="<script>alert(1)</script>")
    html = lenient_admin_client.get(url("zone_list")).content.decode()
    assert "<script>alert(1)</script>" not in html


def test_zone_delete_and_activation_do_not_happen_on_get(lenient_admin_client, town_a):
    with town_a:
        zone = CarZoneFactory()
    assert lenient_admin_client.get(url("zone_delete", zone_id=zone.pk)).status_code == 200  # confirmation page
    assert lenient_admin_client.get(url("zone_active", zone_id=zone.pk) + "?is_active=").status_code == 405
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
