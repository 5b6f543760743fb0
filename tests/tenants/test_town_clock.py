"""One current town and one town clock: requests and town tasks run in the town's time zone."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from celery import shared_task
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone

from tenants.current import NoCurrentTown, current_town, current_town_or_none, town_now, town_today
from tenants.middleware import TownMiddleware
from tenants.tasks import TownTask


@shared_task(name="tests.report_time_zone", base=TownTask)
def report_time_zone_task() -> str:
    return timezone.get_current_timezone_name()


@pytest.fixture
def reunion(town_a):
    town_a.time_zone = "Indian/Reunion"  # UTC+4 all year: Saint-Denis de La Réunion
    town_a.save(update_fields=["time_zone"])
    return town_a


def test_the_current_town_is_the_active_schemas_and_there_is_none_on_the_operator_site(town_a):
    with pytest.raises(NoCurrentTown):
        current_town()
    assert current_town_or_none() is None

    with town_a:
        assert current_town() == town_a
        assert current_town_or_none() == town_a


@time_machine.travel(dt.datetime(2026, 12, 31, 21, 30, tzinfo=dt.UTC), tick=False)
def test_a_towns_today_is_its_own_date(reunion, town_b):
    with reunion:
        assert town_today() == dt.date(2027, 1, 1)
        assert town_now().hour == 1
    with town_b:  # Europe/Paris: still 22 h 30 on the 31st
        assert town_today() == dt.date(2026, 12, 31)


def test_a_request_runs_in_its_towns_time_zone_and_the_next_one_starts_afresh(reunion):
    request = RequestFactory().get("/", HTTP_HOST=reunion.primary_host)
    middleware = TownMiddleware(lambda request: None)

    middleware.process_request(request)
    during = timezone.get_current_timezone_name()
    middleware.process_response(request, None)

    assert during == "Indian/Reunion"
    assert timezone.get_current_timezone_name() == "Europe/Paris"
    connection.set_schema_to_public()


def test_a_town_task_runs_in_its_towns_time_zone(reunion):
    with reunion:
        result = report_time_zone_task.apply()

    assert result.get() == "Indian/Reunion"
    assert timezone.get_current_timezone_name() == "Europe/Paris"
