"""The private storage (``tenants.private_files``) on S3: keys under ``private/<schema>/``.

A module of its own so that boto3 is imported only when a bucket is configured. The media
storage's keys are under ``<schema>/``, so it can neither read nor sign a URL for a private key;
this storage signs none at all.
"""

from __future__ import annotations

from typing import Any

from storages.backends.s3 import S3Storage

from tenants.connection import connection

PRIVATE_PREFIX = "private"


class PrivateS3Storage(S3Storage):
    """S3Storage whose location is ``<prefix>/<schema>`` (prefix ``private``), worked out per call."""

    def __init__(self, **settings: Any) -> None:
        self._prefix = str(settings.pop("location", "") or "").strip("/") or PRIVATE_PREFIX
        super().__init__(**settings)

    @property
    def location(self) -> str:
        return f"{self._prefix}/{connection.schema_name}"

    @location.setter
    def location(self, value: str) -> None:
        # Called by the base class with AWS_LOCATION: it replaces the prefix, never the town's folder.
        self._prefix = str(value or "").strip("/") or PRIVATE_PREFIX

    def url(self, name: str | None, parameters: Any = None, expire: Any = None, http_method: Any = None) -> str:
        raise ValueError("A private file has no URL: serve it from a view that checks the user's role.")
