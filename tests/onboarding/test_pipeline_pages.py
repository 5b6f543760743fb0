"""The pipeline pages through HTTP: the board, the filtered list, a prospect's page, the settings."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role, User
from catalog.models import MerchantKind
from onboarding import board
from onboarding.models import OnboardingSettings, Prospect, ProspectMove, ProspectSource, Step
from tenants.models import Town
from tests.onboarding.factories import make_agent, make_prospect

BOARD = "/gestion/accompagnement/tableau/"
LIST = "/gestion/accompagnement/commerces/"
SETTINGS = "/gestion/accompagnement/reglages/"
HOME = "/gestion/accompagnement/"


def at_step(prospect: Prospect, step: Step, *, days_ago: int = 0, reason: str = "", **fields: object) -> Prospect:
    """Puts a prospect at ``step`` since ``days_ago`` days, without recording a move (a test's past)."""
    changed_at = timezone.now() - dt.timedelta(days=days_ago)
    Prospect.objects.filter(pk=prospect.pk).update(step=step, step_changed_at=changed_at, reason=reason, **fields)
    prospect.refresh_from_db()
    return prospect


def column_count(html: str, step: str) -> int:
    match = re.search(rf'<h2 id="column-{step}">[^<]*<span class="pipeline-count">(\d+)</span>', html)
    assert match, f"no column {step}"
    return int(match.group(1))


def column_names(html: str, step: str) -> list[str]:
    section = html.split(f'id="column-{step}"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'class="pipeline-card-name" href="[^"]+">([^<]+)</a>', section)


def test_the_board_has_a_column_per_step_with_its_count(town_a: Town, client_a: Client) -> None:
    with town_a:
        agent = make_agent()
        for name in ("Boulangerie Marie", "Fromagerie Opale"):
            make_prospect(name=name)
        at_step(make_prospect(name="Cave du Beffroi"), Step.AGREEMENT, days_ago=3)
        at_step(make_prospect(name="Librairie du Port"), Step.DECLINED, reason="Ne vend pas en ligne")
        client_a.force_login(agent)
    response = client_a.get(BOARD)
    html = response.content.decode()
    assert response.status_code == 200
    counts = {step.value: column_count(html, step.value) for step in board.BOARD_STEPS}
    assert counts == {
        "to_contact": 2,
        "contacted": 0,
        "info_session": 0,
        "agreement": 1,
        "bank_details": 0,
        "catalogue": 0,
        "photos": 0,
        "live": 0,
        "paused": 0,
        "declined": 1,
    }
    assert column_names(html, "agreement") == ["Cave du Beffroi"]
    assert "3 jours" in html.split('id="column-agreement"', 1)[1].split("</section>", 1)[0]
    assert '<span class="pipeline-reason">Ne vend pas en ligne</span>' in html


def test_a_full_column_shows_its_first_cards_and_links_to_the_others(
    town_a: Town, client_a: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(board, "COLUMN_CAP", 2)
    with town_a:
        agent = make_agent()
        for days, name in ((1, "Récent"), (9, "Ancien"), (5, "Moyen")):
            at_step(make_prospect(name=name), Step.CONTACTED, days_ago=days)
        client_a.force_login(agent)
    html = client_a.get(BOARD).content.decode()
    assert column_count(html, "contacted") == 3
    # The longest waiting first; the third one is behind the link to the filtered list.
    assert column_names(html, "contacted") == ["Ancien", "Moyen"]
    assert '<a href="/gestion/accompagnement/commerces/?step=contacted">voir l’autre commerce « Contacté »</a>' in html


def _count_queries(client: Client, url: str) -> int:
    client.get(url)  # warm: the town's host and site settings are cached after a first request
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_the_board_costs_the_same_queries_for_5_and_50_prospects(town_a: Town, client_a: Client) -> None:
    with town_a:
        agent = make_agent()
        prospects = [make_prospect() for _ in range(5)]
        for index, prospect in enumerate(prospects):
            at_step(prospect, board.BOARD_STEPS[index % 8], agent_id=agent.pk)
        client_a.force_login(agent)
    with_five = _count_queries(client_a, BOARD)
    with town_a:
        for index in range(45):
            at_step(make_prospect(), board.BOARD_STEPS[index % 10], reason="motif", agent_id=agent.pk)
    assert _count_queries(client_a, BOARD) == with_five


def test_the_board_query_count_is_pinned(town_a: Town, client_a: Client, django_assert_num_queries: object) -> None:
    with town_a:
        agent = make_agent()
        for index in range(12):
            at_step(make_prospect(), board.BOARD_STEPS[index % 8], agent_id=agent.pk)
        client_a.force_login(agent)
    client_a.get(BOARD)  # warm: the town's site settings are cached after a first request
    with django_assert_num_queries(5):  # type: ignore[operator]
        assert client_a.get(BOARD).status_code == 200


def test_moving_a_prospect_from_the_board_records_the_move_with_the_agent(town_a: Town, client_a: Client) -> None:
    with town_a:
        agent = make_agent()
        prospect = make_prospect(name="Boulangerie Marie")
        client_a.force_login(agent)
    response = client_a.post(f"{LIST}{prospect.pk}/etape/", {"to_step": "contacted", "reason": "", "next": BOARD})
    assert response.status_code == 302
    assert response["Location"] == BOARD
    with town_a:
        prospect.refresh_from_db()
        last = ProspectMove.objects.filter(prospect=prospect).last()
        assert prospect.step == Step.CONTACTED
        assert (last.from_step, last.to_step, last.moved_by_id, last.reason) == (
            "to_contact",
            "contacted",
            agent.pk,
            "",
        )


def test_moving_refuses_a_next_address_on_another_site(town_a: Town, client_a: Client) -> None:
    with town_a:
        agent = make_agent()
        prospect = make_prospect()
        client_a.force_login(agent)
    response = client_a.post(f"{LIST}{prospect.pk}/etape/", {"to_step": "contacted", "next": "https://evil.example/"})
    assert response["Location"] == f"{LIST}{prospect.pk}/"


def test_declining_without_a_reason_shows_a_french_error_and_changes_nothing(town_a: Town, client_a: Client) -> None:
    with town_a:
        agent = make_agent()
        prospect = make_prospect()
        client_a.force_login(agent)
    response = client_a.post(f"{LIST}{prospect.pk}/etape/", {"to_step": "declined", "reason": "   ", "next": BOARD})
    assert response.status_code == 400
    assert "Indiquez le motif de la pause ou du refus." in response.content.decode()
    with town_a:
        prospect.refresh_from_db()
        assert prospect.step == Step.TO_CONTACT
        assert ProspectMove.objects.filter(prospect=prospect).count() == 1


def test_declining_with_a_reason_records_it(town_a: Town, client_a: Client) -> None:
    with town_a:
        agent = make_agent()
        prospect = make_prospect()
        client_a.force_login(agent)
    client_a.post(f"{LIST}{prospect.pk}/etape/", {"to_step": "declined", "reason": "Départ à la retraite"})
    with town_a:
        prospect.refresh_from_db()
        assert (prospect.step, prospect.reason) == ("declined", "Départ à la retraite")


@pytest.mark.parametrize("role", [Role.MERCHANT_STAFF, Role.RESIDENT, Role.COURIER])
def test_people_who_are_not_town_staff_get_403_on_every_pipeline_page(
    town_a: Town, client_a: Client, role: str
) -> None:
    with town_a:
        prospect = make_prospect()
        someone = User.objects.create_user(f"{role}@ville-a.test", "pw-someone-2026", role=role)
        client_a.force_login(someone)
    for url in (BOARD, LIST, f"{LIST}{prospect.pk}/", SETTINGS):
        assert client_a.get(url).status_code == 403, url
    assert client_a.post(f"{LIST}{prospect.pk}/etape/", {"to_step": "contacted"}).status_code == 403
    with town_a:
        assert Prospect.objects.get(pk=prospect.pk).step == Step.TO_CONTACT


def test_anonymous_visitors_are_sent_to_the_login_page(client_a: Client) -> None:
    response = client_a.get(BOARD)
    assert response.status_code == 302
    assert "/connexion/" in response["Location"] or "login" in response["Location"]


def test_a_prospect_of_another_town_is_not_found(town_a: Town, town_b: Town, client_a: Client) -> None:
    with town_b:
        theirs = make_prospect(name="Commerce de la ville B")
    with town_a:
        assert not Prospect.objects.filter(pk=theirs.pk).exists()
        client_a.force_login(make_agent())
    assert client_a.get(f"{LIST}{theirs.pk}/").status_code == 404
    assert client_a.post(f"{LIST}{theirs.pk}/etape/", {"to_step": "contacted"}).status_code == 404
    assert client_a.post(f"{LIST}{theirs.pk}/", {"notes": "x"}).status_code == 404
    with town_b:
        assert Prospect.objects.get(pk=theirs.pk).step == Step.TO_CONTACT


def test_the_prospect_page_shows_the_history_and_links_to_the_catalogue(town_a: Town, client_a: Client) -> None:
    with town_a:
        agent = make_agent()
        agent.first_name, agent.last_name = "Julie", "Martin"
        agent.save()
        prospect = make_prospect(name="Fromagerie Opale", slug="fromagerie-opale")
        client_a.force_login(agent)
    client_a.post(f"{LIST}{prospect.pk}/etape/", {"to_step": "paused", "reason": "Travaux jusqu’en mars"})
    html = client_a.get(f"{LIST}{prospect.pk}/").content.decode()
    assert 'href="/gestion/catalogue/commercants/fromagerie-opale/"' in html
    rows = re.findall(
        r"<tr>\s*<td>[^<]+</td>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>", html
    )
    assert rows == [
        ("À contacter", "En pause", "Julie Martin", "Travaux jusqu’en mars"),
        ("(inscription)", "À contacter", "La plateforme", "—"),
    ]


def test_the_prospect_page_saves_contact_notes_and_referent_agent(town_a: Town, client_a: Client) -> None:
    with town_a:
        agent = make_agent()
        other = make_agent("collegue@ville-a.test")
        prospect = make_prospect()
        client_a.force_login(agent)
    response = client_a.post(
        f"{LIST}{prospect.pk}/",
        {"contact_name": " Mme Durand ", "notes": "Rappeler lundi", "agent": str(other.pk)},
    )
    assert response.status_code == 302
    with town_a:
        prospect.refresh_from_db()
        assert (prospect.contact_name, prospect.notes, prospect.agent_id) == ("Mme Durand", "Rappeler lundi", other.pk)


def test_only_town_staff_can_be_the_referent_agent(town_a: Town, client_a: Client) -> None:
    with town_a:
        agent = make_agent()
        resident = User.objects.create_user("habitant@ville-a.test", "pw-habitant-2026", role=Role.RESIDENT)
        prospect = make_prospect()
        client_a.force_login(agent)
    response = client_a.post(f"{LIST}{prospect.pk}/", {"contact_name": "X", "notes": "", "agent": str(resident.pk)})
    assert response.status_code == 400
    with town_a:
        prospect.refresh_from_db()
        assert (prospect.contact_name, prospect.agent_id) == ("", None)


def _list_names(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/gestion/accompagnement/commerces/\d+/">([^<]+)</a>', html)


def test_the_list_filters_by_step_kind_agent_source_stalled_and_text(town_a: Town, client_a: Client) -> None:
    with town_a:
        agent = make_agent()
        at_step(
            make_prospect(name="Boulangerie Marie", siret="73282932000074", kind=MerchantKind.ARTISAN),
            Step.CONTACTED,
            days_ago=20,
            agent_id=agent.pk,
        )
        at_step(make_prospect(name="Fromagerie Opale", kind=MerchantKind.SHOP), Step.CONTACTED, days_ago=2)
        at_step(
            make_prospect(name="Café du Beffroi", kind=MerchantKind.RESTAURANT),
            Step.LIVE,
            days_ago=40,
            source=ProspectSource.IMPORT,
        )
        client_a.force_login(agent)

    def names(query: str) -> list[str]:
        return _list_names(client_a.get(f"{LIST}?{query}").content.decode())

    assert names("") == ["Boulangerie Marie", "Café du Beffroi", "Fromagerie Opale"]
    assert names("step=contacted") == ["Boulangerie Marie", "Fromagerie Opale"]
    assert names("kind=restaurant") == ["Café du Beffroi"]
    assert names(f"agent={agent.pk}") == ["Boulangerie Marie"]
    assert names("agent=none") == ["Café du Beffroi", "Fromagerie Opale"]
    assert names("source=import") == ["Café du Beffroi"]
    # Live businesses never stall; 14 days by default.
    assert names("stalled=on") == ["Boulangerie Marie"]
    assert names("q=opale") == ["Fromagerie Opale"]
    assert names("q=732+829") == ["Boulangerie Marie"]


def test_the_list_query_count_is_pinned_and_does_not_grow(town_a: Town, client_a: Client) -> None:
    with town_a:
        agent = make_agent()
        for _ in range(5):
            at_step(make_prospect(), Step.CONTACTED, days_ago=30, agent_id=agent.pk)
        client_a.force_login(agent)
    url = f"{LIST}?stalled=on&step=contacted"
    with_five = _count_queries(client_a, url)
    with town_a:
        for _ in range(55):
            at_step(make_prospect(), Step.CONTACTED, days_ago=30, agent_id=agent.pk)
    # Search path, session, user, agents for the filter, settings, count, page (with merchant and agent).
    assert with_five == _count_queries(client_a, url) == 7
    assert "Page 1 sur 2" in client_a.get(url).content.decode()


def test_an_admin_saves_the_settings_and_an_agent_only_reads_them(town_a: Town, client_a: Client) -> None:
    with town_a:
        agent = make_agent()
        admin = User.objects.create_user("admin@ville-a.test", "pw-admin-2026", role=Role.TOWN_ADMIN)
        client_a.force_login(agent)
    assert client_a.get(SETTINGS).status_code == 200
    assert client_a.post(SETTINGS, {"stalled_after_days": "7", "send_daily_digest": ""}).status_code == 403
    with town_a:
        assert not OnboardingSettings.objects.exists()
        client_a.force_login(admin)
    assert client_a.post(SETTINGS, {"stalled_after_days": "7"}).status_code == 302
    with town_a:
        saved = OnboardingSettings.current()
        assert (saved.stalled_after_days, saved.send_daily_digest) == (7, False)


def test_the_settings_refuse_zero_days(town_a: Town, client_a: Client) -> None:
    with town_a:
        admin = User.objects.create_user("admin@ville-a.test", "pw-admin-2026", role=Role.TOWN_ADMIN)
        client_a.force_login(admin)
    response = client_a.post(SETTINGS, {"stalled_after_days": "0", "send_daily_digest": "on"})
    assert response.status_code == 400
    assert "Indiquez un nombre de jours entre 1 et 365." in response.content.decode()
    with town_a:
        assert not OnboardingSettings.objects.exists()


def test_the_landing_page_lists_stalled_businesses_the_agents_own_first(
    town_a: Town, client_a: Client, time_machine: object
) -> None:
    time_machine.move_to(dt.datetime(2026, 3, 18, 10, 0, tzinfo=dt.UTC), tick=False)  # type: ignore[attr-defined]
    with town_a:
        agent = make_agent()
        at_step(make_prospect(name="Ancien"), Step.CONTACTED, days_ago=30)
        at_step(make_prospect(name="Le mien"), Step.AGREEMENT, days_ago=15, agent_id=agent.pk)
        at_step(make_prospect(name="Pas encore"), Step.CONTACTED, days_ago=13)
        at_step(make_prospect(name="En pause"), Step.PAUSED, days_ago=60, reason="Travaux")
        at_step(make_prospect(name="En ligne"), Step.LIVE, days_ago=60)
        client_a.force_login(agent)
    html = client_a.get(HOME).content.decode()
    stalled = html.split('id="stalled-title"', 1)[1].split("</section>", 1)[0]
    assert re.findall(r'/commerces/\d+/">([^<]+)</a>', stalled) == ["Le mien", "Ancien"]
    assert "Voir les 2 commerces sans mouvement" in stalled
    # Two days later, the third one has stalled too.
    time_machine.move_to(dt.datetime(2026, 3, 20, 10, 0, tzinfo=dt.UTC), tick=False)  # type: ignore[attr-defined]
    html = client_a.get(HOME).content.decode()
    assert "Voir les 3 commerces sans mouvement" in html


def test_the_landing_page_counts_moves_into_each_step_per_iso_week(
    town_a: Town, client_a: Client, time_machine: object
) -> None:
    # Wednesday 18 March 2026 (week 12); a move on Monday 16 March at 00:30 Paris time (23:30 UTC on
    # Sunday) belongs to week 12, not week 11: weeks are the town's.
    time_machine.move_to(dt.datetime(2026, 3, 18, 10, 0, tzinfo=dt.UTC), tick=False)  # type: ignore[attr-defined]
    with town_a:
        agent = make_agent()
        prospect = make_prospect()
        ProspectMove.objects.all().delete()
        Prospect.objects.filter(pk=prospect.pk).update(step=Step.CONTACTED)
        for moved_at, to_step in (
            (dt.datetime(2026, 3, 15, 23, 30, tzinfo=dt.UTC), Step.CONTACTED),
            (dt.datetime(2026, 3, 17, 9, 0, tzinfo=dt.UTC), Step.CONTACTED),
            (dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC), Step.AGREEMENT),
            (dt.datetime(2025, 12, 1, 9, 0, tzinfo=dt.UTC), Step.AGREEMENT),  # more than 12 weeks ago
        ):
            ProspectMove.objects.create(prospect=prospect, from_step="", to_step=to_step, moved_at=moved_at)
        client_a.force_login(agent)
    html = client_a.get(HOME).content.decode()
    rows = re.findall(r'<tr><th scope="row"><abbr title="([^"]+)">(S\d\d \d{4})</abbr></th>(.*?)</tr>', html)
    assert len(rows) == 12
    table = {label: [int(n) for n in re.findall(r'<td class="number">(\d+)</td>', cells)] for _t, label, cells in rows}
    assert rows[0][:2] == ("semaine du 16 mars 2026", "S12 2026")
    assert table["S12 2026"] == [0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 2]
    assert table["S11 2026"] == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1]
    assert rows[-1][1] == "S01 2026"
    assert sum(sum(counts) for counts in table.values()) == 6
    # Counts per step now.
    assert '<th scope="row">Contacté</th><td class="number">1</td>' in html


def test_the_landing_page_query_count_does_not_grow(town_a: Town, client_a: Client) -> None:
    with town_a:
        agent = make_agent()
        for _ in range(3):
            at_step(make_prospect(), Step.CONTACTED, days_ago=30)
        client_a.force_login(agent)
    with_three = _count_queries(client_a, HOME)
    with town_a:
        for _ in range(30):
            at_step(make_prospect(), Step.CONTACTED, days_ago=30, agent_id=agent.pk)
    # Search path, session, user, then settings, counts, stalled, how many, weeks.
    assert _count_queries(client_a, HOME) == with_three == 8


def test_a_move_without_the_csrf_token_is_refused(town_a: Town) -> None:
    client = Client(HTTP_HOST=town_a.primary_host, enforce_csrf_checks=True)
    with town_a:
        prospect = make_prospect()
        client.force_login(make_agent())
    assert client.post(f"{LIST}{prospect.pk}/etape/", {"to_step": "contacted"}).status_code == 403
    with town_a:
        prospect.refresh_from_db()
        assert prospect.step == Step.TO_CONTACT
        assert ProspectMove.objects.filter(prospect=prospect).count() == 1


def test_the_prospect_page_leads_to_the_tools_for_this_shop(town_a: Town, client_a: Client) -> None:
    with town_a:
        prospect = make_prospect(name="Fromagerie Opale", slug="fromagerie-opale")
        client_a.force_login(make_agent())
    html = client_a.get(f"{LIST}{prospect.pk}/").content.decode()
    for href in (
        "/gestion/catalogue/commercants/fromagerie-opale/seance-photo/",
        "/gestion/catalogue/commercants/fromagerie-opale/a-completer/",
        "/gestion/accompagnement/convention/fromagerie-opale/papier/",
        "/gestion/accompagnement/assistance/historique/fromagerie-opale/",
    ):
        assert f'href="{href}"' in html
    assert 'action="/gestion/accompagnement/assistance/pour-le-compte-de/fromagerie-opale/"' in html
