"""The merchant's order screen, phone first: today's orders, accept, ready, refuse a line, hand over."""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import TOWN_STAFF_ROLES, Role
from accounts.requests import AuthenticatedRequest
from checkout import actions, queries
from checkout.forms import PickupCodeForm, RefundForm, RefuseLineForm
from checkout.order_days import group_by_day
from checkout.panels import order_panels
from checkout.payments import refund_merchant_order
from tenants.current import town_today, town_zone


def _actor(request: AuthenticatedRequest) -> actions.Actor:
    kind = "merchant" if request.user.role == Role.MERCHANT_STAFF else "town_agent"
    return actions.Actor(kind=kind, user_id=request.user.pk)


def _town_midnight() -> dt.datetime:
    return dt.datetime.combine(town_today(), dt.time(0), tzinfo=town_zone())


@login_required
def order_list(request: AuthenticatedRequest) -> HttpResponse:
    merchant_orders = list(queries.todays_merchant_orders_for(request.user, since=_town_midnight()))
    days = group_by_day(merchant_orders, lambda merchant_order: merchant_order.came_in_at)
    notices = list(queries.in_app_notices_for(request.user)[:10])
    context = {
        "days": days,
        "open_statuses": queries.OPEN_STATUSES,
        "notices": notices,
        "screen": queries.order_screen_state(merchant_orders),
    }
    # The open screen refreshes its list alone (js/order-screen.js): the region, without the page around it.
    is_region = request.GET.get("partie") == "liste"
    template = "checkout/merchant/_order_screen.html" if is_region else "checkout/merchant/order_list.html"
    return render(request, template, context)


@require_GET
def order_list_state(request: AuthenticatedRequest) -> HttpResponse:
    """The order screen's poll: how many orders wait for acceptance, and the version of the list."""
    if not request.user.is_authenticated:
        # A script asking, not a person: no redirect to the login page.
        return JsonResponse({"error": "authentication required"}, status=403)
    state = queries.order_screen_state_for(request.user, since=_town_midnight())
    response = JsonResponse({"to_accept": state.to_accept, "version": state.version})
    response["Cache-Control"] = "no-store"
    return response


@login_required
def order_detail(request: AuthenticatedRequest, merchant_order_id: int) -> HttpResponse:
    merchant_order = queries.get_merchant_order_for(request.user, merchant_order_id)
    is_town_staff = request.user.role in TOWN_STAFF_ROLES
    return render(
        request,
        "checkout/merchant/order_detail.html",
        {
            "merchant_order": merchant_order,
            "order": merchant_order.order,
            # A delivered order's code is for the courier: the shop never asks for it.
            "code_form": None if merchant_order.is_delivery else PickupCodeForm(),
            "refuse_form": RefuseLineForm(),
            "refund_form": RefundForm(initial={"request_key": uuid.uuid4().hex}) if is_town_staff else None,
            # What the apps above checkout know of the order (the delivery and its proof): the town's eyes only.
            "order_panels": order_panels(merchant_order.order) if is_town_staff else [],
        },
    )


def _run(request: AuthenticatedRequest, merchant_order_id: int, step: str) -> HttpResponse:
    merchant_order = queries.get_merchant_order_for(request.user, merchant_order_id)
    try:
        if step == "accept":
            actions.accept_merchant_order(merchant_order_id=merchant_order.pk, actor=_actor(request))
            messages.success(request, _("Commande acceptée : préparez-la."))
        elif step == "ready":
            outcome = actions.mark_merchant_order_ready(merchant_order_id=merchant_order.pk, actor=_actor(request))
            if outcome.is_resident_notified:
                messages.success(request, _("Commande prête : le client est prévenu."))
            elif merchant_order.is_delivery:
                messages.success(request, _("Commande prête : elle attend le livreur."))
            else:
                messages.success(request, _("Commande prête."))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("merchant_orders:detail", merchant_order_id=merchant_order.pk)


@login_required
@require_POST
def accept(request: AuthenticatedRequest, merchant_order_id: int) -> HttpResponse:
    return _run(request, merchant_order_id, "accept")


@login_required
@require_POST
def ready(request: AuthenticatedRequest, merchant_order_id: int) -> HttpResponse:
    return _run(request, merchant_order_id, "ready")


@login_required
@require_POST
def refuse_line(request: AuthenticatedRequest, line_id: int) -> HttpResponse:
    line = queries.get_order_line_for(request.user, line_id)
    form = RefuseLineForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        actions.refuse_line(line_id=line.pk, actor=_actor(request), reason=reason)
        messages.success(
            request,
            _("« %(title)s » est retiré de la commande ; le client est remboursé et prévenu.")
            % {"title": line.product_title},
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("merchant_orders:detail", merchant_order_id=line.merchant_order_id)


@login_required
@require_POST
def hand_over(request: AuthenticatedRequest, merchant_order_id: int) -> HttpResponse:
    merchant_order = queries.get_merchant_order_for(request.user, merchant_order_id)
    form = PickupCodeForm(request.POST)
    if form.is_valid():
        try:
            actions.hand_over(
                merchant_order_id=merchant_order.pk, pickup_code=form.cleaned_data["pickup_code"], actor=_actor(request)
            )
            messages.success(request, _("Commande remise au client."))
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
    else:
        messages.error(request, _("Saisissez le code de retrait."))
    return redirect("merchant_orders:detail", merchant_order_id=merchant_order.pk)


@login_required
@require_POST
def refund(request: AuthenticatedRequest, merchant_order_id: int) -> HttpResponse:
    """Town staff refund (part of) one merchant's share; the form's key makes a double submit refund once."""
    if request.user.role not in TOWN_STAFF_ROLES:
        raise PermissionDenied
    merchant_order = queries.get_merchant_order_for(request.user, merchant_order_id)
    form = RefundForm(request.POST)
    if form.is_valid():
        try:
            refund_merchant_order(
                merchant_order_id=merchant_order.pk,
                amount_cents=form.cleaned_data["amount_cents"],
                reason=form.cleaned_data["reason"],
                request_key=form.cleaned_data["request_key"],
                actor=_actor(request),
            )
            messages.success(request, _("Remboursement effectué ; le client est prévenu."))
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
    else:
        for errors in form.errors.values():
            for form_error in errors:  # an ErrorList yields each error as its message
                messages.error(request, str(form_error))
    return redirect("merchant_orders:detail", merchant_order_id=merchant_order.pk)


@login_required
def ticket(request: AuthenticatedRequest, merchant_order_id: int) -> HttpResponse:
    """The printable order ticket (PDF), for shops that work on paper."""
    from checkout.tickets import render_ticket_pdf

    merchant_order = queries.get_merchant_order_for(request.user, merchant_order_id)
    response = HttpResponse(render_ticket_pdf(merchant_order), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="commande-{merchant_order.order.number}.pdf"'
    return response
