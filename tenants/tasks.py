"""Celery tasks of the platform, and the base class every per-town task uses."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from tenant_schemas_celery.task import TenantTask

from tenants.connection import connection
from tenants.current import current_town, town_clock


class TownTaskOutsideTown(RuntimeError):
    """A per-town task was started in the public schema: it would read or write the wrong tables."""


class TownTask(TenantTask):
    """Base for tasks that work on one town's data: refuses to run anywhere but in a town schema."""

    abstract = True

    # A task whose town could not be entered (the database restarting) is tried again this often.
    schema_retry_seconds = 10
    schema_max_retries = 30

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        error = getattr(self.request, "comptoir_schema_error", None)
        if error is not None:
            self.request.comptoir_schema_error = None
            schema = (self.request.headers or {}).get("_schema_name") or self.request.get("_schema_name")
            raise self.retry(
                exc=error,
                countdown=0 if self.request.is_eager else self.schema_retry_seconds,
                max_retries=self.schema_max_retries,
                headers={"_schema_name": schema},
            )
        if connection.schema_name == "public" or connection.schema_name.startswith("_"):
            raise TownTaskOutsideTown(
                f"{self.name} is a town task but was queued from the '{connection.schema_name}' schema; "
                "queue it inside the town (with town: ... / tenant_context)."
            )
        with town_clock(current_town()):
            return super().__call__(*args, **kwargs)


@shared_task(name="tenants.refill_spare_pool")
def refill_spare_pool_task() -> int:
    from tenants.actions import refill_spare_pool

    return refill_spare_pool()


@shared_task(name="tenants.report_schema", base=TownTask)
def report_schema_task() -> str:
    """Returns the schema it ran in: the smallest town task, used to prove schema propagation."""
    return str(connection.schema_name)
