"""Posters pages: choose the merchants and the format, follow the rendering, download the PDF."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.requests import AuthenticatedRequest
from onboarding.permissions import onboarding_view
from onboarding.posters.actions import is_stalled, request_poster_batch, retry_poster_batch
from onboarding.posters.models import PosterBatchStatus, PosterFormat
from onboarding.posters.queries import get_poster_batch_for, live_merchants_for_posters, poster_batches_for

ALL_LIVE = "all"
SELECTION = "selection"
RECENT_BATCHES = 10


class PosterBatchForm(forms.Form):
    format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=PosterFormat.choices,
        widget=forms.RadioSelect,
        initial=PosterFormat.A4_POSTER,
    )
    scope = forms.ChoiceField(
        label=gettext_lazy("Commerces"),
        choices=(
            (ALL_LIVE, gettext_lazy("Tous les commerces en ligne")),
            (SELECTION, gettext_lazy("Seulement les commerces cochés ci-dessous")),
        ),
        widget=forms.RadioSelect,
        initial=ALL_LIVE,
    )
    merchants = forms.TypedMultipleChoiceField(coerce=int, required=False)

    def __init__(self, *args: Any, merchant_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.live_ids = merchant_ids
        self.fields["merchants"].choices = [(pk, pk) for pk in merchant_ids]  # type: ignore[attr-defined]

    def merchant_ids(self) -> list[int]:
        if self.cleaned_data["scope"] == ALL_LIVE:
            return self.live_ids
        return list(self.cleaned_data["merchants"])


@onboarding_view
def posters(request: AuthenticatedRequest) -> HttpResponse:
    """The choice of merchants and format; « Filtrer » narrows the list and keeps the boxes ticked (no script)."""
    data = request.POST if request.method == "POST" else None
    search = (data or request.GET).get("q", "").strip()[:100]
    all_live = live_merchants_for_posters(request.user)
    form = PosterBatchForm(data, merchant_ids=list(all_live.values_list("pk", flat=True)))
    is_generating = data is not None and data.get("action") != "filter"
    if is_generating and form.is_valid():
        try:
            batch = request_poster_batch(
                user=request.user, poster_format=form.cleaned_data["format"], merchant_ids=form.merchant_ids()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("onboarding:poster_batch", batch_id=batch.pk)
    checked = {str(value) for value in (data.getlist("merchants") if data is not None else [])}
    merchants = live_merchants_for_posters(request.user, search) if search else all_live
    shown = {str(merchant.pk) for merchant in merchants}
    context = {
        "form": form,
        "search": search,
        "merchants": merchants,
        "checked": checked,
        "hidden_checked": sorted(checked - shown),
        "live_count": len(form.live_ids),
        "batches": poster_batches_for(request.user)[:RECENT_BATCHES],
        "show_errors": is_generating,
        "onboarding_tab": "posters",
    }
    status = 400 if is_generating and form.errors else 200
    return render(request, "onboarding/posters/posters.html", context, status=status)


@require_GET
@onboarding_view
def poster_batch(request: AuthenticatedRequest, batch_id: int) -> HttpResponse:
    batch = get_poster_batch_for(request.user, batch_id)
    context = {"batch": batch, "is_stalled": is_stalled(batch), "onboarding_tab": "posters"}
    return render(request, "onboarding/posters/batch.html", context)


@require_POST
@onboarding_view
def poster_retry(request: AuthenticatedRequest, batch_id: int) -> HttpResponseRedirect:
    batch = retry_poster_batch(user=request.user, batch=get_poster_batch_for(request.user, batch_id))
    return redirect("onboarding:poster_batch", batch_id=batch.pk)


@require_GET
@onboarding_view
def poster_download(request: AuthenticatedRequest, batch_id: int) -> FileResponse | HttpResponseRedirect:
    """The batch's PDF from the private storage, as an attachment (404 until it is done)."""
    batch = get_poster_batch_for(request.user, batch_id)
    if batch.status != PosterBatchStatus.DONE or not batch.file:
        raise Http404(batch_id)
    name = "affiches" if batch.format == PosterFormat.A4_POSTER else "vitrophanies"
    response = FileResponse(
        batch.file.open("rb"),
        as_attachment=True,
        filename=f"{name}-{batch.created_at:%Y-%m-%d}-{batch.pk}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
