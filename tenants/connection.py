"""The database connection, typed as what django-tenants makes of it: it knows the active schema.

``django.db.connection`` is a proxy to the thread's connection, and the configured backend
(``django_tenants.postgresql_backend``) adds ``schema_name``, ``tenant``, ``set_tenant()``,
``set_schema()`` and ``set_schema_to_public()``; Django's stubs know only the plain backend. Import
``connection`` from here to use those: it is the same proxy, only typed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.db import connection as _django_connection

if TYPE_CHECKING:
    from django_tenants.postgresql_backend.base import DatabaseWrapper

connection = cast("DatabaseWrapper", _django_connection)
