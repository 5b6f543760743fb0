"""Eager town tasks in a threaded server: each request keeps its own town's schema afterwards."""

from __future__ import annotations

import threading

import pytest
from celery import shared_task
from django.db import connection

from tenants.models import Town
from tenants.tasks import TownTask
from tests.conftest import run_concurrently

_inside = threading.Barrier(2)


@shared_task(name="tests.schema_of_running_task", base=TownTask)
def schema_of_running_task() -> str:
    # Both tasks are running at once when they pass the barrier: the restore race needs that overlap.
    _inside.wait(timeout=30)
    return connection.schema_name


def test_two_threads_running_town_tasks_at_once_each_get_their_own_schema_back(
    django_db_setup: None, django_db_blocker: pytest.FixtureRequest, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with django_db_blocker.unblock():
        towns = [Town.objects.get(slug="ville-a"), Town.objects.get(slug="ville-b")]

        def request(index: int) -> tuple[str, str, str]:
            connection.set_tenant(towns[index])
            ran_in = schema_of_running_task.apply().get()
            return towns[index].schema_name, ran_in, connection.schema_name

        results = run_concurrently(2, request)

    for result in results:
        assert not isinstance(result, Exception), result
        town_schema, ran_in, after = result
        assert ran_in == town_schema
        assert after == town_schema  # not the other thread's town
