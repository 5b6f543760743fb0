"""Reads of information sessions: for the town's admins and agents; the merchant's invitation page
reaches its invitation only through a signed token."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import AnyUser, User
from onboarding.models import Prospect
from onboarding.permissions import is_onboarding_staff
from onboarding.sessions.models import (
    CalendarFeedKey,
    SessionInvitation,
    SessionOccurrence,
    SessionRegistration,
    SessionSeries,
)
from onboarding.sessions.tokens import feed_claims_from_token, invitation_id_from_token

# The sessions page and the feed show the recent past too (marking attendance the day after).
RECENT_PAST = dt.timedelta(days=14)


def series_for(user: AnyUser) -> QuerySet[SessionSeries]:
    if not is_onboarding_staff(user):
        return SessionSeries.objects.none()
    return SessionSeries.objects.all()


def occurrences_for(user: AnyUser) -> QuerySet[SessionOccurrence]:
    """The town's occurrences with their series and registration count, for its admins and agents only."""
    if not is_onboarding_staff(user):
        return SessionOccurrence.objects.none()
    return SessionOccurrence.objects.select_related("series").annotate(
        registered=Count("registrations", distinct=True),
        attended=Count("registrations", filter=Q(registrations__attendance="attended"), distinct=True),
    )


def upcoming_occurrences_for(user: AnyUser, *, now: dt.datetime | None = None) -> QuerySet[SessionOccurrence]:
    now = now or timezone.now()
    return occurrences_for(user).filter(ends_at__gt=now - RECENT_PAST).order_by("starts_at", "pk")


def get_occurrence_for(user: AnyUser, occurrence_id: int) -> SessionOccurrence:
    """The occurrence if the user may manage it (Http404 otherwise, never a hint that it exists)."""
    return get_object_or_404(occurrences_for(user), pk=occurrence_id)


def get_series_for(user: AnyUser, series_id: int) -> SessionSeries:
    return get_object_or_404(series_for(user), pk=series_id)


def registrations_of(occurrence: SessionOccurrence) -> QuerySet[SessionRegistration]:
    """An occurrence's registrations with their business, by business name (the attendance sheet's order)."""
    return occurrence.registrations.select_related("prospect__merchant").order_by("prospect__merchant__name", "pk")


def invitations_of(occurrence: SessionOccurrence) -> QuerySet[SessionInvitation]:
    """The invitations made for an occurrence, newest first, with their business."""
    return occurrence.invitations.select_related("prospect__merchant").order_by("-created_at", "-pk")


def prospects_to_register(occurrence: SessionOccurrence) -> QuerySet[Prospect]:
    """The town's prospects not yet registered for this occurrence, by name."""
    return (
        Prospect.objects.select_related("merchant")
        .exclude(session_registrations__occurrence=occurrence)
        .order_by("merchant__name", "pk")
    )


def invitation_from_token(token: str) -> SessionInvitation:
    """The invitation a signed link names, in this town (Http404 for a forged, altered or foreign link)."""
    invitation_id = invitation_id_from_token(token)
    if invitation_id is None:
        raise Http404("invalid invitation link")
    return get_object_or_404(
        SessionInvitation.objects.select_related("prospect__merchant", "series", "occurrence"), pk=invitation_id
    )


def open_occurrences_of(series: SessionSeries, *, now: dt.datetime | None = None) -> QuerySet[SessionOccurrence]:
    """The series' occurrences a merchant can still register for (upcoming, not cancelled)."""
    now = now or timezone.now()
    return (
        series.occurrences.filter(starts_at__gt=now, is_cancelled=False)
        .annotate(registered=Count("registrations"))
        .order_by("starts_at")
    )


def feed_user_from_token(token: str) -> User:
    """The active staff member whose current feed link this is (Http404 otherwise: a forged, renewed,
    foreign link, or an account that lost its role)."""
    claims = feed_claims_from_token(token)
    if claims is None:
        raise Http404("invalid feed link")
    user_id, nonce = claims
    if not CalendarFeedKey.objects.filter(user_id=user_id, nonce=nonce).exists():
        raise Http404("invalid feed link")
    user = User.objects.filter(pk=user_id).first()
    if user is None or not is_onboarding_staff(user):
        raise Http404("invalid feed link")
    return user
