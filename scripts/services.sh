# Sourced by `make test` and .ci/run: point the tests at the machine's PostgreSQL and Redis
# when they answer on 127.0.0.1, starting them first if they are installed but stopped.
# Otherwise nothing is exported and the embedded defaults apply (pgserver, eager Celery).

_port_open() {
  "${PYTHON_FOR_PROBE:-python3}" - "$1" <<'PY'
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
except OSError:
    sys.exit(1)
PY
}

if [ -z "${DATABASE_URL:-}" ]; then
  if ! _port_open 5432 && command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    for version in $(ls /etc/postgresql); do
      pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
    done
    sleep 2
  fi
  if _port_open 5432 && "${PYTHON_FOR_PROBE:-python3}" -c 'import psycopg; psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=3).close()' >/dev/null 2>&1; then
    export DATABASE_URL="postgres://postgres@127.0.0.1:5432/comptoir"
    echo "services: PostgreSQL on 127.0.0.1:5432"
  else
    echo "services: no PostgreSQL on 127.0.0.1:5432, using the embedded one (pgserver)"
  fi
fi

# A TEST_REDIS_URL already set (another database of the same server, say) is kept.
if [ -z "${REDIS_URL:-}" ] && [ -z "${TEST_REDIS_URL:-}" ]; then
  if ! _port_open 6379 && command -v redis-server >/dev/null 2>&1; then
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null 2>&1 || true
    sleep 1
  fi
  if _port_open 6379; then
    # Database 15 keeps test traffic apart from a developer's own Redis data.
    export TEST_REDIS_URL="redis://127.0.0.1:6379/15"
    echo "services: Redis on 127.0.0.1:6379 (used by the real-worker tests)"
  else
    echo "services: no Redis, Celery runs eagerly and the real-worker tests are skipped"
  fi
fi
