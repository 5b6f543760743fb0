"""WebhookEvent moved from checkout to payments (payments.0001, checkout.0006): a town's events
recorded before the move are still there after it, under the names a new payments table has, and the
move can be undone. Run in a throw-away schema inside the test's transaction (DDL rolls back)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

BEFORE = [("contenttypes", "0002_remove_content_type_name"), ("checkout", "0005_order_basket_and_unpaid_client_key")]
AFTER = [("payments", "0001_webhookevent_moved_from_checkout"), ("checkout", "0006_webhookevent_moved_to_payments")]
UNDONE = [("payments", None), ("checkout", "0005_order_basket_and_unpaid_client_key")]
MOVED, FRESH = "_webhookevent_moved", "_webhookevent_fresh"


def _use(schema: str) -> None:
    # As migrate_schemas does: the schema's own django_migrations, never public's.
    connection.set_schema(schema, include_public=False)
    MigrationRecorder(connection).ensure_schema()
    connection.set_schema(schema)


def _migrate(schema: str, targets: list[tuple[str, str]]) -> None:
    _use(schema)
    MigrationExecutor(connection).migrate(targets)


def _names(schema: str, table: str) -> dict[str, list[tuple[str, ...]]]:
    """The table's indexes, constraints and sequences, the schema and table names masked."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s AND tablename = %s", [schema, table]
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT c.conname, c.contype, pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "JOIN pg_class t ON t.oid = c.conrelid WHERE c.connamespace = %s::regnamespace AND t.relname = %s",
            [schema, table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT sequencename, data_type FROM pg_sequences WHERE schemaname = %s AND sequencename LIKE %s",
            [schema, f"{table}%"],
        )
        sequences = cursor.fetchall()
    return {
        kind: sorted(tuple(str(value).replace(f"{schema}.", "") for value in row) for row in rows)
        for kind, rows in (("indexes", indexes), ("constraints", constraints), ("sequences", sequences))
    }


@pytest.fixture
def scratch_schemas(db: None) -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{MOVED}"; CREATE SCHEMA "{FRESH}"')
    try:
        yield
    finally:
        connection.set_schema_to_public()


@pytest.mark.slow
def test_events_recorded_before_the_move_are_kept_in_payments_and_the_move_can_be_undone(scratch_schemas):
    _migrate(MOVED, BEFORE)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO checkout_webhookevent (event_id, type, object_id, outcome, received_at) "
            "VALUES ('evt_before_the_move', 'payment_intent.succeeded', 'pi_1', 'order 7 paid', now())"
        )
        cursor.execute("INSERT INTO django_content_type (app_label, model) VALUES ('checkout', 'webhookevent')")

    _migrate(MOVED, AFTER)

    with connection.cursor() as cursor:
        cursor.execute("SELECT event_id, type, object_id, outcome FROM payments_webhookevent")
        assert cursor.fetchall() == [("evt_before_the_move", "payment_intent.succeeded", "pi_1", "order 7 paid")]
        cursor.execute("SELECT to_regclass('checkout_webhookevent')")
        assert cursor.fetchone() == (None,)
        cursor.execute("SELECT app_label FROM django_content_type WHERE model = 'webhookevent'")
        assert cursor.fetchall() == [("payments",)]
        # The next event gets the next id, from the renamed sequence.
        cursor.execute(
            "INSERT INTO payments_webhookevent (event_id, type, object_id, outcome, received_at) "
            "VALUES ('evt_after_the_move', 'payout.paid', 'po_1', '', now()) RETURNING id"
        )
        assert cursor.fetchone() == (2,)

    _use(FRESH)
    with connection.schema_editor() as editor:
        editor.create_model(apps.get_model("payments", "WebhookEvent"))
    assert _names(MOVED, "payments_webhookevent") == _names(FRESH, "payments_webhookevent")

    _migrate(MOVED, UNDONE)

    with connection.cursor() as cursor:
        cursor.execute("SELECT event_id FROM checkout_webhookevent ORDER BY id")
        assert cursor.fetchall() == [("evt_before_the_move",), ("evt_after_the_move",)]
        cursor.execute("SELECT app_label FROM django_content_type WHERE model = 'webhookevent'")
        assert cursor.fetchall() == [("checkout",)]
