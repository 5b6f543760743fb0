"""Shared by the benchmarks: a fresh, dedicated database on the server the project would use, gunicorn
started as in production, and percentiles."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse, urlunparse

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def use_fresh_database(name: str) -> None:
    """Drop and create ``name`` on DATABASE_URL's server (or the embedded one) and point Django at it."""
    url = os.environ.get("DATABASE_URL")
    if url:
        parsed = urlparse(url)
        admin_url = urlunparse(parsed._replace(path="/postgres"))
        import psycopg

        with psycopg.connect(admin_url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
        os.environ["DATABASE_URL"] = urlunparse(parsed._replace(path=f"/{name}"))
        return
    os.environ["COMPTOIR_EMBEDDED_DB"] = name
    from config.embedded_postgres import embedded_database_settings

    embedded_database_settings()  # starts the embedded server if needed
    import pgserver

    server = pgserver.get_server(Path(os.environ.get("COMPTOIR_PGDATA", PROJECT_ROOT / ".pgdata")), cleanup_mode=None)
    server.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE);")
    server.psql(f"CREATE DATABASE {name};")


def migrate_platform(*, collect_static: bool = False) -> None:
    """The public schema migrated and the town template ready (after ``django.setup()``); with
    ``collect_static``, the static files gunicorn's whitenoise serves."""
    from django.core.management import call_command

    from tenants.actions import ensure_template

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    ensure_template()
    if collect_static:
        call_command("collectstatic", interactive=False, verbosity=0)


# --- shared by the benchmarks that measure over a real server ------------------------------------
def production_environment(*, platform_domain: str, database: str) -> None:
    """Point Django (here and in gunicorn) at a fresh benchmark database, in production mode
    (DEBUG off) over plain HTTP on loopback, e-mail kept in memory, no spare towns."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["TOWN_SPARE_POOL_SIZE"] = "0"
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ["LOG_LEVEL"] = "ERROR"
    os.environ["PLATFORM_DOMAIN"] = platform_domain
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(60))
    os.environ["ALLOWED_HOSTS"] = f".{platform_domain},{platform_domain}"
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    os.environ["STATIC_ROOT"] = tempfile.mkdtemp(prefix="comptoir-bench-static-")
    use_fresh_database(database)


def percentile(values: list[float], fraction: float) -> float:
    """The value at ``fraction`` (0.95 → p95) of the sorted values, nearest rank; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * (len(ordered) - 1))))]


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(port: int, workers: int, threads: int, log: Path | None = None) -> subprocess.Popen[bytes]:
    """gunicorn as in production (gthread), with this process's environment, on 127.0.0.1:port."""
    command = [
        sys.executable, "-m", "gunicorn", "config.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads),
        "--worker-class", "gthread", "--keep-alive", "30", "--log-level", "warning", "--chdir", str(PROJECT_ROOT),
    ]  # fmt: skip
    if log is None:
        return subprocess.Popen(command, env=os.environ.copy())
    with log.open("wb") as output:
        return subprocess.Popen(command, env=os.environ.copy(), stdout=output, stderr=subprocess.STDOUT)


def wait_until_up(port: int, host: str, server: subprocess.Popen[bytes], *, timeout: float = 60) -> None:
    """Until /healthz answers 200 with the given Host header; exits if gunicorn dies or never answers."""
    import http.client
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {server.returncode}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "/healthz", headers={"Host": host})
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer within {timeout:.0f} s")
