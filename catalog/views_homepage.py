"""The town admin's "Apparence" pages: the town's branding and the blocks of its home page.

Branding goes through ``tenants.actions.update_branding`` (the operator's console uses the same
action and can still override it); blocks are edited as a draft, previewed, then published
(``catalog.homepage``). Town admins only: agents and merchants get a 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.requests import AuthenticatedRequest, signed_in_view
from catalog import homepage
from catalog.forms import HomeBlockForm
from catalog.models import HomeBlock, HomeBlockKind
from catalog.queries import live_merchants
from catalog.views_storefront import render_home
from tenants.actions import update_branding
from tenants.collation import by_name
from tenants.current import current_town
from tenants.forms import TownAppearanceForm
from tenants.models import Town

admin_view = signed_in_view(homepage.require_home_page_editor)


def _apply_errors(form: TownAppearanceForm | HomeBlockForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


@admin_view
def appearance(request: AuthenticatedRequest) -> HttpResponse:
    # A fresh copy: the form writes what was typed onto its instance, and the page's own header must
    # keep the saved colours when the new ones are refused.
    town = Town.objects.get(pk=current_town().pk)
    form = TownAppearanceForm(request.POST or None, request.FILES or None, instance=town)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            update_branding(town=Town.objects.get(pk=town.pk), **fields)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("L’apparence du site est enregistrée."))
            return redirect("homepage:appearance")
    context = {
        "form": form,
        "blocks": list(homepage.draft_blocks()),
        "kinds": HomeBlockKind.choices,
        "has_changes": homepage.has_unpublished_changes(),
    }
    return render(request, "catalog/homepage/appearance.html", context)


def _block_form(request: AuthenticatedRequest, block: HomeBlock) -> HomeBlockForm:
    merchants = live_merchants().order_by(*by_name(), "pk")
    initial = {} if block.pk else {"title": homepage.default_block_title(block.kind)}
    return HomeBlockForm(
        request.POST or None,
        request.FILES or None,
        instance=block,
        kind=block.kind,
        merchants=merchants,
        initial=initial,
    )


def _save_block(request: AuthenticatedRequest, block: HomeBlock) -> HttpResponse:
    form = _block_form(request, block)
    if request.method == "POST" and form.is_valid():
        fields = {name: value for name, value in form.cleaned_data.items() if name not in ("image", "merchants")}
        if "merchants" in form.cleaned_data:
            fields["merchant_ids"] = form.cleaned_data["merchants"]
        image = form.cleaned_data.get("image")
        try:
            homepage.save_home_block(block=form.instance, image=image or None, clear_image=image is False, **fields)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(
                request, _("Le bloc « %(title)s » est enregistré dans le brouillon.") % {"title": block.title}
            )
            return redirect("homepage:appearance")
    return render(request, "catalog/homepage/block_form.html", {"form": form, "block": block})


@admin_view
def block_create(request: AuthenticatedRequest, kind: str) -> HttpResponse:
    if kind not in HomeBlockKind.values:
        return redirect("homepage:appearance")
    return _save_block(request, HomeBlock(kind=kind))


@admin_view
def block_edit(request: AuthenticatedRequest, block_id: int) -> HttpResponse:
    return _save_block(request, homepage.get_draft_block_for(request.user, block_id))


@require_POST
@admin_view
def block_move(request: AuthenticatedRequest, block_id: int) -> HttpResponse:
    block = homepage.get_draft_block_for(request.user, block_id)
    direction = request.POST.get("direction", "")
    if direction in ("up", "down"):
        homepage.move_home_block(block=block, direction=direction)
    return redirect(f"{reverse('homepage:appearance')}#bloc-{block.pk}")


@require_POST
@admin_view
def block_delete(request: AuthenticatedRequest, block_id: int) -> HttpResponse:
    block = homepage.get_draft_block_for(request.user, block_id)
    homepage.delete_home_block(block=block)
    messages.success(request, _("Le bloc « %(title)s » est retiré du brouillon.") % {"title": block.title})
    return redirect("homepage:appearance")


@admin_view
def preview(request: AuthenticatedRequest) -> HttpResponse:
    """The home page as it will look once the draft is published (never cached, never indexed)."""
    response = render_home(request, list(homepage.draft_blocks()), preview=True)
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@admin_view
def publish(request: AuthenticatedRequest) -> HttpResponse:
    count = homepage.publish_home_blocks()
    messages.success(request, _("La page d’accueil est publiée (%(count)s blocs).") % {"count": count})
    return redirect("homepage:appearance")
