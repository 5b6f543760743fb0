"""Background work of information sessions, run in the town that queued it.

Beat entries (settings.CELERY_BEAT_SCHEDULE, per town):
``"onboarding-session-chores": {"task": "onboarding.session_chores", "schedule": crontab(minute="0,30")}``
(reminders the day before from 10 h town time; invitations and cancellation notices left unsent) and
``"onboarding-session-occurrences": {"task": "onboarding.generate_session_occurrences", "schedule":
crontab(hour=2, minute=20)}`` (weekly series stay generated eight weeks ahead).
Imported by ``onboarding.apps`` so that workers register them.
"""

from __future__ import annotations

from celery import shared_task

from tenants.tasks import TownTask


@shared_task(name="onboarding.session_chores", base=TownTask)
def session_chores_task() -> dict[str, int]:
    from onboarding.sessions.reminders import run_session_chores

    return run_session_chores()


@shared_task(name="onboarding.generate_session_occurrences", base=TownTask)
def generate_session_occurrences_task() -> int:
    from onboarding.sessions.actions import generate_occurrences

    return generate_occurrences()


@shared_task(name="onboarding.send_session_invitation", base=TownTask, acks_late=True)
def send_session_invitation_task(invitation_id: int) -> str:
    from onboarding.sessions.reminders import deliver_invitation

    return deliver_invitation(invitation_id=invitation_id)


@shared_task(name="onboarding.tell_session_cancelled", base=TownTask, acks_late=True)
def tell_session_cancelled_task(registration_id: int) -> bool:
    from onboarding.sessions.reminders import tell_cancellation

    return tell_cancellation(registration_id=registration_id)
