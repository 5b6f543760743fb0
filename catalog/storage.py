"""Media storage on S3 with every key under the current town's prefix.

The local-disk default (django-tenants' ``TenantFileSystemStorage``) already puts each town's files
under ``MEDIA_ROOT/<schema>/``; this is the same rule for a bucket. The prefix is read from the
connection on every call, so one storage object serves every town, and a town can neither write
nor sign a URL for a key outside its own prefix.
"""

from __future__ import annotations

from storages.backends.s3 import S3Storage

from tenants.connection import connection


class TownS3Storage(S3Storage):
    """S3Storage whose location is ``<schema>[/<location>]``, worked out per call."""

    def __init__(self, **settings: object) -> None:
        self._sub_location = str(settings.pop("location", "") or "").strip("/")
        super().__init__(**settings)

    @property
    def location(self) -> str:
        schema = str(connection.schema_name)
        return f"{schema}/{self._sub_location}" if self._sub_location else schema

    @location.setter
    def location(self, value: str) -> None:
        # Called by the base class with AWS_LOCATION: it becomes a folder inside the town's prefix.
        self._sub_location = str(value or "").strip("/")
