"""The template, clones, migrate-from-zero and the skip-at-head executor."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection

from tenants.actions import clone_template, provision_town
from tenants.schemas import TEMPLATE_SCHEMA, describe_schema, is_at_head, migrate_schema_from_zero


@pytest.mark.slow
def test_a_cloned_schema_equals_a_migrated_one(db):
    migrate_schema_from_zero("_equivalence_migrated")
    clone_template("_equivalence_cloned")

    migrated = describe_schema("_equivalence_migrated")
    cloned = describe_schema("_equivalence_cloned")

    assert migrated["tables"], "the migrated schema should hold tables"
    for aspect in migrated:
        assert cloned[aspect] == migrated[aspect], f"clone differs from migrated schema in {aspect}"


def test_template_is_at_head(db):
    assert is_at_head(TEMPLATE_SCHEMA)


@pytest.mark.slow
def test_migrate_from_zero_path_provisions_a_working_town(db, django_assert_max_num_queries):
    result = provision_town(slug="lumbres", name="Lumbres", method="migrate")

    assert result.method == "migrate"
    assert is_at_head("v_lumbres")
    assert describe_schema("v_lumbres")["tables"] == describe_schema(TEMPLATE_SCHEMA)["tables"]


def _migrate_all() -> str:
    output = io.StringIO()
    call_command("migrate_schemas", interactive=False, verbosity=1, stdout=output)
    connection.set_schema_to_public()
    return output.getvalue()


def test_migrate_schemas_skips_towns_already_at_head(db, capsys):
    _migrate_all()
    out = capsys.readouterr().out

    assert "[skip-at-head] 3 schema(s) already at head, 0 to migrate" in out  # template, ville-a, ville-b


def test_migrate_schemas_migrates_only_the_town_behind(db, town_a, capsys):
    from django.db.migrations.loader import MigrationLoader

    # the tenants app is shared-only, so its latest migration is a no-op in town schemas:
    # forgetting its record puts ville-a behind head without breaking the history's order
    _app, latest = next(node for node in MigrationLoader(None).graph.leaf_nodes() if node[0] == "tenants")
    with connection.cursor() as cursor:
        cursor.execute(
            f'DELETE FROM "{town_a.schema_name}".django_migrations WHERE app = %s AND name = %s',
            ["tenants", latest],
        )
    assert not is_at_head(town_a.schema_name)

    _migrate_all()
    out = capsys.readouterr().out

    assert "[skip-at-head] 2 schema(s) already at head, 1 to migrate" in out
    assert is_at_head(town_a.schema_name)


@pytest.mark.parametrize("schema", ["v_ville_a", "v_ville_b"])
def test_provisioned_towns_are_at_head(db, schema):
    assert is_at_head(schema)
