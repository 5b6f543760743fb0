"""A batch's life (docs/money.md §6–7): four-eyes approval, SEPA export, immutability, execution, cancel."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import Role
from settlement.ledger.actions import post_entry
from settlement.ledger.invariants import check_invariants
from settlement.ledger.models import JournalEntry
from settlement.ledger.queries import balance, merchant_balances
from settlement.payouts.guards import PayoutError
from settlement.payouts.models import MerchantPayoutAccount, PayoutBatch, PayoutBatchState, PayoutLine
from settlement.payouts.returns import PAYOUT_RETURNED, mark_batch_executed
from settlement.payouts.runs import approve_batch, cancel_batch, export_batch, run_payout
from tests.settlement.conftest import payouts_url
from tests.settlement.payout_factories import (
    TREASURY_IBAN,
    french_iban,
    make_available,
    payable_merchant,
    set_treasury,
    town_user,
)

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}


@pytest.fixture(autouse=True)
def in_town_a(town_a):
    with town_a:
        yield town_a


@pytest.fixture
def preparer():
    return town_user(Role.TOWN_AGENT, "preparateur@ville.test")


@pytest.fixture
def approver():
    return town_user(Role.TOWN_ADMIN, "regisseur@ville.test")


@pytest.fixture
def draft(preparer):
    set_treasury()
    shops = [payable_merchant("Crêpes & Cie"), payable_merchant("Fromagerie")]
    make_available(shops[0], 4750)
    make_available(shops[1], 12_345)
    return run_payout(cut_off=timezone.now(), actor=preparer).batch


def test_the_preparer_cannot_approve_their_own_batch(draft, preparer):
    with pytest.raises(PayoutError, match="autre personne"):
        approve_batch(batch=draft, actor=preparer)
    draft.refresh_from_db()
    assert (draft.state, draft.approved_by) == (PayoutBatchState.DRAFT, None)


def test_the_database_refuses_an_approver_who_prepared_the_batch(draft, preparer):
    with pytest.raises(IntegrityError), transaction.atomic():
        PayoutBatch.objects.filter(pk=draft.pk).update(approved_by=preparer)


def test_a_second_town_user_approves_then_exports_a_valid_sepa_file(draft, approver):
    approve_batch(batch=draft, actor=approver)
    batch = export_batch(batch=draft, actor=approver)

    batch.refresh_from_db()
    assert batch.state == PayoutBatchState.EXPORTED
    xml = bytes(batch.file_xml)
    assert batch.file_sha256 == hashlib.sha256(xml).hexdigest()
    assert batch.message_id == f"PB{batch.pk}-{batch.period_key}"
    assert batch.sepa_version == "pain.001.001.09"
    root = ET.fromstring(xml)  # noqa: S314 - our own file
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=NS) == "2"
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=NS) == "170.95"
    assert root.findtext(".//p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == TREASURY_IBAN
    transactions = root.findall(".//p:CdtTrfTxInf", NS)
    lines = list(batch.lines.order_by("pk"))
    assert [t.findtext("p:PmtId/p:EndToEndId", namespaces=NS) for t in transactions] == [
        f"PL{line.pk}" for line in lines
    ]
    assert [t.findtext("p:Amt/p:InstdAmt", namespaces=NS) for t in transactions] == ["47.50", "123.45"]
    assert transactions[0].findtext("p:Cdtr/p:Nm", namespaces=NS) == "Crepes et Cie"
    assert transactions[0].findtext("p:RmtInf/p:Ustrd", namespaces=NS) == (
        f"Ville A marketplace reversement {batch.reference}"
    )
    assert transactions[0].findtext("p:Cdtr/p:PstlAdr/p:TwnNm", namespaces=NS) == "Calais"


def test_the_legacy_sepa_format_is_a_per_town_option(draft, approver):
    set_treasury(sepa_version="pain.001.001.03")
    approve_batch(batch=draft, actor=approver)
    batch = export_batch(batch=draft, actor=approver)
    assert batch.sepa_version == "pain.001.001.03"
    assert b"urn:iso:std:iso:20022:tech:xsd:pain.001.001.03" in bytes(batch.file_xml)


def test_a_batch_must_be_approved_before_export_and_is_never_exported_twice(draft, approver):
    with pytest.raises(PayoutError, match="approuvé"):
        export_batch(batch=draft, actor=approver)
    approve_batch(batch=draft, actor=approver)
    exported = export_batch(batch=draft, actor=approver)
    digest = exported.file_sha256

    with pytest.raises(PayoutError, match="déjà été exporté"):
        export_batch(batch=draft, actor=town_user())

    exported.refresh_from_db()
    assert exported.file_sha256 == digest


def test_export_without_treasury_account_is_refused_and_changes_nothing(preparer, approver):
    shop = payable_merchant()
    make_available(shop, 1000)
    batch = run_payout(cut_off=timezone.now(), actor=preparer).batch
    approve_batch(batch=batch, actor=approver)

    with pytest.raises(PayoutError) as caught:
        export_batch(batch=batch, actor=approver)

    assert "L’IBAN du compte de la régie n’est pas renseigné." in caught.value.messages
    batch.refresh_from_db()
    assert (batch.state, batch.file_sha256) == (PayoutBatchState.APPROVED, "")


def test_a_scheduled_batch_needs_two_different_people_to_approve_and_export(approver):
    set_treasury()
    shop = payable_merchant()
    make_available(shop, 1000)
    batch = run_payout(cut_off=timezone.now(), actor=None).batch
    approve_batch(batch=batch, actor=approver)

    with pytest.raises(PayoutError, match="autre personne"):
        export_batch(batch=batch, actor=approver)
    assert export_batch(batch=batch, actor=town_user()).state == PayoutBatchState.EXPORTED


def sql(statement: str, *params: object) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_an_exported_batch_is_immutable_in_the_database(draft, approver):
    approve_batch(batch=draft, actor=approver)
    export_batch(batch=draft, actor=approver)
    line = draft.lines.first()

    for attempt in (
        lambda: PayoutLine.objects.filter(pk=line.pk).update(amount_cents=1),
        lambda: PayoutLine.objects.filter(pk=line.pk).update(iban=TREASURY_IBAN),
        lambda: PayoutLine.objects.filter(pk=line.pk).delete(),
        lambda: PayoutLine.objects.create(
            batch=draft, merchant=payable_merchant(), amount_cents=100, holder_name="X", iban=TREASURY_IBAN
        ),
        lambda: PayoutBatch.objects.filter(pk=draft.pk).update(file_xml=b"<autre/>"),
        lambda: PayoutBatch.objects.filter(pk=draft.pk).update(total_cents=0),
        lambda: PayoutBatch.objects.filter(pk=draft.pk).update(state="draft"),
        # Raw SQL: the ORM's PROTECT would refuse first, the trigger is what guards the table.
        lambda: sql("DELETE FROM settlement_payoutline WHERE batch_id = %s", draft.pk),
        lambda: sql("DELETE FROM settlement_payoutbatch WHERE id = %s", draft.pk),
    ):
        with pytest.raises(DatabaseError, match="exported"), transaction.atomic():
            attempt()

    line.refresh_from_db()
    assert line.amount_cents == 4750
    # Recording the bank's answer is still possible.
    PayoutLine.objects.filter(pk=line.pk).update(status="executed", executed_at=timezone.now())


def test_marking_executed_moves_transit_to_the_bank_and_settles_the_batch(draft, approver):
    approve_batch(batch=draft, actor=approver)
    export_batch(batch=draft, actor=approver)

    batch = mark_batch_executed(batch=draft, actor=approver)

    assert batch.state == PayoutBatchState.SETTLED
    assert set(batch.lines.values_list("status", flat=True)) == {"executed"}
    assert balance("payout_in_transit") == 0
    assert balance("bank") == -17_095
    assert check_invariants() == []
    # a second click changes nothing
    with pytest.raises(PayoutError):
        mark_batch_executed(batch=batch, actor=approver)
    assert balance("bank") == -17_095


def test_a_draft_cannot_be_marked_executed(draft, approver):
    with pytest.raises(PayoutError, match="exporté"):
        mark_batch_executed(batch=draft, actor=approver)
    assert balance("bank") == 0


def test_cancelling_a_draft_gives_the_money_back_and_frees_the_period(draft, preparer, approver):
    shop = draft.lines.first().merchant
    cancel_batch(batch=draft, actor=approver)

    draft.refresh_from_db()
    assert draft.state == PayoutBatchState.CANCELLED
    assert merchant_balances(shop.pk) == (0, 4750)
    assert balance("payout_in_transit") == 0
    assert JournalEntry.objects.filter(source="reversal", reverses=draft.entry).count() == 1
    # The period can be prepared again, paying the same amounts once
    again = run_payout(cut_off=timezone.now(), actor=preparer)
    assert again.created is True
    assert again.batch.total_cents == 17_095
    assert merchant_balances(shop.pk) == (0, 0)
    assert check_invariants() == []


def test_an_exported_batch_cannot_be_cancelled(draft, approver):
    approve_batch(batch=draft, actor=approver)
    export_batch(batch=draft, actor=approver)
    with pytest.raises(PayoutError, match="exporté"):
        cancel_batch(batch=draft, actor=approver)
    assert balance("payout_in_transit") == -17_095


def test_the_invariant_check_reports_transit_left_on_a_settled_batch(draft, approver):
    approve_batch(batch=draft, actor=approver)
    export_batch(batch=draft, actor=approver)
    mark_batch_executed(batch=draft, actor=approver)
    line = draft.lines.first()
    # A stray posting keyed to a settled line (a bug we want the nightly check to catch)
    post_entry(
        source=PAYOUT_RETURNED,
        external_id=str(line.pk),
        description="x",
        lines=[("payout_in_transit", 5), ("bank", -5)],
    )

    assert check_invariants() == [f"payout batch {draft.pk}: payout_in_transit left at 5 although no line is pending"]


def test_each_town_schema_has_its_own_payout_guards(town_a, town_b):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relnamespace::regnamespace::text, p.pronamespace::regnamespace::text, t.tgname "
            "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE t.tgname LIKE 'payouts_%%' AND c.relnamespace::regnamespace::text IN (%s, %s) ORDER BY 1, 3",
            [town_a.schema_name, town_b.schema_name],
        )
        rows = cursor.fetchall()
    assert rows == [
        ("v_ville_a", "v_ville_a", "payouts_batch_exported_immutable"),
        ("v_ville_a", "v_ville_a", "payouts_line_exported_immutable"),
        ("v_ville_b", "v_ville_b", "payouts_batch_exported_immutable"),
        ("v_ville_b", "v_ville_b", "payouts_line_exported_immutable"),
    ]


def test_the_preparer_cannot_approve_even_through_the_page_nor_in_the_database(client_a, town_a, draft_batch):
    batch, preparer = draft_batch
    with town_a:
        client_a.force_login(preparer)
    client_a.post(payouts_url("approve_batch", batch_id=batch.pk))
    with town_a:
        batch.refresh_from_db()
        assert batch.state == PayoutBatchState.DRAFT
        with pytest.raises(PayoutError):
            approve_batch(batch=batch, actor=preparer)
        # The database refuses it too (constraint settlement_payout_batch_four_eyes).
        with pytest.raises(IntegrityError), transaction.atomic():
            PayoutBatch.objects.filter(pk=batch.pk).update(state="approved", approved_by=preparer)


def test_an_export_refused_to_the_approver_leaves_the_scheduled_batch_approved(town_a):
    with town_a:
        set_treasury()
        make_available(payable_merchant(), 1500)
        batch = run_payout(cut_off=timezone.now(), actor=None).batch
        approver = town_user(Role.TOWN_ADMIN)
        approve_batch(batch=batch, actor=approver)
        with pytest.raises(PayoutError, match="autre personne"):
            export_batch(batch=batch, actor=approver)
        assert PayoutBatch.objects.get().state == PayoutBatchState.APPROVED


def test_an_exported_batch_cannot_be_cancelled_reexported_or_edited(town_a, exported_batch):
    with town_a:
        with pytest.raises(PayoutError):
            cancel_batch(batch=exported_batch, actor=town_user())
        with pytest.raises(PayoutError):
            export_batch(batch=exported_batch, actor=town_user())
        line = exported_batch.lines.order_by("pk").first()
        for change in (
            lambda: PayoutLine.objects.filter(pk=line.pk).update(amount_cents=1),
            lambda: PayoutLine.objects.filter(pk=line.pk).update(iban=french_iban(424242)),
            lambda: PayoutBatch.objects.filter(pk=exported_batch.pk).update(state="draft"),
            lambda: PayoutBatch.objects.filter(pk=exported_batch.pk).update(file_xml=b"<x/>"),
        ):
            with pytest.raises(DatabaseError), transaction.atomic():
                change()


def test_a_holder_name_with_nothing_sepa_can_carry_refuses_the_export_in_french_and_changes_nothing(town_a):
    with town_a:
        set_treasury()
        shop = payable_merchant("Boutique")
        MerchantPayoutAccount.objects.filter(merchant=shop).update(holder_name="🥐🥖 <>")
        make_available(shop, 1000)
        batch = run_payout(cut_off=timezone.now(), actor=town_user()).batch
        approve_batch(batch=batch, actor=town_user(Role.TOWN_ADMIN))

        with pytest.raises(PayoutError, match="nom du bénéficiaire est vide"):
            export_batch(batch=batch, actor=town_user())

        batch.refresh_from_db()
        assert (batch.state, batch.file_sha256, batch.file_xml) == (PayoutBatchState.APPROVED, "", None)
