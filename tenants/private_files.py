"""Where a town's private files are kept: never under a public URL.

Imports, and later proofs of delivery, agreements, statements and bank files, are documents about
people and money. Files under MEDIA_ROOT (or the media bucket prefix) are reachable by anyone
who has, or guesses, their URL; these are not. Every feature that stores such a file uses this
module, and nothing else:

- a model field: ``models.FileField(storage=private_storage, upload_to=<a module-level function
  returning random_private_name("kind", filename)>)`` (the storage callable keeps the storage class
  out of migrations);
- code without a model: ``private_storage().save(random_private_name("kind", name), content)``.

The storage is ``STORAGES["private"]``: on local disk ``PRIVATE_MEDIA_ROOT/<schema>/`` (a folder
outside MEDIA_ROOT that no proxy aliases and no URL serves), on S3 the keys under
``private/<schema>/`` (``tenants.private_files_s3``). Names are random: the original file name
never appears in a path; keep it in a field of its own if the pages show it. The storage hands out
no URL: a page that lets someone download such a file serves it from a view that finds it through
a query function checking the user's role, as an attachment, with ``X-Content-Type-Options:
nosniff``.
"""

from __future__ import annotations

import os
import uuid
from pathlib import PurePosixPath
from typing import Any, cast

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty

from tenants.connection import connection

PRIVATE_STORAGE_ALIAS = "private"


class PrivateFileSystemStorage(FileSystemStorage):
    """Files under ``PRIVATE_MEDIA_ROOT/<schema>/``, readable by the app's user only, with no URL."""

    def __init__(self, **options: Any) -> None:
        # Not readable by the group either: the proxy user is in the app's group to serve /media/.
        options.setdefault("file_permissions_mode", 0o600)
        options.setdefault("directory_permissions_mode", 0o700)
        super().__init__(**options)

    @property
    def base_location(self) -> str:
        return os.path.join(settings.PRIVATE_MEDIA_ROOT, connection.schema_name)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    @property
    def base_url(self) -> None:  # type: ignore[override]  # no URL at all, where Django's is a str
        return None

    def url(self, name: str | None) -> str:
        raise ValueError("A private file has no URL: serve it from a view that checks the user's role.")


class _PrivateStorage(LazyObject):
    _wrapped: object  # the storage, or django.utils.functional.empty until first used

    def _setup(self) -> None:
        self._wrapped = storages[PRIVATE_STORAGE_ALIAS]


_private_storage = _PrivateStorage()


@receiver(setting_changed)
def _storages_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "STORAGES":
        _private_storage._wrapped = empty


def private_storage() -> Storage:
    """The storage of every private file (``STORAGES["private"]``), per town."""
    return cast(Storage, _private_storage)  # the lazy object forwards every attribute to the storage


def random_private_name(folder: str, original_name: str) -> str:
    """``<folder>/<random>.<extension>``: only the (lower-cased) extension of the original name is kept,
    because readers tell a CSV from a workbook by it."""
    suffix = PurePosixPath(original_name).suffix.lower()
    extension = suffix if suffix[1:].isalnum() and len(suffix) <= 6 else ""
    return f"{folder}/{uuid.uuid4().hex}{extension}"
