"""Reads of the pipeline, for town admins and agents only."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import AnyUser
from onboarding.models import Prospect
from onboarding.permissions import is_onboarding_staff


def prospects_for(user: AnyUser) -> QuerySet[Prospect]:
    """The town's prospects with their merchant, for its admins and agents; nothing for anyone else."""
    if not is_onboarding_staff(user):
        return Prospect.objects.none()
    return Prospect.objects.select_related("merchant")


def get_prospect_for(user: AnyUser, prospect_id: int) -> Prospect:
    """The prospect if the user may follow it (Http404 otherwise, never a hint that it exists)."""
    return get_object_or_404(prospects_for(user), pk=prospect_id)
