"""Reminders the day before: from 10 h in the town's clock, once per registration, never for a cancelled
session; e-mail when the business has an address, else SMS on its mobile."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.core import mail

from accounts.sms.backends import locmem
from onboarding.sessions.actions import cancel_occurrence, register_prospect
from onboarding.sessions.models import SessionRegistration
from onboarding.sessions.reminders import run_session_chores, send_due_reminders
from onboarding.sessions.tasks import session_chores_task
from tenants.models import Town
from tests.onboarding.factories import make_prospect
from tests.onboarding.sessions_factories import make_weekly_series

UTC = dt.UTC
# Sunday 14 March 2027, 9 h 30 and 10 h 30 in Paris (UTC+1): the day before Monday's 9 h session.
BEFORE_TEN = dt.datetime(2027, 3, 14, 8, 30, tzinfo=UTC)
AFTER_TEN = dt.datetime(2027, 3, 14, 9, 30, tzinfo=UTC)


def _setup() -> tuple[SessionRegistration, SessionRegistration]:
    series = make_weekly_series(start_date=dt.date(2027, 3, 15), end_date=dt.date(2027, 3, 22))
    monday, next_monday = series.occurrences.order_by("starts_at")
    by_mail = register_prospect(
        occurrence=monday, prospect=make_prospect(name="Librairie", email="livres@example.fr"), actor=None
    ).registration
    by_sms = register_prospect(
        occurrence=monday, prospect=make_prospect(name="Primeur", phone="07 61 22 33 44"), actor=None
    ).registration
    register_prospect(occurrence=next_monday, prospect=make_prospect(email="plus-tard@example.fr"), actor=None)
    return by_mail, by_sms


def test_reminders_go_once_the_day_before_from_ten_by_email_or_sms(town_a: Town, settings) -> None:
    settings.SMS_BACKEND = "accounts.sms.backends.locmem.SmsBackend"
    locmem.outbox.clear()
    with time_machine.travel(dt.datetime(2027, 3, 10, 9, tzinfo=UTC), tick=False), town_a:
        by_mail, by_sms = _setup()
    mail.outbox.clear()
    with time_machine.travel(BEFORE_TEN, tick=False), town_a:
        assert send_due_reminders() == 0
    with time_machine.travel(AFTER_TEN, tick=False), town_a:
        assert session_chores_task.apply().get() == {"reminded": 2, "cancellations": 0, "invitations": 0}
        assert run_session_chores() == {"reminded": 0, "cancellations": 0, "invitations": 0}
        assert set(SessionRegistration.objects.filter(reminded_at__isnull=False).values_list("pk", flat=True)) == {
            by_mail.pk,
            by_sms.pk,
        }
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["livres@example.fr"], "Rappel : réunion d’information demain à 9 h")
    ]
    assert "Lundi 15 mars, 9 h – 10 h" in mail.outbox[0].body
    assert [(s.to, s.text) for s in locmem.outbox] == [
        (
            "+33761223344",
            "Rappel Ville A : réunion d'information demain 15/03 à 9 h, Salle du conseil, hotel de ville.",
        )
    ]


def test_no_reminder_for_a_cancelled_session(town_a: Town) -> None:
    with time_machine.travel(dt.datetime(2027, 3, 10, 9, tzinfo=UTC), tick=False), town_a:
        by_mail, _by_sms = _setup()
        cancel_occurrence(occurrence=by_mail.occurrence, actor=None)
    mail.outbox.clear()
    with time_machine.travel(AFTER_TEN, tick=False), town_a:
        assert send_due_reminders() == 0
        assert SessionRegistration.objects.filter(reminded_at__isnull=False).count() == 0
    assert mail.outbox == []


def test_a_failed_reminder_is_not_stamped_and_goes_at_the_next_run(town_a: Town, settings) -> None:
    with time_machine.travel(dt.datetime(2027, 3, 10, 9, tzinfo=UTC), tick=False), town_a:
        by_mail, _by_sms = _setup()
    settings.EMAIL_BACKEND = "tests.onboarding.test_sessions_reminders.FailingBackend"
    with time_machine.travel(AFTER_TEN, tick=False), town_a:
        assert send_due_reminders() == 1  # the SMS one (console backend); the e-mail failed
        by_mail.refresh_from_db()
        assert by_mail.reminded_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    with time_machine.travel(AFTER_TEN + dt.timedelta(minutes=30), tick=False), town_a:
        assert send_due_reminders() == 1
        by_mail.refresh_from_db()
        assert by_mail.reminded_at == AFTER_TEN + dt.timedelta(minutes=30)
    assert len(mail.outbox) == 1


class FailingBackend:
    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def send_messages(self, messages: object) -> int:
        raise ConnectionRefusedError("SMTP down")


def test_beat_runs_the_session_chores_every_half_hour_and_the_generation_nightly_in_every_town(settings) -> None:
    from celery.schedules import crontab

    from config.celery import app
    from tenants.tasks import TownTask

    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["onboarding-session-chores"] == {
        "task": "onboarding.session_chores",
        "schedule": crontab(minute="0,30"),
    }
    assert schedule["onboarding-session-occurrences"] == {
        "task": "onboarding.generate_session_occurrences",
        "schedule": crontab(hour=2, minute=20),
    }
    for name in ("onboarding.session_chores", "onboarding.generate_session_occurrences"):
        assert isinstance(app.tasks[name], TownTask)


def test_the_chores_send_invitations_and_notices_whose_hand_over_was_lost_once(
    town_a: Town, django_capture_on_commit_callbacks
) -> None:
    from onboarding.sessions.actions import invite_prospects
    from onboarding.sessions.models import SessionInvitation

    with time_machine.travel(dt.datetime(2027, 3, 10, 9, tzinfo=UTC), tick=False), town_a:
        by_mail, _by_sms = _setup()
        guest = make_prospect(name="Invité", email="invite@example.fr")
        with django_capture_on_commit_callbacks(execute=False):  # the broker was down: nothing handed over
            outcome = invite_prospects(occurrence=by_mail.occurrence, prospects=[guest], channels=["email"], actor=None)
            cancel_occurrence(occurrence=by_mail.occurrence, actor=None, reason="Grève.")
        assert outcome.queued == 1
    mail.outbox.clear()
    with time_machine.travel(dt.datetime(2027, 3, 10, 9, 10, tzinfo=UTC), tick=False), town_a:
        # The invitation was to the date cancelled meanwhile: it is never sent (it would mislead).
        assert run_session_chores() == {"reminded": 0, "cancellations": 2, "invitations": 0}
        assert run_session_chores() == {"reminded": 0, "cancellations": 0, "invitations": 0}
        invitation = SessionInvitation.objects.get()
        assert (invitation.sent_at, invitation.last_error) == (None, "date annulée ou passée")
    assert [m.to for m in mail.outbox] == [["livres@example.fr"]]


def test_the_chores_send_an_invitation_whose_hand_over_was_lost_once(
    town_a: Town, django_capture_on_commit_callbacks
) -> None:
    from onboarding.sessions.actions import invite_prospects
    from onboarding.sessions.models import SessionInvitation

    with time_machine.travel(dt.datetime(2027, 3, 10, 9, tzinfo=UTC), tick=False), town_a:
        by_mail, _by_sms = _setup()
        guest = make_prospect(name="Invité", email="invite@example.fr")
        with django_capture_on_commit_callbacks(execute=False):
            invite_prospects(occurrence=by_mail.occurrence, prospects=[guest], channels=["email"], actor=None)
    mail.outbox.clear()
    with time_machine.travel(dt.datetime(2027, 3, 10, 9, 10, tzinfo=UTC), tick=False), town_a:
        assert run_session_chores()["invitations"] == 1
        assert run_session_chores()["invitations"] == 0
        assert SessionInvitation.objects.get().sent_at == dt.datetime(2027, 3, 10, 9, 10, tzinfo=UTC)
    assert [m.to for m in mail.outbox] == [["invite@example.fr"]]
