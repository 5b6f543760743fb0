"""The first run on an empty database, and production settings, as real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.conftest import database_url_for_subprocess

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _admin_connection() -> psycopg.Connection:
    settings = connection.settings_dict
    return psycopg.connect(
        dbname="postgres",
        user=settings["USER"],
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        password=settings["PASSWORD"] or None,
        autocommit=True,
    )


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_migrate_schemas_then_create_town_on_an_empty_database(db):
    name = f"test_empty_{uuid.uuid4().hex[:8]}"
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": database_url_for_subprocess().rsplit("/", 1)[0] + f"/{name}",
        "TOWN_SPARE_POOL_SIZE": "1",
    }
    try:
        migrated = _manage("migrate_schemas", "--noinput", env=env)
        assert migrated.returncode == 0, migrated.stderr

        created = _manage("create_town", "premiere-ville", "--name", "Première ville", env=env)
        assert created.returncode == 0, created.stderr
        assert "Ville « Première ville » créée en" in created.stdout
        assert "https://premiere-ville.test/" in created.stdout

        # the spare refilled after the first town makes the second one a rename
        second = _manage("create_town", "deuxieme-ville", "--name", "Deuxième ville", env=env)
        assert second.returncode == 0, second.stderr
        assert "(spare)" in second.stdout

        again = _manage("migrate_schemas", "--noinput", env=env)
        assert "[skip-at-head] 4 schema(s) already at head, 0 to migrate" in again.stdout
    finally:
        with _admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


TEST_ONLY_VARIABLES = {
    "SECURE_SSL_REDIRECT",
    "PLATFORM_DOMAIN",
    "COMPTOIR_TESTING",
    "CELERY_TASK_ALWAYS_EAGER",
    "TOWN_SPARE_POOL_SIZE",
    "MEDIA_ROOT",
    "PRIVATE_MEDIA_ROOT",
    "LOG_LEVEL",
    "SECURE_COOKIES",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def _production_environment() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key not in TEST_ONLY_VARIABLES}


@pytest.mark.slow
def test_production_settings_pass_the_deploy_checks():
    env = {
        **_production_environment(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": "x" * 20 + uuid.uuid4().hex + uuid.uuid4().hex,
        "PLATFORM_DOMAIN": "comptoir.example.fr",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/unused",
    }
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("secret", ["", "too-short"])
def test_production_refuses_to_start_without_a_real_secret_key(secret):
    env = {
        **_production_environment(),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": secret,
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/unused",
    }
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set to at least 50 random characters" in result.stderr
