"""Edits on the dispatcher board: each names the board version its page showed; when another
dispatcher changed the day meanwhile, nothing is applied and the fresh board says so."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Role
from logistics.models import Board, Round, Stop
from tests.logistics import dispatch_world as world

BOARD = f"/gestion/livraisons/tableau/?date={world.DAY.isoformat()}"
CONFLICT = "Un autre répartiteur a modifié la journée : voici la version à jour, refaites votre changement."


@pytest.fixture
def day(town_a):
    with town_a:
        vehicles = world.fleet()
        anna = world.courier("Anna Leroy")
        round_ = world.planned_round(world.shift(anna, vehicles["bike"]), [world.delivery(), world.delivery()])
        Board.objects.create(date=world.DAY, version=7)
    return {"round": round_, "vehicles": vehicles}


def _post(client: Client, path: str, **data: str):
    return client.post(path, {"date": world.DAY.isoformat(), **data}, follow=True)


def _version(town) -> int:
    with town:
        return Board.objects.get(date=world.DAY).version


def test_locking_a_round_keeps_it_locked_and_moves_the_day_to_the_next_version(client_a, town_a, day):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)
    round_id = day["round"].pk

    response = _post(client_a, f"/gestion/livraisons/tableau/tournees/{round_id}/verrou/", version="7", locked="on")

    html = response.content.decode()
    assert "Tournée verrouillée : la replanification la garde telle quelle." in html
    assert "Déverrouiller la tournée" in html
    assert 'name="version" value="8"' in html
    with town_a:
        assert Round.objects.get(pk=round_id).is_locked
    assert _version(town_a) == 8

    _post(client_a, f"/gestion/livraisons/tableau/tournees/{round_id}/verrou/", version="8")
    with town_a:
        assert not Round.objects.get(pk=round_id).is_locked
    assert _version(town_a) == 9


def test_locking_and_unlocking_a_stop(client_a, town_a, day):
    world.sign_in(client_a, town_a, role=Role.TOWN_AGENT)
    with town_a:
        stop = day["round"].stops.get(position=1)

    response = _post(client_a, f"/gestion/livraisons/tableau/arrets/{stop.pk}/verrou/", version="7", locked="on")

    assert "Arrêt verrouillé à sa place." in response.content.decode()
    with town_a:
        assert Stop.objects.get(pk=stop.pk).is_locked
    _post(client_a, f"/gestion/livraisons/tableau/arrets/{stop.pk}/verrou/", version="8")
    with town_a:
        assert not Stop.objects.get(pk=stop.pk).is_locked


def test_a_second_dispatcher_with_an_old_page_changes_nothing_and_is_told_so(town_a, day):
    first, second = Client(HTTP_HOST=town_a.primary_host), Client(HTTP_HOST=town_a.primary_host)
    world.sign_in(first, town_a, role=Role.DELIVERY_COORDINATOR)
    world.sign_in(second, town_a, role=Role.TOWN_AGENT)
    round_id = day["round"].pk
    with town_a:
        stop = day["round"].stops.get(position=1)
    # Both open the board at version 7.
    assert 'name="version" value="7"' in first.get(BOARD).content.decode()
    assert 'name="version" value="7"' in second.get(BOARD).content.decode()

    _post(first, f"/gestion/livraisons/tableau/tournees/{round_id}/verrou/", version="7", locked="on")
    response = _post(second, f"/gestion/livraisons/tableau/arrets/{stop.pk}/verrou/", version="7", locked="on")

    html = response.content.decode()
    assert CONFLICT.replace("'", "&#x27;") in html
    assert 'name="version" value="8"' in html  # the up-to-date board, to redo the change on
    assert "Déverrouiller la tournée" in html  # showing the first dispatcher's change
    with town_a:
        assert not Stop.objects.get(pk=stop.pk).is_locked
        assert Round.objects.get(pk=round_id).is_locked  # the first change is kept
    assert _version(town_a) == 8


def test_an_edit_of_a_day_never_planned_starts_its_board_at_version_zero(client_a, town_a, day):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)
    with town_a:
        Board.objects.all().delete()
    round_id = day["round"].pk

    _post(client_a, f"/gestion/livraisons/tableau/tournees/{round_id}/verrou/", version="0", locked="on")

    assert _version(town_a) == 1
    with town_a:
        assert Round.objects.get(pk=round_id).is_locked


def test_an_edit_without_a_version_is_refused(client_a, town_a, day):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)
    round_id = day["round"].pk

    response = _post(client_a, f"/gestion/livraisons/tableau/tournees/{round_id}/verrou/", locked="on")

    assert "La demande est incomplète" in response.content.decode()
    with town_a:
        assert not Round.objects.get(pk=round_id).is_locked
    assert _version(town_a) == 7


def test_edits_are_post_only(client_a, town_a, day):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)

    assert client_a.get(f"/gestion/livraisons/tableau/tournees/{day['round'].pk}/verrou/").status_code == 405
