"""The pipeline pages of the town's admins and agents: the board, the filtered list, a prospect's page
(its history, follow-up and move form) and the settings."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.requests import AuthenticatedRequest
from onboarding import board as board_module
from onboarding.board import (
    board_columns_for,
    days_at_step,
    filtered_prospects_for,
    moves_for,
    onboarding_staff,
)
from onboarding.board_cards import render_cards
from onboarding.follow_up import save_onboarding_settings, update_prospect_follow_up
from onboarding.forms_pipeline import FollowUpForm, MoveForm, OnboardingSettingsForm, ProspectFilterForm
from onboarding.models import OnboardingSettings, Prospect, Step
from onboarding.permissions import onboarding_view
from onboarding.pipeline import move_prospect
from onboarding.queries import get_prospect_for
from tenants.current import town_now

LIST_PAGE_SIZE = 50


@onboarding_view
def board(request: AuthenticatedRequest) -> HttpResponse:
    columns = board_columns_for(request.user)
    cards = render_cards(
        columns,
        prospects_url=reverse("onboarding:prospects"),
        back=request.path,
        csrf_token=get_token(request),
        today=town_now().date(),
    )
    context = {
        "columns": [(column, cards[column.step.value]) for column in columns],
        "prospects_url": reverse("onboarding:prospects"),
        "cap": board_module.COLUMN_CAP,
        "onboarding_tab": "board",
    }
    return render(request, "onboarding/pipeline/board.html", context)


@onboarding_view
def prospect_list(request: AuthenticatedRequest) -> HttpResponse:
    staff = list(onboarding_staff())
    form = ProspectFilterForm(request.GET, staff=staff)
    filters = form.filters()
    found = filtered_prospects_for(request.user, filters, OnboardingSettings.current())
    page = Paginator(found, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    today = town_now().date()
    for prospect in page.object_list:
        prospect.days_at_step = days_at_step(prospect, today)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "onboarding_tab": "list"}
    return render(request, "onboarding/pipeline/list.html", context)


def _prospect_page(
    request: AuthenticatedRequest,
    prospect: Prospect,
    *,
    follow_up: FollowUpForm | None = None,
    move: MoveForm | None = None,
    status: int = 200,
) -> HttpResponse:
    staff = onboarding_staff()
    if follow_up is None:
        initial = {"contact_name": prospect.contact_name, "notes": prospect.notes, "agent": prospect.agent_id}
        follow_up = FollowUpForm(initial=initial, staff=staff)
    if move is None:
        move = MoveForm(initial={"to_step": prospect.step, "next": request.path})
    history = moves_for(request.user).filter(prospect=prospect).select_related("moved_by").order_by("-moved_at", "-pk")
    prospect.days_at_step = days_at_step(prospect, town_now().date())  # type: ignore[attr-defined]
    context = {
        "prospect": prospect,
        "merchant": prospect.merchant,
        "history": history,
        "follow_up": follow_up,
        "move": move,
        "onboarding_tab": "list",
    }
    return render(request, "onboarding/pipeline/prospect.html", context, status=status)


@onboarding_view
def prospect_detail(request: AuthenticatedRequest, prospect_id: int) -> HttpResponse:
    prospect = get_prospect_for(request.user, prospect_id)
    if request.method != "POST":
        return _prospect_page(request, prospect)
    form = FollowUpForm(request.POST, staff=onboarding_staff())
    if form.is_valid():
        try:
            update_prospect_follow_up(
                prospect=prospect,
                actor=request.user,
                contact_name=form.cleaned_data["contact_name"],
                notes=form.cleaned_data["notes"],
                agent=form.cleaned_data["agent"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Le suivi de « %(name)s » est enregistré.") % {"name": prospect.merchant.name})
            return redirect("onboarding:prospect", prospect_id=prospect.pk)
    return _prospect_page(request, prospect, follow_up=form, status=400)


def _safe_next(request: AuthenticatedRequest, wanted: str, fallback: str) -> str:
    if wanted and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}):
        return wanted
    return fallback


@require_POST
@onboarding_view
def prospect_move(request: AuthenticatedRequest, prospect_id: int) -> HttpResponse:
    prospect = get_prospect_for(request.user, prospect_id)
    form = MoveForm(request.POST)
    if form.is_valid():
        try:
            moved = move_prospect(
                prospect=prospect,
                to_step=form.cleaned_data["to_step"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            text = _("« %(name)s » est à l’étape « %(step)s ».")
            messages.success(request, text % {"name": prospect.merchant.name, "step": Step(moved.step).label})
            fallback = reverse("onboarding:prospect", kwargs={"prospect_id": prospect.pk})
            return HttpResponseRedirect(_safe_next(request, form.cleaned_data.get("next", ""), fallback))
    # The prospect's page shows what was wrong, with what was typed (nothing changed).
    return _prospect_page(request, prospect, move=form, status=400)


@onboarding_view
def pipeline_settings(request: AuthenticatedRequest) -> HttpResponse:
    is_admin = request.user.role == Role.TOWN_ADMIN
    current = OnboardingSettings.current()
    if request.method == "POST" and not is_admin:
        raise PermissionDenied
    form = OnboardingSettingsForm(request.POST or None, instance=current, read_only=not is_admin)
    if request.method == "POST" and form.is_valid():
        try:
            save_onboarding_settings(
                actor=request.user,
                stalled_after_days=form.cleaned_data["stalled_after_days"],
                send_daily_digest=form.cleaned_data["send_daily_digest"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Les réglages de l’accompagnement sont enregistrés."))
            return redirect("onboarding:settings")
    context = {"form": form, "is_admin": is_admin, "onboarding_tab": "settings"}
    return render(request, "onboarding/pipeline/settings.html", context, status=400 if form.errors else 200)
