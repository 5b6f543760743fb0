"""Celery application, schema-aware through tenant-schemas-celery.

Tasks queued inside a town carry its schema in their headers and run in it. With no
REDIS_URL, tasks run eagerly in-process (settings.CELERY_TASK_ALWAYS_EAGER).
"""

from __future__ import annotations

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = CeleryApp("comptoir")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
