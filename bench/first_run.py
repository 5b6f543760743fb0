"""Benchmark: the README's two commands on a fresh clone, as a newcomer runs them.

Run (any Python 3.11+, no venv needed; it only uses the standard library):
    python3 bench/first_run.py                         # the committed HEAD, embedded PostgreSQL
    python3 bench/first_run.py --ref main              # another commit, e.g. to compare before/after
    python3 bench/first_run.py --database-url postgres://postgres@127.0.0.1:5432/postgres
                                                       # a fresh database on that server instead
    python3 bench/first_run.py --test                  # then `make test` in the same clone

It clones the repository (committed work only) into a temporary folder and times, each as a real
command in that clone:
  * `make install` (the venv and every dependency), with empty uv and pip caches unless --warm-cache;
  * the first `make run`: until the home page of calais.localhost answers 200, with the time of each
    step `manage.py seed_demo` prints (older commits: none) and when the seeding ended;
  * a second `make run`, until the same page answers again;
  * with --test, `make test` (its exit status is shown, and the result line of pytest).
The load average before and after each command is printed: on a shared machine, a figure taken under
load says little. The clone, its embedded PostgreSQL and the database made for it are removed at the
end (--keep keeps the clone); the logs stay in bench/results/.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
MAKE, GIT, PSQL = (shutil.which(name) or name for name in ("make", "git", "psql"))
STEP = re.compile(r"^\s*\[\s*([\d.]+) s\] (.+)$")


def load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"load {one:.1f} (5 min {five:.1f}) on {os.cpu_count()} cores"


def timed(command: list[str], *, cwd: Path, env: dict[str, str], log: Path) -> tuple[float, int]:
    started = time.perf_counter()
    with log.open("w") as output:
        status = subprocess.run(command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT, check=False)
    return time.perf_counter() - started, status.returncode


class Run:
    """`make run` in the background: its output lines with their time, and the first 200 of a town's page."""

    def __init__(self, *, clone: Path, env: dict[str, str], port: int, log: Path) -> None:
        self.port = port
        self.lines: list[tuple[float, str]] = []
        self.started = time.perf_counter()
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [MAKE, "run", f"PORT={port}"],
            cwd=clone,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: make, manage.py and runserver's child
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append((time.perf_counter() - self.started, line.rstrip("\n")))
            self.log.write(line)
            self.log.flush()

    def wait_for_page(self, host: str, timeout: float) -> float | None:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/", headers={"Host": f"{host}:{self.port}"})
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                return None
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback only
                    if response.status == 200:
                        return time.perf_counter() - self.started
            except (OSError, urllib.error.HTTPError):
                pass
            time.sleep(0.2)
        return None

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)  # as Ctrl-C would
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.reader.join(timeout=5)
        self.log.close()

    def seconds_at(self, text: str) -> float | None:
        return next((seconds for seconds, line in self.lines if text in line), None)


