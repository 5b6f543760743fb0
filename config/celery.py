"""Celery application, schema-aware through tenant-schemas-celery.

Tasks queued inside a town carry its schema in their headers and run in it. With no
REDIS_URL, tasks run eagerly in-process (settings.CELERY_TASK_ALWAYS_EAGER).
"""

from __future__ import annotations

import os
from typing import Any

from celery.signals import task_postrun, task_prerun
from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = CeleryApp("comptoir")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# tenant-schemas-celery remembers the schema to restore after a task on the task object, which every
# thread shares: with eager tasks in a threaded server (no Redis: gunicorn gthread, runserver), one
# request could restore another's schema and read the wrong town. Keep it on the task's request
# context instead, which Celery keeps per thread.
def _switch_schema(sender: Any = None, task: Any = None, kwargs: Any = None, **extra: Any) -> None:
    from tenant_schemas_celery.app import switch_schema

    from tenants.connection import connection

    previous = (connection.schema_name, connection.include_public_schema)
    task.request.comptoir_previous_schema = previous
    try:
        switch_schema(task, kwargs, **extra)
    except Exception as error:
        # Celery logs a receiver's exception and runs the task anyway, in whatever schema the
        # connection was left in. Keep the error for TownTask, which then retries instead of running
        # (or refusing for good) outside its town; drop the connection, likely dead (a database restart).
        task.request.comptoir_schema_error = error
        connection.close()


def _restore_schema(sender: Any = None, task: Any = None, **extra: Any) -> None:
    from tenants.connection import connection

    schema_name, include_public = getattr(task.request, "comptoir_previous_schema", ("public", True))
    if connection.schema_name != schema_name:
        connection.set_schema(schema_name, include_public=include_public)


task_prerun.disconnect(dispatch_uid="tenant_schemas_switch_schema")
task_postrun.disconnect(dispatch_uid="tenant_schemas_restore_schema")
task_prerun.connect(_switch_schema, dispatch_uid="comptoir_switch_schema", weak=False)
task_postrun.connect(_restore_schema, dispatch_uid="comptoir_restore_schema", weak=False)
