"""The database itself refuses an unbalanced entry (at commit) and any edit of the journal."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from settlement.ledger.actions import post_entry
from settlement.ledger.models import Account, JournalEntry, Posting

SALE = [("psp_clearing", 1000), ("delivery_fees", -1000)]


def _write_in_savepoint(*statements: tuple[str, list[object]], check_now: bool = True) -> None:
    """Runs the statements in a savepoint; ``check_now`` runs the deferred checks as COMMIT would."""
    with transaction.atomic(), connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
        if check_now:
            # What COMMIT does; the test's own transaction never commits.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _raw_entry(external_id: str, *lines: tuple[int, int]) -> list[tuple[str, list[object]]]:
    """An entry and its postings as raw INSERTs; the postings find the entry through currval()."""
    statements: list[tuple[str, list[object]]] = [
        (
            "INSERT INTO settlement_journalentry (source, external_id, description, created_at) "
            "VALUES ('raw', %s, 'raw', now())",
            [external_id],
        )
    ]
    for account_id, amount in lines:
        statements.append(
            (
                "INSERT INTO settlement_posting (entry_id, account_id, amount_cents) "
                "VALUES (currval(pg_get_serial_sequence('settlement_journalentry', 'id')), %s, %s)",
                [account_id, amount],
            )
        )
    return statements


def _accounts() -> tuple[int, int]:
    post_entry(source="test", external_id="setup", description="Vente", lines=SALE)
    return (
        Account.objects.get(code="psp_clearing").pk,
        Account.objects.get(code="delivery_fees").pk,
    )


def test_an_unbalanced_entry_is_refused_when_the_constraints_are_checked(town_a):
    with town_a:
        clearing, fees = _accounts()
        statements = _raw_entry("unbalanced", (clearing, 1000), (fees, -999))

        with pytest.raises(IntegrityError, match="does not balance"):
            _write_in_savepoint(*statements)

        assert JournalEntry.objects.count() == 1


def test_an_entry_may_be_unbalanced_midway_as_long_as_it_balances_at_commit(town_a):
    with town_a:
        clearing, fees = _accounts()
        _write_in_savepoint(*_raw_entry("balanced", (clearing, 1000), (fees, -400), (fees, -600)))

        assert JournalEntry.objects.count() == 2


def test_an_entry_without_postings_is_refused(town_a):
    with town_a:
        statements = _raw_entry("empty")

        with pytest.raises(IntegrityError, match="does not balance"):
            _write_in_savepoint(*statements)

        assert JournalEntry.objects.count() == 0


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE settlement_posting SET amount_cents = amount_cents * 2",
        "DELETE FROM settlement_posting",
        "UPDATE settlement_journalentry SET description = 'changed'",
        "DELETE FROM settlement_journalentry",
    ],
)
def test_postings_and_entries_cannot_be_changed_or_deleted(town_a, statement):
    with town_a:
        _accounts()
        with pytest.raises(DatabaseError, match="append-only"):
            _write_in_savepoint((statement, []), check_now=False)

        assert list(Posting.objects.values_list("amount_cents", flat=True)) == [1000, -1000]
        assert JournalEntry.objects.get().description == "Vente"


def test_each_town_schema_runs_its_own_guard_functions(town_a, town_b):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relnamespace::regnamespace::text, p.pronamespace::regnamespace::text, t.tgname "
            "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE t.tgname LIKE 'settlement_%%' AND c.relnamespace::regnamespace::text IN (%s, %s)",
            [town_a.schema_name, town_b.schema_name],
        )
        rows = cursor.fetchall()

    # Ledger and payouts (4 a town), agreement versions and acceptances (2 a town).
    assert len(rows) == 12
    assert all(table_schema == function_schema for table_schema, function_schema, _name in rows)


@pytest.mark.slow
def test_the_balance_check_runs_at_a_real_commit(committed_town):
    with committed_town:
        post_entry(source="test", external_id="setup", description="Vente", lines=SALE)
        clearing = Account.objects.get(code="psp_clearing").pk
        statements = _raw_entry("unbalanced", (clearing, 1000))

        # A real COMMIT (committed_town): no SET CONSTRAINTS, the deferred trigger fires on its own.
        with pytest.raises(IntegrityError, match="does not balance"):
            _write_in_savepoint(*statements, check_now=False)

        assert list(JournalEntry.objects.values_list("external_id", flat=True)) == ["setup"]
