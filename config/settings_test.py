"""Test defaults: the same settings file, with the environment a test run expects."""

import os

os.environ.setdefault("PLATFORM_DOMAIN", "test")
os.environ.setdefault("COMPTOIR_TESTING", "1")
os.environ.setdefault("TOWN_SPARE_POOL_SIZE", "0")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Production-like cookies and headers; the test client speaks plain HTTP, so no HTTPS redirect.
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
os.environ.setdefault("ALLOW_TEST_GATEWAY", "1")
os.environ.setdefault(
    "MEDIA_ROOT", os.path.join(os.path.dirname(os.path.dirname(__file__)), "tests", "artifacts", "media")
)
os.environ.setdefault(
    "PRIVATE_MEDIA_ROOT",
    os.path.join(os.path.dirname(os.path.dirname(__file__)), "tests", "artifacts", "private-media"),
)

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
