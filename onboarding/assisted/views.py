"""Assisted mode's pages: start acting for a merchant, end it, read a merchant's assisted history."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.assisted import acting_for, may_act_for_merchants
from accounts.models import User
from accounts.requests import AuthenticatedRequest, signed_in_view
from catalog.queries import get_merchant_for, require_catalogue_backoffice
from onboarding.assisted.actions import SESSION_KEY, end_assisted_session, start_assisted_session
from onboarding.assisted.models import EndReason
from onboarding.assisted.queries import assisted_history_of


def require_may_act(user: User) -> None:
    """403 for anyone but an active town admin or agent who is not already acting for a merchant."""
    if not may_act_for_merchants(user):
        raise PermissionDenied


@require_POST
@signed_in_view(require_may_act)
def start(request: AuthenticatedRequest, merchant_slug: str) -> HttpResponse:
    merchant = get_merchant_for(request.user, merchant_slug)  # 404 for a merchant this town has not
    session = start_assisted_session(agent=request.user, merchant=merchant, reason=request.POST.get("reason", ""))
    request.session[SESSION_KEY] = session.pk
    messages.success(request, _("Vous agissez maintenant pour le compte de « %(name)s ».") % {"name": merchant.name})
    return redirect("backoffice:merchant_edit", merchant_slug=merchant.slug)


@require_POST
@signed_in_view(lambda user: None)
def end(request: AuthenticatedRequest) -> HttpResponse:
    assisted = acting_for(request.user)
    request.session.pop(SESSION_KEY, None)
    if assisted is None:
        # Already over (idle, signed out elsewhere): town staff go back to the catalogue; nobody else has
        # any business here.
        require_may_act(request.user)
        return redirect("backoffice:merchant_list")
    end_assisted_session(session_id=assisted.session_id, ended_by_id=request.user.pk, reason=EndReason.BY_AGENT)
    messages.success(
        request, _("Vous n’agissez plus pour le compte de « %(name)s ».") % {"name": assisted.merchant_name}
    )
    return redirect("backoffice:merchant_edit", merchant_slug=assisted.merchant_slug)


@signed_in_view(require_catalogue_backoffice)
def history(request: AuthenticatedRequest, merchant_slug: str) -> HttpResponse:
    merchant = get_merchant_for(request.user, merchant_slug)
    context = {"merchant": merchant, "merchant_name": merchant.name, "sessions": assisted_history_of(merchant)}
    return render(request, "onboarding/assisted/history.html", context)
