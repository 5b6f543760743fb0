"""The board's buttons over the real planner: plan the day, re-optimise around a locked round, move a
delivery to another courier, insert an order paid after planning; a rejected plan is never published."""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client

from accounts.models import Role
from logistics.models import Board, Delivery, DeliveryStatus, LogisticsSettings, Plan, PlanStatus, Round
from logistics.planning import checker
from tests.logistics import dispatch_world as world
from tests.logistics.factories import (
    FAR_OUT,
    IN_CENTRE,
    TUESDAY,
    TUESDAY_MORNING,
    delivery,
    delivery_zones,
    fleet,
    shop,
)

BOARD = f"/gestion/livraisons/tableau/?date={TUESDAY.isoformat()}"

pytestmark = pytest.mark.usefixtures("_tuesday_morning")


@pytest.fixture
def _tuesday_morning():
    with time_machine.travel(TUESDAY_MORNING, tick=False):
        yield


@pytest.fixture
def day(town_a):
    """A bike all day and a car from 13:00; morning deliveries in the centre, afternoon ones beyond."""
    with town_a:
        LogisticsSettings.objects.create(pk=1, planning_seconds=1)
        delivery_zones()
        fleet(bikes=1, cars=1, car_start="13:00")
        bakery = shop("Boulangerie du Beffroi", 50.9520, 1.8560)
        grocer = shop("Épicerie du Courgain", 50.9545, 1.8530)
        centre = [delivery([bakery], point) for point in IN_CENTRE[:3]]
        both = delivery([bakery, grocer], IN_CENTRE[3], window=("14:00", "16:00"))
        far = [delivery([grocer], point, window=("14:00", "16:00")) for point in FAR_OUT]
    return {"bakery": bakery, "centre": centre, "both": both, "far": far}


def _post(client: Client, path: str, town, **data: str):
    with town:
        version = Board.objects.filter(date=TUESDAY).values_list("version", flat=True).first() or 0
    return client.post(path, {"date": TUESDAY.isoformat(), "version": str(version), **data}, follow=True)


def _rounds(town) -> dict[int, list[tuple[str, int | None]]]:
    with town:
        return {
            round_.pk: [(stop.kind, stop.delivery_id) for stop in round_.stops.order_by("position")]
            for round_ in Round.objects.all()
        }


def test_the_plan_button_plans_the_day_and_the_board_shows_the_rounds(client_a, town_a, day):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)
    assert "Planifier la journée" in client_a.get(BOARD).content.decode()

    response = _post(client_a, "/gestion/livraisons/tableau/planifier/", town_a)

    html = response.content.decode()
    assert "Journée planifiée : 6 livraisons dans les tournées." in html
    assert html.count('class="round-card"') == 2
    assert "Réoptimiser" in html
    assert "Toutes les livraisons du jour sont dans une tournée." in html
    with town_a:
        assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.PLANNED}
        plan = Plan.objects.get()
        assert (plan.status, plan.trigger, plan.created_by.role) == ("published", "button", Role.DELIVERY_COORDINATOR)
        assert Board.objects.get(date=TUESDAY).version == 1


def test_reoptimising_keeps_a_locked_round_as_it_is(client_a, town_a, day):
    world.sign_in(client_a, town_a, role=Role.TOWN_AGENT)
    _post(client_a, "/gestion/livraisons/tableau/planifier/", town_a)
    with town_a:
        bike_round = Round.objects.get(vehicle__vehicle_type__centre_only=True)
    _post(client_a, f"/gestion/livraisons/tableau/tournees/{bike_round.pk}/verrou/", town_a, locked="on")
    before = _rounds(town_a)[bike_round.pk]

    response = _post(client_a, "/gestion/livraisons/tableau/planifier/", town_a)

    assert "Journée planifiée" in response.content.decode()
    assert _rounds(town_a)[bike_round.pk] == before
    with town_a:
        assert Plan.objects.filter(status=PlanStatus.PUBLISHED).count() == 2


