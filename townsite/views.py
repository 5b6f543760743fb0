from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.models import Role
from townsite import queries
from townsite.actions import update_legal_page, update_site_settings
from townsite.forms import LegalPageForm, SiteSettingsForm


def legal_page(request: HttpRequest, kind: str) -> HttpResponse:
    page = queries.get_legal_page(kind)
    return render(request, "townsite/legal_page.html", {"page": page, "sections": legal_sections(page.body)})


def legal_sections(body: str) -> list[tuple[str, str]]:
    """Blank-line separated blocks; a block's first line is its heading when more lines follow."""
    sections = []
    for block in (part.strip() for part in body.replace("\r\n", "\n").split("\n\n")):
        if not block:
            continue
        heading, _, text = block.partition("\n")
        sections.append((heading, text) if text and len(heading) <= 80 else ("", block))
    return sections


def manage(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if request.user.is_active and request.user.role == Role.DELIVERY_COORDINATOR:
        # The coordinator's back-office is the deliveries' (logistics, /gestion/livraisons/).
        return redirect(settings.LOGIN_REDIRECT_URLS_BY_ROLE[Role.DELIVERY_COORDINATOR])
    pages = queries.list_legal_pages_for_editing(request.user)
    site_settings = queries.site_settings_for_editing(request.user)
    form = SiteSettingsForm(request.POST or None, instance=site_settings)
    if request.method == "POST" and form.is_valid():
        update_site_settings(
            sms_merchants_on_new_order=form.cleaned_data["sms_merchants_on_new_order"], editor=request.user
        )
        messages.success(request, _("Les réglages sont enregistrés."))
        return redirect("townsite:manage")
    return render(request, "townsite/manage.html", {"pages": pages, "settings_form": form})


def edit_legal_page(request: HttpRequest, kind: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    page = queries.get_legal_page_for_editing(request.user, kind)
    form = LegalPageForm(request.POST or None, instance=page)
    if request.method == "POST" and form.is_valid():
        update_legal_page(
            page=page, title=form.cleaned_data["title"], body=form.cleaned_data["body"], editor=request.user
        )
        messages.success(request, _("La page « %(title)s » est enregistrée.") % {"title": page.title})
        return redirect("townsite:legal", kind=page.kind)
    return render(request, "townsite/legal_edit.html", {"form": form, "page": page})
