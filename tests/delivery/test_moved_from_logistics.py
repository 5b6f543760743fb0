"""Zones, delivery days and addresses moved from the logistics app to delivery: a town's rows survive.

Towns provisioned before the move hold the tables ``logistics_*``; ``migrate_schemas`` must hand
them to ``delivery`` in place (delivery 0001 renames them), and a moved schema must be named as if
``delivery`` had created it, so later migrations and the clone-equivalence check see one layout.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.graph import MigrationGraph
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from delivery.geocoding import LocalGeocoder
from delivery.models import DeliveryDay, DeliveryZone, LocalAddress
from tenants.schemas import TEMPLATE_SCHEMA, describe_schema, is_at_head, migrate_schema_from_zero, quoted

MOVE = ("delivery", "0001_initial")
MOVED_MODELS = ["deliveryday", "deliveryzone", "localaddress"]
MOVED_TABLES = tuple(f"delivery_{model}" for model in MOVED_MODELS)  # later migrations add tables of their own


def _before_the_move(graph: MigrationGraph) -> list[tuple[str, str]]:
    """Per app, the last migration a deployment had before the move (nothing that depends on it)."""
    after = set(graph.backwards_plan(MOVE))
    before = {node for node in graph.nodes if node not in after}
    return sorted(
        node
        for node in before
        if not any(child.key in before and child.key[0] == node[0] for child in graph.node_map[node].children)
    )


def _migrate_to_the_state_before_the_move(schema: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {quoted(schema)}")
    connection.set_schema(schema)
    executor = MigrationExecutor(connection)
    executor.migrate(_before_the_move(executor.loader.graph))
    connection.set_schema_to_public()


def _tables(schema: str, prefix: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_name LIKE %s "
            "ORDER BY table_name",
            [schema, prefix + "%"],
        )
        return [row[0] for row in cursor.fetchall()]


def _delivery_objects(schema: str) -> dict[str, list[tuple[object, ...]]]:
    """What describe_schema says about the moved delivery tables: columns, indexes, constraints, sequences.

    Sequences without their last value: the rows in the tables are not the point.
    """
    return {
        aspect: [row[:-1] if aspect == "sequences" else row for row in rows if str(row[0]).startswith(MOVED_TABLES)]
        for aspect, rows in describe_schema(schema).items()
        if aspect not in ("migrations", "functions", "triggers")
    }


@pytest.mark.slow
def test_zones_days_addresses_and_content_types_of_a_town_made_before_the_move_are_kept(db):
    schema = "_before_delivery_app"
    _migrate_to_the_state_before_the_move(schema)
    assert _tables(schema, "logistics_") == [
        "logistics_deliveryday",
        "logistics_deliveryzone",
        "logistics_localaddress",
    ]
    with connection.cursor() as cursor:
        # Rows as the old code wrote them, content types included (post_migrate made them).
        cursor.execute(f"SET search_path TO {quoted(schema)}, public")
        cursor.execute(
            "INSERT INTO logistics_deliveryzone (name, vehicle, geometry, insee_codes, fee_cents, "
            "minimum_basket_cents, cutoff_time, daily_capacity, is_active, position, created_at, updated_at) "
            "VALUES ('Calais centre', 'cargo_bike', NULL, ARRAY['62193'], 350, 1500, '11:30', 40, true, 0, now(), now()) "
            "RETURNING id"
        )
        zone_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO logistics_deliveryday (zone_id, date, capacity, booked) VALUES (%s, '2026-03-10', 40, 39)",
            [zone_id],
        )
        cursor.execute(
            "INSERT INTO logistics_localaddress (label, housenumber, street, postcode, city, insee_code, latitude, "
            "longitude) VALUES ('12 Rue Royale 62100 Calais', '12', 'Rue Royale', '62100', 'Calais', '62193', "
            "50.956614, 1.851296)"
        )
        cursor.execute(
            "INSERT INTO django_content_type (app_label, model) "
            "VALUES ('logistics', 'deliveryday'), ('logistics', 'deliveryzone'), ('logistics', 'localaddress') "
            "RETURNING model, id"
        )
        content_type_ids = sorted(cursor.fetchall())
    connection.set_schema_to_public()

    call_command("migrate_schemas", schema_name=schema, tenant=True, interactive=False, verbosity=0)

    connection.set_schema_to_public()
    assert is_at_head(schema)
    # The moved tables left logistics (which now has the delivery rounds' own tables).
    assert {"logistics_deliveryday", "logistics_deliveryzone", "logistics_localaddress"}.isdisjoint(
        _tables(schema, "logistics_")
    )
    connection.set_schema(schema)
    zone = DeliveryZone.objects.get()
    assert (zone.pk, zone.name, zone.vehicle, zone.insee_codes, zone.fee_cents, zone.minimum_basket_cents) == (
        zone_id,
        "Calais centre",
        "cargo_bike",
        ["62193"],
        350,
        1500,
    )
    assert (zone.cutoff_time, zone.daily_capacity) == (dt.time(11, 30), 40)
    assert list(DeliveryDay.objects.values_list("zone_id", "date", "capacity", "booked")) == [
        (zone_id, dt.date(2026, 3, 10), 40, 39)
    ]
    assert [address.label for address in LocalGeocoder().search("12 rue royale")] == ["12 Rue Royale 62100 Calais"]
    assert LocalAddress.objects.count() == 1
    # The identity sequences came along: the next zone follows the old ones.
    assert DeliveryZone.objects.create(name="Coquelles", insee_codes=["62239"]).pk == zone_id + 1
    assert (
        sorted(ContentType.objects.filter(app_label="delivery", model__in=MOVED_MODELS).values_list("model", "id"))
        == content_type_ids
    )
    assert not ContentType.objects.filter(app_label="logistics", model__in=MOVED_MODELS).exists()


def test_moved_tables_are_named_as_if_the_delivery_app_had_created_them(db):
    fresh = "_fresh_delivery_app"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {quoted(fresh)}")
    connection.set_schema(fresh)
    MigrationRecorder(connection).ensure_schema()  # describe_schema reads it
    # The models as delivery 0001 declares them (its CreateModel operations, fields in their order).
    declared = MigrationLoader(connection).project_state(MOVE).apps
    with connection.schema_editor() as editor:
        for name in ("DeliveryZone", "DeliveryDay", "LocalAddress"):
            editor.create_model(declared.get_model("delivery", name))
    connection.set_schema_to_public()

    moved = _delivery_objects(TEMPLATE_SCHEMA)

    assert [name for name, _kind in moved["tables"]] == [
        "delivery_deliveryday",
        "delivery_deliveryzone",
        "delivery_localaddress",
    ]
    assert moved == _delivery_objects(fresh)


@pytest.mark.slow
def test_the_move_can_be_undone_and_done_again_keeping_the_rows(db):
    schema = "_delivery_back_and_forth"
    migrate_schema_from_zero(schema)
    connection.set_schema(schema)
    zone = DeliveryZone.objects.create(name="Calais centre", insee_codes=["62193"], daily_capacity=12)
    connection.set_schema_to_public()

    call_command("migrate_schemas", "delivery", "zero", schema_name=schema, tenant=True, interactive=False, verbosity=0)
    connection.set_schema_to_public()
    assert _tables(schema, "delivery_") == []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, name, daily_capacity FROM {quoted(schema)}.logistics_deliveryzone")
        assert cursor.fetchall() == [(zone.pk, "Calais centre", 12)]

    call_command("migrate_schemas", schema_name=schema, tenant=True, interactive=False, verbosity=0)
    connection.set_schema_to_public()

    assert is_at_head(schema)
    assert _delivery_objects(schema) == _delivery_objects(TEMPLATE_SCHEMA)
    connection.set_schema(schema)
    assert list(DeliveryZone.objects.values_list("pk", "name", "daily_capacity")) == [(zone.pk, "Calais centre", 12)]
