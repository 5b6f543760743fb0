"""Background work of the pipeline pages, run in every town by beat (``config.beat.TownScheduler``).

Beat entries (settings.CELERY_BEAT_SCHEDULE):
``"send-onboarding-digests": {"task": "onboarding.send_daily_digest", "schedule": crontab(minute="10,40")}``
— acts once a day per town, from 8 h in the town's clock (``onboarding.digest``);
``"catch-up-onboarding-with-catalogue": {"task": "onboarding.catch_up_with_catalogue", "schedule": 900.0}``
— moves on the prospects the catalogue overtook without a save signal (``onboarding.receivers``).
"""

from __future__ import annotations

from celery import shared_task

from tenants.tasks import TownTask


@shared_task(name="onboarding.send_daily_digest", base=TownTask)
def send_daily_digest_task() -> int:
    """Today's digest to the town's agents and admins (once a day; a no-op on every later run)."""
    from onboarding.digest import send_daily_digest

    return send_daily_digest()


@shared_task(name="onboarding.catch_up_with_catalogue", base=TownTask)
def catch_up_with_catalogue_task() -> int:
    from onboarding.receivers import catch_up_with_catalogue

    return catch_up_with_catalogue()
