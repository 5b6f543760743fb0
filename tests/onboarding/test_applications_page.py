"""The agents' list of public applications: those « à vérifier » found at once, checked by hand with who and when."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Role, User
from catalog.models import MerchantKind
from onboarding.models import Application, DirectoryCheck
from tenants.models import Town
from tests.onboarding.factories import make_agent, make_prospect

LIST = "/gestion/accompagnement/candidatures/"


def application(name: str, check: str = DirectoryCheck.TO_CHECK) -> Application:
    prospect = make_prospect(name=name)
    return Application.objects.create(
        prospect=prospect,
        siret="73282932000074",
        business_name=name,
        contact_name="Claire Petit",
        email="claire@example.fr",
        kind=MerchantKind.SHOP,
        message="Nous aimerions vendre nos fleurs en ligne.",
        directory_check=check,
    )


def test_the_list_shows_every_application_and_those_to_check_on_their_own(town_a: Town, client_a: Client) -> None:
    with town_a:
        application("Fleurs de l'Opale")
        application("Cave du Beffroi", DirectoryCheck.VERIFIED)
        client_a.force_login(make_agent())
    everything = client_a.get(LIST).content.decode()
    assert "Fleurs de l&#x27;Opale" in everything
    assert "Cave du Beffroi" in everything
    assert "Voir la candidature à vérifier (1)" in everything
    to_check = client_a.get(LIST + "?a-verifier=1").content.decode()
    assert "Fleurs de l&#x27;Opale" in to_check
    assert "Cave du Beffroi" not in to_check


def test_an_agent_marks_an_application_checked_and_who_and_when_are_kept(town_a: Town, client_a: Client) -> None:
    with town_a:
        pending = application("Fleurs de l'Opale")
        agent = make_agent()
        client_a.force_login(agent)
    response = client_a.post(f"{LIST}{pending.pk}/verifiee/")
    assert (response.status_code, response["Location"]) == (302, LIST)
    with town_a:
        pending.refresh_from_db()
        assert (pending.directory_check, pending.checked_by_id) == (DirectoryCheck.VERIFIED, agent.pk)
        assert pending.checked_at is not None
    assert "Vérifiée à la main le" in client_a.get(LIST).content.decode()


def test_residents_may_not_mark_an_application_and_another_town_cannot_see_it(
    town_a: Town, town_b: Town, client_a: Client, client_b: Client
) -> None:
    with town_a:
        pending = application("Fleurs de l'Opale")
        resident = User.objects.create_user("habitant@ville-a.test", "pw-habitant-2026", role=Role.RESIDENT)
        client_a.force_login(resident)
    with town_b:
        client_b.force_login(make_agent("agent@ville-b.test"))
    assert client_a.post(f"{LIST}{pending.pk}/verifiee/").status_code == 403
    assert client_b.post(f"{LIST}{pending.pk}/verifiee/").status_code == 404
    assert "Fleurs" not in client_b.get(LIST).content.decode()
    with town_a:
        pending.refresh_from_db()
        assert (pending.directory_check, pending.checked_by_id) == (DirectoryCheck.TO_CHECK, None)


def test_marking_is_a_post_only(town_a: Town, client_a: Client) -> None:
    with town_a:
        pending = application("Fleurs de l'Opale")
        client_a.force_login(make_agent())
    assert client_a.get(f"{LIST}{pending.pk}/verifiee/").status_code == 405


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_list_reads_in_a_fixed_number_of_queries(town_a: Town, client_a: Client) -> None:
    with town_a:
        for n in range(2):
            application(f"Commerce {n}")
        client_a.force_login(make_agent())
    client_a.get(LIST)  # the first request of a session also stores it
    with_two = _queries(client_a, LIST)
    with town_a:
        for n in range(2, 8):
            application(f"Commerce {n}")
    # Search path, session, user, the page of applications with their prospects, the count, the number to check.
    assert _queries(client_a, LIST) == with_two == 6
