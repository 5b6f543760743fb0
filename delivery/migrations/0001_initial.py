"""Delivery zones, delivery days and the local address table, moved from the logistics app.

The three models were created by ``logistics`` 0001 and every town's schema (template and spares
included) holds their rows. Nothing is copied: in the state, the models are created here and
removed from ``logistics`` (its 0002, which depends on this migration); in the database, the tables
are renamed in place, with every name Django derived from the table (identity sequences, primary
keys, the foreign key and its index, the CHECK constraints of the positive integer fields), so a
moved schema is named exactly as if ``delivery`` had created it (pinned by
tests/delivery/test_moved_from_logistics.py). Constraint and index names given in the models
(``deliveryzone_has_perimeter``, ``localaddress_search_gin``…) do not name the app and stay.

The content types follow, keeping their ids (and so the permissions that point to them).
"""

import datetime

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
import django.db.models.deletion
from django.db import migrations, models

import delivery.models

FORWARD = [
    "ALTER TABLE logistics_deliveryzone RENAME TO delivery_deliveryzone",
    "ALTER SEQUENCE logistics_deliveryzone_id_seq RENAME TO delivery_deliveryzone_id_seq",
    "ALTER TABLE delivery_deliveryzone RENAME CONSTRAINT logistics_deliveryzone_pkey TO delivery_deliveryzone_pkey",
    "ALTER TABLE delivery_deliveryzone RENAME CONSTRAINT logistics_deliveryzone_daily_capacity_check"
    " TO delivery_deliveryzone_daily_capacity_check",
    "ALTER TABLE delivery_deliveryzone RENAME CONSTRAINT logistics_deliveryzone_position_check"
    " TO delivery_deliveryzone_position_check",
    "ALTER TABLE logistics_deliveryday RENAME TO delivery_deliveryday",
    "ALTER SEQUENCE logistics_deliveryday_id_seq RENAME TO delivery_deliveryday_id_seq",
    "ALTER TABLE delivery_deliveryday RENAME CONSTRAINT logistics_deliveryday_pkey TO delivery_deliveryday_pkey",
    "ALTER TABLE delivery_deliveryday RENAME CONSTRAINT logistics_deliveryday_capacity_check"
    " TO delivery_deliveryday_capacity_check",
    "ALTER TABLE delivery_deliveryday RENAME CONSTRAINT logistics_deliveryday_booked_check"
    " TO delivery_deliveryday_booked_check",
    "ALTER TABLE delivery_deliveryday RENAME CONSTRAINT logistics_deliveryda_zone_id_8dcdc49f_fk_logistics"
    " TO delivery_deliveryday_zone_id_225a3836_fk_delivery_",
    "ALTER INDEX logistics_deliveryday_zone_id_8dcdc49f RENAME TO delivery_deliveryday_zone_id_225a3836",
    "ALTER TABLE logistics_localaddress RENAME TO delivery_localaddress",
    "ALTER SEQUENCE logistics_localaddress_id_seq RENAME TO delivery_localaddress_id_seq",
    "ALTER TABLE delivery_localaddress RENAME CONSTRAINT logistics_localaddress_pkey TO delivery_localaddress_pkey",
]

BACKWARD = [
    "ALTER TABLE delivery_localaddress RENAME CONSTRAINT delivery_localaddress_pkey TO logistics_localaddress_pkey",
    "ALTER SEQUENCE delivery_localaddress_id_seq RENAME TO logistics_localaddress_id_seq",
    "ALTER TABLE delivery_localaddress RENAME TO logistics_localaddress",
    "ALTER INDEX delivery_deliveryday_zone_id_225a3836 RENAME TO logistics_deliveryday_zone_id_8dcdc49f",
    "ALTER TABLE delivery_deliveryday RENAME CONSTRAINT delivery_deliveryday_zone_id_225a3836_fk_delivery_"
    " TO logistics_deliveryda_zone_id_8dcdc49f_fk_logistics",
    "ALTER TABLE delivery_deliveryday RENAME CONSTRAINT delivery_deliveryday_booked_check"
    " TO logistics_deliveryday_booked_check",
    "ALTER TABLE delivery_deliveryday RENAME CONSTRAINT delivery_deliveryday_capacity_check"
    " TO logistics_deliveryday_capacity_check",
    "ALTER TABLE delivery_deliveryday RENAME CONSTRAINT delivery_deliveryday_pkey TO logistics_deliveryday_pkey",
    "ALTER SEQUENCE delivery_deliveryday_id_seq RENAME TO logistics_deliveryday_id_seq",
    "ALTER TABLE delivery_deliveryday RENAME TO logistics_deliveryday",
    "ALTER TABLE delivery_deliveryzone RENAME CONSTRAINT delivery_deliveryzone_position_check"
    " TO logistics_deliveryzone_position_check",
    "ALTER TABLE delivery_deliveryzone RENAME CONSTRAINT delivery_deliveryzone_daily_capacity_check"
    " TO logistics_deliveryzone_daily_capacity_check",
    "ALTER TABLE delivery_deliveryzone RENAME CONSTRAINT delivery_deliveryzone_pkey TO logistics_deliveryzone_pkey",
    "ALTER SEQUENCE delivery_deliveryzone_id_seq RENAME TO logistics_deliveryzone_id_seq",
    "ALTER TABLE delivery_deliveryzone RENAME TO logistics_deliveryzone",
]

