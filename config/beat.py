"""Celery beat scheduler that runs periodic town tasks in every real town."""

from __future__ import annotations

from django.db import models
from tenant_schemas_celery.scheduler import TenantAwareScheduler


class TownScheduler(TenantAwareScheduler):
    @classmethod
    def get_queryset(cls) -> models.QuerySet:
        from tenants.models import Town

        # Not Town.objects.all(): the template and the spare schemas must never run town tasks.
        return Town.objects.towns()
