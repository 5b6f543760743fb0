"""The town site's « Vendre sur … » page: a business applies to sell on the town's marketplace."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.network import client_ip
from accounts.ratelimit import is_over_limit
from onboarding.intake import receive_application
from onboarding.intake_forms import ApplyForm

logger = logging.getLogger(__name__)

# Each application may ask the company directory and e-mails the agents: a few per hour per client.
APPLICATIONS_PER_HOUR = 5


def apply(request: HttpRequest) -> HttpResponse:
    """The application form; a filled trap field gets the same thanks as a person, and nothing is stored."""
    form = ApplyForm(request.POST or None)
    if request.method == "POST":
        if is_over_limit(
            scope="merchant-application", client=client_ip(request), limit=APPLICATIONS_PER_HOUR, window_seconds=3600
        ):
            form.add_error(None, _("Trop de candidatures envoyées depuis cette connexion : réessayez dans une heure."))
            return render(request, "onboarding/apply.html", {"form": form}, status=429)
        if form.is_trapped:
            logger.info("Merchant application trap filled: nothing stored")
            return redirect("onboarding_public:apply_done")
        if "verifier" in request.POST:
            form, problem, found = ApplyForm.checked_siret(request.POST)
            return render(request, "onboarding/apply.html", {"form": form, "siret_problem": problem, "found": found})
        if form.is_valid():
            receive_application(application=form.application(), establishment=form.establishment)
            return redirect("onboarding_public:apply_done")
    return render(request, "onboarding/apply.html", {"form": form})


def apply_done(request: HttpRequest) -> HttpResponse:
    return render(request, "onboarding/apply_done.html")
