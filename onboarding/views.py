"""The onboarding landing page: stalled businesses, counts per step and per week (``pipeline_overview``)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from accounts.requests import AuthenticatedRequest
from onboarding.permissions import onboarding_view


@onboarding_view
def home(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "onboarding/home.html", {"onboarding_tab": "home"})
