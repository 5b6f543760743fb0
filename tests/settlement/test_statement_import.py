"""Bank statements of the treasury account (docs/money.md §7; §12, scenarios 30–31): executions, returns, suspense."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts.models import Role
from settlement.ledger.invariants import check_invariants
from settlement.ledger.models import JournalEntry, Posting
from settlement.ledger.queries import balance, merchant_balances
from settlement.payouts.bank_details import save_payout_account
from settlement.payouts.bank_statements import BankStatementError
from settlement.payouts.models import (
    MerchantPayoutAccount,
    PayoutBatch,
    PayoutBatchState,
    PayoutLine,
    PayoutLineStatus,
    StatementImport,
    StatementLine,
)
from settlement.payouts.returns import import_bank_statement
from settlement.payouts.runs import approve_batch, export_batch, run_payout
from tests.catalog.test_backoffice import sign_in
from tests.settlement.conftest import camt053_xml, ntry, payouts_url
from tests.settlement.payout_factories import french_iban, make_available, payable_merchant, set_treasury, town_user


@pytest.fixture(autouse=True)
def in_town_a(town_a):
    with town_a:
        yield town_a


@pytest.fixture
def exported():
    set_treasury()
    shops = [payable_merchant("Boulangerie"), payable_merchant("Fromagerie"), payable_merchant("Caviste")]
    for shop, amount in zip(shops, (1999, 7200, 104_250), strict=True):
        make_available(shop, amount)
    batch = run_payout(cut_off=timezone.now(), actor=town_user()).batch
    approve_batch(batch=batch, actor=town_user(Role.TOWN_ADMIN))
    return export_batch(batch=batch, actor=town_user())


def camt053(statement_id: str, entries: list[tuple[str, str | None, str, str, str | None]]) -> bytes:
    """A camt.053.001.08 statement: entries of (ref, EndToEndId, amount, CRDT/DBIT, return reason)."""
    parts = []
    for ref, end_to_end_id, amount, direction, reason in entries:
        refs = f"<Refs><EndToEndId>{end_to_end_id}</EndToEndId></Refs>" if end_to_end_id else ""
        return_info = f"<RtrInf><Rsn><Cd>{reason}</Cd></Rsn></RtrInf>" if reason else ""
        family = "RRTN" if reason else "ESCT"
        parts.append(
            f"<Ntry><NtryRef>{ref}</NtryRef><Amt Ccy='EUR'>{amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd>"
            f"<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-11-20</Dt></BookgDt>"
            f"<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>{family}</SubFmlyCd></Fmly></Domn></BkTxCd>"
            f"<NtryDtls><TxDtls>{refs}<Amt Ccy='EUR'>{amount}</Amt>{return_info}</TxDtls></NtryDtls></Ntry>"
        )
    return (
        "<?xml version='1.0' encoding='UTF-8'?>"
        "<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.08'><BkToCstmrStmt>"
        "<GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-11-20T06:00:00+01:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{statement_id}</Id>{''.join(parts)}</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def ledger_state() -> tuple[int, int, list[tuple[str, int]]]:
    return (
        JournalEntry.objects.count(),
        Posting.objects.count(),
        sorted(StatementLine.objects.values_list("entry_ref", "amount_cents")),
    )


def test_a_camt053_executes_lines_and_a_return_recredits_the_merchant_and_blocks_them(exported):
    first, second, third = exported.lines.order_by("pk")
    statement = camt053(
        "STMT-1",
        [
            ("E1", first.end_to_end_id, "19.99", "DBIT", None),
            ("E2", second.end_to_end_id, "72.00", "DBIT", None),
            ("E3", third.end_to_end_id, "1042.50", "DBIT", None),
            ("E4", second.end_to_end_id, "72.00", "CRDT", "AC04"),
        ],
    )

    result = import_bank_statement(data=statement, file_name="releve.xml", actor=town_user())

    assert (result.executed, result.returned, result.unmatched) == (3, 1, 0)
    exported.refresh_from_db()
    assert exported.state == PayoutBatchState.PARTIALLY_RETURNED
    second.refresh_from_db()
    assert (second.status, second.return_reason_code, second.return_reason) == ("returned", "AC04", "Compte clôturé")
    assert merchant_balances(second.merchant_id) == (0, 7200)
    assert balance("payout_in_transit") == 0
    assert balance("bank") == -(1999 + 104_250)
    account = MerchantPayoutAccount.objects.get(merchant_id=second.merchant_id)
    assert account.is_blocked is True
    assert account.blocked_reason.startswith(
        f"Virement {second.end_to_end_id} du 20/11/2026 retourné : Compte clôturé."
    )
    assert check_invariants() == []


def test_a_returned_merchant_is_listed_as_blocked_until_the_iban_is_changed(exported):
    line = exported.lines.order_by("pk")[1]
    import_bank_statement(
        data=camt053("STMT-R", [("R1", line.end_to_end_id, "72.00", "CRDT", "AC01")]), file_name="r.xml", actor=None
    )
    exported.refresh_from_db()
    assert exported.state == PayoutBatchState.PARTIALLY_RETURNED
    assert balance("payout_in_transit") == -(1999 + 104_250)  # the others still wait for their debit
    # Changing the IBAN lifts the block
    merchant = line.merchant
    account = merchant.payout_account
    save_payout_account(
        merchant=merchant,
        actor=town_user(),
        holder_name=account.holder_name,
        iban=french_iban(987_654),
        street=account.street,
        postcode=account.postcode,
        town=account.town,
    )
    account.refresh_from_db()
    assert (account.is_blocked, account.blocked_reason) == (False, "")


def test_unknown_lines_go_to_suspense_and_move_nothing(exported):
    before = (JournalEntry.objects.count(), Posting.objects.count())
    statement = camt053(
        "STMT-2",
        [
            ("U1", "PL999999", "10.00", "DBIT", None),
            ("U2", None, "250.00", "CRDT", None),
            ("U3", "FACTURE-12", "5.00", "DBIT", None),
        ],
    )

    result = import_bank_statement(data=statement, file_name="inconnu.xml", actor=None)

    assert (result.executed, result.returned, result.unmatched) == (0, 0, 3)
    assert (JournalEntry.objects.count(), Posting.objects.count()) == before
    assert list(StatementLine.objects.order_by("entry_ref").values_list("entry_ref", "status", "note")) == [
        ("U1", "unmatched", "Référence inconnue"),
        ("U2", "unmatched", "Aucune référence de virement"),
        ("U3", "unmatched", "Référence inconnue"),
    ]
    assert set(exported.lines.values_list("status", flat=True)) == {"pending"}


def test_a_line_with_our_reference_but_another_amount_goes_to_suspense(exported):
    line = exported.lines.order_by("pk").first()
    import_bank_statement(
        data=camt053("STMT-3", [("A1", line.end_to_end_id, "19.98", "DBIT", None)]), file_name="a.xml", actor=None
    )
    line.refresh_from_db()
    assert line.status == "pending"
    assert (
        StatementLine.objects.get().note
        == f"Montant 1998 centimes, le virement {line.end_to_end_id} est de 1999 centimes"
    )


def test_the_same_statement_imported_twice_changes_nothing_the_second_time(exported):
    first = exported.lines.order_by("pk").first()
    statement = camt053(
        "STMT-4", [("D1", first.end_to_end_id, "19.99", "DBIT", None), ("D2", None, "3.00", "CRDT", None)]
    )
    import_bank_statement(data=statement, file_name="releve.xml", actor=None)
    state = ledger_state()

    again = import_bank_statement(data=statement, file_name="releve-copie.xml", actor=None)

    assert again.created is False
    assert ledger_state() == state
    assert StatementImport.objects.count() == 1


def test_the_same_movements_in_another_file_are_recognised_and_not_applied_twice(exported):
    first = exported.lines.order_by("pk").first()
    import_bank_statement(
        data=camt053("STMT-5", [("D1", first.end_to_end_id, "19.99", "DBIT", None)]), file_name="a.xml", actor=None
    )
    state_entries = JournalEntry.objects.count()
    # An intraday notification already had the same booking under another statement id
    result = import_bank_statement(
        data=camt053("NOTIF-5", [("N1", first.end_to_end_id, "19.99", "DBIT", None)]), file_name="b.xml", actor=None
    )
    assert (result.executed, result.already_applied) == (0, 1)
    assert JournalEntry.objects.count() == state_entries


def test_a_csv_statement_is_imported_like_a_camt(exported):
    first, second, third = exported.lines.order_by("pk")
    csv = (
        "date;end_to_end_id;amount;status;reason\n"
        f"18/11/2026;{first.end_to_end_id};19,99;executed;\n"
        f"18/11/2026;{second.end_to_end_id};72,00;executed;\n"
        f"18/11/2026;{third.end_to_end_id};1 042,50;executed;\n"
    ).encode()
    result = import_bank_statement(data=csv, file_name="releve.csv", actor=None)
    exported.refresh_from_db()
    assert (result.executed, exported.state) == (3, PayoutBatchState.SETTLED)
    assert balance("payout_in_transit") == 0
    assert check_invariants() == []


def test_an_unreadable_statement_is_refused_whole(exported):
    with pytest.raises(BankStatementError):
        import_bank_statement(data=b"<Document><Autre/></Document>", file_name="x.xml", actor=None)
    assert StatementImport.objects.count() == 0


def test_the_import_command_applies_a_file_once(exported, tmp_path, capsys):
    first = exported.lines.order_by("pk").first()
    path = tmp_path / "releve.xml"
    path.write_bytes(camt053("STMT-6", [("D1", first.end_to_end_id, "19.99", "DBIT", None)]))
    connection.set_schema_to_public()

    call_command("import_bank_statement", "ville-a", str(path))
    call_command("import_bank_statement", "ville-a", str(path))

    assert capsys.readouterr().out == (
        "ville-a: 1 executed, 0 returned, 0 already applied, 0 unmatched (suspense), 0 duplicates\n"
        "ville-a: releve.xml was already imported; nothing changed\n"
    )


def test_transfers_not_seen_on_a_statement_a_week_after_execution_raise_an_alert(exported):
    import datetime as dt

    import time_machine

    batch = exported
    assert batch.execution_date is not None
    assert check_invariants() == []
    with time_machine.travel(
        dt.datetime.combine(batch.execution_date, dt.time(12), tzinfo=dt.UTC) + dt.timedelta(days=8)
    ):
        problems = check_invariants()
    assert len(problems) == 1
    assert f"payout batch {batch.pk}: " in problems[0]
    assert "still in transit" in problems[0]


# --- hostile and clumsy statements: refused in French, or kept in suspense ------------------------


def upload(client, data: bytes, name: str = "releve.xml"):
    return client.post(payouts_url("statements"), {"statement": SimpleUploadedFile(name, data)})


def test_a_statement_with_an_absurd_amount_is_refused_with_a_french_message(client_a, town_a, exported_batch):
    """An amount beyond a bigint (a corrupt or forged CSV or camt line) refuses the file naming the amount,
    in French, nothing imported: it never reaches the database (NumericValueOutOfRange, a 500)."""
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)
    client_a.raise_request_exception = False
    data = b"date;end_to_end_id;amount;status;reason\n20/11/2026;PL999;99999999999999999999,00;executed;\n"

    response = upload(client_a, data, "releve.csv")

    assert response.status_code == 200
    assert "montant" in response.content.decode()
    with town_a:
        assert StatementImport.objects.count() == 0
        assert StatementLine.objects.count() == 0


def test_a_statement_with_an_over_long_id_is_refused_whole_in_french(town_a, exported_batch):
    """ISO 20022 caps statement and entry ids at 35 characters: a longer one refuses the file in French,
    nothing imported. Cut to the column on insert but looked up whole, it would miss the duplicate check of a
    repeated entry and hit the unique constraint (a 500)."""
    with town_a:
        line = exported_batch.lines.order_by("pk").first()
        entry = ntry("E1", line.end_to_end_id, "19.99", "DBIT")

        with pytest.raises(BankStatementError, match="trop longue"):
            import_bank_statement(data=camt053_xml("S" * 200, entry + entry), file_name="long.xml", actor=town_user())

        assert not StatementImport.objects.exists()
        line.refresh_from_db()
        assert line.status == PayoutLineStatus.PENDING


def test_an_entry_repeated_in_one_statement_executes_once_and_counts_a_duplicate(town_a, exported_batch):
    with town_a:
        line = exported_batch.lines.order_by("pk").first()
        entry = ntry("E1", line.end_to_end_id, "19.99", "DBIT")

        result = import_bank_statement(
            data=camt053_xml("S" * 35, entry + entry), file_name="twice.xml", actor=town_user()
        )

        assert (result.executed, result.duplicates) == (1, 1)


def test_a_debit_flagged_as_a_reversal_never_recredits_the_merchant(town_a, exported_batch):
    """A *debit* of the treasury carrying our EndToEndId never returns the line, even flagged as a reversal
    (RvslInd, an RRTN sub-family: the bank reversing a return it had credited): re-crediting the merchant
    would pay them twice in the next batch. It belongs in suspense."""
    with town_a:
        line = exported_batch.lines.order_by("pk").first()
        data = camt053_xml("S-RVSL", ntry("E1", line.end_to_end_id, "19.99", "DBIT", reversal=True, sub_family="RRTN"))

        import_bank_statement(data=data, file_name="rvsl.xml", actor=town_user())

        line.refresh_from_db()
        assert line.status != PayoutLineStatus.RETURNED
        assert merchant_balances(line.merchant_id) == (0, 0)


def test_an_unknown_end_to_end_id_zero_or_mismatched_amount_stays_in_suspense_and_posts_nothing(town_a, exported_batch):
    with town_a:
        first, second = exported_batch.lines.order_by("pk")
        entries = (
            ntry("E1", "PL999999999", "19.99", "DBIT")  # not ours
            + ntry("E2", first.end_to_end_id, "0.00", "DBIT")  # zero
            + ntry("E3", second.end_to_end_id, "72.01", "DBIT")  # one cent off
            + ntry("E4", first.end_to_end_id, "19.99", "CRDT")  # a credit that is not a return
            + ntry("E5", "pl" + str(first.pk), "19.99", "DBIT")  # not our spelling
        )
        before = balance("payout_in_transit")

        result = import_bank_statement(data=camt053_xml("S-SUSP", entries), file_name="s.xml", actor=town_user())

        assert (result.executed, result.returned, result.unmatched) == (0, 0, 5)
        assert balance("payout_in_transit") == before
        assert set(PayoutLine.objects.values_list("status", flat=True)) == {PayoutLineStatus.PENDING}
        assert PayoutBatch.objects.get().state == PayoutBatchState.EXPORTED


def test_the_same_movement_twice_in_one_file_and_again_in_another_file_executes_once(town_a, exported_batch):
    with town_a:
        first = exported_batch.lines.order_by("pk").first()
        entry = ntry("E1", first.end_to_end_id, "19.99", "DBIT")
        result = import_bank_statement(data=camt053_xml("S-DUP", entry + entry), file_name="a.xml", actor=None)
        assert (result.executed, result.duplicates) == (1, 1)
        # Same movement in a camt.054 notification re-sent as another file (different bytes).
        again = import_bank_statement(data=camt053_xml("S-DUP", entry) + b"\n", file_name="b.xml", actor=None)
        assert (again.created, again.executed, again.duplicates) == (True, 0, 1)
        assert balance("payout_in_transit") == -7200


def test_a_statement_naming_a_line_of_a_draft_or_cancelled_batch_changes_nothing(town_a, draft_batch):
    batch, _preparer = draft_batch
    with town_a:
        line = batch.lines.get()
        data = camt053_xml("S-DRAFT", ntry("E1", line.end_to_end_id, "19.99", "DBIT"))
        result = import_bank_statement(data=data, file_name="d.xml", actor=None)
        assert result.unmatched == 1
        line.refresh_from_db()
        assert line.status == PayoutLineStatus.PENDING
        assert PayoutBatch.objects.get().state == PayoutBatchState.DRAFT
