"""Test infrastructure (docs/architecture.md §6): the test database, the template schema and two towns
``ville-a`` / ``ville-b`` are built once per session through the real provisioning code; each
test then runs inside a transaction that is rolled back, across all schemas."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client
from django.utils import translation
from pytest_django.fixtures import Settings

from tenants.models import Town

pytest_plugins = ["tests.checkout.conftest_stripe"]

TOWN_A = "ville-a"
TOWN_B = "ville-b"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`make test`, ``--dist loadgroup``) the tests that start a real Celery worker
    run one after another on the same worker: they share the Redis database, whose ``unacked`` hash
    one of them asserts is empty."""
    for item in items:
        if item.get_closest_marker("worker"):
            item.add_marker(pytest.mark.xdist_group("redis"))


def database_url_for_subprocess() -> str:
    """DATABASE_URL of the test database, for servers and workers started as real processes."""
    settings = connection.settings_dict
    host = quote(settings["HOST"] or "localhost", safe="")
    port = f":{settings['PORT']}" if settings["PORT"] else ""
    return f"postgres://{settings['USER']}@{host}{port}/{settings['NAME']}"


def require_or_skip(available: bool, what: str) -> None:
    """Machine-dependent tests: skipped on a laptop without the tool, a failure under CI."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must provide {what}")
    pytest.skip(f"{what} is not available on this machine")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
    from tenants.actions import ensure_template, provision_town

    created_here = None
    with django_db_blocker.unblock():
        if not connection.settings_dict["NAME"].startswith("test_"):
            # pytest-django sets the database up only for tests marked django_db; the concurrency tests
            # (committed_town) are not, so when they run alone the test database is created here.
            from django.test.utils import setup_databases

            created_here = setup_databases(verbosity=0, interactive=False, aliases={"default"})
        if not connection.settings_dict["NAME"].startswith("test_"):
            pytest.exit("refusing to provision test towns outside a test database", returncode=3)
        ensure_template()
        for slug, name in ((TOWN_A, "Ville A"), (TOWN_B, "Ville B")):
            if not Town.objects.filter(slug=slug).exists():
                provision_town(slug=slug, name=name, admin_email=f"admin@{slug}.test")
        connection.set_schema_to_public()
    yield
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        # Servers and workers started by tests may still hold a connection: the test database
        # can only be dropped once they are gone.
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    if created_here is not None:
        from django.test.utils import teardown_databases

        with django_db_blocker.unblock():
            teardown_databases(created_here, verbosity=0)


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache: a value cached by another test's data must not answer."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _celery_join_flag_cleared() -> Iterator[None]:
    """Each test starts with Celery's "inside a task" flag down.

    In eager mode ``apply_async`` raises a process-wide flag while the task runs and puts back the value
    it saw before (celery.result.denied_join_result). Two threads doing that at once — the concurrency
    tests' checkouts queue tasks after commit — can leave it raised for good, and every later
    ``EagerResult.get()`` then fails with "Never call result.get() within a task!". Application code
    never calls ``get()``; only tests do, so only tests need the flag put back.
    """
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
    yield
    _set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def _back_to_public_schema() -> Iterator[None]:
    """Every test starts and ends in public: a leaked search_path would hide isolation bugs."""
    connection.set_schema_to_public()
    translation.activate("fr")  # a language switched by a request must not leak into the next test
    yield
    connection.set_schema_to_public()


@pytest.fixture
def town_a(db: None) -> Town:
    return Town.objects.get(slug=TOWN_A)


@pytest.fixture
def town_b(db: None) -> Town:
    return Town.objects.get(slug=TOWN_B)


@pytest.fixture
def client_a(town_a: Town) -> Client:
    return Client(HTTP_HOST=town_a.primary_host)


@pytest.fixture
def client_b(town_b: Town) -> Client:
    return Client(HTTP_HOST=town_b.primary_host)


@pytest.fixture
def operator_client(db: None) -> Client:
    from accounts.models import Role, User

    operator = User.objects.create_user(
        email="operateur@comptoir.test", password="mot-de-passe-solide", role=Role.OPERATOR, is_staff=True
    )
    client = Client(HTTP_HOST="test")
    client.force_login(operator)
    return client


@pytest.fixture
def isolated_media(settings: Settings, tmp_path: Path) -> tuple[Path, Path]:
    """Empty MEDIA_ROOT and PRIVATE_MEDIA_ROOT for this test only, so it sees every file it writes.

    STORAGES is set again so that the storages are built anew: django-tenants' storage keeps the
    media root it first read.
    """
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private-media"
    settings.STORAGES = {**settings.STORAGES}
    return settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT


@pytest.fixture
def committed_town(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[Town]:
    """A throw-away town whose writes really commit, for concurrency tests (threads, real locks).

    Not ``transaction=True``: its teardown flushes tables, which would empty the public schema
    (towns, domains) under every later test. This town is provisioned for the test and dropped.
    """
    import uuid

    from tenants.actions import delete_town, provision_town

    with django_db_blocker.unblock():
        town = provision_town(slug=f"concurrence-{uuid.uuid4().hex[:8]}", name="Ville concurrence").town
        try:
            yield town
        finally:
            connection.set_schema_to_public()
            delete_town(town=town)


def run_concurrently(count: int, work: object) -> list[object]:
    """Runs ``work(i)`` in ``count`` threads released together by a barrier; returns results or exceptions."""
    import threading

    from django.db import connections

    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def target(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)  # type: ignore[operator]
        except Exception as error:  # collected: the test asserts on them
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results
