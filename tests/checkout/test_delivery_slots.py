"""Delivery slots at checkout: offered as radio buttons, chosen or defaulted, a full one refused with
nothing written, given back on cancel and expiry, kept on the order; and a checkout that survives an
address-service outage, the order flagged for the town."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail

from accounts.models import Role, User
from catalog.models import Variant
from checkout.actions import cancel_unpaid_order, expire_unpaid_orders
from checkout.models import Basket, Order
from checkout.tokens import status_path
from delivery.actions import save_slot
from delivery.models import DeliveryDay, DeliverySlot, DeliverySlotDay
from tests.checkout.conftest import RESIDENT, basket_with, order_from, pay_with_demo_gateway
from tests.checkout.test_delivery import FRIDAY_MORNING, deliver_all, zones  # noqa: F401  (fixture)

# Every test here: the cargo-bike centre and the car zone around it, and their addresses.
pytestmark = pytest.mark.usefixtures("zones")

FRIDAY = dt.date(2026, 11, 27)
ADDRESS = "12 Rue Royale 62100 Calais"


def slot_id(hour: int) -> int:
    return DeliverySlot.objects.get(start_time=dt.time(hour)).pk


def fill_slot(hour: int, day: dt.date = FRIDAY) -> None:
    DeliverySlotDay.objects.create(slot_id=slot_id(hour), date=day, capacity=30, booked=30)


def booked_in_slot(hour: int, day: dt.date = FRIDAY) -> int:
    row = DeliverySlotDay.objects.filter(slot_id=slot_id(hour), date=day).first()
    return row.booked if row else 0


def delivery_data(shops: dict, **extra: str) -> dict[str, str]:
    """The checkout form of a guest having the grocer deliver to 12 Rue Royale."""
    data = {
        "first_name": "Jeanne",
        "last_name": "Martin",
        "email": "jeanne@exemple.fr",
        "phone": "06 12 34 56 78",
        "payment_method": "card",
        "accept_terms": "on",
        f"fulfilment_{shops['grocer']['merchant'].pk}": "delivery",
        "address": ADDRESS,
    }
    data.update(extra)
    return data


def fill_basket(client, shops) -> None:
    client.post("/panier/ajouter/", {"variant": shops["grocer"]["variants"][0].pk, "quantity": "2"})


def slot_radios(html: str) -> list[str]:
    return re.findall(r'<input type="radio" name="delivery_slot"[^>]*>', html)


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_the_form_offers_the_slots_left_today_full_ones_disabled_the_first_with_room_checked(client_a, town_a, shops):
    """09:30 in Calais: 10 h – 12 h starts within the hour and is not offered; 14 h – 16 h is full."""
    with town_a:
        fill_slot(14)
        fourteen, sixteen = slot_id(14), slot_id(16)
    fill_basket(client_a, shops)

    html = client_a.get("/commande/").content.decode()

    assert "Créneau de livraison — vendredi 27 novembre" in html
    assert slot_radios(html) == [
        f'<input type="radio" name="delivery_slot" value="{fourteen}" id="id_delivery_slot_0" disabled>',
        f'<input type="radio" name="delivery_slot" value="{sixteen}" id="id_delivery_slot_1" checked>',
    ]
    assert '<label for="id_delivery_slot_0">14 h – 16 h — complet</label>' in html
    assert '<label for="id_delivery_slot_1">16 h – 18 h</label>' in html


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_the_chosen_slot_is_booked_and_kept_on_the_order(client_a, town_a, shops):
    with town_a:
        sixteen = slot_id(16)
    fill_basket(client_a, shops)

    response = client_a.post("/commande/", delivery_data(shops, delivery_slot=str(sixteen)))

    assert response.status_code == 302
    with town_a:
        order = Order.objects.get()
        assert (order.delivery_date, order.delivery_slot_id) == (FRIDAY, sixteen)
        assert (order.delivery_window_start, order.delivery_window_end) == (dt.time(16), dt.time(18))
        assert (booked_in_slot(14), booked_in_slot(16)) == (0, 1)
        assert DeliveryDay.objects.get(zone_id=order.delivery_zone_id, date=FRIDAY).booked == 1


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_a_checkout_without_a_slot_gets_the_first_with_room(town_a, shops):
    honey = shops["grocer"]["variants"][0]
    with town_a:
        fill_slot(14)
        basket = basket_with([(honey, 2)])
        order = order_from(basket, fulfilments=deliver_all(basket), address_text=ADDRESS)
        assert (order.delivery_window_start, order.delivery_window_end) == (dt.time(16), dt.time(18))
        assert booked_in_slot(16) == 1


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_a_slot_full_meanwhile_is_refused_in_french_and_nothing_is_written(client_a, town_a, shops):
    """The page offered 14 h – 16 h; the last place went to someone else before the resident sent it."""
    honey = shops["grocer"]["variants"][0]
    fill_basket(client_a, shops)
    with town_a:
        fourteen = slot_id(14)
        fill_slot(14)

    response = client_a.post("/commande/", delivery_data(shops, delivery_slot=str(fourteen)))

    assert response.status_code == 200
    html = response.content.decode()
    assert "La commande n’a pas pu être passée" in html
    assert (
        "Le créneau de livraison 14 h – 16 h du vendredi 27 novembre vient d&#x27;être complet : choisissez un "
        "autre créneau. Votre commande n&#x27;a pas été passée."
    ) in html
    with town_a:
        assert not Order.objects.exists()
        assert not DeliveryDay.objects.filter(booked__gt=0).exists()
        assert booked_in_slot(14) == 30
        assert Variant.objects.get(pk=honey.pk).stock == 5
        assert Basket.objects.get().lines.count() == 1


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_a_slot_no_longer_offered_is_refused_by_the_form(client_a, town_a, shops):
    fill_basket(client_a, shops)
    with town_a:
        ten = slot_id(10)  # begun within the hour: not offered

    response = client_a.post("/commande/", delivery_data(shops, delivery_slot=str(ten)))

    assert "Ce créneau de livraison n’est plus proposé : choisissez-en un autre." in response.content.decode()
    with town_a:
        assert not Order.objects.exists()


@time_machine.travel(FRIDAY_MORNING, tick=False)
@pytest.mark.parametrize("how", ["cancelled", "expired"])
def test_an_unpaid_delivery_gives_its_slot_back(town_a, shops, how):
    honey = shops["grocer"]["variants"][0]
    with town_a:
        basket = basket_with([(honey, 2)])
        order = order_from(basket, fulfilments=deliver_all(basket), address_text=ADDRESS)
        assert booked_in_slot(14) == 1
        if how == "cancelled":
            cancel_unpaid_order(order_id=order.pk, actor=RESIDENT, reason="test")
        else:
            expire_unpaid_orders(now=order.expires_at + dt.timedelta(seconds=1))
        assert booked_in_slot(14) == 0
        assert DeliveryDay.objects.get(zone_id=order.delivery_zone_id, date=FRIDAY).booked == 0


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_the_order_keeps_its_window_when_the_town_moves_the_slot_afterwards(
    client_a, town_a, shops, django_capture_on_commit_callbacks
):
    honey = shops["grocer"]["variants"][0]
    with town_a:
        basket = basket_with([(honey, 2)])
        order = order_from(basket, fulfilments=deliver_all(basket), address_text=ADDRESS)
        slot = DeliverySlot.objects.get(pk=order.delivery_slot_id)
        slot.start_time, slot.end_time = dt.time(14, 30), dt.time(15, 30)
        save_slot(slot=slot)
        with django_capture_on_commit_callbacks(execute=True):
            pay_with_demo_gateway(town_a, order)
        order.refresh_from_db()
        status_page = client_a.get(status_path(order)).content.decode()
    receipt = next(message for message in mail.outbox if message.to == ["jeanne@exemple.fr"])

    due = "Livraison à domicile le vendredi 27 novembre, entre 14 h et 16 h"
    assert (order.delivery_window_start, order.delivery_window_end) == (dt.time(14), dt.time(16))
    assert f"<strong>{due}</strong>" in status_page
    assert f"{due}, au 12 Rue Royale, 62100 Calais." in receipt.body


# --- the address service is down --------------------------------------------------------------------


@pytest.fixture
def address_service_down(settings):
    """The national address base through its real adapter, at an address where nothing answers."""
    settings.GEOCODER = "ban"
    settings.BAN_API_URL = "http://127.0.0.1:9/geocodage"  # discard port: connection refused
    settings.BAN_TIMEOUT_SECONDS = 0.3
    return settings


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_an_address_service_outage_keeps_the_order_flagged_for_the_town(client_a, town_a, shops, address_service_down):
    fill_basket(client_a, shops)
    typed = "12  rue Royale, Calais"

    response = client_a.post("/commande/", delivery_data(shops, address=typed), follow=True)

    assert response.status_code == 200
    assert "Votre commande est bien enregistrée. Nous vérifierons votre adresse avant la livraison." in (
        response.content.decode()
    )
    with town_a:
        order = Order.objects.get()
        assert order.delivery_needs_geocoding
        assert (order.delivery_address_label, order.delivery_latitude, order.delivery_longitude) == (
            "12 rue Royale, Calais",
            None,
            None,
        )
        # The most expensive active zone: the car zone's fee (the cargo-bike centre's is 3,50 €).
        assert (order.delivery_zone_name, order.delivery_fee_cents) == ("Agglomération (voiture)", 600)
        assert order.total_cents == 2 * 890 + 600
        assert (order.delivery_window_start, order.delivery_window_end) == (dt.time(14), dt.time(16))
        assert DeliveryDay.objects.get(zone_id=order.delivery_zone_id, date=FRIDAY).booked == 1
        assert booked_in_slot(14) == 1


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_the_order_desk_flags_the_address_to_check(
    client_a, town_a, shops, address_service_down, django_capture_on_commit_callbacks
):
    honey = shops["grocer"]["variants"][0]
    with town_a:
        basket = basket_with([(honey, 2)])
        flagged = order_from(basket, fulfilments=deliver_all(basket), address_text="8 rue du Temple Coquelles")
        with django_capture_on_commit_callbacks(execute=True):
            pay_with_demo_gateway(town_a, flagged)
        part = flagged.merchant_orders.get()
        agent = User.objects.create_user(
            email="agent@ville-a.fr", password="mot-de-passe-solide-42", role=Role.TOWN_AGENT
        )
    client_a.force_login(agent)

    to_check = client_a.get("/gestion/commandes/adresses-a-verifier/").content.decode()
    detail = client_a.get(f"/gestion/mes-commandes/{part.pk}/").content.decode()
    with time_machine.travel(FRIDAY_MORNING + dt.timedelta(minutes=40), tick=False):
        awaiting = client_a.get("/gestion/commandes/en-attente/").content.decode()

    assert f"n° {flagged.number}" in to_check
    assert "8 rue du Temple Coquelles" in to_check
    assert "vendredi 27 novembre, 14 h – 16 h" in to_check
    assert "Agglomération (voiture) · 6,00\xa0€" in to_check
    for page in (to_check, detail, awaiting):
        assert "Adresse à vérifier" in page
    assert f"n° {flagged.number}" in awaiting


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_an_address_that_is_not_found_is_still_refused_when_the_service_answers(client_a, town_a, shops):
    fill_basket(client_a, shops)
    response = client_a.post("/commande/", delivery_data(shops, address="99 avenue de Nulle Part"))
    assert "Adresse introuvable" in response.content.decode()
    with town_a:
        assert not Order.objects.exists()
