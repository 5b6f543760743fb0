"""A self-contained stack for the benchmarks that break things: the bench's own PostgreSQL cluster and
Redis server, gunicorn, a Celery worker and beat, each a child process that is always cleaned up.

Nothing here touches the machine's PostgreSQL or Redis: the cluster is initdb'd into a temporary
folder with the binaries bundled with the ``pgserver`` package and listens on a free loopback port;
``redis-server`` (which must be on PATH) runs without persistence on another free port. Both can be
stopped, killed and restarted at will while other people's tests run on the shared servers.

Clean-up: every child is started in its own process group with a parent-death signal (Linux), and
``Stack.close()`` runs from ``finally``, from ``atexit`` and on SIGTERM/SIGHUP (SIGINT raises
KeyboardInterrupt, which reaches the same ``finally``): gunicorn, Celery, Redis and PostgreSQL stop
even when the benchmark fails or is interrupted, and the data folder is deleted.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchdb import PROJECT_ROOT, free_port

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child, before exec: the kernel kills it if the benchmark dies without cleaning up."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def wait_for_port(port: int, *, timeout: float, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with status {process.returncode} before listening")
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path


@dataclass
class Stack:
    """The bench's processes and where their logs go (``folder/logs``, kept after the run)."""

    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="comptoir-bench-stack-")))
    children: dict[str, Child] = field(default_factory=dict)
    pg_port: int = 0
    redis_port: int = 0
    _pg_user: str | None = None
    _closed: bool = False
    _owner: int = field(default_factory=os.getpid)  # forked helpers inherit the object, never the duty

    def __post_init__(self) -> None:
        self.logs = self.folder / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        atexit.register(self.close)
        for number in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, self._on_signal)

    def _on_signal(self, number: int, _frame: object) -> None:
        if os.getpid() != self._owner:
            os._exit(128 + number)
        raise SystemExit(f"stopped by signal {signal.Signals(number).name}")

    # --- children ---------------------------------------------------------------------------------
    def spawn(self, name: str, command: list[str], *, user: str | None = None) -> Child:
        log = self.logs / f"{name}.log"
        with log.open("ab") as output:
            process = subprocess.Popen(
                command,
                cwd=PROJECT_ROOT,
                env=os.environ.copy(),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed as a whole, never by Ctrl-C
                preexec_fn=_die_with_parent,  # only a prctl call: safe between fork and exec
                user=user,
            )
        child = Child(name, process, log)
        self.children[name] = child
        return child

    def stop(self, name: str, *, sig: int = signal.SIGTERM, timeout: float = 20) -> int | None:
        """Signal the child's whole process group and wait; SIGKILL if it outlives ``timeout``."""
        child = self.children.pop(name, None)
        if child is None:
            return None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.process.pid, sig)
        try:
            return child.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.process.pid, signal.SIGKILL)
            return child.process.wait(timeout=10)

    def kill(self, name: str) -> None:
        """SIGKILL to the child's process group (a crash: nothing is acknowledged or flushed)."""
        self.stop(name, sig=signal.SIGKILL)

    def close(self) -> None:
        if self._closed or os.getpid() != self._owner:
            return
        self._closed = True
        # Clients first, the database last.
        for name in [name for name in self.children if name not in ("postgres", "redis")]:
            self.stop(name)
        self.stop("redis")
        self.stop("postgres", sig=signal.SIGINT, timeout=30)  # SIGINT: PostgreSQL's fast shutdown
        shutil.rmtree(self.folder / "pgdata", ignore_errors=True)

    # --- PostgreSQL -------------------------------------------------------------------------------
    def init_postgres(self) -> str:
        """initdb a cluster (trust auth, user postgres) and start it; returns the DATABASE_URL base."""
        from pgserver._commands import POSTGRES_BIN_PATH

        self._bin = POSTGRES_BIN_PATH
        data = self.folder / "pgdata"
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root: like pgserver (the embedded mode), as user "pgserver".
            from pgserver.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

            self._pg_user = "pgserver"
            entry = ensure_user_exists(self._pg_user)
            ensure_prefix_permissions(POSTGRES_BIN_PATH)
            ensure_folder_permissions(POSTGRES_BIN_PATH.parent, 0o055)
            data.mkdir(mode=0o700)
            for path in (self.folder, data):
                os.chown(path, entry.pw_uid, entry.pw_gid)
            self.folder.chmod(0o755)
        subprocess.run(
            [str(self._bin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--encoding=UTF8"],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            user=self._pg_user,
        )
        self.pg_port = free_port()
        self.start_postgres()
        return f"postgres://postgres@127.0.0.1:{self.pg_port}"

    def start_postgres(self, *, timeout: float = 60) -> None:
        command = [
            str(self._bin / "postgres"), "-D", str(self.folder / "pgdata"),
            "-p", str(self.pg_port), "-h", "127.0.0.1", "-k", str(self.folder),
            "-c", "max_connections=200", "-c", "logging_collector=off",
        ]  # fmt: skip
        child = self.spawn("postgres", command, user=self._pg_user)
        wait_for_port(self.pg_port, timeout=timeout, process=child.process)
        self.wait_postgres_ready(timeout=timeout)

    def wait_postgres_ready(self, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready = subprocess.run(
                [str(self._bin / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.pg_port), "-t", "2"],
                check=False,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError(f"PostgreSQL on port {self.pg_port} not ready after {timeout:.0f} s")

    def checkpoint(self) -> None:
        """What an operator runs before a planned restart: the shutdown checkpoint then has little to sync."""
        subprocess.run(
            [
                str(self._bin / "psql"),
                "-q",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.pg_port),
                "-U",
                "postgres",
                "-c",
                "CHECKPOINT",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def stop_postgres(self) -> None:
        """Fast shutdown (what ``pg_ctl stop -m fast`` does): sessions are cut, then the server exits."""
        self.stop("postgres", sig=signal.SIGINT, timeout=60)

    # --- Redis ------------------------------------------------------------------------------------
    def start_redis(self) -> str:
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit(
                "redis-server is not on PATH: the load benchmark runs its own Redis "
                "(Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis)"
            )
        self.redis_port = free_port()
        command = [
            binary, "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", str(self.folder),
        ]  # fmt: skip
        child = self.spawn("redis", command)
        wait_for_port(self.redis_port, timeout=20, process=child.process)
        return f"redis://127.0.0.1:{self.redis_port}/0"

    # --- the application --------------------------------------------------------------------------
    def start_gunicorn(self, *, workers: int, threads: int) -> int:
        """gunicorn with the production configuration (infra/gunicorn.conf.py) on a free loopback port."""
        port = free_port()
        command = [
            sys.executable, "-m", "gunicorn", "-c", str(PROJECT_ROOT / "infra" / "gunicorn.conf.py"),
            "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--threads", str(threads), "--access-logfile", str(self.logs / "access.log"),
        ]  # fmt: skip
        self.spawn("gunicorn", command)
        return port

    def start_worker(self, name: str, *, concurrency: int) -> Child:
        command = [
            sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork",
            "--concurrency", str(concurrency), "--loglevel", "INFO", "--hostname", f"{name}@%h",
            "--without-mingle", "--without-gossip",
        ]  # fmt: skip
        return self.spawn(name, command)

    def start_beat(self) -> Child:
        command = [
            sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
            "--schedule", str(self.folder / "beat-schedule"),
        ]  # fmt: skip
        return self.spawn("beat", command)

    def wait_for_log(self, name: str, text: str, *, timeout: float) -> float:
        """Seconds until ``text`` appears in the child's log (a worker's "ready")."""
        started = time.monotonic()
        child = self.children[name]
        while time.monotonic() - started < timeout:
            if text in child.log.read_text(errors="replace"):
                return time.monotonic() - started
            if child.process.poll() is not None:
                raise RuntimeError(f"{name} exited with status {child.process.returncode}; see {child.log}")
            time.sleep(0.1)
        raise RuntimeError(f"{name} did not log {text!r} within {timeout:.0f} s; see {child.log}")
