"""Importing the town's list of businesses into the pipeline: a form, then the catalogue's import job page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy

from accounts.requests import AuthenticatedRequest
from catalog.imports import queue_import
from catalog.models import ImportKind
from catalog.views_imports import check_import_file
from onboarding.imports import PROSPECT_COLUMNS
from onboarding.permissions import onboarding_view


class ProspectImportForm(forms.Form):
    source = forms.FileField(
        label=gettext_lazy("Liste des commerces (fichier CSV ou Excel .xlsx)"),
        help_text=gettext_lazy("Séparateur virgule ou point-virgule, UTF-8 ou Windows-1252 ; 20 Mo au plus."),
    )
    is_dry_run = forms.BooleanField(
        label=gettext_lazy("Essai à blanc : vérifier sans rien enregistrer"), required=False
    )

    def clean_source(self) -> Any:
        return check_import_file(self.cleaned_data["source"])


@onboarding_view
def import_prospects_page(request: AuthenticatedRequest) -> HttpResponse:
    form = ProspectImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = queue_import(
            user=request.user,
            kind=ImportKind.PROSPECTS,
            merchant=None,
            source=form.cleaned_data["source"],
            is_dry_run=form.cleaned_data["is_dry_run"],
        )
        return redirect("imports:job", job_id=job.pk)
    columns = [(name, spellings) for name, spellings in PROSPECT_COLUMNS.items()]
    return render(request, "onboarding/import.html", {"form": form, "columns": columns, "onboarding_tab": "import"})
