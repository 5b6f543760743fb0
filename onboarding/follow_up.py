"""What agents change on a prospect besides its step (contact, notes, referent agent), and the town's
onboarding settings."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Role, User
from onboarding.models import OnboardingSettings, Prospect
from onboarding.permissions import ONBOARDING_ROLES, require_onboarding_staff


def update_prospect_follow_up(
    *, prospect: Prospect, actor: User, contact_name: str, notes: str, agent: User | None
) -> Prospect:
    """Saves who to contact, the notes and the referent agent (an active admin or agent of the town)."""
    require_onboarding_staff(actor)
    if agent is not None and (agent.role not in ONBOARDING_ROLES or not agent.is_active):
        raise ValidationError({"agent": _("Choisissez un agent ou un administrateur de la ville.")})
    with transaction.atomic():
        locked = Prospect.objects.select_for_update().get(pk=prospect.pk)
        locked.contact_name = contact_name.strip()
        locked.notes = notes.strip()
        locked.agent = agent
        locked.full_clean(exclude=["merchant"])
        locked.save(update_fields=["contact_name", "notes", "agent"])
    return locked


def save_onboarding_settings(*, actor: User, stalled_after_days: int, send_daily_digest: bool) -> OnboardingSettings:
    """Saves the town's onboarding settings (town admins only)."""
    if not (actor.is_active and actor.role == Role.TOWN_ADMIN):
        raise PermissionDenied
    if not 1 <= stalled_after_days <= 365:
        raise ValidationError({"stalled_after_days": _("Indiquez un nombre de jours entre 1 et 365.")})
    with transaction.atomic():
        onboarding_settings, _created = OnboardingSettings.objects.select_for_update().get_or_create(pk=1)
        onboarding_settings.stalled_after_days = stalled_after_days
        onboarding_settings.send_daily_digest = send_daily_digest
        onboarding_settings.save()
    return onboarding_settings
