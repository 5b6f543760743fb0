"""Schema-level helpers: the template schema, migration state, clone and rename."""

from __future__ import annotations

import functools

from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader
from django_tenants.utils import schema_exists

from tenants.connection import connection

TEMPLATE_SCHEMA = "_template"
SPARE_PREFIX = "_spare_"


def quoted(schema_name: str) -> str:
    """The schema as a quoted SQL identifier, refusing any name django-tenants would not accept."""
    from django_tenants.postgresql_backend.base import is_valid_schema_name

    if not is_valid_schema_name(schema_name):
        raise ValueError(f"invalid schema name: {schema_name!r}")
    return f'"{schema_name}"'


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
        cursor.execute("SELECT to_regclass(%s)", [f'"{schema_name}".django_migrations'])
        if cursor.fetchone()[0] is None:
            return frozenset()
        cursor.execute(f"SELECT app, name FROM {quoted(schema_name)}.django_migrations")  # noqa: S608
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
                f"SELECT %s, app, name FROM {quoted(name)}.django_migrations"  # noqa: S608 - quoted() validates
                for name in part
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
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {quoted(schema_name)}")
    call_command("migrate_schemas", schema_name=schema_name, tenant=True, interactive=False, verbosity=verbosity)
    connection.set_schema_to_public()


def align_clone_with_template(schema_name: str) -> None:
    """Undo the two ways django-tenants' clone_schema() departs from the template.

    Measured by the clone-equivalence test: it recreates unique constraints under PostgreSQL's
    default ``<table>_<columns>_key`` names (Django's migrations know them by their
    ``..._<hash>_uniq`` names, so a later migration dropping one would fail) and recreates
    ``integer`` identity sequences as ``bigint``. Both are put back as in the template.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname, t.relname, c.conname, pg_get_constraintdef(c.oid) "
            "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = c.connamespace "
            "WHERE n.nspname IN (%s, %s) AND c.contype = 'u'",
            [TEMPLATE_SCHEMA, schema_name],
        )
        expected: dict[tuple[str, str], list[str]] = {}
        actual: dict[tuple[str, str], list[str]] = {}
        for namespace, table, name, definition in cursor.fetchall():
            target = expected if namespace == TEMPLATE_SCHEMA else actual
            target.setdefault((table, definition), []).append(name)
        for key, wanted_names in expected.items():
            current_names = sorted(actual.get(key, []))
            for current, wanted in zip(current_names, sorted(wanted_names), strict=False):
                if current != wanted:
                    cursor.execute(
                        f'ALTER TABLE {quoted(schema_name)}."{key[0]}" RENAME CONSTRAINT "{current}" TO "{wanted}"'
                    )
        cursor.execute(
            "SELECT c.sequencename, t.data_type FROM pg_sequences t "
            "JOIN pg_sequences c ON c.sequencename = t.sequencename AND c.schemaname = %s "
            "WHERE t.schemaname = %s AND c.data_type <> t.data_type",
            [schema_name, TEMPLATE_SCHEMA],
        )
        for sequence, data_type in cursor.fetchall():
            cursor.execute(f'ALTER SEQUENCE {quoted(schema_name)}."{sequence}" AS {data_type}')


def template_exists() -> bool:
    return schema_exists(TEMPLATE_SCHEMA)


def describe_schema(schema_name: str) -> dict[str, list[tuple[object, ...]]]:
    """Everything that makes two schemas equivalent, with the schema's own name masked out.

    Used by the clone-equivalence check: a schema cloned from the template must describe exactly
    like one migrated from zero (tables, columns and defaults, indexes, constraints, sequences and
    their owners, triggers, functions, and recorded migrations).
    """

    def masked(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
        return sorted(
            tuple(
                value.replace(f'"{schema_name}".', "<schema>.").replace(f"{schema_name}.", "<schema>.")
                if isinstance(value, str)
                else value
                for value in row
            )
            for row in rows
        )

    queries = {
        "tables": "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = %(s)s",
        "columns": (
            "SELECT table_name, column_name, data_type, is_nullable, column_default, "
            "character_maximum_length, numeric_precision, is_identity, identity_generation "
            "FROM information_schema.columns WHERE table_schema = %(s)s"
        ),
        # Column order, not attnum: a dropped column leaves a hole in a migrated table's numbering
        # that a clone (built fresh) does not have, and nothing depends on the hole.
        "column_order": (
            "SELECT table_name, string_agg(column_name, ',' ORDER BY ordinal_position) "
            "FROM information_schema.columns WHERE table_schema = %(s)s GROUP BY table_name"
        ),
        "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = %(s)s",
        "constraints": (
            "SELECT t.relname, c.conname, c.contype, pg_get_constraintdef(c.oid), c.condeferrable, c.condeferred "
            "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
            "WHERE c.connamespace = %(s)s::regnamespace"
        ),
        "sequences": (
            "SELECT sequencename, data_type, start_value, increment_by, max_value, cycle, last_value "
            "FROM pg_sequences WHERE schemaname = %(s)s"
        ),
        "sequence_owners": (
            "SELECT s.relname, t.relname, a.attname, d.deptype FROM pg_class s "
            "JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') "
            "JOIN pg_class t ON t.oid = d.refobjid "
            "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid "
            "WHERE s.relkind = 'S' AND s.relnamespace = %(s)s::regnamespace"
        ),
        "triggers": (
            "SELECT event_object_table, trigger_name, event_manipulation, action_timing, action_statement "
            "FROM information_schema.triggers WHERE trigger_schema = %(s)s"
        ),
        "functions": (
            "SELECT p.proname, pg_get_function_identity_arguments(p.oid), md5(p.prosrc) "
            "FROM pg_proc p WHERE p.pronamespace = %(s)s::regnamespace"
        ),
        "migrations": "SELECT app, name FROM {schema}.django_migrations",
    }
    description: dict[str, list[tuple[object, ...]]] = {}
    with connection.cursor() as cursor:
        for key, sql in queries.items():
            cursor.execute(sql.replace("{schema}", quoted(schema_name)), {"s": schema_name})
            description[key] = masked(cursor.fetchall())
    return description
