"""Every change of a prospect's step: enrolling businesses, moving them, and moving them on.

Each move is recorded (``ProspectMove``: from, to, who, when, why) in the same transaction as the
step itself; the prospect row is locked first, so two agents moving the same business at once are
applied one after the other and both recorded.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from catalog.models import Merchant, MerchantStatus
from onboarding.models import PATH, STEPS_WITH_REASON, Prospect, ProspectMove, ProspectSource, Step


def enrol_merchants(
    *, merchant_ids: Iterable[int], source: str = ProspectSource.MANUAL, actor: User | None = None
) -> int:
    """Gives each merchant without one a prospect (live merchants start at « En ligne »); returns how many."""
    wanted = set(merchant_ids)
    if not wanted:
        return 0
    with transaction.atomic():
        known = set(Prospect.objects.filter(merchant_id__in=wanted).values_list("merchant_id", flat=True))
        now = timezone.now()
        created: list[Prospect] = []
        for merchant_id, status in Merchant.objects.filter(pk__in=wanted - known).values_list("pk", "status"):
            step = Step.LIVE if status == MerchantStatus.LIVE else Step.TO_CONTACT
            created.append(Prospect(merchant_id=merchant_id, step=step, step_changed_at=now, source=source))
        # A prospect created meanwhile by another request is left alone (one per merchant, unique).
        Prospect.objects.bulk_create(created, ignore_conflicts=True)
        fresh = Prospect.objects.filter(merchant_id__in=[p.merchant_id for p in created], moves__isnull=True)
        ProspectMove.objects.bulk_create(
            ProspectMove(prospect=p, from_step="", to_step=p.step, moved_at=now, moved_by=actor) for p in fresh
        )
    return len(created)


def enrol_merchant(*, merchant: Merchant, source: str = ProspectSource.MANUAL, actor: User | None = None) -> Prospect:
    """The merchant's prospect, created at its first step when it has none."""
    enrol_merchants(merchant_ids=[merchant.pk], source=source, actor=actor)
    return Prospect.objects.get(merchant=merchant)


def move_prospect(*, prospect: Prospect, to_step: str, actor: User | None, reason: str = "") -> Prospect:
    """Puts the prospect at ``to_step`` (any step: agents go back too) and records the move.

    Pausing or declining needs a reason; moving to the step it is already at changes nothing.
    """
    if to_step not in Step.values:
        raise ValidationError(_("Cette étape n’existe pas."))
    reason = reason.strip()
    if to_step in STEPS_WITH_REASON and not reason:
        raise ValidationError(_("Indiquez le motif de la pause ou du refus."))
    with transaction.atomic():
        locked = Prospect.objects.select_for_update().get(pk=prospect.pk)
        if locked.step == to_step and locked.reason == (reason if to_step in STEPS_WITH_REASON else ""):
            return locked
        now = timezone.now()
        ProspectMove.objects.create(
            prospect=locked, from_step=locked.step, to_step=to_step, reason=reason, moved_at=now, moved_by=actor
        )
        locked.step = to_step
        locked.reason = reason if to_step in STEPS_WITH_REASON else ""
        locked.step_changed_at = now
        locked.save(update_fields=["step", "reason", "step_changed_at"])
    return locked


def advance_prospect(*, merchant_id: int, to_step: Step, actor: User | None = None) -> bool:
    """Moves the merchant's prospect on to ``to_step`` if it is at an earlier step of the path.

    What the platform sees happen (attendance at a session, an agreement accepted, bank details saved,
    the merchant put live) calls this: it never moves a prospect back, nor one the agent paused or
    that declined. A merchant with no prospect yet is enrolled first. Returns whether it moved.
    """
    with transaction.atomic():
        prospect = Prospect.objects.select_for_update().filter(merchant_id=merchant_id).first()
        if prospect is None:
            if not Merchant.objects.filter(pk=merchant_id).exists():
                return False
            enrol_merchants(merchant_ids=[merchant_id], actor=actor)
            prospect = Prospect.objects.select_for_update().get(merchant_id=merchant_id)
        if prospect.step not in PATH or PATH.index(Step(prospect.step)) >= PATH.index(to_step):
            return False
        move_prospect(prospect=prospect, to_step=to_step, actor=actor)
    return True
