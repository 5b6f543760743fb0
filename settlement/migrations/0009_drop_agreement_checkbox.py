"""The "convention acceptée" box of the bank details is gone: acceptances (0008) are the only record."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("settlement", "0008_agreements"),
    ]

    operations = [
        migrations.RemoveField(model_name="merchantpayoutaccount", name="agreement_accepted_at"),
        migrations.RemoveField(model_name="merchantpayoutaccount", name="agreement_accepted_by"),
    ]
