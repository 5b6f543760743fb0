"""Shared by the benchmarks: a fresh, dedicated database on the server the project would use, the
platform set up in it, gunicorn started as in production, and percentiles.

Every benchmark imports this module first: it puts the project ahead of bench/ on sys.path, so that
the apps and tests/ import, and bench/checkout.py (the script) does not shadow the checkout app.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse, urlunparse

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if sys.path[0] != str(PROJECT_ROOT):
    sys.path.insert(0, str(PROJECT_ROOT))


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


def benchmark_environment(database: str) -> None:
    """Settings for a benchmark, before Django reads them: the fresh database ``database``, no spare
    towns refilled behind the benchmark's back, e-mail kept in memory, only errors logged."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["TOWN_SPARE_POOL_SIZE"] = "0"
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ["LOG_LEVEL"] = "ERROR"
    use_fresh_database(database)


def set_up_platform(*, collect_static: bool = False) -> int:
    """``django.setup()``, the public schema migrated and the town template ready; with
    ``collect_static``, the static files gunicorn's whitenoise serves. Returns PostgreSQL's version."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from tenants.actions import ensure_template

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    ensure_template()
    if collect_static:
        call_command("collectstatic", interactive=False, verbosity=0)
    return connection.cursor().connection.info.server_version


# --- shared by the benchmarks that measure over a real server ------------------------------------
def production_environment(*, platform_domain: str, database: str) -> None:
    """Point Django (here and in gunicorn) at a fresh benchmark database, in production mode
    (DEBUG off) over plain HTTP on loopback, e-mail kept in memory, no spare towns."""
    os.environ["PLATFORM_DOMAIN"] = platform_domain
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(60))
    os.environ["ALLOWED_HOSTS"] = f".{platform_domain},{platform_domain}"
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    # Clients keep cookies over plain HTTP: without Secure (and so without "__Host-").
    os.environ["SECURE_COOKIES"] = "0"
    os.environ["SECURE_HSTS_SECONDS"] = "0"
    os.environ["STATIC_ROOT"] = tempfile.mkdtemp(prefix="comptoir-bench-static-")
    benchmark_environment(database)


def percentile(values: list[float], fraction: float) -> float:
    """The value at ``fraction`` (0.95 → p95) of the sorted values, nearest rank; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * (len(ordered) - 1))))]


def run_together(workers: list[Callable[[float], None]], seconds: float) -> float:
    """Each worker in a thread of its own, all released at once and given the same end (a
    ``time.perf_counter()`` value) to stop starting new work at; returns the wall time until the last
    one has finished."""
    barrier = threading.Barrier(len(workers) + 1)
    stop_at: list[float] = []

    def run(work: Callable[[float], None]) -> None:
        barrier.wait()
        work(stop_at[0])

    threads = [threading.Thread(target=run, args=(work,)) for work in workers]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    stop_at.append(started + seconds)
    barrier.wait()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def ms(seconds: float, width: int = 7) -> str:
    """Seconds as milliseconds for a report's columns (one decimal)."""
    return f"{seconds * 1000:{width}.1f}"


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


def wait_until_up(port: int, host: str, server: subprocess.Popen[bytes] | None = None, *, timeout: float = 60) -> None:
    """Until /healthz answers 200 with the given Host header; exits if gunicorn dies or never answers."""
    import http.client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server is not None and server.poll() is not None:
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


@contextlib.contextmanager
def serving(*, workers: int, threads: int, host: str, log: Path | None = None) -> Iterator[int]:
    """gunicorn (start_gunicorn) on a free loopback port, answering for ``host``, until the block ends;
    yields the port. The server is stopped and waited for, so its CPU time counts in os.times()."""
    port = free_port()
    server = start_gunicorn(port, workers, threads, log)
    try:
        wait_until_up(port, host, server)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)
