"""Celery beat scheduler that runs periodic town tasks in every real town."""

from __future__ import annotations

import logging
from typing import Any

from celery.beat import ScheduleEntry
from django.db import DatabaseError, close_old_connections, models
from tenant_schemas_celery.scheduler import TenantAwareScheduler

logger = logging.getLogger(__name__)


class TownScheduler(TenantAwareScheduler):
    @classmethod
    def get_queryset(cls) -> models.QuerySet:
        from tenants.models import Town

        # Not Town.objects.all(): the template and the spare schemas must never run town tasks.
        return Town.objects.towns()

    def apply_entry(self, entry: ScheduleEntry, producer: Any = None) -> None:
        # Beat lists the towns at each tick, but has no request cycle to recycle its connection: after a
        # PostgreSQL restart every later tick failed on the dead one and beat exited (bench/load.py).
        close_old_connections()
        try:
            super().apply_entry(entry, producer=producer)
        except DatabaseError:
            # Still down: this run is skipped (the entry is already rescheduled), beat keeps going.
            logger.exception("beat: could not list the towns for %s; it is sent at its next run", entry.name)
