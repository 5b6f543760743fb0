"""Back-office pages of catalogue imports and exports (thin: forms, then catalog.imports)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.requests import AuthenticatedRequest, signed_in_view
from accounts.tokens import issue_api_token
from catalog.export import write_products_csv
from catalog.imports import MAX_FILE_BYTES, import_jobs_for, queue_import
from catalog.models import ImportKind, ImportStatus
from catalog.queries import get_merchant_for, is_catalogue_manager, merchants_for
from tenants.collation import by_name


def check_import_file(source: Any) -> Any:
    """The uploaded table of any import (size, extension), before it is queued; ValidationError otherwise."""
    if source.size > MAX_FILE_BYTES:
        raise forms.ValidationError(_("Le fichier dépasse 20 Mo : découpez-le en plusieurs fichiers."))
    if not source.name.lower().endswith((".csv", ".txt", ".xlsx")):
        raise forms.ValidationError(_("Envoyez un fichier .csv ou .xlsx."))
    return source


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Que voulez-vous importer ?"),
        # The town's list of businesses is imported from the onboarding pages.
        choices=[(kind.value, kind.label) for kind in (ImportKind.MERCHANTS, ImportKind.PRODUCTS)],
    )
    merchant = forms.ChoiceField(label=gettext_lazy("Commerçant"), required=False)
    source = forms.FileField(
        label=gettext_lazy("Fichier CSV ou Excel (.xlsx)"),
        help_text=gettext_lazy("Séparateur virgule ou point-virgule, UTF-8 ou Windows-1252 ; 20 Mo au plus."),
    )
    images_archive = forms.FileField(
        label=gettext_lazy("Archive ZIP des images (facultatif)"),
        required=False,
        help_text=gettext_lazy("Les noms de fichiers cités dans la colonne « images »."),
    )
    is_dry_run = forms.BooleanField(
        label=gettext_lazy("Essai à blanc : vérifier sans rien enregistrer"), required=False
    )
    unpublish_missing = forms.BooleanField(
        label=gettext_lazy("Dépublier les produits absents du fichier"), required=False
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        merchant_field = cast(forms.ChoiceField, self.fields["merchant"])
        merchant_field.choices = [
            ("", "—"),
            *merchants_for(user).order_by(*by_name(), "pk").values_list("slug", "name"),
        ]
        if not is_catalogue_manager(user):
            cast(forms.ChoiceField, self.fields["kind"]).choices = [
                (ImportKind.PRODUCTS.value, ImportKind.PRODUCTS.label)
            ]

    def clean_source(self) -> Any:
        return check_import_file(self.cleaned_data["source"])

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean() returns, typed as never None
        if data.get("kind") == ImportKind.PRODUCTS and not data.get("merchant"):
            self.add_error("merchant", _("Choisissez le commerçant dont vous importez les produits."))
        return data


def _require_catalogue_to_manage(user: User) -> None:
    if not is_catalogue_manager(user) and not merchants_for(user).exists():
        raise Http404("no catalogue to manage")


# Anonymous → login page; signed in with no catalogue to manage → 404.
imports_view = signed_in_view(_require_catalogue_to_manage)


@imports_view
def import_list(request: AuthenticatedRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        merchant = get_merchant_for(request.user, data["merchant"]) if data["kind"] == ImportKind.PRODUCTS else None
        job = queue_import(
            user=request.user,
            kind=data["kind"],
            merchant=merchant,
            source=data["source"],
            images_archive=data["images_archive"],
            is_dry_run=data["is_dry_run"],
            unpublish_missing=data["unpublish_missing"],
        )
        return redirect("imports:job", job_id=job.pk)
    jobs = import_jobs_for(request.user)[:20]
    merchants = merchants_for(request.user).order_by(*by_name(), "pk")[:200]
    return render(request, "catalog/imports/list.html", {"form": form, "jobs": jobs, "merchants": merchants})


@imports_view
def job_detail(request: AuthenticatedRequest, job_id: int) -> HttpResponse:
    job = import_jobs_for(request.user).filter(pk=job_id).first()
    if job is None:
        raise Http404(job_id)
    is_running = job.status in (ImportStatus.PENDING, ImportStatus.RUNNING)
    return render(request, "catalog/imports/job.html", {"job": job, "report": job.report, "is_running": is_running})


@imports_view
def export_csv(request: AuthenticatedRequest, merchant_slug: str) -> HttpResponse:
    merchant = get_merchant_for(request.user, merchant_slug)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="catalogue-{merchant.slug}.csv"'
    write_products_csv(merchant=merchant, stream=response)
    return response


@imports_view
def api_token(request: AuthenticatedRequest) -> HttpResponse:
    """Issue a token for integrations (stock sync of a till, a supermarket's catalogue system)."""
    token = issue_api_token(user=request.user, name=_("Back-office")) if request.method == "POST" else None
    return render(request, "catalog/imports/api_token.html", {"token": token})
