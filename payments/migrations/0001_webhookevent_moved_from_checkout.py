"""WebhookEvent moves from checkout to payments with its rows: the table is renamed, not recreated.

Django's state gets the model here (and loses it in checkout.0006); the database keeps the table,
renamed with its constraints, index and sequence to the names a new payments table would have, and
the content type (with the permissions pointing at it) follows the model. Only in town schemas:
payments is a town app, so the router skips this migration in the public schema.
"""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

OLD_TABLE = "checkout_webhookevent"
NEW_TABLE = "payments_webhookevent"


def _move(schema_editor: BaseDatabaseSchemaEditor, old: str, new: str, old_app: str, new_app: str) -> None:
    quote = schema_editor.quote_name
    old_like = schema_editor._create_index_name(old, ["event_id"], suffix="_like")
    new_like = schema_editor._create_index_name(new, ["event_id"], suffix="_like")
    for statement in (
        f"ALTER TABLE {quote(old)} RENAME TO {quote(new)}",
        f"ALTER TABLE {quote(new)} RENAME CONSTRAINT {quote(old + '_pkey')} TO {quote(new + '_pkey')}",
        f"ALTER TABLE {quote(new)} RENAME CONSTRAINT {quote(old + '_event_id_key')} TO {quote(new + '_event_id_key')}",
        f"ALTER INDEX {quote(old_like)} RENAME TO {quote(new_like)}",
        f"ALTER SEQUENCE {quote(old + '_id_seq')} RENAME TO {quote(new + '_id_seq')}",
    ):
        schema_editor.execute(statement)
    # The permissions keep their content type; a town migrated before never had a second one.
    schema_editor.execute(
        "UPDATE django_content_type SET app_label = %s WHERE app_label = %s AND model = 'webhookevent' "
        "AND NOT EXISTS (SELECT 1 FROM django_content_type WHERE app_label = %s AND model = 'webhookevent')",
        [new_app, old_app, new_app],
    )


def move_table_to_payments(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _move(schema_editor, OLD_TABLE, NEW_TABLE, "checkout", "payments")


def move_table_back_to_checkout(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _move(schema_editor, NEW_TABLE, OLD_TABLE, "payments", "checkout")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("checkout", "0005_order_basket_and_unpaid_client_key"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="WebhookEvent",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("event_id", models.CharField(max_length=255, unique=True)),
                        ("type", models.CharField(max_length=100)),
                        ("object_id", models.CharField(blank=True, max_length=255)),
                        ("outcome", models.CharField(blank=True, max_length=300)),
                        ("received_at", models.DateTimeField(auto_now_add=True)),
                    ],
                ),
            ],
            database_operations=[
                migrations.RunPython(move_table_to_payments, move_table_back_to_checkout),
            ],
        ),
    ]
