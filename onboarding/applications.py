"""The public applications as agents follow them: the list (those still « à vérifier » first to hand), and
the agent's word that a SIRET the directory could not confirm has been checked by hand."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import AnyUser, User
from onboarding.models import Application, DirectoryCheck
from onboarding.permissions import is_onboarding_staff


def applications_for(user: AnyUser, *, to_check_only: bool = False) -> QuerySet[Application]:
    """The town's applications, newest first, with their prospect and merchant; nothing for anyone else."""
    if not is_onboarding_staff(user):
        return Application.objects.none()
    found = Application.objects.select_related("prospect__merchant").order_by("-received_at", "-pk")
    if to_check_only:
        found = found.filter(directory_check=DirectoryCheck.TO_CHECK)
    return found


def get_application_for(user: AnyUser, application_id: int) -> Application:
    return get_object_or_404(applications_for(user), pk=application_id)


def mark_application_checked(*, application: Application, actor: User) -> Application:
    """Records that an agent checked the SIRET by hand: the application is no longer « à vérifier »."""
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.directory_check == DirectoryCheck.TO_CHECK:
            locked.directory_check = DirectoryCheck.VERIFIED
            locked.checked_at = timezone.now()
            locked.checked_by = actor
            locked.save(update_fields=["directory_check", "checked_at", "checked_by"])
    return locked
