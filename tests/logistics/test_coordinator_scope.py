"""The delivery coordinator sees the delivery pages only: every other back-office page refuses them,
the people pages show them the couriers (whom they may invite), and they land on the board."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import Invitation, Role, User
from tests.logistics import dispatch_world as world

ROLE_OPTION = r'<option value="([a-z_]{3,})"'  # not the language menu's "fr" and "en"
# Back-office URLs a coordinator may open: their own pages, and the people pages (couriers only).
COORDINATOR_AREAS = ("gestion/livraisons/", "gestion/personnes/")


def _walk(patterns, prefix: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found.extend(_walk(entry.url_patterns, route))
        else:
            found.append((route, entry))
    return found


def _path(route: str) -> str:
    """A concrete path for a route: ids 1, slugs and strings "x"."""
    path = re.sub(r"<int:[a-z_]+>", "1", route)
    path = re.sub(r"<(?:slug|str|path|uuid):[a-z_]+>", "x", path)
    return "/" + path.lstrip("^").rstrip("$")


BACKOFFICE = [
    route for route, _ in _walk(get_resolver("config.urls_town").url_patterns) if route.startswith("gestion/")
]
OTHER_BACKOFFICE = [route for route in BACKOFFICE if not route.startswith(COORDINATOR_AREAS)]
DISPATCH = [route for route in BACKOFFICE if route.startswith("gestion/livraisons/")]


def test_the_walk_covers_every_back_office_url():
    # A new delivery or people page changes these counts: decide whether coordinators may open it. Any
    # other new back-office page is among those the next test opens as a coordinator, and must refuse.
    assert len(DISPATCH) == 24  # the board, fleet, shifts and settings (20), the delivery reports (4)
    assert len(BACKOFFICE) - len(OTHER_BACKOFFICE) - len(DISPATCH) == 8  # the people pages
    assert len(OTHER_BACKOFFICE) >= 85  # catalogue, orders, finances, appearance, onboarding...
    assert "gestion/accompagnement/" in OTHER_BACKOFFICE
    assert "gestion/catalogue/" in OTHER_BACKOFFICE
    assert "gestion/finances/" in OTHER_BACKOFFICE
    assert "gestion/apparence/" in OTHER_BACKOFFICE


@pytest.mark.slow
def test_a_coordinator_is_refused_every_other_back_office_page(client_a, town_a):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)
    opened = {}
    for route in OTHER_BACKOFFICE:
        path = _path(route)
        if route == "gestion/":  # the back-office landing leads the coordinator to the board
            continue
        status = client_a.get(path).status_code
        if status not in (403, 404, 405):
            opened[path] = status
        post_status = client_a.post(path, {}).status_code
        if post_status not in (403, 404, 405):
            opened[f"POST {path}"] = post_status
    assert opened == {}


def test_the_back_office_landing_and_the_sign_in_lead_a_coordinator_to_the_board(client_a, town_a):
    with town_a:
        User.objects.create_user(
            email="coordination@ville-a.fr", password="mot-de-passe-solide-42", role=Role.DELIVERY_COORDINATOR
        )

    login = client_a.post("/compte/login/", {"login": "coordination@ville-a.fr", "password": "mot-de-passe-solide-42"})

    assert login.status_code == 302
    assert login["Location"] == "/gestion/livraisons/tableau/"
    assert client_a.get("/gestion/")["Location"] == "/gestion/livraisons/tableau/"
    board = client_a.get("/gestion/livraisons/tableau/").content.decode()
    assert 'href="/gestion/livraisons/tableau/">Tournées</a>' in board
    assert "Catalogue</a>" not in board
    assert "Finances</a>" not in board


def test_other_roles_still_land_on_the_home_page(client_a, town_a):
    with town_a:
        User.objects.create_user(email="agent@ville-a.fr", password="mot-de-passe-solide-42", role=Role.TOWN_AGENT)

    login = client_a.post("/compte/login/", {"login": "agent@ville-a.fr", "password": "mot-de-passe-solide-42"})

    assert login["Location"] == "/"


def test_a_coordinator_sees_only_couriers_on_the_people_page(client_a, town_a):
    with town_a:
        world.courier("Anna Leroy")
        User.objects.create_user(email="agente@ville-a.fr", role=Role.TOWN_AGENT, first_name="Agathe")
        Invitation.objects.create(
            email="invitee-agent@ville-a.fr",
            role=Role.TOWN_AGENT,
            token_hash="a" * 64,
            sent_at=_now(),
            expires_at=_now(),
        )
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)

    html = client_a.get("/gestion/personnes/").content.decode()

    assert "Anna Leroy" in html
    assert "Agathe" not in html
    assert "agente@ville-a.fr" not in html
    assert "invitee-agent@ville-a.fr" not in html
    assert re.findall(ROLE_OPTION, html) == ["courier"]
    assert client_a.get("/gestion/personnes/journal/").status_code == 403
    assert client_a.get("/gestion/personnes/?role=town_agent").content.decode().count("agente@") == 0


def test_a_coordinator_invites_a_courier_and_nobody_else(client_a, town_a, mailoutbox):
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)
    with town_a:
        before = set(Invitation.objects.values_list("pk", flat=True))

    form = client_a.get("/gestion/personnes/inviter/").content.decode()
    assert re.findall(ROLE_OPTION, form) == ["courier"]
    invited = client_a.post("/gestion/personnes/inviter/", {"role": "courier", "email": "nouveau.livreur@test.fr"})
    refused = client_a.post("/gestion/personnes/inviter/", {"role": "town_agent", "email": "pas.agent@test.fr"})

    assert invited.status_code == 302
    assert refused.status_code == 200
    with town_a:
        made = Invitation.objects.exclude(pk__in=before)
        assert list(made.values_list("email", "role")) == [("nouveau.livreur@test.fr", "courier")]


def test_a_coordinator_cannot_open_an_agents_page(client_a, town_a):
    with town_a:
        agent = User.objects.create_user(email="agente@ville-a.fr", role=Role.TOWN_AGENT)
        courier = world.courier("Anna Leroy")
    world.sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)

    assert client_a.get(f"/gestion/personnes/{agent.pk}/").status_code == 404
    assert client_a.get(f"/gestion/personnes/{courier.pk}/").status_code == 200
    client_a.post(f"/gestion/personnes/{agent.pk}/activation/", {"active": "0"})
    with town_a:
        assert User.objects.get(pk=agent.pk).is_active


def _now():
    from django.utils import timezone

    return timezone.now()
