"""Zones, delivery days and local addresses now belong to the ``delivery`` app.

State only: ``delivery`` 0001 declares the three models and renames their tables; here they leave
this app's state. Nothing happens in the database.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("delivery", "0001_initial"),
        ("logistics", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="DeliveryDay"),
                migrations.DeleteModel(name="DeliveryZone"),
                migrations.DeleteModel(name="LocalAddress"),
            ],
        ),
    ]