# The content types follow; one already made for the target (by a migrate run that went back and
# forth) wins. In SQL rather than RunPython: no historical models to render (migrating from zero
# stays as fast).
CONTENT_TYPES = (
    "UPDATE django_content_type SET app_label = %s "
    "WHERE app_label = %s AND model IN ('deliveryzone', 'deliveryday', 'localaddress') "
    "AND model NOT IN (SELECT model FROM django_content_type WHERE app_label = %s)"
)
CONTENT_TYPES_FORWARD = [(CONTENT_TYPES, ["delivery", "logistics", "delivery"])]
CONTENT_TYPES_BACKWARD = [(CONTENT_TYPES, ["logistics", "delivery", "logistics"])]


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("logistics", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='DeliveryZone',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=120, verbose_name='nom')),
                        ('vehicle', models.CharField(choices=[('cargo_bike', 'Vélo cargo'), ('car', 'Voiture')], default='car', max_length=12, verbose_name='véhicule')),
                        ('geometry', models.JSONField(blank=True, help_text='Polygon ou MultiPolygon en longitude, latitude (WGS 84).', null=True, verbose_name='périmètre (GeoJSON)')),
                        ('insee_codes', django.contrib.postgres.fields.ArrayField(base_field=models.CharField(max_length=5), blank=True, default=list, size=None, verbose_name='codes INSEE des communes')),
                        ('fee_cents', models.BigIntegerField(default=0, verbose_name='frais de livraison (centimes)')),
                        ('minimum_basket_cents', models.BigIntegerField(default=0, verbose_name='panier minimum (centimes)')),
                        ('cutoff_time', models.TimeField(default=datetime.time(12, 0), verbose_name='heure limite de commande')),
                        ('daily_capacity', models.PositiveIntegerField(default=80, verbose_name='livraisons par jour')),
                        ('is_active', models.BooleanField(default=True, verbose_name='active')),
                        ('position', models.PositiveSmallIntegerField(default=0, verbose_name='ordre')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        'verbose_name': 'zone de livraison',
                        'verbose_name_plural': 'zones de livraison',
                        'ordering': ('position', 'pk'),
                        'constraints': [models.CheckConstraint(condition=models.Q(('geometry__isnull', False), ('insee_codes__len__gt', 0), _connector='OR'), name='deliveryzone_has_perimeter'), models.CheckConstraint(condition=models.Q(('fee_cents__gte', 0)), name='deliveryzone_fee_not_negative'), models.CheckConstraint(condition=models.Q(('minimum_basket_cents__gte', 0)), name='deliveryzone_minimum_not_negative'), models.CheckConstraint(condition=models.Q(('daily_capacity__gt', 0)), name='deliveryzone_capacity_positive')],
                    },
                ),
                migrations.CreateModel(
                    name='LocalAddress',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('label', models.CharField(max_length=250, verbose_name='adresse complète')),
                        ('housenumber', models.CharField(blank=True, max_length=20, verbose_name='numéro')),
                        ('street', models.CharField(max_length=200, verbose_name='voie')),
                        ('postcode', models.CharField(max_length=5, verbose_name='code postal')),
                        ('city', models.CharField(max_length=100, verbose_name='commune')),
                        ('insee_code', models.CharField(max_length=5, verbose_name='code INSEE')),
                        ('latitude', models.FloatField(verbose_name='latitude')),
                        ('longitude', models.FloatField(verbose_name='longitude')),
                    ],
                    options={
                        'verbose_name': 'adresse locale',
                        'verbose_name_plural': 'adresses locales',
                        'indexes': [django.contrib.postgres.indexes.GinIndex(delivery.models.AddressSearchText('label'), name='localaddress_search_gin')],
                        'constraints': [models.UniqueConstraint(fields=('label',), name='localaddress_label_unique')],
                    },
                ),
                migrations.CreateModel(
                    name='DeliveryDay',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('date', models.DateField(verbose_name='date')),
                        ('capacity', models.PositiveIntegerField(verbose_name='capacité')),
                        ('booked', models.PositiveIntegerField(default=0, verbose_name='réservées')),
                        ('zone', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='days', to='delivery.deliveryzone')),
                    ],
                    options={
                        'verbose_name': 'journée de livraison',
                        'verbose_name_plural': 'journées de livraison',
                        'constraints': [models.UniqueConstraint(fields=('zone', 'date'), name='deliveryday_one_per_zone_and_date'), models.CheckConstraint(condition=models.Q(('booked__gte', 0)), name='deliveryday_booked_not_negative'), models.CheckConstraint(condition=models.Q(('booked__lte', models.F('capacity'))), name='deliveryday_within_capacity')],
                    },
                ),
            ],
            database_operations=[migrations.RunSQL(FORWARD, reverse_sql=BACKWARD)],
        ),
        migrations.RunSQL(CONTENT_TYPES_FORWARD, reverse_sql=CONTENT_TYPES_BACKWARD),
    ]
