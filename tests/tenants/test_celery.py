"""Celery tasks run in the schema of the town that queued them (test plan T-ISO-05)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from tenants.tasks import TownTaskOutsideTown, report_schema_task
from tests.conftest import database_url_for_subprocess, require_or_skip

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_eager_task_queued_in_a_town_runs_in_that_town(town_a, town_b):
    with town_a:
        assert report_schema_task.delay().get() == "v_ville_a"
    with town_b:
        assert report_schema_task.delay().get() == "v_ville_b"
    assert connection.schema_name == "public"


def test_eager_town_task_queued_from_public_refuses_to_run(db):
    with pytest.raises(TownTaskOutsideTown, match="queued from the 'public' schema"):
        report_schema_task.delay().get()


def test_a_town_task_whose_town_cannot_be_entered_is_retried_instead_of_refused_in_public(
    django_db_setup, django_db_blocker
):
    """A worker whose connection died (the database restarted) could not look its town up: the task
    ran in public, TownTask refused it and, acknowledged, it was lost. It is now tried again."""
    with django_db_blocker.unblock():
        connection.ensure_connection()
        connection.connection.close()  # what a database restart does to a worker's open connection

        result = report_schema_task.apply(headers={"_schema_name": "v_ville_a"}, throw=False)

        assert result.get() == "v_ville_a"
        connection.set_schema_to_public()


def test_every_task_has_a_soft_then_a_hard_time_limit_and_is_not_run_again_past_it():
    celery_app.loader.import_default_modules()
    tasks = {name: task for name, task in celery_app.tasks.items() if not name.startswith("celery.")}
    limits = {name: (task.soft_time_limit, task.time_limit) for name, task in tasks.items()}

    assert len(tasks) >= 15
    assert set(settings.CELERY_TASK_ANNOTATIONS) - set(tasks) == set()  # no override for a task that is gone
    assert [name for name, (soft, hard) in limits.items() if not (soft and hard and soft < hard)] == []
    assert [name for name, task in tasks.items() if not task.acks_on_timeout] == []
    assert {
        name: limits[name] for name in ("tenants.report_schema", "catalog.run_import_job", "checkout.send_notification")
    } == {
        "tenants.report_schema": (300, 360),  # the default
        "catalog.run_import_job": (900, 960),
        "checkout.send_notification": (60, 90),
    }


def test_a_message_held_by_a_killed_worker_comes_back_after_the_longest_task_could_have_ended():
    """Redis redelivers an unacknowledged message after the visibility timeout (1 h by default): a
    task lost with its worker waited that long; one still running must not be delivered twice."""
    from checkout.notifications import MAX_ATTEMPTS, retry_delay_seconds

    celery_app.loader.import_default_modules()
    longest_run = max(task.time_limit for name, task in celery_app.tasks.items() if not name.startswith("celery."))
    longest_countdown = retry_delay_seconds(MAX_ATTEMPTS - 1)  # notifications: the last backoff

    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]

    assert longest_run + longest_countdown < timeout <= 30 * 60


def _forget_cached_connections() -> None:
    """The app caches its result backend and producer pool: drop them after changing URLs."""
    vars(celery_app._local).pop("backend", None)
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def running_worker(*, pool: str = "solo") -> Iterator[str]:
    """A real `celery worker` process on Redis, reading the test database (committed data only);
    yields its queue, which this process sends tasks to meanwhile.

    ``pool="prefork"`` (one child) is the production pool, the only one that enforces time limits."""
    redis_url = os.environ.get("TEST_REDIS_URL", "")
    require_or_skip(bool(redis_url), "Redis (scripts/services.sh sets TEST_REDIS_URL)")
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": database_url_for_subprocess(),
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            f"--pool={pool}",
            "--concurrency=1",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "-l",
            "WARNING",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    previous = {
        key: celery_app.conf[key] for key in ("broker_url", "result_backend", "task_always_eager", "task_default_queue")
    }
    celery_app.conf.update(
        broker_url=redis_url, result_backend=redis_url, task_always_eager=False, task_default_queue=queue
    )
    _forget_cached_connections()
    try:
        yield queue
    finally:
        celery_app.conf.update(previous)
        _forget_cached_connections()
        worker.terminate()
        try:
            output, _ = worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
        if worker.returncode not in (0, -15):
            sys.stderr.write(output.decode(errors="replace"))


@pytest.fixture
def real_worker(db) -> Iterator[str]:
    with running_worker() as queue:
        yield queue


@pytest.mark.slow
@pytest.mark.worker
def test_real_worker_runs_each_town_task_in_its_own_schema(real_worker, town_a, town_b):
    started = time.monotonic()
    with town_a:
        result_a = report_schema_task.delay()
    with town_b:
        result_b = report_schema_task.delay()
    # sent from public with an explicit town: how webhooks hand work to a town
    result_explicit = report_schema_task.apply_async(headers={"_schema_name": town_b.schema_name})

    assert result_a.get(timeout=90) == "v_ville_a"
    assert result_b.get(timeout=30) == "v_ville_b"
    assert result_explicit.get(timeout=30) == "v_ville_b"
    assert time.monotonic() - started < 120


@pytest.mark.slow
@pytest.mark.worker
def test_real_worker_refuses_a_town_task_queued_from_public(real_worker):
    result = report_schema_task.delay()

    with pytest.raises(Exception, match="is a town task but was queued from the 'public' schema"):
        result.get(timeout=90)
    assert result.state == "FAILURE"


# Beat (config.beat.TownScheduler) in a process of its own, as in production: it lists the towns at each
# tick on a connection nothing ever recycles (no request cycle, no task), then sends the task to each.
BEAT_AFTER_DATABASE_RESTART = """
import django, psycopg
django.setup()
from celery.signals import task_postrun
from django.db import connection
from config.beat import TownScheduler
from config.celery import app

ran = []
task_postrun.connect(lambda retval=None, **kwargs: ran.append(retval), weak=False)
scheduler = TownScheduler(app=app, lazy=True)
entry = scheduler.Entry(
    name="report-schema", task="tenants.report_schema", schedule=60.0,
    options={"headers": {"_all_tenants_only": True}}, app=app,
)

def tick(label):
    ran.clear()
    scheduler.apply_entry(entry)
    print(label, sorted(ran), flush=True)

def end_our_session():
    # What a PostgreSQL restart or failover does to every open session.
    with psycopg.connect(os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])

tick("before:")
end_our_session()
port = connection.settings_dict["PORT"]
connection.settings_dict["PORT"] = "1"  # still down at the next tick: nothing answers there
tick("while down:")
connection.settings_dict["PORT"] = port
tick("after:")
"""


@pytest.mark.slow
def test_beat_outlives_a_database_restart_and_sends_to_every_town_again(db):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": database_url_for_subprocess(),
        "CELERY_TASK_ALWAYS_EAGER": "1",
    }
    environment.pop("REDIS_URL", None)
    beat = subprocess.run(
        [sys.executable, "-c", "import os\n" + BEAT_AFTER_DATABASE_RESTART],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert beat.returncode == 0, beat.stderr[-3000:]
    assert beat.stdout.splitlines() == [
        "before: ['v_ville_a', 'v_ville_b']",
        "while down: []",
        "after: ['v_ville_a', 'v_ville_b']",
    ]
