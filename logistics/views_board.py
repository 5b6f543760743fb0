"""The dispatcher board, at /gestion/livraisons/tableau/?date=AAAA-MM-JJ (phone and desktop).

Every edit is a POST naming the board version its page showed (``logistics.board``): when another
dispatcher changed the day meanwhile, nothing is applied and the fresh board says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.requests import AuthenticatedRequest
from catalog.views_storefront import allow_map_tiles
from logistics import board
from logistics.models import Plan
from logistics.permissions import dispatcher_view
from tenants.current import town_today


class DayForm(forms.Form):
    date = forms.DateField(required=False)


class EditForm(forms.Form):
    """What every edit carries: the day and the board version the dispatcher saw."""

    date = forms.DateField()
    version = forms.IntegerField(min_value=0)
    locked = forms.BooleanField(required=False)
    round = forms.IntegerField(required=False, min_value=1)


def _day(request: AuthenticatedRequest) -> dt.date:
    form = DayForm(request.GET)
    if form.is_valid() and form.cleaned_data["date"]:
        return form.cleaned_data["date"]
    return town_today()


def board_url(date: dt.date, anchor: str = "") -> str:
    url = reverse("dispatch:board") + "?" + urlencode({"date": date.isoformat()})
    return f"{url}#{anchor}" if anchor else url


@dispatcher_view
def board_page(request: AuthenticatedRequest) -> HttpResponse:
    date = _day(request)
    day = board.day_board(date)
    context = {
        "day": day,
        "previous_day": date - dt.timedelta(days=1),
        "next_day": date + dt.timedelta(days=1),
        "map_tile_url": settings.MAP_TILE_URL,
        "map_attribution": settings.MAP_TILE_ATTRIBUTION,
        "dispatch_tab": "board",
    }
    return allow_map_tiles(render(request, "logistics/dispatch/board.html", context))


def _edit(request: AuthenticatedRequest, change: Callable[[EditForm], str], anchor: str = "") -> HttpResponseRedirect:
    """Run one edit; conflicts and refusals come back as messages on the fresh board."""
    form = EditForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("La demande est incomplète : rechargez le tableau et recommencez."))
        return HttpResponseRedirect(board_url(_day(request)))
    try:
        done = change(form)
    except (board.BoardConflict, board.DispatchError) as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, done)
    return HttpResponseRedirect(board_url(form.cleaned_data["date"], anchor))


def _plan_message(plan: Plan) -> str:
    is_success, text = board.plan_outcome_message(plan)
    if not is_success:
        raise board.DispatchError(text)
    return text


@require_POST
@dispatcher_view
def plan(request: AuthenticatedRequest) -> HttpResponse:
    return _edit(
        request,
        lambda form: _plan_message(
            board.plan_day(date=form.cleaned_data["date"], version=form.cleaned_data["version"], actor=request.user),
        ),
    )


@require_POST
@dispatcher_view
def round_lock(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    def change(form: EditForm) -> str:
        locked = form.cleaned_data["locked"]
        board.set_round_locked(
            round_id=round_id, is_locked=locked, version=form.cleaned_data["version"], actor=request.user
        )
        return (
            _("Tournée verrouillée : la replanification la garde telle quelle.")
            if locked
            else _("Tournée déverrouillée : la replanification peut la modifier.")
        )

    return _edit(request, change, anchor=f"tournee-{round_id}")


@require_POST
@dispatcher_view
def stop_lock(request: AuthenticatedRequest, stop_id: int) -> HttpResponse:
    def change(form: EditForm) -> str:
        locked = form.cleaned_data["locked"]
        board.set_stop_locked(
            stop_id=stop_id, is_locked=locked, version=form.cleaned_data["version"], actor=request.user
        )
        return _("Arrêt verrouillé à sa place.") if locked else _("Arrêt déverrouillé.")

    return _edit(request, change, anchor=f"arret-{stop_id}")


@require_POST
@dispatcher_view
def delivery_move(request: AuthenticatedRequest, delivery_id: int) -> HttpResponse:
    def change(form: EditForm) -> str:
        if not form.cleaned_data["round"]:
            raise board.DispatchError(_("Choisissez la tournée où mettre cette livraison."))
        board.move_delivery(
            delivery_id=delivery_id,
            round_id=form.cleaned_data["round"],
            version=form.cleaned_data["version"],
            actor=request.user,
        )
        return _("Livraison déplacée dans la tournée choisie.")

    return _edit(request, change, anchor=f"livraison-{delivery_id}")


@require_POST
@dispatcher_view
def delivery_insert(request: AuthenticatedRequest, delivery_id: int) -> HttpResponse:
    def change(form: EditForm) -> str:
        plan = board.insert_delivery(delivery_id=delivery_id, version=form.cleaned_data["version"], actor=request.user)
        reason = plan.unassigned.get(str(delivery_id))
        if reason:
            return _("La livraison n'a trouvé place dans aucune tournée : %(reason)s.") % {
                "reason": str(board.REASONS.get(reason, reason)).lower()
            }
        return _("Livraison ajoutée aux tournées du jour.")

    return _edit(request, change)
