"""Sending what sessions call for, each message at most once per registration or invitation.

Beat runs ``onboarding.session_chores`` every half hour in every town (settings.CELERY_BEAT_SCHEDULE):
from ``REMINDER_HOUR`` in the town's clock it reminds each merchant registered for a session of the
next day, then it picks up the invitations and cancellation notices whose after-commit hand-over was
lost. Each message is sent under a lock on its row and its ``*_at`` stamp saved in the same
transaction: a second run (or a second worker) finds it stamped and sends nothing. A failed send
leaves the stamp empty, and the next run tries again (invitations: ``MAX_ATTEMPTS`` times).

A merchant is reached by e-mail when it has an address, else by SMS on a French mobile; with neither,
the registration is stamped without a message (the agent has its phone on the attendance sheet).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from accounts.sms import normalise_french_mobile, send_sms
from catalog.models import Merchant
from onboarding.sessions.messages import cancellation_message, invitation_message, reminder_message
from onboarding.sessions.models import SessionInvitation, SessionRegistration
from tenants.current import town_zone

logger = logging.getLogger(__name__)

REMINDER_HOUR = 10
MAX_ATTEMPTS = 5
SWEEP_AFTER = dt.timedelta(minutes=5)


def hand_over(task_name: str, ids: Sequence[int]) -> None:
    """One task per id; a broker outage is logged and left to the next chores run."""
    from onboarding.sessions import tasks

    task = {
        "onboarding.send_session_invitation": tasks.send_session_invitation_task,
        "onboarding.tell_session_cancelled": tasks.tell_session_cancelled_task,
    }[task_name]
    for one in ids:
        try:
            task.apply_async(args=(one,))
        except Exception as error:  # kombu.OperationalError, ConnectionError…
            logger.warning("%s %s not queued (broker unavailable): %r", task_name, one, error)


def _contact(merchant: Merchant) -> tuple[str, str]:
    """(channel, address): e-mail first, else a French mobile; ("", "") when it has neither."""
    if merchant.email:
        return "email", merchant.email
    if mobile := normalise_french_mobile(merchant.phone):
        return "sms", mobile
    return "", ""


def _send(message: EmailMultiAlternatives | str, *, to: str) -> None:
    if isinstance(message, str):
        send_sms(to=to, text=message)
    else:
        message.send(fail_silently=False)


def _locked_registration(registration_id: int, **conditions: object) -> SessionRegistration | None:
    return (
        SessionRegistration.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("occurrence__series", "prospect__merchant")
        .filter(pk=registration_id, **conditions)
        .first()
    )


def remind_registration(*, registration_id: int) -> bool:
    """Sends the registration's reminder unless already sent (or the session was cancelled); returns
    whether this call stamped it."""
    with transaction.atomic():
        registration = _locked_registration(registration_id, reminded_at__isnull=True, occurrence__is_cancelled=False)
        if registration is None:
            return False
        channel, to = _contact(registration.prospect.merchant)
        if channel:
            _send(reminder_message(registration, channel=channel, to=to), to=to)
        registration.reminded_at = timezone.now()
        registration.save(update_fields=["reminded_at"])
    return True


def tell_cancellation(*, registration_id: int) -> bool:
    """Tells the registered merchant its session is cancelled, once; returns whether this call did."""
    with transaction.atomic():
        registration = _locked_registration(
            registration_id, cancellation_told_at__isnull=True, occurrence__is_cancelled=True
        )
        if registration is None:
            return False
        channel, to = _contact(registration.prospect.merchant)
        if channel:
            _send(cancellation_message(registration, channel=channel, to=to), to=to)
        registration.cancellation_told_at = timezone.now()
        registration.save(update_fields=["cancellation_told_at"])
    return True


def deliver_invitation(*, invitation_id: int) -> str:
    """Sends one invitation at most once; records each failed attempt."""
    with transaction.atomic():
        invitation = (
            SessionInvitation.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("occurrence__series", "prospect__merchant")
            .filter(pk=invitation_id)
            .first()
        )
        if invitation is None:
            return "skipped"
        if invitation.sent_at is not None:
            return "already sent"
        occurrence = invitation.occurrence
        if occurrence is not None and (occurrence.is_cancelled or occurrence.starts_at <= timezone.now()):
            # Inviting to a date that is gone would mislead: never sent (the agent invites to another date).
            invitation.attempts = MAX_ATTEMPTS
            invitation.last_error = "date annulée ou passée"
            invitation.save(update_fields=["attempts", "last_error"])
            return "date gone"
        invitation.attempts += 1
        try:
            _send(invitation_message(invitation), to=invitation.recipient)
        except Exception as error:  # SMTP, HTTP: recorded for the agent; the chores run tries again.
            invitation.last_error = f"{type(error).__name__}: {error}"[:500]
            invitation.save(update_fields=["attempts", "last_error"])
            logger.warning("session invitation %s attempt %s failed: %s", invitation.pk, invitation.attempts, error)
            return "failed"
        invitation.sent_at, invitation.last_error = timezone.now(), ""
        invitation.save(update_fields=["attempts", "last_error", "sent_at"])
    return "sent"


def _each(ids: Sequence[int], work: object, what: str) -> int:
    done = 0
    for one in ids:
        try:
            done += bool(work(registration_id=one))  # type: ignore[operator]
        except Exception as error:  # one merchant's bad address must not stop the others
            logger.warning("%s for registration %s failed: %r", what, one, error)
    return done


def send_due_reminders(*, now: dt.datetime | None = None) -> int:
    """From ``REMINDER_HOUR`` (town clock), reminds each merchant registered for tomorrow's sessions
    that was not yet reminded; returns how many registrations it stamped."""
    now = now or timezone.now()
    local = now.astimezone(town_zone())
    if local.hour < REMINDER_HOUR:
        return 0
    due = list(
        SessionRegistration.objects.filter(
            occurrence__day=local.date() + dt.timedelta(days=1),
            occurrence__is_cancelled=False,
            reminded_at__isnull=True,
        ).values_list("pk", flat=True)
    )
    return _each(due, remind_registration, "reminder")


def run_session_chores(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The half-hourly run: reminders, then lost invitations and cancellation notices."""
    now = now or timezone.now()
    reminded = send_due_reminders(now=now)
    untold = list(
        SessionRegistration.objects.filter(
            occurrence__is_cancelled=True,
            occurrence__cancelled_at__lte=now - SWEEP_AFTER,
            occurrence__starts_at__gt=now,
            cancellation_told_at__isnull=True,
        ).values_list("pk", flat=True)
    )
    told = _each(untold, tell_cancellation, "cancellation notice")
    unsent = list(
        SessionInvitation.objects.filter(
            sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS, created_at__lte=now - SWEEP_AFTER
        ).values_list("pk", flat=True)
    )
    invited = sum(deliver_invitation(invitation_id=one) == "sent" for one in unsent)
    return {"reminded": reminded, "cancellations": told, "invitations": invited}
