"""State changes of the town site: default legal pages at provisioning, edits by the town admin."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from townsite.models import LegalPage, LegalPageKind, SiteSettings

if TYPE_CHECKING:
    from accounts.models import User
    from tenants.models import Town


def default_legal_text(*, kind: LegalPageKind, town: Town) -> str:
    context = {
        "town": town,
        "platform_name": settings.PLATFORM_NAME,
        "host_name": settings.HOSTING_PROVIDER_NAME,
        "host_address": settings.HOSTING_PROVIDER_ADDRESS,
    }
    with translation.override("fr"):
        return render_to_string(f"townsite/defaults/{kind.value}.txt", context).strip()


def seed_town_site(sender: Any, *, town: Town, **kwargs: Any) -> None:
    """Receiver of ``town_provisioned``: sensible French legal pages the town admin can then edit."""
    for kind in LegalPageKind:
        LegalPage.objects.get_or_create(
            kind=kind.value,
            defaults={"title": str(kind.label), "body": default_legal_text(kind=kind, town=town)},
        )


def update_legal_page(*, page: LegalPage, title: str, body: str, editor: User) -> LegalPage:
    """Save a town admin's edit of a legal page, remembering who made it."""
    with transaction.atomic():
        page.title = title.strip()
        page.body = body.strip()
        page.updated_by_id = editor.pk
        page.save()
    return page


def update_site_settings(*, sms_merchants_on_new_order: bool, editor: User) -> SiteSettings:
    """Save the town admin's site settings (the one row), remembering who changed them."""
    with transaction.atomic():
        site_settings, _created = SiteSettings.objects.select_for_update().get_or_create(pk=1)
        site_settings.sms_merchants_on_new_order = sms_merchants_on_new_order
        site_settings.updated_by_id = editor.pk
        site_settings.save()
    return site_settings
