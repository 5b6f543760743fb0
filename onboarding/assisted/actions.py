"""Starting, resuming and ending assisted sessions (a town agent acting for a merchant)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.assisted import Assisted, act_for_merchant, may_act_for_merchants
from accounts.models import TOWN_STAFF_ROLES, AnyUser, User
from catalog.models import Merchant
from onboarding.assisted.models import AssistedSession, EndReason

# The key of the browser session that carries the agent's open assisted session.
SESSION_KEY = "assisted_session_id"
# Past this without a request, the session ends by itself (the agent walked away from the counter).
IDLE_LIMIT = dt.timedelta(hours=2)
# ``last_seen_at`` is written at most this often, not on every request.
SEEN_EVERY = dt.timedelta(minutes=1)


def start_assisted_session(*, agent: User, merchant: Merchant, reason: str = "") -> AssistedSession:
    """Open a session of ``agent`` acting for ``merchant``, ending the agent's older open one (if any).

    Only an active town admin or agent, not already acting, may start one; ``merchant`` comes from a
    query of the current town (another town's merchant cannot be named: it is not in this schema).
    """
    if not may_act_for_merchants(agent):
        raise PermissionDenied
    now = timezone.now()
    with transaction.atomic():
        older = AssistedSession.objects.select_for_update().filter(agent_id=agent.pk, ended_at__isnull=True)
        older.update(ended_at=now, ended_by_id=None, end_reason=EndReason.REPLACED)
        return AssistedSession.objects.create(
            merchant=merchant,
            agent_id=agent.pk,
            agent_label=agent.email,
            agent_role=agent.role,
            reason=reason.strip()[:200],
            started_at=now,
            last_seen_at=now,
        )


def end_assisted_session(*, session_id: int, ended_by_id: int | None, reason: EndReason) -> bool:
    """End an open session (no-op on an ended one); True when this call ended it."""
    with transaction.atomic():
        ended = AssistedSession.objects.filter(pk=session_id, ended_at__isnull=True).update(
            ended_at=timezone.now(), ended_by_id=ended_by_id, end_reason=reason
        )
    return ended == 1


def end_open_sessions_of(*, user_id: int, reason: EndReason) -> int:
    """End every open session of one agent (at logout); the number ended."""
    with transaction.atomic():
        return AssistedSession.objects.filter(agent_id=user_id, ended_at__isnull=True).update(
            ended_at=timezone.now(), ended_by_id=user_id, end_reason=reason
        )


def resume_assisted_session(*, user: AnyUser, session_id: object) -> Assisted | None:
    """The request's user acting in their open session ``session_id``, or None when it is not theirs,
    is over, has been idle too long (it ends here), or they no longer are town staff (it ends here).
    """
    if not (user.is_authenticated and isinstance(session_id, int)):
        return None
    session = (
        AssistedSession.objects.select_related("merchant")
        .only("id", "agent_id", "last_seen_at", "merchant__id", "merchant__name", "merchant__slug")
        .filter(pk=session_id, agent_id=user.pk, ended_at__isnull=True)
        .first()
    )
    if session is None:
        return None
    now = timezone.now()
    if not (user.is_active and user.role in TOWN_STAFF_ROLES):
        end_assisted_session(session_id=session.pk, ended_by_id=None, reason=EndReason.REVOKED)
        return None
    if now - session.last_seen_at > IDLE_LIMIT:
        end_assisted_session(session_id=session.pk, ended_by_id=None, reason=EndReason.IDLE)
        return None
    if now - session.last_seen_at > SEEN_EVERY:
        AssistedSession.objects.filter(pk=session.pk).update(last_seen_at=now)
    assisted = Assisted(
        session_id=session.pk,
        merchant_id=session.merchant.pk,
        merchant_name=session.merchant.name,
        merchant_slug=session.merchant.slug,
        agent_id=user.pk,
        agent_email=user.email,
        agent_role=user.role,
        agent_is_staff=user.is_staff,
        agent_is_superuser=user.is_superuser,
    )
    act_for_merchant(user, assisted)
    return assisted
