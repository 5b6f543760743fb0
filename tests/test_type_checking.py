"""``make lint`` type-checks the apps without starting a database server.

mypy's Django plugin imports the settings module named in ``pyproject.toml``; ``config.settings``
starts the embedded PostgreSQL when DATABASE_URL is unset, as it is on a developer's machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Stands in for pgserver (the embedded PostgreSQL): starting it fails the import loudly.
NO_SERVER = """
import sys, types
pgserver = types.ModuleType("pgserver")
def get_server(*args, **kwargs):
    raise SystemExit("the settings started the embedded PostgreSQL")
pgserver.get_server = get_server
sys.modules["pgserver"] = pgserver
import importlib
settings = importlib.import_module(sys.argv[1])
print(settings.DATABASES["default"]["ENGINE"])
"""


def _import_without_database_url(module: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-c", NO_SERVER, module],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_settings_mypy_imports_start_no_database_server():
    module = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["django-stubs"]["django_settings_module"]

    result = _import_without_database_url(module)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django_tenants.postgresql_backend"
