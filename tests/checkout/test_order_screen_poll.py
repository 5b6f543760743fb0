"""The merchant's order screen asks every half minute how many orders wait and whether its list changed:
only the shop's staff (and town staff) get an answer, about their own orders, in one query."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from accounts.models import Role, User
from checkout.actions import accept_merchant_order
from tests.checkout.conftest import MERCHANT, merchant_user, paid_order

STATE = "/gestion/mes-commandes/etat.json"


def state_of(client: Client) -> dict[str, object]:
    response = client.get(STATE)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    return json.loads(response.content)


def test_a_shop_learns_how_many_of_its_orders_wait_and_the_list_version_moves_with_them(client_a, town_a, shops):
    with town_a:
        client_a.force_login(merchant_user(shops["bakery"]["merchant"], "boulanger@exemple.fr"))
    before = state_of(client_a)
    with town_a:
        first = paid_order(shops["bakery"]["variants"][0]).merchant_orders.get()
        paid_order(shops["bakery"]["variants"][1])
        paid_order(shops["grocer"]["variants"][0])  # another shop's: not counted here

    two_waiting = state_of(client_a)
    with town_a:
        accept_merchant_order(merchant_order_id=first.pk, actor=MERCHANT)
    one_accepted = state_of(client_a)

    assert before["to_accept"] == 0
    assert two_waiting["to_accept"] == 2
    assert one_accepted["to_accept"] == 1
    assert len({before["version"], two_waiting["version"], one_accepted["version"]}) == 3
    assert state_of(client_a) == one_accepted  # nothing changed, same answer


def test_the_page_and_the_poll_agree_so_an_open_screen_does_not_reload_for_nothing(client_a, town_a, shops):
    with town_a:
        client_a.force_login(merchant_user(shops["bakery"]["merchant"], "boulanger@exemple.fr"))
        paid_order(shops["bakery"]["variants"][0])
    page = client_a.get("/gestion/mes-commandes/").content.decode()
    state = state_of(client_a)

    assert f'data-version="{state["version"]}"' in page
    assert 'data-to-accept="1"' in page
    assert re.search(r"<title>\(1\) Commandes du jour — Ville A</title>", page)
    assert "1 commande à accepter" in page
    # Without JavaScript the screen is refreshed by hand; the script is a file (CSP: no inline script).
    assert 'href="/gestion/mes-commandes/" class="order-screen-refresh">Actualiser</a>' in page
    assert '<script src="/static/js/order-screen.js" defer></script>' in page
    assert 'aria-pressed="false" hidden>Activer le son<span class="order-sound-on" aria-hidden="true">' in page


def test_other_shops_see_none_of_the_orders_and_town_staff_see_all(client_a, town_a, shops):
    with town_a:
        paid_order(shops["bakery"]["variants"][0])
        grocer = merchant_user(shops["grocer"]["merchant"], "epicier@exemple.fr")
        agent = User.objects.create_user(email="agent@ville-a.fr", password="x" * 12, role=Role.TOWN_AGENT)
    client_a.force_login(grocer)
    assert state_of(client_a)["to_accept"] == 0
    client_a.force_login(agent)
    assert state_of(client_a)["to_accept"] == 1


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.COURIER])
def test_residents_and_couriers_are_refused(client_a, town_a, role):
    with town_a:
        client_a.force_login(User.objects.create_user(email=f"{role}@exemple.fr", password="x" * 12, role=role))
    assert client_a.get(STATE).status_code == 403


def test_a_signed_out_script_gets_403_not_the_login_page(client_a):
    response = client_a.get(STATE)
    assert response.status_code == 403
    assert json.loads(response.content) == {"error": "authentication required"}


def test_a_session_of_another_town_is_nobody_here(client_a, client_b, town_a, town_b, shops):
    with town_b:
        admin = User.objects.create_user(email="maire@ville-b.fr", password="x" * 12, role=Role.TOWN_ADMIN)
        client_b.force_login(admin)
    with town_a:
        paid_order(shops["bakery"]["variants"][0])
    client_a.cookies = client_b.cookies  # the same browser cookie jar, carried to town A's host

    response = client_a.get(STATE)

    assert response.status_code == 403
    assert b"to_accept" not in response.content


def test_the_poll_costs_one_query_after_the_session_and_the_user(
    client_a, town_a, shops, django_assert_max_num_queries
):
    with town_a:
        client_a.force_login(merchant_user(shops["bakery"]["merchant"], "boulanger@exemple.fr"))
        for _ in range(5):
            paid_order(shops["bakery"]["variants"][1])
    state_of(client_a)  # the host → town lookup is cached from here on

    # The town's search_path, the session, the user, then the one query of the state (the shop's
    # memberships are a subquery of it).
    with django_assert_max_num_queries(4) as queries:
        assert state_of(client_a)["to_accept"] == 5
    assert sum("checkout_merchantorder" in query["sql"] for query in queries.captured_queries) == 1


def test_the_screen_fetches_its_list_region_alone(client_a, town_a, shops):
    with town_a:
        order = paid_order(shops["bakery"]["variants"][0])
        client_a.force_login(merchant_user(shops["grocer"]["merchant"], "epicier@exemple.fr"))
    assert order.number not in client_a.get("/gestion/mes-commandes/?partie=liste").content.decode()
    with town_a:
        client_a.force_login(merchant_user(shops["bakery"]["merchant"], "boulanger@exemple.fr"))

    region = client_a.get("/gestion/mes-commandes/?partie=liste").content.decode()

    # No page around it: a page's inline style would carry this response's CSP nonce, not the open page's.
    assert region.startswith('<div id="order-screen"')
    assert "<style" not in region
    assert "<html" not in region
    assert f"Commande {order.number}" in region