def test_moving_a_delivery_puts_its_pickups_and_its_drop_on_the_other_couriers_round(client_a, town_a, day):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)
    _post(client_a, "/gestion/livraisons/tableau/planifier/", town_a)
    moved = day["both"]  # two shops, 14:00-16:00 in the centre: the bike and the car may both take it
    with town_a:
        source = moved.stops.first().round
        target = Round.objects.exclude(pk=source.pk).get()

    response = _post(
        client_a, f"/gestion/livraisons/tableau/livraisons/{moved.pk}/deplacer/", town_a, round=str(target.pk)
    )

    assert "Livraison déplacée dans la tournée choisie." in response.content.decode()
    rounds = _rounds(town_a)
    assert [kind for kind, delivery_id in rounds[target.pk] if delivery_id == moved.pk] == ["pickup", "pickup", "drop"]
    assert all(delivery_id != moved.pk for _, delivery_id in rounds[source.pk])


def test_a_move_that_does_not_fit_is_refused_in_french_and_changes_nothing(client_a, town_a, day):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)
    _post(client_a, "/gestion/livraisons/tableau/planifier/", town_a)
    morning = day["centre"][0]  # 10:00-12:00: the car only starts at 13:00
    with town_a:
        car_round = Round.objects.get(vehicle__vehicle_type__centre_only=False)
        version = Board.objects.get(date=TUESDAY).version
    before = _rounds(town_a)

    response = _post(
        client_a, f"/gestion/livraisons/tableau/livraisons/{morning.pk}/deplacer/", town_a, round=str(car_round.pk)
    )

    assert (
        "Cette livraison ne tient pas dans la tournée choisie (aucun service ne peut la livrer dans son créneau)"
        in (response.content.decode())
    )
    assert _rounds(town_a) == before
    with town_a:
        assert Board.objects.get(date=TUESDAY).version == version


def test_a_delivery_locked_in_its_round_is_not_moved(client_a, town_a, day):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)
    _post(client_a, "/gestion/livraisons/tableau/planifier/", town_a)
    moved = day["both"]
    with town_a:
        drop = moved.stops.get(kind="drop")
        target = Round.objects.exclude(pk=drop.round_id).get()
    _post(client_a, f"/gestion/livraisons/tableau/arrets/{drop.pk}/verrou/", town_a, locked="on")
    before = _rounds(town_a)

    response = _post(
        client_a, f"/gestion/livraisons/tableau/livraisons/{moved.pk}/deplacer/", town_a, round=str(target.pk)
    )

    assert "verrouillée dans sa tournée" in response.content.decode()
    assert _rounds(town_a) == before


def test_an_order_paid_after_planning_is_inserted_from_the_board(client_a, town_a, day):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)
    _post(client_a, "/gestion/livraisons/tableau/planifier/", town_a)
    with town_a:
        late = delivery([day["bakery"]], IN_CENTRE[4], window=("14:00", "16:00"))
    board = client_a.get(BOARD).content.decode()
    assert "Insérer dans les tournées" in board

    response = _post(client_a, f"/gestion/livraisons/tableau/livraisons/{late.pk}/inserer/", town_a)

    assert "Livraison ajoutée aux tournées du jour." in response.content.decode()
    with town_a:
        late.refresh_from_db()
        assert late.status == DeliveryStatus.PLANNED
        assert late.stops.count() == 2


def test_a_plan_the_checker_rejects_is_not_published_and_the_dispatcher_is_told(client_a, town_a, day, monkeypatch):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)
    monkeypatch.setattr(
        "logistics.planning.solvers.check_plan",
        lambda *args: [checker.Violation(checker.CAPACITY, "shift-1-0", "delivery-1", "over capacity")],
    )

    response = _post(client_a, "/gestion/livraisons/tableau/planifier/", town_a)

    html = response.content.decode()
    assert "Le contrôle a refusé le plan calculé" in html
    assert "rien n&#x27;a changé" in html
    assert "Refusée par le contrôle" in html  # in the journal
    assert "over capacity" in html
    assert 'class="round-card"' not in html
    with town_a:
        assert not Round.objects.exists()
        assert Plan.objects.get().status == PlanStatus.REJECTED


def test_a_plan_asked_from_an_old_page_does_nothing(client_a, town_a, day):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)
    with town_a:
        Board.objects.create(date=TUESDAY, version=3)

    response = client_a.post(
        "/gestion/livraisons/tableau/planifier/", {"date": TUESDAY.isoformat(), "version": "2"}, follow=True
    )

    assert "Un autre répartiteur a modifié la journée" in response.content.decode()
    with town_a:
        assert not Round.objects.exists()
        assert not Plan.objects.exists()
