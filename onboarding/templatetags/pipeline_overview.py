"""``{% pipeline_overview %}``: the landing page's figures (counts per step, stalled businesses, moves per week)."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Case, IntegerField, Value, When

from onboarding.board import BOARD_STEPS, days_at_step, stalled_prospects_for, step_counts_for, weekly_moves_for
from onboarding.models import OnboardingSettings
from tenants.current import town_now

register = template.Library()

# Stalled businesses listed on the landing page; the list page has them all.
STALLED_SHOWN = 20


@register.inclusion_tag("onboarding/pipeline/_overview.html", takes_context=True)
def pipeline_overview(context: dict[str, Any]) -> dict[str, Any]:
    """Six queries whatever the number of prospects: settings, counts, stalled, how many, weeks (and the home view's own count)."""
    user = context["request"].user
    onboarding_settings = OnboardingSettings.current()
    counts = step_counts_for(user)
    stalled = stalled_prospects_for(user, onboarding_settings)
    # The agent's own businesses first, then the longest stalled.
    mine_first = Case(When(agent_id=user.pk, then=Value(0)), default=Value(1), output_field=IntegerField())
    shown = list(stalled.order_by(mine_first, "step_changed_at", "pk")[:STALLED_SHOWN])
    today = town_now().date()
    for prospect in shown:
        prospect.days_at_step = days_at_step(prospect, today)  # type: ignore[attr-defined]
    stalled_total = stalled.count()
    return {
        "request": context["request"],
        "user": user,
        "steps": [(step, counts[step.value]) for step in BOARD_STEPS],
        "total": sum(counts.values()),
        "stalled": shown,
        "stalled_total": stalled_total,
        "stalled_after_days": onboarding_settings.stalled_after_days,
        "weeks": weekly_moves_for(user),
        "board_steps": BOARD_STEPS,
    }
