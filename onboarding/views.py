"""The onboarding landing page: where each business of the town stands."""

from __future__ import annotations

from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import render

from accounts.requests import AuthenticatedRequest
from onboarding.models import Step
from onboarding.permissions import onboarding_view
from onboarding.queries import prospects_for


@onboarding_view
def home(request: AuthenticatedRequest) -> HttpResponse:
    counts = dict(prospects_for(request.user).values_list("step").annotate(n=Count("pk")).values_list("step", "n"))
    steps = [(step, counts.get(step.value, 0)) for step in Step]
    return render(request, "onboarding/home.html", {"steps": steps, "onboarding_tab": "home"})
