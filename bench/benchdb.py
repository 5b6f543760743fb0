"""A fresh, dedicated database for a benchmark, on the server the project would use."""

from __future__ import annotations

import os
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
