"""The version of a town's catalogue, which keys what the storefront caches (the sitemap).

Every change to what residents can see — merchants, products, categories, by hand or by import —
gives the catalogue a new version once its transaction commits. Cached pages are keyed by the
version they were built from, so after a change they are simply never read again (and expire on
their own): nothing has to find and delete them. Keys are per town: the cache's key function
(django-tenants' ``make_key``, settings.CACHES) prefixes each key with the town's schema.

The version is a random token rather than a counter: if the cache evicts it, the next one is new
too, and pages built from an older catalogue can never answer again.
"""

from __future__ import annotations

import secrets

from django.core.cache import cache
from django.db import transaction
from django_tenants.utils import schema_context

from tenants.connection import connection

CATALOGUE_VERSION_KEY = "catalogue:version"


def catalogue_version() -> str:
    """The current town's catalogue version (one cache read)."""
    version = cache.get(CATALOGUE_VERSION_KEY)
    if version is None:
        cache.add(CATALOGUE_VERSION_KEY, secrets.token_hex(8), timeout=None)
        version = cache.get(CATALOGUE_VERSION_KEY)  # another process may have added its own first
    return str(version)


def bump_catalogue_version() -> None:
    """Give the current town's catalogue a new version once the current transaction commits.

    Not before: a page rebuilt between the change and its commit would still show the old catalogue
    under the new version.
    """
    schema_name = connection.schema_name

    def bump() -> None:
        with schema_context(schema_name):
            cache.set(CATALOGUE_VERSION_KEY, secrets.token_hex(8), timeout=None)

    transaction.on_commit(bump)
