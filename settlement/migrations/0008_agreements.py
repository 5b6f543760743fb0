"""The partnership agreement: versions and acceptances (settlement.agreements), version 1 (the
default text) in every schema, and the accounts whose "convention acceptée" box was ticked carried
over as acceptances of version 1. The old fields go in 0009 (expand, then contract).

Versions and acceptances are evidence: a trigger refuses any UPDATE or DELETE of them.
"""

import django.db.models.deletion
import django.utils.timezone
import settlement.agreements.models
import tenants.private_files
from django.conf import settings
from django.db import migrations, models

from settlement.agreements.default_text import DEFAULT_AGREEMENT_TEXT

GUARD = """
CREATE FUNCTION settlement_guard_agreement() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a published agreement version or an acceptance never changes (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
CREATE TRIGGER settlement_agreementtemplate_immutable
    BEFORE UPDATE OR DELETE ON settlement_agreementtemplate
    FOR EACH ROW EXECUTE FUNCTION settlement_guard_agreement();
CREATE TRIGGER settlement_agreementacceptance_immutable
    BEFORE UPDATE OR DELETE ON settlement_agreementacceptance
    FOR EACH ROW EXECUTE FUNCTION settlement_guard_agreement();
"""

UNGUARD = """
DROP TRIGGER IF EXISTS settlement_agreementacceptance_immutable ON settlement_agreementacceptance;
DROP TRIGGER IF EXISTS settlement_agreementtemplate_immutable ON settlement_agreementtemplate;
DROP FUNCTION IF EXISTS settlement_guard_agreement();
"""


def version_one_and_ticked_boxes(apps, schema_editor):
    AgreementTemplate = apps.get_model("settlement", "AgreementTemplate")
    AgreementAcceptance = apps.get_model("settlement", "AgreementAcceptance")
    MerchantPayoutAccount = apps.get_model("settlement", "MerchantPayoutAccount")
    User = apps.get_model(settings.AUTH_USER_MODEL)
    version = AgreementTemplate.objects.create(number=1, text=DEFAULT_AGREEMENT_TEXT)
    ticked = list(MerchantPayoutAccount.objects.filter(agreement_accepted_at__isnull=False))
    emails = dict(User.objects.filter(pk__in=[a.agreement_accepted_by_id for a in ticked]).values_list("pk", "email"))
    AgreementAcceptance.objects.bulk_create(
        AgreementAcceptance(
            merchant_id=account.merchant_id,
            version=version,
            method="checkbox",
            signer_name=emails.get(account.agreement_accepted_by_id, "")[:140] or "—",
            accepted_at=account.agreement_accepted_at,
            recorded_by_id=account.agreement_accepted_by_id,
        )
        for account in ticked
    )


def ticked_boxes_back(apps, schema_editor):
    AgreementAcceptance = apps.get_model("settlement", "AgreementAcceptance")
    MerchantPayoutAccount = apps.get_model("settlement", "MerchantPayoutAccount")
    for acceptance in AgreementAcceptance.objects.filter(version__number=1).order_by("pk"):
        MerchantPayoutAccount.objects.filter(merchant_id=acceptance.merchant_id).update(
            agreement_accepted_at=acceptance.accepted_at, agreement_accepted_by_id=acceptance.recorded_by_id
        )


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0006_product_parcel_size"),
        ("settlement", "0007_payout_account_iban_typed_by"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AgreementTemplate",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.PositiveIntegerField(unique=True, verbose_name="version")),
                ("text", models.TextField(verbose_name="texte")),
                ("published_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="publiée le")),
                (
                    "published_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "version de la convention",
                "ordering": ("-number",),
            },
        ),
        migrations.CreateModel(
            name="AgreementAcceptance",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "method",
                    models.CharField(
                        choices=[
                            ("online", "Acceptée en ligne"),
                            ("paper", "Signée sur papier"),
                            ("checkbox", "Case cochée (ancienne procédure)"),
                        ],
                        max_length=10,
                        verbose_name="mode",
                    ),
                ),
                ("signer_name", models.CharField(max_length=140, verbose_name="signataire")),
                ("accepted_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="acceptée le")),
                ("signed_on", models.DateField(blank=True, null=True, verbose_name="signée le")),
                ("ip_address", models.GenericIPAddressField(blank=True, null=True, verbose_name="adresse IP")),
                ("user_agent", models.CharField(blank=True, max_length=400, verbose_name="navigateur")),
                ("rendered_text", models.TextField(blank=True, verbose_name="texte accepté")),
                ("text_sha256", models.CharField(blank=True, max_length=64, verbose_name="empreinte SHA-256 du texte")),
                (
                    "signed_pdf",
                    models.FileField(
                        blank=True,
                        storage=tenants.private_files.private_storage,
                        upload_to=settlement.agreements.models._signed_pdf_name,
                        verbose_name="convention signée (PDF)",
                    ),
                ),
                (
                    "scan",
                    models.FileField(
                        blank=True,
                        storage=tenants.private_files.private_storage,
                        upload_to=settlement.agreements.models._scan_name,
                        verbose_name="scan de la convention signée",
                    ),
                ),
                ("scan_content_type", models.CharField(blank=True, max_length=40)),
                (
                    "merchant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="catalog.merchant"
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "version",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="acceptances",
                        to="settlement.agreementtemplate",
                    ),
                ),
            ],
            options={
                "verbose_name": "acceptation de la convention",
                "ordering": ("-accepted_at", "-pk"),
            },
        ),
        migrations.AddConstraint(
            model_name="agreementtemplate",
            constraint=models.CheckConstraint(
                condition=models.Q(("number__gte", 1)), name="settlement_agreement_number_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="agreementtemplate",
            constraint=models.CheckConstraint(
                condition=models.Q(("text", ""), _negated=True), name="settlement_agreement_text_not_empty"
            ),
        ),
        migrations.AddConstraint(
            model_name="agreementacceptance",
            constraint=models.UniqueConstraint(
                fields=("merchant", "version"), name="settlement_agreement_accepted_once"
            ),
        ),
        migrations.AddConstraint(
            model_name="agreementacceptance",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("method", "checkbox"),
                    models.Q(models.Q(("rendered_text", ""), _negated=True), ("text_sha256__regex", "^[0-9a-f]{64}$")),
                    _connector="OR",
                ),
                name="settlement_agreement_acceptance_keeps_text",
            ),
        ),
        migrations.AddConstraint(
            model_name="agreementacceptance",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("method", "paper"), _negated=True), models.Q(("scan", ""), _negated=True), _connector="OR"
                ),
                name="settlement_agreement_paper_has_scan",
            ),
        ),
        migrations.RunSQL(GUARD, UNGUARD),
        migrations.RunPython(version_one_and_ticked_boxes, ticked_boxes_back),
    ]
