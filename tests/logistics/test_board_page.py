"""The dispatcher board of a day: rounds per courier with their stops in order, deliveries left out
with their French reason, the plan journal; in a fixed number of queries whatever the day's size."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from accounts.models import Role
from logistics.models import Board, DeliveryStatus, Plan, PlanStatus
from logistics.planning import problem
from tests.logistics import dispatch_world as world

BOARD = f"/gestion/livraisons/tableau/?date={world.DAY.isoformat()}"


@pytest.fixture
def day(town_a):
    """Two couriers' rounds on DAY, three deliveries left out, one waiting for an address check."""
    with town_a:
        vehicles = world.fleet()
        anna, bruno = world.courier("Anna Leroy"), world.courier("Bruno Petit")
        first = [world.delivery(name="Jeanne Martin"), world.delivery(name="Paul Durand")]
        first[0].eta_start, first[0].eta_end = dt.time(10, 10), dt.time(10, 40)
        first[0].save()
        second = [world.delivery(name="Lucie Bernard")]
        rounds = [
            world.planned_round(world.shift(anna, vehicles["bike"]), first),
            world.planned_round(world.shift(bruno, vehicles["car"]), second),
        ]
        left_out = {
            "far": world.delivery(status=DeliveryStatus.UNASSIGNED, reason=problem.OUT_OF_REACH, name="Loin Dehors"),
            "full": world.delivery(status=DeliveryStatus.UNASSIGNED, reason=problem.NO_CAPACITY, name="Trop Gros"),
            "address": world.delivery(status=DeliveryStatus.UNASSIGNED, located=False, name="Sans Adresse"),
            "late": world.delivery(status=DeliveryStatus.TO_PLAN, name="Tard Venu"),
            "closed": world.delivery(status=DeliveryStatus.UNASSIGNED, reason="shop_closed", name="Boutique Fermée"),
        }
        Plan.objects.create(date=world.DAY, status=PlanStatus.PUBLISHED, served=3, solver="pyvrp 0.14.1")
        Plan.objects.create(
            date=world.DAY, status=PlanStatus.REJECTED, problems=["Tournée de Anna : capacité dépassée au 3e arrêt"]
        )
        Board.objects.create(date=world.DAY, version=4)
    return {"rounds": rounds, "left_out": left_out, "first": first, "vehicles": vehicles}


def test_the_board_shows_each_couriers_round_with_its_stops_in_order(client_a, town_a, day):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)

    response = client_a.get(BOARD)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Anna Leroy · 9 h–13 h" in html
    assert "Bruno Petit · 9 h–13 h" in html
    anna = html[
        html.index('id="tournee-' + str(day["rounds"][0].pk)) : html.index('id="tournee-' + str(day["rounds"][1].pk))
    ]
    # Pickup at the shop, then the drop, for Jeanne then Paul, then back at the hub.
    titles = [
        (kind, title)
        for title, kind in re.findall(
            r'<th scope="row" data-label="Arrêt">([^<]+).*?<span class="stop-kind">([^<]+)', anna
        )
    ]
    kinds = [kind for kind, _ in titles]
    assert kinds == ["Retrait au commerce", "Livraison", "Retrait au commerce", "Livraison", "Retour au dépôt"]
    assert [title for kind, title in titles if kind == "Livraison"] == ["Jeanne Martin", "Paul Durand"]
    assert "4 colis, 5,0 kg" in anna
    assert "4,2 km" in anna
    assert "10 h–12 h" in anna  # the resident's window
    assert "annoncé 10 h 10–10 h 40" in anna  # the arrival window told to Jeanne
    assert 'value="4"' in html  # the board version every edit carries


def test_deliveries_left_out_are_listed_with_their_french_reason(client_a, town_a, day):
    world.sign_in(client_a, town_a, role=Role.TOWN_AGENT)

    html = client_a.get(BOARD).content.decode()

    def row(name: str) -> str:
        start = html.index(name)
        return html[start : html.index("</tr>", start)]

    assert "Hors de portée des véhicules du jour" in row("Loin Dehors")
    assert "Trop volumineuse pour les véhicules du jour" in row("Trop Gros")
    assert "Adresse à vérifier" in row("Sans Adresse")
    assert "Pas encore planifiée" in row("Tard Venu")
    assert "Un commerce de la commande est fermé à l&#x27;heure du créneau" in row("Boutique Fermée")
    # Paid after the day was planned: it can be inserted into the live plan.
    assert "Insérer dans les tournées" in row("Tard Venu")
    assert "Insérer dans les tournées" not in row("Sans Adresse")


