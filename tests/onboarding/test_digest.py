"""The agents' daily digest: once a day per town, from 8 h town time, only when there is something to say."""

from __future__ import annotations

import datetime as dt
from email.utils import parseaddr

import pytest
from django.conf import settings
from django.core import mail

from accounts.models import Role, User
from onboarding.digest import send_daily_digest
from onboarding.models import OnboardingSettings, Prospect, ProspectMove, Step
from onboarding.models_pipeline import DigestSent
from onboarding.pipeline import move_prospect
from onboarding.tasks_pipeline import send_daily_digest_task
from tenants.models import Town
from tests.onboarding.factories import make_agent, make_prospect

# Wednesday 18 March 2026, 9:00 in Paris (UTC+1).
MORNING = dt.datetime(2026, 3, 18, 8, 0, tzinfo=dt.UTC)


def stalled(name: str, *, days: int, step: Step = Step.CONTACTED, agent: User | None = None) -> Prospect:
    prospect = make_prospect(name=name)
    ProspectMove.objects.filter(prospect=prospect).delete()  # enrolled long ago: no move in the last 24 h
    Prospect.objects.filter(pk=prospect.pk).update(
        step=step, step_changed_at=MORNING - dt.timedelta(days=days), agent=agent
    )
    return prospect


@pytest.fixture
def morning(time_machine: object) -> dt.datetime:
    time_machine.move_to(MORNING, tick=False)  # type: ignore[attr-defined]
    return MORNING


def test_the_digest_goes_once_a_day_to_active_admins_and_agents(town_a: Town, morning: dt.datetime) -> None:
    with town_a:
        agent = make_agent()
        admin = User.objects.create_user("admin@ville-a.test", "pw-admin-2026", role=Role.TOWN_ADMIN)
        User.objects.create_user("parti@ville-a.test", "pw-parti-2026", role=Role.TOWN_AGENT, is_active=False)
        User.objects.create_user("commerce@ville-a.test", "pw-commerce-2026", role=Role.MERCHANT_STAFF)
        stalled("Boulangerie Marie", days=20)
        assert send_daily_digest(now=morning) == 2
        assert send_daily_digest(now=morning + dt.timedelta(hours=1)) == 0
        assert sorted(message.to[0] for message in mail.outbox) == [admin.email, agent.email]
        record = DigestSent.objects.get()
        assert (record.day, record.recipients, record.stalled_count, record.moves_count) == (
            dt.date(2026, 3, 18),
            2,
            1,
            0,
        )


def test_the_beat_task_sends_the_digest_in_its_town_once(town_a: Town, morning: dt.datetime) -> None:
    with town_a:
        make_agent()
        stalled("Boulangerie Marie", days=20)
        assert send_daily_digest_task.apply().get() == 1
        assert send_daily_digest_task.apply().get() == 0
    assert len(mail.outbox) == 1


def test_the_next_day_gets_its_own_digest(town_a: Town, morning: dt.datetime) -> None:
    with town_a:
        make_agent()
        stalled("Boulangerie Marie", days=20)
        assert send_daily_digest(now=morning) == 1
        assert send_daily_digest(now=morning + dt.timedelta(days=1)) == 1
        assert list(DigestSent.objects.values_list("day", flat=True)) == [dt.date(2026, 3, 19), dt.date(2026, 3, 18)]


def test_nothing_is_sent_before_8_in_the_towns_clock(town_a: Town, morning: dt.datetime) -> None:
    with town_a:
        make_agent()
        stalled("Boulangerie Marie", days=20)
        # 6:30 UTC is 7:30 in Paris.
        assert send_daily_digest(now=dt.datetime(2026, 3, 18, 6, 30, tzinfo=dt.UTC)) == 0
        assert not DigestSent.objects.exists()
    assert mail.outbox == []


def test_nothing_is_sent_when_the_town_turned_the_digest_off(town_a: Town, morning: dt.datetime) -> None:
    with town_a:
        make_agent()
        stalled("Boulangerie Marie", days=20)
        OnboardingSettings.objects.create(pk=1, send_daily_digest=False)
        assert send_daily_digest(now=morning) == 0
        assert not DigestSent.objects.exists()
    assert mail.outbox == []


def test_nothing_is_sent_when_nothing_stalled_and_nothing_moved(town_a: Town, morning: dt.datetime) -> None:
    with town_a:
        make_agent()
        stalled("Récent", days=3)
        stalled("En ligne depuis longtemps", days=90, step=Step.LIVE)
        assert send_daily_digest(now=morning) == 0
        record = DigestSent.objects.get()
        assert (record.recipients, record.stalled_count, record.moves_count) == (0, 0, 0)
    assert mail.outbox == []


def test_the_digest_lists_the_agents_own_businesses_first_then_moves_and_counts(
    town_a: Town, morning: dt.datetime
) -> None:
    with town_a:
        agent = make_agent()
        agent.first_name, agent.last_name = "Julie", "Martin"
        agent.save()
        other = make_agent("paul@ville-a.test")
        stalled("Ancien", days=40)
        stalled("Le mien", days=15, step=Step.AGREEMENT, agent=agent)
        moved = stalled("Fromagerie Opale", days=2)
        move_prospect(prospect=moved, to_step=Step.PAUSED, actor=other, reason="Travaux")
        assert send_daily_digest(now=morning) == 2
    mine = next(message for message in mail.outbox if message.to == [agent.email])
    theirs = next(message for message in mail.outbox if message.to == [other.email])
    assert mine.subject == "Accompagnement des commerçants : le point du 18/03/2026"
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    assert mine.from_email == f"Ville A <{address}>"
    assert mine.body.index("Le mien") < mine.body.index("Ancien")
    assert theirs.body.index("Ancien") < theirs.body.index("Le mien")
    assert "2 commerces sans mouvement depuis 14 jours ou plus (dont 1 que vous suivez, en premier)" in mine.body
    assert "- Le mien : Convention signée, depuis 15 jours (Julie Martin)" in mine.body
    assert "- 18/03 09:00 Fromagerie Opale : Contacté → En pause (par paul@ville-a.test) — motif : Travaux" in mine.body
    assert "- En pause : 1" in mine.body
    assert "- Contacté : 1" in mine.body
    html = mine.alternatives[0][0]
    assert '<caption style="text-align:left;font-weight:bold;padding:0 0 8px;">Commerces par étape</caption>' in html
    assert "/gestion/accompagnement/commerces/?stalled=on" in html
