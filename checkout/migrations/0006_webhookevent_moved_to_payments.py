"""WebhookEvent now belongs to payments (its migration 0001 renames the table, rows included):
checkout only forgets the model."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("checkout", "0005_order_basket_and_unpaid_client_key"),
        ("payments", "0001_webhookevent_moved_from_checkout"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="WebhookEvent")],
            database_operations=[],
        ),
    ]
