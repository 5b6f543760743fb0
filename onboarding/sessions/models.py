"""Information sessions: series (once or weekly), their dated occurrences, registrations, invitations,
and each staff member's secret calendar-feed key."""

from __future__ import annotations

import datetime as dt

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import user_reference
from onboarding.models import Prospect


class Recurrence(models.TextChoices):
    ONCE = "once", _("Une seule fois")
    WEEKLY = "weekly", _("Chaque semaine")


class Weekday(models.IntegerChoices):
    """Python's numbering (``date.weekday()``): Monday is 0."""

    MONDAY = 0, _("lundi")
    TUESDAY = 1, _("mardi")
    WEDNESDAY = 2, _("mercredi")
    THURSDAY = 3, _("jeudi")
    FRIDAY = 4, _("vendredi")
    SATURDAY = 5, _("samedi")
    SUNDAY = 6, _("dimanche")


class SessionSeries(models.Model):
    """What the town schedules: one session, or one every week on a weekday at a time of the town's clock.

    ``start_time`` is wall-clock time in the town's zone (a rule, not a moment): each occurrence's UTC
    start is computed from it for its own day, so « lundi 9 h » stays 9 h local across DST changes.
    """

    title = models.CharField(_("titre"), max_length=160, default=_("Réunion d’information"))
    description = models.TextField(
        _("de quoi il s’agit"),
        max_length=3000,
        blank=True,
        help_text=_("Ce que les commerçants découvriront : affiché sur la page d’inscription et dans l’invitation."),
    )
    place = models.CharField(_("lieu"), max_length=200)
    recurrence = models.CharField(_("fréquence"), max_length=8, choices=Recurrence.choices, default=Recurrence.ONCE)
    weekday = models.PositiveSmallIntegerField(_("jour de la semaine"), choices=Weekday.choices, null=True, blank=True)
    start_date = models.DateField(_("date (ou première date)"))
    end_date = models.DateField(_("jusqu’au"), null=True, blank=True)
    start_time = models.TimeField(_("heure de début"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("durée (minutes)"), default=60, validators=[MinValueValidator(15), MaxValueValidator(480)]
    )
    capacity = models.PositiveSmallIntegerField(
        _("places"), null=True, blank=True, help_text=_("Laisser vide : sans limite.")
    )
    created_by = user_reference()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("réunion d’information")
        verbose_name_plural = _("réunions d’information")
        constraints = [
            models.CheckConstraint(
                condition=Q(recurrence="once", weekday__isnull=True)
                | Q(recurrence="weekly", weekday__isnull=False, weekday__gte=0, weekday__lte=6),
                name="onboarding_session_series_weekday",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="onboarding_session_series_dates",
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=15, duration_minutes__lte=480),
                name="onboarding_session_series_duration",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.recurrence})"

    @property
    def is_weekly(self) -> bool:
        return self.recurrence == Recurrence.WEEKLY

    @property
    def duration(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.duration_minutes)


class SessionOccurrence(models.Model):
    """One dated session of a series (UTC in the database); cancelled on its own without touching the series."""

    series = models.ForeignKey(SessionSeries, on_delete=models.CASCADE, related_name="occurrences")
    # The town-local day it falls on: one occurrence per series and day (generation is idempotent on it).
    day = models.DateField()
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    is_cancelled = models.BooleanField(_("annulée"), default=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = user_reference()
    cancel_reason = models.CharField(_("motif de l’annulation"), max_length=300, blank=True)
    # iCalendar SEQUENCE: raised each time the date, time or status changes, so calendars take the update.
    sequence = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("séance")
        ordering = ("starts_at", "id")
        constraints = [
            models.UniqueConstraint(fields=["series", "day"], name="onboarding_session_occurrence_day"),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="onboarding_session_ends"),
            models.CheckConstraint(
                condition=Q(is_cancelled=False) | Q(cancelled_at__isnull=False),
                name="onboarding_session_cancelled_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.series_id} {self.starts_at:%Y-%m-%d %H:%M}Z"

    def is_past(self, now: dt.datetime | None = None) -> bool:
        return self.starts_at <= (now or timezone.now())


class RegisteredBy(models.TextChoices):
    SELF = "self", _("Le commerçant")
    AGENT = "agent", _("Un agent")


class Attendance(models.TextChoices):
    UNKNOWN = "unknown", _("Non renseigné")
    ATTENDED = "attended", _("Présent")
    ABSENT = "absent", _("Absent")


class SessionRegistration(models.Model):
    """A prospect registered for one occurrence (once: unique), by itself or by an agent, and whether it came."""

    occurrence = models.ForeignKey(SessionOccurrence, on_delete=models.CASCADE, related_name="registrations")
    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="session_registrations")
    registered_by = models.CharField(max_length=5, choices=RegisteredBy.choices)
    registered_by_user = user_reference()
    registered_at = models.DateTimeField(default=timezone.now)
    attendance = models.CharField(_("présence"), max_length=8, choices=Attendance.choices, default=Attendance.UNKNOWN)
    attendance_marked_by = user_reference()
    attendance_marked_at = models.DateTimeField(null=True, blank=True)
    # Each message at most once: set in the same transaction as the sending (reminders.py).
    reminded_at = models.DateTimeField(null=True, blank=True)
    cancellation_told_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("inscription")
        ordering = ("registered_at", "id")
        constraints = [
            models.UniqueConstraint(fields=["occurrence", "prospect"], name="onboarding_session_registration_once"),
            models.CheckConstraint(
                condition=Q(registered_by="self") | Q(registered_by="agent"),
                name="onboarding_session_registered_by",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prospect_id} @ {self.occurrence_id}"


class InvitationChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class SessionInvitation(models.Model):
    """An invitation sent to a prospect for one occurrence (or a series: it picks a date), by e-mail or SMS.

    The link carries this row's id, signed for the town (``tokens.py``); ``sent_at`` is set once sent.
    """

    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="session_invitations")
    series = models.ForeignKey(SessionSeries, on_delete=models.CASCADE, related_name="invitations")
    occurrence = models.ForeignKey(
        SessionOccurrence, null=True, blank=True, on_delete=models.CASCADE, related_name="invitations"
    )
    channel = models.CharField(max_length=5, choices=InvitationChannel.choices)
    recipient = models.CharField(max_length=254)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = user_reference()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("invitation à une réunion")
        ordering = ("created_at", "id")
        constraints = [
            # Inviting the same business to the same date twice on a channel sends nothing more.
            models.UniqueConstraint(
                fields=["prospect", "occurrence", "channel"],
                condition=Q(occurrence__isnull=False),
                name="onboarding_session_invitation_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prospect_id} → {self.occurrence_id or self.series_id} ({self.channel})"


class CalendarFeedKey(models.Model):
    """A staff member's calendar feed: its URL carries the signed (user, nonce); a new nonce voids the old URL."""

    user = user_reference()
    nonce = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("lien d’agenda")
        constraints = [models.UniqueConstraint(fields=["user"], name="onboarding_calendar_feed_key_user")]

    def __str__(self) -> str:
        return f"feed of {self.user_id}"
