"""The courier app's round page (/livreur/): the courier's own stops of today, and nobody else's."""

from __future__ import annotations

import pytest
import time_machine

from accounts.models import Role, User
from logistics.models import PartStatus, Stop, StopKind, StopStatus
from tests.logistics.courier_setup import FRIDAY_MORNING, TODAY, make_courier, plan_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def planned(town_a, delivering_shops, zones, django_capture_on_commit_callbacks):
    with time_machine.travel(FRIDAY_MORNING, tick=False), town_a:
        yield plan_round(town_a, delivering_shops, django_capture_on_commit_callbacks)


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_the_courier_sees_their_stops_of_today_in_order_with_what_to_do_at_each(client_a, town_a, planned):
    with town_a:
        client_a.force_login(planned.courier)
    response = client_a.get("/livreur/")

    assert response.status_code == 200
    html = response.content.decode()
    names = [stop.part.merchant_order.merchant.name for stop in planned.pickups]
    positions = [html.index(name) for name in names]
    positions += [html.index("Jeanne Martin</h3>"), html.index("Dépôt de l&#x27;association</h3>")]
    assert positions == sorted(positions)
    assert "12 Rue Royale" in html
    assert "tel:0612345678" in html  # the resident's phone
    assert "Interphone 3B" in html
    assert html.count('<span class="courier-chilled">Frais</span>') == 2  # the honey's pickup, and the drop
    assert "geo:" in html
    assert "https://www.openstreetmap.org/directions?engine=fossgis_osrm_bike" in html
    assert 'href="/livreur/manifest.webmanifest"' in html
    assert 'src="/static/logistics/courier/courier.js"' in html


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_the_round_page_is_empty_for_a_courier_without_a_round_today(client_a, town_a, planned):
    with town_a:
        other = make_courier("autre-livreur@ville-a.fr")
        client_a.force_login(other)
    response = client_a.get("/livreur/")

    assert response.status_code == 200
    assert "Pas de tournée pour vous aujourd'hui." in response.content.decode()
    assert "Jeanne Martin" not in response.content.decode()


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_another_couriers_stop_is_not_found_and_left_unchanged(client_a, town_a, planned):
    with town_a:
        other = make_courier("autre-livreur@ville-a.fr")
        client_a.force_login(other)
    pickup = planned.pickups[0]
    response = client_a.post(
        f"/livreur/arrets/{pickup.pk}/retrait/",
        {"key": "1b4e28ba-2fa1-41d2-883f-0016d3cca427", "code": planned.parts[0].collect_code},
    )

    assert response.status_code == 404
    with town_a:
        pickup.refresh_from_db()
        assert pickup.status == StopStatus.TODO


@time_machine.travel(FRIDAY_MORNING, tick=False)
@pytest.mark.parametrize("role", [Role.RESIDENT, Role.MERCHANT_STAFF, Role.TOWN_AGENT, Role.DELIVERY_COORDINATOR])
def test_people_who_are_not_couriers_are_refused_the_app(client_a, town_a, planned, role):
    with town_a:
        client_a.force_login(User.objects.create_user(email="quelquun@ville-a.fr", password="x-123456789", role=role))
    assert client_a.get("/livreur/").status_code == 403
    assert client_a.get("/livreur/tournee.json").status_code == 403
    assert client_a.post(f"/livreur/arrets/{planned.drop.pk}/echec/", {"reason": "absent"}).status_code == 403


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_a_deactivated_courier_is_refused(client_a, town_a, planned):
    with town_a:
        planned.courier.is_active = False
        planned.courier.save()
        client_a.force_login(planned.courier)
    response = client_a.get("/livreur/")
    assert response.status_code == 302  # a deactivated user's session is not a signed-in one any more
    assert response["Location"].startswith("/compte/login/")


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_anonymous_visitors_are_sent_to_the_login_page(client_a, planned):
    response = client_a.get("/livreur/")
    assert response.status_code == 302
    assert response["Location"].startswith("/compte/login/")


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_a_courier_of_town_a_is_a_stranger_in_town_b(client_a, client_b, town_a, planned):
    """Sessions are per town: the session cookie of town A means nothing on town B's host."""
    with town_a:
        client_a.force_login(planned.courier)
    client_b.cookies = client_a.cookies
    response = client_b.get("/livreur/")
    assert response.status_code == 302
    assert response["Location"].startswith("/compte/login/")
    assert client_b.get(f"/livreur/arrets/{planned.drop.pk}/echec/").status_code == 302


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_the_round_as_json_lists_the_stops_and_carries_a_csrf_token(client_a, town_a, planned):
    with town_a:
        client_a.force_login(planned.courier)
    data = client_a.get("/livreur/tournee.json").json()

    assert data["date"] == TODAY.isoformat()
    [round_] = data["rounds"]
    assert [stop["kind"] for stop in round_["stops"]] == ["pickup", "pickup", "drop", "reload"]
    drop = round_["stops"][2]
    assert drop["name"] == "Jeanne Martin"
    assert drop["window"] == "14 h – 16 h"  # the slot chosen at checkout
    assert drop["eta"] == "9 h 30 – 10 h"
    assert drop["phone_link"] == "tel:0612345678"
    assert drop["instructions"] == "Interphone 3B"
    assert drop["status"] == "todo"
    assert data["csrf_token"]


