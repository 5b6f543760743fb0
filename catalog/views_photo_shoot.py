"""The photo shoot page (« Séance photo ») and the list of products to complete, for one merchant.

Town agents and admins, and the merchant's own staff, reach them through ``get_merchant_for`` (404
for anyone else's merchant). Without JavaScript the page posts its photos in one form; with
``static/js/photo-shoot.js`` it sends them one at a time to ``photo_shoot_upload``, with a key per
photo, and retries until each is stored.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.requests import AuthenticatedRequest
from catalog import queries
from catalog.forms_photo_shoot import DraftDetailsForm, PhotoShootForm
from catalog.models import Merchant, Product
from catalog.photo_shoot import (
    add_draft_product_from_photo,
    complete_draft_product,
    default_vat_rate,
    drafts_of_merchant_for,
    parse_upload_key,
)
from catalog.views_backoffice import backoffice_view
from tenants.images import MAX_UPLOAD_BYTES

IDEMPOTENCY_HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class DraftRow:
    """A draft as the pages show it: its first photo (a small rendition once made) and its form."""

    product: Product
    thumbnail_url: str
    form: DraftDetailsForm
    is_done: bool = False


def _draft_row(product: Product, form: DraftDetailsForm | None = None, *, is_done: bool = False) -> DraftRow:
    photos = list(product.photos.all())
    thumbnail_url = ""
    if photos:
        photo = photos[0]
        name = (photo.renditions.get("320") or {}).get("name") or photo.image.name
        thumbnail_url = photo.image.storage.url(name)
    if form is None:
        form = DraftDetailsForm(
            merchant=product.merchant,
            prefix=f"brouillon-{product.pk}",
            initial={"vat_rate": product.vat_rate or default_vat_rate(product.merchant)},
        )
    return DraftRow(product=product, thumbnail_url=thumbnail_url, form=form, is_done=is_done)


def _draft_rows(request: AuthenticatedRequest, merchant: Merchant) -> list[DraftRow]:
    rows = []
    for product in drafts_of_merchant_for(request.user, merchant):
        product.merchant = merchant  # the forms read its VAT status: no query per row
        rows.append(_draft_row(product))
    return rows


def _render_item(request: AuthenticatedRequest, row: DraftRow, *, return_to: str) -> str:
    return render_to_string(
        "catalog/backoffice/_draft_item.html", {"row": row, "return_to": return_to}, request=request
    )


def _limits() -> dict[str, int]:
    return {"max_upload_bytes": MAX_UPLOAD_BYTES, "max_upload_mb": MAX_UPLOAD_BYTES // (1024 * 1024)}


@backoffice_view
def photo_shoot(request: AuthenticatedRequest, merchant_slug: str) -> HttpResponse:
    merchant = queries.get_merchant_for(request.user, merchant_slug)
    form = PhotoShootForm(request.POST or None, request.FILES or None, initial={"shoot_key": uuid.uuid4()})
    if request.method == "POST" and form.is_valid():
        made, refused = 0, []
        for upload, key in form.photos_with_keys():
            try:
                done = add_draft_product_from_photo(merchant=merchant, upload=upload, upload_key=key, size=upload.size)
            except ValidationError as error:
                refused.append(f"{upload.name} : {' '.join(error.messages)}")
            else:
                made += done.is_new
        if made:
            messages.success(
                request,
                ngettext("%(count)s produit à compléter est créé.", "%(count)s produits à compléter sont créés.", made)
                % {"count": made},
            )
        for reason in refused:
            messages.error(request, _("Photo refusée, %(reason)s") % {"reason": reason})
        return redirect(reverse("backoffice:photo_shoot", kwargs={"merchant_slug": merchant.slug}) + "#a-completer")
    context = {"merchant": merchant, "form": form, "rows": _draft_rows(request, merchant)} | _limits()
    return render(request, "catalog/backoffice/photo_shoot.html", context)


@require_POST
@backoffice_view
def photo_shoot_upload(request: AuthenticatedRequest, merchant_slug: str) -> HttpResponse:
    """One photo from the page's script: 201 with the new draft, 200 with the same draft for a key
    already stored, 400 with a French message for a file that is not a photo (nothing stored)."""
    merchant = queries.get_merchant_for(request.user, merchant_slug)
    upload = request.FILES.get("photo")
    try:
        key = parse_upload_key(request.headers.get(IDEMPOTENCY_HEADER) or request.POST.get("key"))
        if upload is None:
            raise ValidationError(_("Aucune photo reçue."), code="no_photo")
        done = add_draft_product_from_photo(merchant=merchant, upload=upload, upload_key=key, size=upload.size)
    except ValidationError as error:
        return JsonResponse({"error": " ".join(error.messages)}, status=400)
    product = done.product
    product.merchant = merchant
    return JsonResponse(
        {
            "product_id": product.pk,
            "title": product.title,
            "created": done.is_new,
            "html": _render_item(request, _draft_row(product), return_to="seance"),
        },
        status=201 if done.is_new else 200,
    )


@backoffice_view
def drafts_to_complete(request: AuthenticatedRequest, merchant_slug: str) -> HttpResponse:
    merchant = queries.get_merchant_for(request.user, merchant_slug)
    context = {"merchant": merchant, "rows": _draft_rows(request, merchant)}
    return render(request, "catalog/backoffice/drafts_to_complete.html", context)


@require_POST
@backoffice_view
def draft_complete(request: AuthenticatedRequest, product_id: int) -> HttpResponse:
    """Title and price a draft. From the page's script, the answer is the item's new HTML."""
    product = queries.get_product_for(request.user, product_id)
    return_to = "liste" if request.POST.get("return_to") == "liste" else "seance"
    form = DraftDetailsForm(request.POST, merchant=product.merchant, prefix=f"brouillon-{product.pk}")
    is_fetch = request.headers.get("X-Requested-With") == "fetch"
    if form.is_valid():
        try:
            product = complete_draft_product(
                product=product,
                title=form.cleaned_data["title"],
                price_cents=form.cleaned_data["price"],
                vat_rate=form.cleaned_data["vat_rate"],
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
    if form.is_valid():
        if is_fetch:
            return HttpResponse(_render_item(request, _draft_row(product, form, is_done=True), return_to=return_to))
        messages.success(request, _("« %(title)s » est complété : vous pouvez le publier.") % {"title": product.title})
        name = "drafts_to_complete" if return_to == "liste" else "photo_shoot"
        return redirect(reverse(f"backoffice:{name}", kwargs={"merchant_slug": product.merchant.slug}) + "#a-completer")
    row = _draft_row(product, form)
    if is_fetch:
        return HttpResponse(_render_item(request, row, return_to=return_to), status=400)
    merchant = product.merchant
    rows = [row if other.product.pk == product.pk else other for other in _draft_rows(request, merchant)]
    template = "drafts_to_complete" if return_to == "liste" else "photo_shoot"
    context = {"merchant": merchant, "rows": rows, "form": PhotoShootForm(initial={"shoot_key": uuid.uuid4()})}
    context |= _limits()
    return render(request, f"catalog/backoffice/{template}.html", context, status=400)
