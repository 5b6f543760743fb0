"""Every change to information sessions: series and their occurrences, registrations, attendance,
invitations and calendar-feed keys.

Who may act is checked by the views (``onboarding_view``) and the queries that fetched the objects;
these actions check the state (a cancelled or past session takes no registration, a full one neither).
Messages (invitations, cancellations) are recorded with the change and sent by workers after commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.sms import normalise_french_mobile
from onboarding.models import Prospect, Step
from onboarding.pipeline import advance_prospect
from onboarding.sessions.models import (
    Attendance,
    CalendarFeedKey,
    InvitationChannel,
    Recurrence,
    RegisteredBy,
    SessionInvitation,
    SessionOccurrence,
    SessionRegistration,
    SessionSeries,
)
from onboarding.sessions.schedule import WEEKS_AHEAD, local_span, series_days
from onboarding.sessions.tokens import make_feed_token, new_feed_nonce
from tenants.current import town_today, town_zone

SERIES_FIELDS = (
    "title",
    "description",
    "place",
    "recurrence",
    "weekday",
    "start_date",
    "end_date",
    "start_time",
    "duration_minutes",
    "capacity",
)


# --- series and occurrences ---------------------------------------------------------------------------


def _check_series(series: SessionSeries) -> None:
    if series.recurrence == Recurrence.ONCE:
        series.weekday = None
        series.end_date = None
    elif series.weekday is None:
        raise ValidationError({"weekday": _("Choisissez le jour de la semaine de la réunion.")})
    if series.end_date is not None and series.end_date < series.start_date:
        raise ValidationError({"end_date": _("La date de fin précède la première date.")})
    series.full_clean(exclude=["created_by"])


def create_series(*, actor: User | None, **fields: object) -> SessionSeries:
    """A new series (once or weekly) with its occurrences of the coming weeks."""
    series = SessionSeries(created_by=actor, **{name: fields[name] for name in SERIES_FIELDS if name in fields})
    _check_series(series)
    with transaction.atomic():
        series.save()
        generate_occurrences(series=series)
    return series


def update_series(*, series: SessionSeries, actor: User | None, **fields: object) -> SessionSeries:
    """Changes a series; its upcoming occurrences follow (new time, new days).

    An upcoming occurrence on a day the series no longer meets is deleted when nobody registered,
    cancelled (and the registered merchants told) otherwise. Past occurrences are never touched.
    """
    for name in SERIES_FIELDS:
        if name in fields:
            setattr(series, name, fields[name])
    _check_series(series)
    with transaction.atomic():
        series.save()
        now = timezone.now()
        zone = town_zone()
        upcoming = list(
            series.occurrences.filter(starts_at__gt=now, is_cancelled=False).annotate(registered=Count("registrations"))
        )
        far = max([town_today() + dt.timedelta(weeks=WEEKS_AHEAD), *(o.day for o in upcoming)])
        wanted = set(series_days(series, start=town_today(), until=far))
        for occurrence in upcoming:
            if occurrence.day in wanted:
                starts_at, ends_at = local_span(series, occurrence.day, zone)
                if (starts_at, ends_at) != (occurrence.starts_at, occurrence.ends_at):
                    occurrence.starts_at, occurrence.ends_at = starts_at, ends_at
                    occurrence.sequence += 1
                    occurrence.save(update_fields=["starts_at", "ends_at", "sequence"])
            elif occurrence.registered:
                cancel_occurrence(occurrence=occurrence, actor=actor, reason=_("La réunion a changé de jour."))
            else:
                occurrence.delete()
        generate_occurrences(series=series)
    return series


def generate_occurrences(*, series: SessionSeries | None = None, today: dt.date | None = None) -> int:
    """Creates the missing occurrences from today to ``WEEKS_AHEAD`` weeks ahead (a one-off: its day,
    however far); returns how many. Idempotent: one occurrence per series and day (unique)."""
    today = today or town_today()
    zone = town_zone()
    until = today + dt.timedelta(weeks=WEEKS_AHEAD)
    all_series: Iterable[SessionSeries] = (
        [series]
        if series is not None
        else SessionSeries.objects.filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
    )
    created = 0
    for one in all_series:
        horizon = max(until, one.start_date) if not one.is_weekly else until
        known = set(one.occurrences.values_list("day", flat=True))
        fresh = []
        for day in series_days(one, start=today, until=horizon):
            if day in known:
                continue
            starts_at, ends_at = local_span(one, day, zone)
            fresh.append(SessionOccurrence(series=one, day=day, starts_at=starts_at, ends_at=ends_at))
        # A run at the same time (the daily task and an agent's edit) may have made some: left as they are.
        SessionOccurrence.objects.bulk_create(fresh, ignore_conflicts=True)
        created += len(fresh)
    return created


def cancel_occurrence(*, occurrence: SessionOccurrence, actor: User | None, reason: str = "") -> bool:
    """Cancels one occurrence (the series goes on); the registered merchants are told, once. False if it
    was already cancelled or is over."""
    with transaction.atomic():
        locked = SessionOccurrence.objects.select_for_update().get(pk=occurrence.pk)
        if locked.is_cancelled:
            return False
        if locked.ends_at <= timezone.now():
            raise ValidationError(_("Cette réunion a déjà eu lieu : elle ne peut plus être annulée."))
        locked.is_cancelled = True
        locked.cancelled_at = timezone.now()
        locked.cancelled_by = actor
        locked.cancel_reason = reason.strip()[:300]
        locked.sequence += 1
        locked.save(update_fields=["is_cancelled", "cancelled_at", "cancelled_by", "cancel_reason", "sequence"])
        to_tell = list(locked.registrations.values_list("pk", flat=True))
        if to_tell:
            transaction.on_commit(partial(_hand_over_cancellations, to_tell), robust=True)
    occurrence.is_cancelled, occurrence.cancelled_at = True, locked.cancelled_at
    return True


def _hand_over_cancellations(registration_ids: Sequence[int]) -> None:
    from onboarding.sessions.reminders import hand_over

    hand_over("onboarding.tell_session_cancelled", registration_ids)


# --- registrations and attendance ---------------------------------------------------------------------


class RegistrationRefused(ValidationError):
    """The occurrence takes no registration (cancelled, past, full): the message says why, in French."""


@dataclass(frozen=True)
class RegistrationOutcome:
    registration: SessionRegistration
    created: bool
    moved_from: SessionOccurrence | None = None


def register_prospect(*, occurrence: SessionOccurrence, prospect: Prospect, actor: User | None) -> RegistrationOutcome:
    """Registers the prospect (by itself when ``actor`` is None, else by that agent); twice is once.

    A registration the prospect holds for another upcoming date of the same series moves to this one
    (« choisir une autre date »). A first registration moves a prospect « À contacter » on to
    « Contacté »: whoever registered it, the town and the business are now in touch.
    """
    with transaction.atomic():
        locked = SessionOccurrence.objects.select_for_update().select_related("series").get(pk=occurrence.pk)
        existing = SessionRegistration.objects.filter(occurrence=locked, prospect=prospect).first()
        if existing is not None:
            return RegistrationOutcome(existing, created=False)
        _refuse_unless_open(locked)
        now = timezone.now()
        other = (
            SessionRegistration.objects.select_for_update()
            .select_related("occurrence")
            .filter(
                prospect=prospect,
                occurrence__series_id=locked.series_id,
                occurrence__starts_at__gt=now,
                attendance=Attendance.UNKNOWN,
            )
            .exclude(occurrence=locked)
            .first()
        )
        fields = {
            "registered_by": RegisteredBy.AGENT if actor is not None else RegisteredBy.SELF,
            "registered_by_user": actor,
            "registered_at": now,
        }
        try:
            with transaction.atomic():
                if other is not None:
                    moved_from = other.occurrence
                    for name, value in fields.items():
                        setattr(other, name, value)
                    other.occurrence, other.reminded_at, other.cancellation_told_at = locked, None, None
                    other.save()
                    return RegistrationOutcome(other, created=False, moved_from=moved_from)
                registration = SessionRegistration.objects.create(occurrence=locked, prospect=prospect, **fields)
        except IntegrityError:  # registered meanwhile by another request: the same outcome
            return RegistrationOutcome(
                SessionRegistration.objects.get(occurrence=locked, prospect=prospect), created=False
            )
        advance_prospect(merchant_id=prospect.merchant_id, to_step=Step.CONTACTED, actor=actor)
    return RegistrationOutcome(registration, created=True)


def _refuse_unless_open(occurrence: SessionOccurrence) -> None:
    if occurrence.is_cancelled:
        raise RegistrationRefused(_("Cette réunion est annulée : choisissez une autre date."))
    if occurrence.starts_at <= timezone.now():
        raise RegistrationRefused(_("Cette réunion a déjà commencé : choisissez une autre date."))
    capacity = occurrence.series.capacity
    if capacity is not None and occurrence.registrations.count() >= capacity:
        raise RegistrationRefused(_("Cette réunion est complète : choisissez une autre date."))


def unregister_prospect(*, registration: SessionRegistration, actor: User | None) -> bool:
    """Removes a registration (an agent's correction) before the session; False once it has started."""
    with transaction.atomic():
        deleted, _rows = SessionRegistration.objects.filter(
            pk=registration.pk, occurrence__starts_at__gt=timezone.now()
        ).delete()
    return bool(deleted)


def mark_attendance(*, occurrence: SessionOccurrence, attended_ids: Iterable[int], actor: User) -> list[int]:
    """Records who came (``attended_ids``: registration ids) and who did not (every other registration);
    each prospect that came moves on to « Réunion d’information », the agent recorded. Returns the
    merchant ids moved on."""
    attended = set(attended_ids)
    with transaction.atomic():
        locked = SessionOccurrence.objects.select_for_update().get(pk=occurrence.pk)
        if locked.is_cancelled:
            raise ValidationError(_("Cette réunion est annulée : pas de présences à noter."))
        if locked.day > town_today():
            raise ValidationError(_("Les présences se notent le jour de la réunion ou après."))
        now = timezone.now()
        moved: list[int] = []
        registrations = list(locked.registrations.select_for_update().select_related("prospect"))
        for registration in registrations:
            wanted = Attendance.ATTENDED if registration.pk in attended else Attendance.ABSENT
            if registration.attendance == wanted:
                continue
            registration.attendance = wanted
            registration.attendance_marked_by = actor
            registration.attendance_marked_at = now
            registration.save(update_fields=["attendance", "attendance_marked_by", "attendance_marked_at"])
            if wanted == Attendance.ATTENDED and advance_prospect(
                merchant_id=registration.prospect.merchant_id, to_step=Step.INFO_SESSION, actor=actor
            ):
                moved.append(registration.prospect.merchant_id)
    return moved


# --- invitations --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvitationOutcome:
    queued: int
    already_invited: int
    without_contact: list[str]


def invite_prospects(
    *,
    occurrence: SessionOccurrence,
    prospects: Iterable[Prospect],
    channels: Sequence[str],
    actor: User | None,
) -> InvitationOutcome:
    """Records one invitation per prospect and channel it can be reached on (e-mail address, French
    mobile) and sends them after commit; an invitation already made (same date, same channel) is not
    sent again."""
    if not channels or not set(channels) <= set(InvitationChannel.values):
        raise ValidationError(_("Choisissez l’envoi par e-mail, par SMS ou les deux."))
    if occurrence.is_cancelled or occurrence.starts_at <= timezone.now():
        raise ValidationError(_("On n’invite qu’à une réunion à venir et maintenue."))
    queued: list[int] = []
    already = 0
    without_contact: list[str] = []
    with transaction.atomic():
        for prospect in prospects:
            merchant = prospect.merchant
            addresses = {
                InvitationChannel.EMAIL: merchant.email,
                InvitationChannel.SMS: normalise_french_mobile(merchant.phone) or "",
            }
            reachable = [channel for channel in channels if addresses[InvitationChannel(channel)]]
            if not reachable:
                without_contact.append(merchant.name)
                continue
            for channel in reachable:
                invitation, created = SessionInvitation.objects.get_or_create(
                    prospect=prospect,
                    occurrence=occurrence,
                    channel=channel,
                    defaults={
                        "series_id": occurrence.series_id,
                        "recipient": addresses[InvitationChannel(channel)],
                        "created_by": actor,
                    },
                )
                if created:
                    queued.append(invitation.pk)
                else:
                    already += 1
        if queued:
            transaction.on_commit(partial(_hand_over_invitations, queued), robust=True)
    return InvitationOutcome(queued=len(queued), already_invited=already, without_contact=without_contact)


def _hand_over_invitations(invitation_ids: Sequence[int]) -> None:
    from onboarding.sessions.reminders import hand_over

    hand_over("onboarding.send_session_invitation", invitation_ids)


# --- calendar feed ------------------------------------------------------------------------------------


def feed_token_for(*, user: User) -> str:
    """The user's calendar-feed token (made on first use)."""
    key, _created = CalendarFeedKey.objects.get_or_create(user=user, defaults={"nonce": new_feed_nonce()})
    return make_feed_token(user_id=user.pk, nonce=key.nonce)


def renew_feed_token(*, user: User) -> str:
    """A new calendar-feed token for the user; the previous link stops working at once."""
    with transaction.atomic():
        key, created = CalendarFeedKey.objects.select_for_update().get_or_create(
            user=user, defaults={"nonce": new_feed_nonce()}
        )
        if not created:
            key.nonce = new_feed_nonce()
            key.created_at = timezone.now()
            key.save(update_fields=["nonce", "created_at"])
    return make_feed_token(user_id=user.pk, nonce=key.nonce)
