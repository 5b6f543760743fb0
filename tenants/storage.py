"""Where the operator's uploads for a town (logo, hero image) are kept.

They are uploaded on the operator site (public schema) and shown on the town's own host. The default
storages derive their folder or key prefix from the schema of the current request, which would put
the file under ``public/`` and then look for it under ``v_<town>/``: these storages pin ``public/``.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage


class BrandingFileSystemStorage(FileSystemStorage):
    @property
    def base_location(self) -> str:
        return os.path.join(settings.MEDIA_ROOT, "public")

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    @property
    def base_url(self) -> str:
        return f"{settings.MEDIA_URL}public/"


def branding_storage() -> Storage:
    if settings.AWS_STORAGE_BUCKET_NAME:
        from storages.backends.s3 import S3Storage

        options = dict(settings.STORAGES["default"].get("OPTIONS", {}))
        return S3Storage(**options, location="public")
    return BrandingFileSystemStorage()
