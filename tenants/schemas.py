"""Schema-level helpers: the template schema, migration state, clone and rename."""

from __future__ import annotations

import functools

from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django_tenants.utils import schema_exists

TEMPLATE_SCHEMA = "_template"
SPARE_PREFIX = "_spare_"


def schema_name_for_slug(slug: str) -> str:
    return "v_" + slug.replace("-", "_")


@functools.cache
def migration_graph_nodes() -> frozenset[tuple[str, str]]:
    """Every (app, migration) of the code: a schema at head has recorded all of them.

    django-tenants records shared-only migrations in town schemas too (their operations are
    no-ops there), so every schema's ``django_migrations`` holds the whole graph once migrated.
    """
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return frozenset(loader.graph.nodes)


def applied_migrations(schema_name: str) -> frozenset[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_regclass(%s)", [f'"{schema_name}".django_migrations']
        )
        if cursor.fetchone()[0] is None:
            return frozenset()
        cursor.execute(f'SELECT app, name FROM "{schema_name}".django_migrations')
        return frozenset((app, name) for app, name in cursor.fetchall())


def applied_migrations_by_schema(schema_names: list[str], chunk: int = 200) -> dict[str, frozenset]:
    """One round trip per ``chunk`` schemas (a UNION ALL), for executors that scan hundreds of towns."""
    result: dict[str, set[tuple[str, str]]] = {name: set() for name in schema_names}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema FROM information_schema.tables "
            "WHERE table_name = 'django_migrations' AND table_schema = ANY(%s)",
            [schema_names],
        )
        migrated = [row[0] for row in cursor.fetchall()]
        for start in range(0, len(migrated), chunk):
            part = migrated[start : start + chunk]
            query = " UNION ALL ".join(
                f"SELECT %s, app, name FROM \"{name}\".django_migrations" for name in part
            )
            cursor.execute(query, part)
            for schema, app, name in cursor.fetchall():
                result[schema].add((app, name))
    return {name: frozenset(rows) for name, rows in result.items()}


def is_at_head(schema_name: str) -> bool:
    return migration_graph_nodes() <= applied_migrations(schema_name)


def migrate_schema_from_zero(schema_name: str, *, verbosity: int = 0) -> None:
    """Tier C: create the schema and run every migration in it (slow; fallback and template only)."""
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema_name}"')
    call_command(
        "migrate_schemas", schema_name=schema_name, tenant=True, interactive=False, verbosity=verbosity
    )
    connection.set_schema_to_public()


def template_exists() -> bool:
    return schema_exists(TEMPLATE_SCHEMA)
