"""Reads of the town's NAF filing rules, for its onboarding staff only."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import AnyUser
from onboarding.models import NafRule
from onboarding.permissions import is_onboarding_staff


def naf_rules_for(user: AnyUser) -> QuerySet[NafRule]:
    """The town's rules with their category, for its admins and agents; nothing for anyone else."""
    if not is_onboarding_staff(user):
        return NafRule.objects.none()
    return NafRule.objects.select_related("category", "category__parent").order_by("code")


def get_naf_rule_for(user: AnyUser, rule_id: int) -> NafRule:
    """The rule if the user may edit it (Http404 otherwise)."""
    return get_object_or_404(naf_rules_for(user), pk=rule_id)
