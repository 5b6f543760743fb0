"""Background work of the delivery rounds, run in the town that queued it.

Beat entry (settings.CELERY_BEAT_SCHEDULE, per town): ``"plan-rounds-after-cutoffs":
{"task": "logistics.plan_after_cutoffs", "schedule": 300.0}``: every five minutes, plans today once
the last delivery cut-off of the day has passed (a no-op once planned, or with nothing to deliver).
"""

from __future__ import annotations

from celery import shared_task

from tenants.tasks import TownTask


@shared_task(name="logistics.plan_after_cutoffs", base=TownTask)
def plan_after_cutoffs_task() -> str:
    from logistics.planner import plan_after_cutoffs

    plan = plan_after_cutoffs()
    return "nothing to do" if plan is None else f"{plan.status} {plan.served} served"
