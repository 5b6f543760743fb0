"""Embedded PostgreSQL (pgserver) for machines where DATABASE_URL is not set.

The data lives in a git-ignored folder of the project (``.pgdata/`` by default,
``COMPTOIR_PGDATA`` to move it). The server is left running between commands so
that ``make run`` and ``make test`` stay fast on the second call.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def embedded_database_settings() -> dict[str, object]:
    """Start (or attach to) the embedded server and return Django connection settings."""
    import logging
    import warnings

    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    import pgserver  # imported lazily: only needed without DATABASE_URL

    data_dir = Path(os.environ.get("COMPTOIR_PGDATA", PROJECT_ROOT / ".pgdata"))
    server = pgserver.get_server(data_dir, cleanup_mode=None)
    uri = urlparse(server.get_uri())
    host = parse_qs(uri.query).get("host", [uri.hostname or "localhost"])[0]
    database = os.environ.get("COMPTOIR_EMBEDDED_DB", "comptoir")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", database):
        raise ValueError(f"COMPTOIR_EMBEDDED_DB must be a plain identifier, not {database!r}")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")  # noqa: S608 - checked above
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    return {
        "NAME": database,
        "USER": uri.username or "postgres",
        "PASSWORD": "",
        "HOST": host,
        "PORT": str(uri.port or ""),
    }
