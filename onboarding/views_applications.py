"""The agents' list of public applications (« Vendre sur … ») and the « vérifié » action."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.requests import AuthenticatedRequest
from onboarding.applications import applications_for, get_application_for, mark_application_checked
from onboarding.models import DirectoryCheck
from onboarding.permissions import onboarding_view

PAGE_SIZE = 50


@onboarding_view
def application_list(request: AuthenticatedRequest) -> HttpResponse:
    to_check_only = request.GET.get("a-verifier") == "1"
    found = applications_for(request.user, to_check_only=to_check_only)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    to_check = applications_for(request.user, to_check_only=True).count()
    context = {
        "page": page,
        "query": "a-verifier=1" if to_check_only else "",
        "to_check_only": to_check_only,
        "to_check": to_check,
        "onboarding_tab": "applications",
    }
    return render(request, "onboarding/applications.html", context)


@require_POST
@onboarding_view
def application_checked(request: AuthenticatedRequest, application_id: int) -> HttpResponse:
    application = get_application_for(request.user, application_id)
    if application.directory_check == DirectoryCheck.TO_CHECK:
        mark_application_checked(application=application, actor=request.user)
        messages.success(
            request, _("La candidature de %(name)s est marquée comme vérifiée.") % {"name": application.business_name}
        )
    return redirect("onboarding:applications")
