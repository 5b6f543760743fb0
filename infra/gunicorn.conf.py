"""Gunicorn configuration for Comptoir (WSGI only).

Usage:
    gunicorn -c infra/gunicorn.conf.py config.wsgi:application

Comptoir runs under WSGI with gunicorn, never ASGI: django-tenants sets the
PostgreSQL ``search_path`` on the thread-local connection for each request,
and that one-request-one-thread model is what keeps towns isolated.

Every setting can be overridden from the environment (systemd
EnvironmentFile, compose ``environment:``), see the GUNICORN_* names below.
This file is plain Python, read by gunicorn at startup; module-level names that
are not gunicorn settings (helpers, imports) are ignored by gunicorn.
"""

import os


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be an integer, got {value!r}") from exc


def _cpu_count() -> int:
    # sched_getaffinity honours CPU pinning (taskset, systemd CPUAffinity=);
    # note that neither it nor os.cpu_count() sees cgroup CPU *quotas*
    # (docker --cpus), so set GUNICORN_WORKERS explicitly in that case.
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


# --- Socket ---------------------------------------------------------------
# Loopback by default: only the reverse proxy (Caddy/nginx) on the same host
# talks to gunicorn. The container image sets GUNICORN_BIND=0.0.0.0:8000.
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]
backlog = _env_int("GUNICORN_BACKLOG", 2048)

# --- Workers --------------------------------------------------------------
# Classic 2 * cores + 1, capped: each worker holds its own DB connection(s)
# (one per thread) and its own in-process catalog cache, so an unbounded
# count on a large host would exhaust PostgreSQL max_connections.
_max_workers = _env_int("GUNICORN_MAX_WORKERS", 9)
workers = _env_int("GUNICORN_WORKERS", min(2 * _cpu_count() + 1, _max_workers))

# Threaded sync workers. Django DB connections are per thread, so every
# thread gets its own connection and its own search_path; nothing is shared
# between concurrent requests. Connections per host = workers * threads.
worker_class = "gthread"
threads = _env_int("GUNICORN_THREADS", 4)

# Heartbeat file on tmpfs: avoids spurious worker timeouts when the disk
# (or the container overlay filesystem) stalls.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# Recycle each worker after N requests (+ random jitter so they do not all
# restart at once). This bounds the growth of the per-worker catalog cache
# and of any slow memory leak.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", 100)

# --- Timeouts -------------------------------------------------------------
# A request still running after `timeout` seconds gets its worker killed and
# restarted. Long jobs (exports, image processing, mail) belong in Celery.
timeout = _env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Idle keep-alive towards the proxy. Caddy's upstream idle timeout is set to
# 4s in infra/Caddyfile, shorter than this, so the proxy never reuses a
# connection gunicorn is about to close.
keepalive = _env_int("GUNICORN_KEEPALIVE", 5)

# --- Application loading --------------------------------------------------
# No preload: each worker imports Django itself after fork, so no DB/Redis
# socket opened at import time is ever shared between processes, and a HUP
# (systemctl reload) picks up new code.
preload_app = False

# --- Proxy headers --------------------------------------------------------
# Source addresses trusted to set X-Forwarded-Proto for gunicorn's own
# wsgi.url_scheme. Comma-separated IPs or CIDRs; "*" only when gunicorn is
# reachable exclusively from the proxy (e.g. an internal compose network).
# Django itself uses SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO",
# "https"), which relies on the proxy overwriting that header on every
# request; Caddy and the nginx example both do.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# --- Logging --------------------------------------------------------------
# Access log to stdout, error log to stderr (journald / docker logs). The
# Host header is logged because one backend serves every town.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
access_log_format = (
    '%(h)s "%({host}i)s" "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'
)

proc_name = "comptoir-web"

# --- Control socket -------------------------------------------------------
# Recent gunicorn releases (>= 25.1) open a control socket (for `gunicornc`)
# under $XDG_RUNTIME_DIR or $HOME. The hardened systemd unit has a read-only
# file system, so it is off unless GUNICORN_CONTROL_SOCKET names a path
# (e.g. /run/comptoir-web/gunicorn.ctl). Older gunicorn ignores both names.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True
