"""Migration 0008: the former « convention acceptée » box becomes an acceptance of version 1.

Replayed on the current schema inside the test's transaction: the two dropped columns are put back,
version 1 removed (its trigger disabled for the test), then the migration's function runs with the
models as they were at 0008. PostgreSQL rolls all of it back at the end of the test.
"""

from __future__ import annotations

import datetime as dt
import importlib

from django.db import connection
from django.db.migrations.loader import MigrationLoader

from settlement.agreements.default_text import DEFAULT_AGREEMENT_TEXT
from settlement.agreements.models import AgreementAcceptance, AgreementTemplate
from settlement.agreements.queries import agreement_problem
from settlement.payouts.models import MerchantPayoutAccount
from tests.settlement.payout_factories import payable_merchant, town_user

TICKED_AT = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def test_ticked_boxes_become_acceptances_of_version_1_and_keep_those_merchants_payable(town_a):
    migration = importlib.import_module("settlement.migrations.0008_agreements")
    with town_a:
        with connection.cursor() as cursor:
            # Before any row is written: PostgreSQL refuses ALTER TABLE with deferred checks pending.
            cursor.execute(
                "ALTER TABLE settlement_merchantpayoutaccount ADD COLUMN agreement_accepted_at timestamptz NULL, "
                "ADD COLUMN agreement_accepted_by_id bigint NULL"
            )
            cursor.execute(
                "ALTER TABLE settlement_agreementtemplate DISABLE TRIGGER settlement_agreementtemplate_immutable"
            )
            cursor.execute("DELETE FROM settlement_agreementtemplate")
        ticked = payable_merchant("Boulangerie", agreement=False)
        unticked = payable_merchant("Fromagerie", agreement=False)
        agent = town_user(email="agent-coche@ville-a.test")
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE settlement_merchantpayoutaccount SET agreement_accepted_at = %s, agreement_accepted_by_id = %s "
                "WHERE merchant_id = %s",
                [TICKED_AT, agent.pk, ticked.pk],
            )
        state = MigrationLoader(connection).project_state(("settlement", "0008_agreements"))

        migration.version_one_and_ticked_boxes(state.apps, None)

        assert list(AgreementTemplate.objects.values_list("number", "text")) == [(1, DEFAULT_AGREEMENT_TEXT)]
        assert list(
            AgreementAcceptance.objects.values_list(
                "merchant_id", "version__number", "method", "signer_name", "accepted_at", "recorded_by_id"
            )
        ) == [(ticked.pk, 1, "checkbox", "agent-coche@ville-a.test", TICKED_AT, agent.pk)]
        assert agreement_problem(MerchantPayoutAccount.objects.get(merchant=ticked)) is None
        assert agreement_problem(MerchantPayoutAccount.objects.get(merchant=unticked)) is not None
