"""An import always ends: past its task's time limit, or after a worker died under it twice, the job is
failed with a French message and its files are deleted. It is never re-run without end (issue 9:
late acknowledgement re-queued a job whose worker had died, for ever)."""

from __future__ import annotations

import json
import os
import signal
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from celery.exceptions import TimeLimitExceeded
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone
from stdnum import ean

from catalog.imports import fail_stalled_import_jobs, run_import_job
from catalog.models import ImportJob, ImportKind, ImportStatus, Product
from catalog.tasks import fail_stalled_import_jobs_task
from tenants.private_files import private_storage
from tests.catalog.factories import MerchantFactory
from tests.tenants.test_celery import running_worker

TIME_LIMIT_MESSAGE = (
    "L'import a dépassé le temps maximal de %s : il est abandonné. Découpez le fichier en plusieurs imports."
)


def _job(csv: bytes, **fields) -> ImportJob:
    job = ImportJob(kind=ImportKind.PRODUCTS, merchant=MerchantFactory(), **fields)
    job.source.save("catalogue.csv", ContentFile(csv), save=False)
    job.save()
    assert private_storage().exists(job.source.name)
    return job


def _messages(job: ImportJob) -> list[str]:
    return [error["message"] for error in job.report["errors"]]


# --- redelivery and the sweep, in process -------------------------------------------------------------
def test_a_job_delivered_after_two_interrupted_runs_is_failed_and_not_run_a_third_time(town_a):
    with town_a:
        job = _job(b"sku;titre;prix\nS1;Savon;3\n", status=ImportStatus.RUNNING, attempts=2)
        name = job.source.name

        assert run_import_job.apply(args=[job.pk], throw=True).get() == ImportStatus.FAILED

        job.refresh_from_db()
        assert (job.status, job.attempts, job.source.name, private_storage().exists(name)) == (
            ImportStatus.FAILED,
            3,
            "",
            False,
        )
        assert _messages(job) == [
            "L'import a été interrompu 2 fois sans aboutir : il est abandonné. Découpez le fichier en plusieurs imports."
        ]
        assert Product.objects.count() == 0


def test_the_second_delivery_of_an_interrupted_job_still_runs_it(town_a):
    with town_a:
        job = _job(b"sku;titre;prix\nS1;Savon;3\n", status=ImportStatus.RUNNING, attempts=1)

        assert run_import_job.apply(args=[job.pk], throw=True).get() == ImportStatus.DONE

        job.refresh_from_db()
        assert (job.status, job.attempts) == (ImportStatus.DONE, 2)
        assert Product.objects.filter(title="Savon").count() == 1


def test_jobs_still_running_past_the_hard_time_limit_are_ended_by_the_beat_sweep(town_a):
    now = timezone.now()
    with town_a:
        stalled = _job(
            b"sku;titre;prix\n", status=ImportStatus.RUNNING, started_at=now - timedelta(minutes=17, seconds=1)
        )
        running = _job(b"sku;titre;prix\n", status=ImportStatus.RUNNING, started_at=now - timedelta(minutes=16))
        waiting = _job(b"sku;titre;prix\n")
        ImportJob.objects.filter(pk=waiting.pk).update(created_at=now - timedelta(hours=2))
        stalled_file = stalled.source.name

        assert fail_stalled_import_jobs_task.delay().get() == 1

        states = dict(ImportJob.objects.values_list("pk", "status"))
        assert [states[stalled.pk], states[running.pk], states[waiting.pk]] == ["failed", "running", "pending"]
        stalled.refresh_from_db()
        assert _messages(stalled) == [TIME_LIMIT_MESSAGE % "16 min"]
        assert (stalled.source.name, private_storage().exists(stalled_file)) == ("", False)
        assert fail_stalled_import_jobs() == 0


# --- a real worker (prefork, the pool that enforces time limits) --------------------------------------
def _catalogue_of_50_000_products() -> bytes:
    """A legitimate file at the row limit: a dry run of it takes seconds, well past a limit of 0.5 s."""
    lines = ["sku;titre;description;prix;tva;unite;stock;ean;publie"]
    for n in range(50_000):
        code = f"376{n:09d}"
        lines.append(
            f"S{n};Savon n°{n};<p>Savon <b>doux</b> au lait d'ânesse n°{n}</p>;3,50;20;piece;5;"
            f"{code}{ean.calc_check_digit(code)};oui"
        )
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.slow
@pytest.mark.worker
def test_a_real_worker_ends_an_import_past_its_soft_time_limit_as_failed_in_french(committed_town):
    with committed_town:
        job = _job(_catalogue_of_50_000_products(), is_dry_run=True)
        name = job.source.name

    with running_worker(pool="prefork"), committed_town:
        result = run_import_job.apply_async(args=[job.pk], soft_time_limit=0.5, time_limit=60)

        assert result.get(timeout=90) == ImportStatus.FAILED
        job.refresh_from_db()

    assert (job.status, job.attempts, job.source.name) == (ImportStatus.FAILED, 1, "")
    assert _messages(job) == [TIME_LIMIT_MESSAGE % "0,5 s"]
    assert not private_storage().exists(name)


