"""Town staff edit the delivery slots at /gestion/livraison/creneaux/: permissions, French validation
(overlap, end before start), add, edit, deactivate."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from accounts.models import Role
from delivery.models import DeliverySlot
from tests.delivery.test_zone_editor import sign_in, url


def slot_form(**overrides: object) -> dict[str, object]:
    data = {"start_time": "18:00", "end_time": "20:00", "capacity": "25", "position": "0", "is_active": "on"}
    data.update(overrides)
    return data


def slots(town) -> list[tuple[dt.time, dt.time, int, bool]]:
    with town:
        return list(DeliverySlot.objects.values_list("start_time", "end_time", "capacity", "is_active"))


DEFAULTS = [
    (dt.time(10), dt.time(12), 30, True),
    (dt.time(14), dt.time(16), 30, True),
    (dt.time(16), dt.time(18), 30, True),
]


@pytest.fixture
def agent_client(client_a, town_a) -> Client:
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)
    return client_a


def slot_id(town, hour: int) -> int:
    with town:
        return DeliverySlot.objects.get(start_time=dt.time(hour)).pk


def test_anonymous_visitors_are_sent_to_the_login_page(client_a):
    response = client_a.get(url("slot_list"))
    assert (response.status_code, response["Location"]) == (302, "/compte/login/?next=/gestion/livraison/creneaux/")


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.MERCHANT_STAFF, Role.COURIER])
def test_residents_merchants_and_couriers_get_403_and_change_nothing(client_a, town_a, role):
    sign_in(client_a, town_a, role=role)
    ten = slot_id(town_a, 10)
    assert client_a.get(url("slot_list")).status_code == 403
    assert client_a.post(url("slot_create"), slot_form()).status_code == 403
    assert client_a.post(url("slot_edit", slot_id=ten), slot_form(start_time="08:00")).status_code == 403
    assert client_a.post(url("slot_active", slot_id=ten)).status_code == 403
    assert slots(town_a) == DEFAULTS


def test_town_staff_see_the_slots_with_their_capacity_and_a_link_from_the_zones(agent_client):
    html = agent_client.get(url("slot_list")).content.decode()
    assert "10 h – 12 h" in html
    assert "16 h – 18 h" in html
    assert "30 livraisons par jour" in html
    assert url("slot_list") in agent_client.get(url("zone_list")).content.decode()


def test_staff_add_a_slot(agent_client, town_a):
    response = agent_client.post(url("slot_create"), slot_form())
    assert (response.status_code, response["Location"]) == (302, url("slot_list"))
    assert slots(town_a) == [*DEFAULTS, (dt.time(18), dt.time(20), 25, True)]
    assert "Le créneau 18 h – 20 h est créé." in agent_client.get(url("slot_list")).content.decode()


def test_staff_change_a_slots_hours_and_capacity(agent_client, town_a):
    sixteen = slot_id(town_a, 16)
    response = agent_client.post(
        url("slot_edit", slot_id=sixteen), slot_form(start_time="16:30", end_time="18:30", capacity="12")
    )
    assert response.status_code == 302
    assert slots(town_a)[-1] == (dt.time(16, 30), dt.time(18, 30), 12, True)


def test_an_overlapping_slot_is_refused_in_french_and_nothing_changes(agent_client, town_a):
    response = agent_client.post(url("slot_create"), slot_form(start_time="15:00", end_time="17:00"))
    assert response.status_code == 200
    assert (
        "Ce créneau chevauche le créneau 14 h – 16 h : les créneaux actifs ne peuvent pas se recouvrir."
        in response.content.decode()
    )
    edited = agent_client.post(
        url("slot_edit", slot_id=slot_id(town_a, 10)), slot_form(start_time="11:00", end_time="15:00")
    )
    assert edited.status_code == 200
    assert "chevauche le créneau 14 h – 16 h" in edited.content.decode()
    assert slots(town_a) == DEFAULTS


def test_a_slot_ending_before_it_starts_is_refused_in_french(agent_client, town_a):
    response = agent_client.post(url("slot_create"), slot_form(start_time="20:00", end_time="19:00"))
    assert response.status_code == 200
    assert "L&#x27;heure de fin doit être après l&#x27;heure de début." in response.content.decode()
    assert slots(town_a) == DEFAULTS


def test_a_slot_without_capacity_is_refused_in_french(agent_client, town_a):
    response = agent_client.post(url("slot_create"), slot_form(capacity="0"))
    assert "Un créneau doit accepter au moins une livraison." in response.content.decode()
    assert slots(town_a) == DEFAULTS


def test_staff_deactivate_a_slot_and_activate_it_again(agent_client, town_a):
    fourteen = slot_id(town_a, 14)
    agent_client.post(url("slot_active", slot_id=fourteen))
    assert slots(town_a)[1] == (dt.time(14), dt.time(16), 30, False)
    agent_client.post(url("slot_active", slot_id=fourteen), {"is_active": "on"})
    assert slots(town_a)[1] == (dt.time(14), dt.time(16), 30, True)


def test_a_slot_overlapping_an_active_one_cannot_be_activated(agent_client, town_a):
    with town_a:
        spare = DeliverySlot.objects.create(start_time=dt.time(15), end_time=dt.time(17), capacity=5, is_active=False)
    response = agent_client.post(url("slot_active", slot_id=spare.pk), {"is_active": "on"}, follow=True)
    assert "Ce créneau chevauche le créneau 14 h – 16 h" in response.content.decode()
    with town_a:
        spare.refresh_from_db()
        assert not spare.is_active


def test_another_towns_slot_is_404_and_untouched(agent_client, town_b):
    with town_b:
        other = DeliverySlot.objects.create(start_time=dt.time(19), end_time=dt.time(20), capacity=5)
    assert agent_client.get(url("slot_edit", slot_id=other.pk)).status_code == 404
    assert agent_client.post(url("slot_edit", slot_id=other.pk), slot_form()).status_code == 404
    assert agent_client.post(url("slot_active", slot_id=other.pk)).status_code == 404
    with town_b:
        other.refresh_from_db()
        assert (other.start_time, other.is_active) == (dt.time(19), True)