def test_the_manifest_opens_the_round_full_screen(client_a):
    response = client_a.get("/livreur/manifest.webmanifest")

    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/livreur/", "/livreur/", "standalone")
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    for icon in manifest["icons"]:
        assert client_a.get(icon["src"]).status_code == 200


def test_the_service_worker_is_served_within_the_apps_scope_and_never_from_the_http_cache(client_a):
    response = client_a.get("/livreur/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "no-cache"
    script = response.content.decode()
    assert '"pages": ["/livreur/", "/livreur/tournee.json"]' in script
    assert "/static/logistics/courier/courier.js" in script


def test_the_policy_lets_the_app_register_its_worker_and_manifest_from_this_site_only(client_a):
    policy = dict(
        (name, sources)
        for name, *sources in (
            part.split() for part in client_a.get("/livreur/sw.js")["Content-Security-Policy"].split(";")
        )
    )
    assert policy["worker-src"] == ["'self'"]
    assert policy["manifest-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_a_parcel_brought_back_to_the_hub_is_picked_up_at_the_hub(client_a, town_a, planned):
    with town_a:
        planned.parts[0].status = PartStatus.AT_HUB
        planned.parts[0].save()
        client_a.force_login(planned.courier)
    stops = client_a.get("/livreur/tournee.json").json()["rounds"][0]["stops"]

    assert (stops[0]["name"], stops[0]["address"]) == ("Dépôt de l'association", "5 Quai de la Colonne, 62100 Calais")
    assert stops[0]["for_whom"] == "Jeanne Martin"
    assert stops[1]["name"] == planned.parts[1].merchant_order.merchant.name


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_the_round_page_reads_the_same_number_of_queries_however_many_stops(
    client_a, town_a, planned, django_assert_num_queries
):
    with town_a:
        client_a.force_login(planned.courier)
    client_a.get("/livreur/")  # the session and the site's settings warm up
    with django_assert_num_queries(6):
        client_a.get("/livreur/")
    with town_a:
        for position in range(10, 20):
            Stop.objects.create(
                round=planned.round,
                position=position,
                kind=StopKind.PICKUP,
                delivery=planned.delivery,
                part=planned.parts[position % 2],
                arrives_at=planned.drop.arrives_at,
                starts_at=planned.drop.starts_at,
                departs_at=planned.drop.departs_at,
            )
    with django_assert_num_queries(6):
        client_a.get("/livreur/")


def test_a_courier_finds_their_round_from_the_sites_menu(client_a, town_a):
    with town_a:
        client_a.force_login(make_courier("livreur-menu@ville-a.fr"))
    home = client_a.get("/").content.decode()
    assert '<a href="/livreur/">Ma tournée</a>' in home