def admin_url(database_url: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit((parts.scheme.replace("postgres", "postgresql", 1), parts.netloc, "/postgres", "", ""))


def psql(database_url: str, statement: str) -> None:
    subprocess.run([PSQL, "-q", admin_url(database_url), "-c", statement], check=True)


def stop_embedded_postgres(clone: Path) -> None:
    """`make run` leaves the embedded server running (so the next command starts fast): stop it."""
    python = clone / ".venv" / "bin" / "python"
    if not (clone / ".pgdata").is_dir() or not python.exists():
        return
    bin_path = subprocess.run(
        [str(python), "-c", "from pgserver._commands import POSTGRES_BIN_PATH; print(POSTGRES_BIN_PATH)"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if bin_path:
        subprocess.run(
            [f"{bin_path}/pg_ctl", "-D", str(clone / ".pgdata"), "stop", "-m", "fast"], capture_output=True, check=False
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ref", default="HEAD", help="commit to clone (default: HEAD)")
    parser.add_argument("--database-url", default="", help="a server to make a fresh database on (default: embedded)")
    parser.add_argument("--port", type=int, default=8765, help="port of `make run` (default: 8765)")
    parser.add_argument("--host", default="calais.localhost", help="town whose home page is awaited")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for the page")
    parser.add_argument("--warm-cache", action="store_true", help="use this user's uv and pip caches")
    parser.add_argument("--test", action="store_true", help="also time `make test` in the clone")
    parser.add_argument("--keep", action="store_true", help="keep the clone (its path is printed)")
    options = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="comptoir-first-run-"))
    clone = workdir / "comptoir"
    logs = ROOT / "bench" / "results" / f"first_run-{time.strftime('%Y%m%d-%H%M%S')}"
    logs.mkdir(parents=True)
    subprocess.run([GIT, "clone", "--quiet", "--no-checkout", str(ROOT), str(clone)], check=True)
    subprocess.run([GIT, "-c", "advice.detachedHead=false", "checkout", "--quiet", options.ref], cwd=clone, check=True)
    commit = subprocess.run([GIT, "log", "-1", "--format=%h %s"], cwd=clone, capture_output=True, text=True).stdout
    print(f"clone of {commit.strip()[:90]}\n  in {clone}")

    env = {key: value for key, value in os.environ.items() if key not in {"VIRTUAL_ENV", "REDIS_URL", "DATABASE_URL"}}
    if not options.warm_cache:
        env["UV_CACHE_DIR"] = str(workdir / "uv-cache")
        env["PIP_CACHE_DIR"] = str(workdir / "pip-cache")
    database = ""
    if options.database_url:
        database = f"comptoir_first_run_{uuid.uuid4().hex[:8]}"
        psql(options.database_url, f'CREATE DATABASE "{database}"')
        parts = urlsplit(options.database_url)
        env["DATABASE_URL"] = urlunsplit((parts.scheme, parts.netloc, f"/{database}", "", ""))
        print(f"database {database} on {parts.hostname}:{parts.port or 5432}")
    else:
        print("database: the embedded PostgreSQL (pgserver), in the clone's .pgdata/")

    figures: list[tuple[str, str]] = []
    status = 0
    try:
        before = load()
        seconds, code = timed([MAKE, "install"], cwd=clone, env=env, log=logs / "install.log")
        figures.append(("make install", f"{seconds:6.1f} s  (exit {code}; {before} → {load()})"))
        if code:
            print((logs / "install.log").read_text()[-3000:])
            return code
        install_seconds = seconds

        for label in ("first make run", "second make run"):
            before = load()
            run = Run(clone=clone, env=env, port=options.port, log=logs / f"{label.replace(' ', '-')}.log")
            try:
                answered = run.wait_for_page(options.host, options.timeout)
            finally:
                run.stop()
            if answered is None:
                status = 1
                figures.append((label, f"no answer from {options.host} (see {run.log.name})"))
                print("\n".join(line for _seconds, line in run.lines[-40:]))
                break
            total = f"  (with install: {install_seconds + answered:.1f} s)" if label.startswith("first") else ""
            figures.append((label, f"{answered:6.1f} s to the first 200 of {options.host}{total}  ({before})"))
            seeded = run.seconds_at("Données de démonstration en place")
            if seeded is not None:
                figures.append(("  seeding done at", f"{seeded:6.1f} s"))
            for _seconds, line in run.lines:
                if match := STEP.match(line):
                    figures.append((f"    {match.group(2)[:40]}", f"{float(match.group(1)):6.1f} s"))

        if options.test and not status:
            before = load()
            seconds, code = timed([MAKE, "test"], cwd=clone, env=env, log=logs / "test.log")
            output = (logs / "test.log").read_text().splitlines()
            result = next((line.strip("= ") for line in reversed(output) if " in " in line and "=" in line), "?")
            figures.append(("make test", f"{seconds:6.1f} s  (exit {code}; {result}; {before} → {load()})"))
            figures += [("  ", line[:120]) for line in output if line.startswith(("FAILED", "ERROR"))]
            status = status or code
    finally:
        stop_embedded_postgres(clone)
        if database:
            psql(options.database_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        print(f"\nlogs: {logs}")
        for label, value in figures:
            print(f"{label:<44} {value}")
        if options.keep:
            print(f"\nkept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