def test_the_plan_journal_shows_a_rejected_plan_and_the_checkers_problems(client_a, town_a, day):
    world.sign_in(client_a, town_a, role=Role.TOWN_ADMIN)

    html = client_a.get(BOARD).content.decode()

    assert "Refusée par le contrôle" in html
    assert "Tournée de Anna : capacité dépassée au 3e arrêt" in html
    assert "Publiée" in html
    assert "Réoptimiser" in html


def test_an_empty_day_offers_to_plan_it(client_a, town_a):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)

    html = client_a.get(BOARD).content.decode()

    assert "Planifier la journée" in html
    assert "La journée n'est pas encore planifiée" in html
    assert 'name="version" value="0"' in html
    assert "board-map" not in html  # no round, no map


def test_the_map_is_hidden_from_screen_readers_and_the_list_stays_the_content(client_a, town_a, day):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)

    response = client_a.get(BOARD)

    html = response.content.decode()
    assert re.search(r'<div id="board-map"[^>]*aria-hidden="true"[^>]*hidden></div>', html)
    assert "vendor/leaflet/leaflet.js" in html
    assert "logistics/board.js" in html
    assert '<script id="board-map-data" type="application/json">' in html
    assert "tile.openstreetmap.org" in response.headers["Content-Security-Policy"]


def _add_rounds(vehicles, count: int) -> None:
    for index in range(count):
        person = world.courier(f"Extra Livreur{index}")
        vehicle = world.Vehicle.objects.create(name=f"V{index}", vehicle_type=vehicles["car_type"], hub=vehicles["hub"])
        world.planned_round(world.shift(person, vehicle), [world.delivery() for _ in range(3)])
        world.delivery(status=DeliveryStatus.UNASSIGNED, reason=problem.NO_TIME)


def test_the_board_needs_the_same_number_of_queries_for_a_small_and_a_big_day(
    client_a, town_a, day, django_assert_max_num_queries
):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)
    client_a.get(BOARD)  # warm the session and the town's caches
    with django_assert_max_num_queries(12) as small:
        assert client_a.get(BOARD).status_code == 200
    with town_a:
        _add_rounds(day["vehicles"], 6)
    with django_assert_max_num_queries(12) as big:
        html = client_a.get(BOARD).content.decode()
    assert html.count('class="round-card"') == 8
    assert len(big.captured_queries) == len(small.captured_queries)


@pytest.mark.parametrize("role", [Role.COURIER, Role.MERCHANT_STAFF, Role.RESIDENT])
def test_couriers_merchants_and_residents_get_403_on_the_board(client_a, town_a, day, role):
    world.sign_in(client_a, town_a, role=role)

    assert client_a.get(BOARD).status_code == 403
    round_id = day["rounds"][0].pk
    response = client_a.post(
        f"/gestion/livraisons/tableau/tournees/{round_id}/verrou/",
        {"date": world.DAY.isoformat(), "version": "4", "locked": "on"},
    )
    assert response.status_code == 403
    with town_a:
        day["rounds"][0].refresh_from_db()
        assert not day["rounds"][0].is_locked


def test_anonymous_visitors_are_sent_to_the_login_page(client_a):
    response = client_a.get(BOARD)

    assert response.status_code == 302
    assert response["Location"].startswith("/compte/login/")


def test_another_towns_dispatcher_sees_nothing_of_this_towns_day(client_b, town_b, day):
    world.sign_in(client_b, town_b, role=Role.DELIVERY_COORDINATOR)

    html = client_b.get(BOARD).content.decode()

    assert "Anna Leroy" not in html
    assert "Loin Dehors" not in html
    round_id = day["rounds"][0].pk
    response = client_b.post(
        f"/gestion/livraisons/tableau/tournees/{round_id}/verrou/",
        {"date": world.DAY.isoformat(), "version": "4", "locked": "on"},
        follow=True,
    )
    assert "Cette tournée n&#x27;existe plus." in response.content.decode()
