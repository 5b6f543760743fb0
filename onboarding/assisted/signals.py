"""Assisted mode's subscriptions, made from ``OnboardingConfig.ready()``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out

from onboarding.assisted.actions import end_open_sessions_of
from onboarding.assisted.models import EndReason
from onboarding.assisted.recorder import connect_assisted_recorder


def end_sessions_at_logout(sender: object, request: object, user: Any, **kwargs: Any) -> None:
    """Signing out ends the agent's assisted session: the next person at that browser is not acting."""
    if user is not None and user.pk is not None:
        end_open_sessions_of(user_id=user.pk, reason=EndReason.LOGOUT)


def connect_assisted_mode() -> None:
    connect_assisted_recorder()
    user_logged_out.connect(end_sessions_at_logout, dispatch_uid="assisted-end-at-logout")
