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
# Each pytest-xdist worker (`make test`) has its own test database, and so its own media folders: the
# towns of both databases have the same schemas, their files the same names. The servers and Celery
# workers the tests start inherit the worker's folders (and its name: no second suffix).
_artifacts = os.path.join(os.path.dirname(os.path.dirname(__file__)), "tests", "artifacts")
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
for _name, _folder in (("MEDIA_ROOT", "media"), ("PRIVATE_MEDIA_ROOT", "private-media")):
    _root = os.environ.setdefault(_name, os.path.join(_artifacts, _folder))
    if _worker and not _root.endswith(f"-{_worker}"):
        os.environ[_name] = f"{_root}-{_worker}"

from config.settings import *  # noqa: E402, F403 - the environment above is read by it

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
