"""Fleet, shifts and settings pages of the town's deliveries (/gestion/livraisons/)."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.models import Role
from delivery.models import LocalAddress
from logistics.models import Hub, LogisticsSettings, Shift, Vehicle, VehicleType
from tests.logistics import dispatch_world as world

MONDAY = dt.date(2026, 12, 7)
PAGES = [
    "/gestion/livraisons/flotte/",
    "/gestion/livraisons/flotte/depots/nouveau/",
    "/gestion/livraisons/flotte/types/nouveau/",
    "/gestion/livraisons/services/",
    "/gestion/livraisons/services/nouveau/",
    "/gestion/livraisons/reglages/",
]


@pytest.fixture
def setup(town_a):
    with town_a:
        vehicles = world.fleet()
        anna, bruno = world.courier("Anna Leroy"), world.courier("Bruno Petit")
    return {**vehicles, "anna": anna, "bruno": bruno}


def _shift_data(setup, **changes: str) -> dict[str, str]:
    data = {
        "date": "2026-12-08",
        "courier": str(setup["anna"].pk),
        "vehicle": str(setup["bike"].pk),
        "starts_at": "09:00",
        "ends_at": "13:00",
        "break_starts_at": "",
        "break_minutes": "0",
    }
    return {**data, **changes}


@pytest.mark.parametrize("role", [Role.TOWN_ADMIN, Role.TOWN_AGENT, Role.DELIVERY_COORDINATOR])
def test_dispatchers_open_every_fleet_page(client_a, town_a, setup, role):
    world.sign_in(client_a, town_a, role=role)
    for path in PAGES:
        assert client_a.get(path).status_code == 200, path


@pytest.mark.parametrize("role", [Role.COURIER, Role.MERCHANT_STAFF, Role.RESIDENT])
def test_couriers_merchants_and_residents_get_403_on_the_fleet_pages(client_a, town_a, setup, role):
    world.sign_in(client_a, town_a, role=role)
    for path in PAGES:
        assert client_a.get(path).status_code == 403, path
    response = client_a.post("/gestion/livraisons/services/nouveau/", _shift_data(setup))
    assert response.status_code == 403
    with town_a:
        assert not Shift.objects.exists()


def test_another_towns_dispatcher_cannot_reach_this_towns_fleet(client_b, town_b, setup):
    world.sign_in(client_b, town_b, role=Role.TOWN_ADMIN)

    assert client_b.get(f"/gestion/livraisons/flotte/vehicules/{setup['bike'].pk}/").status_code == 404
    assert "Vélo 1" not in client_b.get("/gestion/livraisons/flotte/").content.decode()


def test_the_fleet_page_lists_hubs_vehicle_types_vehicles_and_couriers(client_a, town_a, setup):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)

    html = client_a.get("/gestion/livraisons/flotte/").content.decode()

    assert "Dépôt de l&#x27;asso" in html
    assert "Vélo cargo" in html
    assert "Centre-ville uniquement" in html
    assert "Kangoo" in html
    assert "Anna Leroy" in html
    assert 'href="/gestion/personnes/inviter/">Inviter un livreur' in html


def test_a_hub_without_coordinates_takes_them_from_the_towns_geocoder(client_a, town_a):
    world.sign_in(client_a, town_a, role=Role.TOWN_AGENT)
    with town_a:
        LocalAddress.objects.create(
            label="12 Rue Royale 62100 Calais",
            housenumber="12",
            street="Rue Royale",
            postcode="62100",
            city="Calais",
            insee_code="62193",
            latitude=50.9566,
            longitude=1.8513,
        )

    response = client_a.post(
        "/gestion/livraisons/flotte/depots/nouveau/",
        {
            "name": "Atelier",
            "address": "12 Rue Royale 62100 Calais",
            "latitude": "",
            "longitude": "",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    with town_a:
        hub = Hub.objects.get(name="Atelier")
        assert (hub.latitude, hub.longitude) == (50.9566, 1.8513)


def test_a_hub_at_an_unknown_address_asks_for_coordinates(client_a, town_a):
    world.sign_in(client_a, town_a, role=Role.TOWN_AGENT)

    response = client_a.post(
        "/gestion/livraisons/flotte/depots/nouveau/", {"name": "Nulle part", "address": "Rue qui n'existe pas"}
    )

    assert response.status_code == 200
    assert "Adresse introuvable" in response.content.decode()
    with town_a:
        assert not Hub.objects.filter(name="Nulle part").exists()


def test_the_town_adds_its_own_vehicle_type_and_a_vehicle_of_it(client_a, town_a, setup):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)

    client_a.post(
        "/gestion/livraisons/flotte/types/nouveau/",
        {
            "name": "Triporteur électrique",
            "is_bike": "on",
            "centre_only": "on",
            "speed_kmh": "18",
            "capacity_parcels": "20",
            "capacity_kg": "150",
            "capacity_litres": "500",
            "position": "2",
        },
    )
    with town_a:
        trike = VehicleType.objects.get(name="Triporteur électrique")
        assert (trike.speed_kmh, trike.capacity_parcels, trike.centre_only) == (18, 20, True)
    client_a.post(
        "/gestion/livraisons/flotte/vehicules/nouveau/",
        {"name": "Tri 1", "vehicle_type": str(trike.pk), "hub": str(setup["hub"].pk), "is_active": "on"},
    )
    with town_a:
        assert Vehicle.objects.get(name="Tri 1").vehicle_type == trike


def test_a_vehicle_type_needs_a_positive_speed_and_capacity(client_a, town_a):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)

    response = client_a.post(
        "/gestion/livraisons/flotte/types/nouveau/",
        {
            "name": "Cassé",
            "speed_kmh": "0",
            "capacity_parcels": "0",
            "capacity_kg": "10",
            "capacity_litres": "10",
            "position": "0",
        },
    )

    assert response.content.decode().count("Indiquez une valeur supérieure à zéro.") >= 2
    with town_a:
        assert not VehicleType.objects.filter(name="Cassé").exists()


def test_a_shift_is_saved_and_shown_in_its_week(client_a, town_a, setup):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)

    response = client_a.post(
        "/gestion/livraisons/services/nouveau/",
        _shift_data(setup, break_starts_at="11:00", break_minutes="30"),
    )

    assert response.status_code == 302
    assert response["Location"] == "/gestion/livraisons/services/?semaine=2026-12-07"
    with town_a:
        shift = Shift.objects.get()
        assert shift.stretches() == [(dt.time(9), dt.time(11)), (dt.time(11, 30), dt.time(13))]
    week = client_a.get(response["Location"]).content.decode()
    assert "Anna Leroy" in week
    assert "9 h–13 h" in week
    assert "11 h, 30 min" in week


@pytest.mark.parametrize(
    ("changes", "field_error"),
    [
        ({"starts_at": "14:00", "ends_at": "10:00"}, "La fin du service doit être après son début."),
        ({"break_starts_at": "08:00", "break_minutes": "30"}, "La pause doit commencer pendant le service."),
        ({"break_starts_at": "12:45", "break_minutes": "30"}, "La pause doit se terminer avant la fin du service."),
        ({"break_starts_at": "11:00", "break_minutes": "0"}, "Indiquez la durée de la pause."),
    ],
)
def test_a_shift_with_wrong_times_is_refused_in_french(client_a, town_a, setup, changes, field_error):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)

    response = client_a.post("/gestion/livraisons/services/nouveau/", _shift_data(setup, **changes))

    assert response.status_code == 200
    assert field_error.replace("'", "&#x27;") in response.content.decode()
    with town_a:
        assert not Shift.objects.exists()


def test_a_courier_cannot_be_booked_twice_at_the_same_time(client_a, town_a, setup):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)
    with town_a:
        world.shift(setup["anna"], setup["car"], start="08:00", end="10:00")

    response = client_a.post("/gestion/livraisons/services/nouveau/", _shift_data(setup))

    assert "Ce livreur a déjà un service ce jour-là de 8 h à 10 h." in response.content.decode()
    with town_a:
        assert Shift.objects.count() == 1


def test_a_vehicle_cannot_be_booked_twice_at_the_same_time(client_a, town_a, setup):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)
    with town_a:
        world.shift(setup["bruno"], setup["bike"], start="12:00", end="15:00")

    response = client_a.post("/gestion/livraisons/services/nouveau/", _shift_data(setup))

    assert "Ce véhicule est déjà pris ce jour-là de 12 h à 15 h par Bruno Petit." in response.content.decode()
    with town_a:
        assert Shift.objects.count() == 1


def test_back_to_back_shifts_of_one_courier_are_fine(client_a, town_a, setup):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)
    with town_a:
        world.shift(setup["anna"], setup["car"], start="13:00", end="17:00")

    response = client_a.post("/gestion/livraisons/services/nouveau/", _shift_data(setup))

    assert response.status_code == 302
    with town_a:
        assert Shift.objects.count() == 2


def test_copying_the_previous_week_skips_shifts_that_would_clash(client_a, town_a, setup):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)
    with town_a:
        world.shift(setup["anna"], setup["bike"], date=dt.date(2026, 12, 1))
        world.shift(setup["bruno"], setup["car"], date=dt.date(2026, 12, 2), start="14:00", end="18:00")
        # Already planned next week: Bruno on the car on Wednesday afternoon.
        world.shift(setup["bruno"], setup["car"], date=dt.date(2026, 12, 9), start="15:00", end="19:00")

    response = client_a.post(
        "/gestion/livraisons/services/copier-semaine-precedente/", {"monday": MONDAY.isoformat()}, follow=True
    )

    assert "1 services copiés de la semaine précédente ; 1 non copiés" in response.content.decode()
    with town_a:
        copied = Shift.objects.get(date=dt.date(2026, 12, 8))
        assert (copied.courier, copied.vehicle, copied.starts_at) == (setup["anna"], setup["bike"], dt.time(9))
        assert Shift.objects.filter(date=dt.date(2026, 12, 9)).count() == 1


def test_a_shift_with_rounds_cannot_be_deleted(client_a, town_a, setup):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)
    with town_a:
        planned = world.shift(setup["anna"], setup["bike"])
        world.planned_round(planned, [world.delivery()])
        free = world.shift(setup["bruno"], setup["car"])

    refused = client_a.post(f"/gestion/livraisons/services/{planned.pk}/supprimer/", follow=True)
    client_a.post(f"/gestion/livraisons/services/{free.pk}/supprimer/")

    assert "Ce service a déjà des tournées" in refused.content.decode()
    with town_a:
        assert list(Shift.objects.values_list("pk", flat=True)) == [planned.pk]


def test_the_settings_page_saves_the_towns_delivery_settings(client_a, town_a):
    world.sign_in(client_a, town_a, role=Role.TOWN_ADMIN)
    data = {
        "max_ride_minutes": "30",
        "proof_mode": "code",
        "detour_factor": "1,4",
        "pickup_minutes": "2",
        "drop_minutes": "5",
        "reload_minutes": "6",
        "default_grams_per_piece": "400",
        "default_ml_per_piece": "800",
        "ml_per_kg": "1200",
        "items_per_parcel": "5",
        "co2_grams_per_car_km": "180",
        "planning_seconds": "8",
    }

    response = client_a.post("/gestion/livraisons/reglages/", data)

    assert response.status_code == 302
    with town_a:
        saved = LogisticsSettings.current()
        assert (saved.max_ride_minutes, saved.proof_mode, str(saved.detour_factor)) == (30, "code", "1.40")
        assert (saved.items_per_parcel, saved.planning_seconds) == (5, 8)


def test_the_settings_page_refuses_a_detour_factor_below_one(client_a, town_a):
    world.sign_in(client_a, town_a, role=Role.TOWN_ADMIN)

    response = client_a.get("/gestion/livraisons/reglages/")
    assert "Coefficient de détour" in response.content.decode()
    response = client_a.post("/gestion/livraisons/reglages/", {"detour_factor": "0,8", "items_per_parcel": "6"})

    assert "Le coefficient de détour vaut au moins 1" in response.content.decode()
    with town_a:
        assert not LogisticsSettings.objects.exists()