def _state(job: ImportJob) -> tuple[str, int]:
    return ImportJob.objects.values_list("status", "attempts").get(pk=job.pk)


def _wait_until(condition, *, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the worker never got there"
        time.sleep(0.05)


def _pool_children(queue: str) -> list[int]:
    """Pids of the pool children (prefork) of the test worker consuming ``queue``: forked from the
    worker, they share its command line; the worker itself is the one whose parent does not."""
    parents: dict[int, int] = {}
    for process in Path("/proc").iterdir():
        try:
            if process.name.isdigit() and f"\0-Q\0{queue}\0".encode() in (process / "cmdline").read_bytes():
                status = (process / "status").read_text()
                parents[int(process.name)] = int(status.split("\nPPid:")[1].split()[0])
        except OSError:  # a process that ended meanwhile
            continue
    return [pid for pid, parent in parents.items() if parent in parents]


def _assert_nothing_left_in_the_broker(queue: str) -> None:
    broker = redis.Redis.from_url(os.environ["TEST_REDIS_URL"])
    assert broker.keys(f"{queue}*") == []  # the queue and its priority lists: nothing waiting
    # Nothing of this queue delivered and waiting for its acknowledgement. The ``unacked`` hash is
    # the whole Redis database's (kombu: delivery tag → [message, exchange, routing key]); another
    # test's worker may hold an entry of its own queue there at the same moment.
    held = [json.loads(entry)[2] for entry in broker.hvals("unacked")]
    assert queue not in held, held


@pytest.mark.slow
@pytest.mark.worker
def test_a_real_worker_killed_at_the_hard_time_limit_never_reruns_the_import_and_the_sweep_ends_it(
    committed_town, time_machine
):
    with committed_town:
        job = _job(_catalogue_of_50_000_products(), is_dry_run=True)
        name = job.source.name

    with running_worker(pool="prefork") as queue, committed_town:
        # The soft limit leaves the test 6 s to see the job running and take its row: with 2 s, a
        # loaded machine let the soft-limit handler mark the job failed before the row was held.
        result = run_import_job.apply_async(args=[job.pk], soft_time_limit=6, time_limit=8)
        _wait_until(lambda: _state(job) == (ImportStatus.RUNNING, 1))
        with transaction.atomic():
            # Holding the job's row, as a stuck database would: the import blocks at its next progress
            # report, its soft-limit handler blocks too, and only the hard limit, killing the worker
            # child, ends the task.
            ImportJob.objects.select_for_update().get(pk=job.pk)
            with pytest.raises(TimeLimitExceeded):
                result.get(timeout=60)
            time.sleep(3)  # a task handed out again would be running by now, in the fresh child
            _assert_nothing_left_in_the_broker(queue)
            # The killed child's statements still wait for this row in their server processes:
            # PostgreSQL ends them only when it next reads from their closed sockets, and one of them
            # may be the soft-limit handler's own write, which would then land once the row is free.
            # End them now, as the server does when it notices the client is gone.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))"
                )
        time.sleep(1)
        assert _state(job) == (ImportStatus.RUNNING, 1)
        _assert_nothing_left_in_the_broker(queue)

        time_machine.move_to(timezone.now() + timedelta(minutes=17, seconds=1))
        assert fail_stalled_import_jobs() == 1
        job.refresh_from_db()

    assert (job.status, job.attempts, job.source.name) == (ImportStatus.FAILED, 1, "")
    assert _messages(job) == [TIME_LIMIT_MESSAGE % "16 min"]
    assert not private_storage().exists(name)


@pytest.mark.slow
@pytest.mark.worker
def test_an_import_whose_worker_dies_under_it_runs_twice_at_most_then_fails_and_is_never_delivered_again(
    committed_town,
):
    with committed_town:
        job = _job(_catalogue_of_50_000_products(), is_dry_run=True)
        name = job.source.name

    with running_worker(pool="prefork") as queue, committed_town:
        result = run_import_job.delay(job.pk)
        for attempt in (1, 2):
            # As the kernel's out-of-memory killer would: the child dies mid-import. With acks_late
            # and reject_on_worker_lost, Celery hands the task to the next child.
            _wait_until(lambda attempt=attempt: _state(job) == (ImportStatus.RUNNING, attempt))
            [child] = _pool_children(queue)
            os.kill(child, signal.SIGKILL)

        assert result.get(timeout=90) == ImportStatus.FAILED
        time.sleep(2)
        assert _state(job) == (ImportStatus.FAILED, 3)
        _assert_nothing_left_in_the_broker(queue)
        job.refresh_from_db()

    assert job.source.name == ""
    assert not private_storage().exists(name)
    assert _messages(job) == [
        "L'import a été interrompu 2 fois sans aboutir : il est abandonné. Découpez le fichier en plusieurs imports."
    ]
