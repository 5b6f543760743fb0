"""Reads of the town site, with the role checks that decide who may see or edit what."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.models import User
from townsite.models import LegalPage, SiteSettings


def get_legal_page(kind: str) -> LegalPage:
    """A legal page of the current town, public to everyone."""
    page = LegalPage.objects.filter(kind=kind).first()
    if page is None:
        raise Http404(kind)
    return page


def get_legal_page_for_editing(user: User, kind: str) -> LegalPage:
    """Only the town's admins may edit its legal pages."""
    if not (user.is_authenticated and user.is_active and user.is_town_admin):
        raise PermissionDenied
    return get_legal_page(kind)


def list_legal_pages_for_editing(user: User) -> list[LegalPage]:
    if not (user.is_authenticated and user.is_active and user.is_town_admin):
        raise PermissionDenied
    return list(LegalPage.objects.all())


def site_settings() -> SiteSettings:
    """The town's site settings (the defaults, unsaved, until the town admin first saves them)."""
    return SiteSettings.objects.filter(pk=1).first() or SiteSettings(pk=1)


def site_settings_for_editing(user: User) -> SiteSettings:
    """Only the town's admins may change the site settings."""
    if not (user.is_authenticated and user.is_active and user.is_town_admin):
        raise PermissionDenied
    return site_settings()
