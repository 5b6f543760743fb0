"""Information-session pages: the town staff's (list, series, occurrence, attendance, invitations,
sheet, feed link) under /gestion/accompagnement/reunions/, and the merchant's invitation page, opened
by a signed link without an account. The calendar feed is read with the token in its URL."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.requests import AuthenticatedRequest
from onboarding.models import Prospect
from onboarding.permissions import onboarding_view
from onboarding.sessions import actions
from onboarding.sessions.calendar import sessions_calendar
from onboarding.sessions.forms import CancelForm, InviteForm, RegisterForm, SeriesForm
from onboarding.sessions.models import SessionOccurrence, SessionRegistration
from onboarding.sessions.queries import (
    feed_user_from_token,
    get_occurrence_for,
    get_series_for,
    invitation_from_token,
    invitations_of,
    open_occurrences_of,
    prospects_to_register,
    registrations_of,
    series_for,
    upcoming_occurrences_for,
)
from onboarding.sessions.sheet import attendance_sheet_pdf
from tenants.actions import town_absolute_url
from tenants.current import current_town, town_today

TAB = {"onboarding_tab": "sessions"}


def _feed_url(request: AuthenticatedRequest) -> str:
    token = actions.feed_token_for(user=request.user)
    path = reverse("onboarding:sessions:feed") + "?cle=" + token
    return town_absolute_url(current_town(), path)


@onboarding_view
def session_list(request: AuthenticatedRequest) -> HttpResponse:
    occurrences = list(upcoming_occurrences_for(request.user))
    series = list(series_for(request.user).order_by("-created_at"))
    context = {**TAB, "occurrences": occurrences, "series": series, "feed_url": _feed_url(request)}
    return render(request, "onboarding/sessions/list.html", context)


@onboarding_view
def series_new(request: AuthenticatedRequest) -> HttpResponse:
    return _series_form(request, None)


@onboarding_view
def series_edit(request: AuthenticatedRequest, series_id: int) -> HttpResponse:
    return _series_form(request, series_id)


def _series_form(request: AuthenticatedRequest, series_id: int | None) -> HttpResponse:
    series = get_series_for(request.user, series_id) if series_id is not None else None
    form = SeriesForm(request.POST or None, instance=series)
    if request.method == "POST" and form.is_valid():
        try:
            if series is None:
                actions.create_series(actor=request.user, **form.cleaned_data)
                messages.success(request, _("La réunion est programmée."))
            else:
                actions.update_series(series=series, actor=request.user, **form.cleaned_data)
                messages.success(request, _("La réunion est modifiée ; les prochaines dates suivent."))
            return redirect("onboarding:sessions:list")
        except ValidationError as error:
            _add_errors(form, error)
    return render(request, "onboarding/sessions/series_form.html", {**TAB, "form": form, "series": series})


def _add_errors(form: SeriesForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _occurrence_page(
    request: AuthenticatedRequest,
    occurrence: SessionOccurrence,
    *,
    register_form: RegisterForm | None = None,
    invite_form: InviteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    candidates = prospects_to_register(occurrence)
    context = {
        **TAB,
        "occurrence": occurrence,
        "series": occurrence.series,
        "registrations": list(registrations_of(occurrence)),
        "invitations": list(invitations_of(occurrence)),
        "register_form": register_form or RegisterForm(prospects=candidates),
        "invite_form": invite_form or InviteForm(prospects=candidates),
        "cancel_form": CancelForm(),
        "can_mark": not occurrence.is_cancelled and occurrence.day <= town_today(),
        "is_upcoming": not occurrence.is_cancelled and not occurrence.is_past(),
    }
    return render(request, "onboarding/sessions/occurrence.html", context, status=status)


@onboarding_view
def occurrence_detail(request: AuthenticatedRequest, occurrence_id: int) -> HttpResponse:
    return _occurrence_page(request, get_occurrence_for(request.user, occurrence_id))


@require_POST
@onboarding_view
def occurrence_register(request: AuthenticatedRequest, occurrence_id: int) -> HttpResponse:
    occurrence = get_occurrence_for(request.user, occurrence_id)
    form = RegisterForm(request.POST, prospects=prospects_to_register(occurrence))
    if form.is_valid():
        prospect: Prospect = form.cleaned_data["prospect"]
        try:
            actions.register_prospect(occurrence=occurrence, prospect=prospect, actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("%(name)s est inscrit.") % {"name": prospect.merchant.name})
            return redirect("onboarding:sessions:occurrence", occurrence_id=occurrence.pk)
    return _occurrence_page(request, occurrence, register_form=form, status=400)


@require_POST
@onboarding_view
def occurrence_unregister(request: AuthenticatedRequest, occurrence_id: int, registration_id: int) -> HttpResponse:
    occurrence = get_occurrence_for(request.user, occurrence_id)
    registration = get_object_or_404(SessionRegistration, pk=registration_id, occurrence=occurrence)
    if actions.unregister_prospect(registration=registration, actor=request.user):
        messages.success(request, _("L’inscription est retirée."))
    else:
        messages.error(request, _("La réunion a commencé : l’inscription reste."))
    return redirect("onboarding:sessions:occurrence", occurrence_id=occurrence.pk)


@require_POST
@onboarding_view
def occurrence_attendance(request: AuthenticatedRequest, occurrence_id: int) -> HttpResponse:
    occurrence = get_occurrence_for(request.user, occurrence_id)
    attended = [int(value) for value in request.POST.getlist("present") if value.isdigit()]
    try:
        moved = actions.mark_attendance(occurrence=occurrence, attended_ids=attended, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        text = _("Présences enregistrées.")
        if moved:
            text += " " + ngettext(
                "%(count)d commerce passe à l’étape « Réunion d’information ».",
                "%(count)d commerces passent à l’étape « Réunion d’information ».",
                len(moved),
            ) % {"count": len(moved)}
        messages.success(request, text)
    return redirect("onboarding:sessions:occurrence", occurrence_id=occurrence.pk)


@require_POST
@onboarding_view
def occurrence_invite(request: AuthenticatedRequest, occurrence_id: int) -> HttpResponse:
    occurrence = get_occurrence_for(request.user, occurrence_id)
    form = InviteForm(request.POST, prospects=prospects_to_register(occurrence))
    if form.is_valid():
        try:
            outcome = actions.invite_prospects(
                occurrence=occurrence,
                prospects=form.chosen(),
                channels=form.cleaned_data["channels"],
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            text = ngettext("%(count)d invitation part.", "%(count)d invitations partent.", outcome.queued) % {
                "count": outcome.queued
            }
            if outcome.already_invited:
                text += " " + ngettext(
                    "%(count)d était déjà partie.", "%(count)d étaient déjà parties.", outcome.already_invited
                ) % {"count": outcome.already_invited}
            if outcome.without_contact:
                text += " " + _("Sans coordonnées pour ce moyen d’envoi : %(names)s.") % {
                    "names": ", ".join(outcome.without_contact)
                }
            messages.success(request, text)
            return redirect("onboarding:sessions:occurrence", occurrence_id=occurrence.pk)
    return _occurrence_page(request, occurrence, invite_form=form, status=400)


@require_POST
@onboarding_view
def occurrence_cancel(request: AuthenticatedRequest, occurrence_id: int) -> HttpResponse:
    occurrence = get_occurrence_for(request.user, occurrence_id)
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        if actions.cancel_occurrence(occurrence=occurrence, actor=request.user, reason=reason):
            messages.success(request, _("La réunion est annulée ; les commerces inscrits sont prévenus."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("onboarding:sessions:occurrence", occurrence_id=occurrence.pk)


@onboarding_view
def occurrence_sheet(request: AuthenticatedRequest, occurrence_id: int) -> HttpResponse:
    occurrence = get_occurrence_for(request.user, occurrence_id)
    response = HttpResponse(attendance_sheet_pdf(occurrence), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="feuille-de-presence-{occurrence.day:%Y-%m-%d}.pdf"'
    return response


@require_POST
@onboarding_view
def feed_renew(request: AuthenticatedRequest) -> HttpResponse:
    actions.renew_feed_token(user=request.user)
    messages.success(request, _("Nouveau lien d’agenda : l’ancien ne fonctionne plus."))
    return redirect(reverse("onboarding:sessions:list") + "#agenda")


def feed(request: HttpRequest) -> HttpResponse:
    """The calendar feed: no login (calendars cannot), the secret token in the URL instead."""
    user = feed_user_from_token(request.GET.get("cle", ""))
    body = sessions_calendar(upcoming_occurrences_for(user))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="reunions.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The merchant's page: the session it is invited to, one button to register, the other dates."""
    try:
        invited = invitation_from_token(token)
    except Http404:
        return render(request, "onboarding/sessions/invitation_invalid.html", status=404)
    prospect = invited.prospect
    notice = ""
    if request.method == "POST":
        chosen = request.POST.get("occurrence", "")
        occurrence = get_object_or_404(
            SessionOccurrence, pk=int(chosen) if chosen.isdigit() else 0, series_id=invited.series_id
        )
        try:
            outcome = actions.register_prospect(occurrence=occurrence, prospect=prospect, actor=None)
        except ValidationError as error:
            notice = " ".join(error.messages)
        else:
            messages.success(
                request,
                _("C’est noté : vous avez changé de date.")
                if outcome.moved_from
                else _("C’est noté : vous êtes inscrit."),
            )
            return redirect("onboarding:sessions:invitation", token=token)
    dates = list(open_occurrences_of(invited.series))
    registered = {
        registration.occurrence_id: registration
        for registration in prospect.session_registrations.filter(occurrence__series=invited.series)
    }
    context = {
        "invitation": invited,
        "series": invited.series,
        "merchant": prospect.merchant,
        "invited_to": invited.occurrence,
        "dates": dates,
        "registered_ids": set(registered),
        "registered_upcoming": [o for o in dates if o.pk in registered],
        "notice": notice,
        "token": token,
    }
    return render(request, "onboarding/sessions/invitation.html", context, status=400 if notice else 200)
