"""Settings that mypy's Django plugin imports: the test settings, without starting a database server.

Without DATABASE_URL, config.settings starts (or attaches to) the embedded PostgreSQL; the type
checker only needs the settings and the app registry, never a connection, so it gets a URL that
nothing ever connects to.
"""

import os

os.environ.setdefault("DATABASE_URL", "postgres://typecheck@127.0.0.1:1/typecheck")

from config.settings_test import *  # noqa: F403
