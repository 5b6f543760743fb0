"""The default delivery slots of every existing town (and of the template schema new towns are cloned
from): 10 h – 12 h, 14 h – 16 h, 16 h – 18 h, 30 deliveries each. Values frozen here on purpose."""

import datetime as dt

from django.db import migrations

DEFAULT_SLOTS = (
    (dt.time(10, 0), dt.time(12, 0), 30),
    (dt.time(14, 0), dt.time(16, 0), 30),
    (dt.time(16, 0), dt.time(18, 0), 30),
)


def create_default_slots(apps, schema_editor):
    DeliverySlot = apps.get_model("delivery", "DeliverySlot")
    if DeliverySlot.objects.exists():
        return
    DeliverySlot.objects.bulk_create(
        DeliverySlot(start_time=start, end_time=end, capacity=capacity, position=position, is_active=True)
        for position, (start, end, capacity) in enumerate(DEFAULT_SLOTS)
    )


class Migration(migrations.Migration):
    dependencies = [("delivery", "0002_delivery_slots")]

    operations = [migrations.RunPython(create_default_slots, migrations.RunPython.noop)]
