"""Review of settlement as an attacker and a clumsy user: isolation, four eyes, hostile files, bad input.

Tests that pin correct behaviour pass; each test that fails names a bug in its docstring.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from settlement.ledger.queries import balance, merchant_balances
from settlement.payouts.bank_details import save_payout_account
from settlement.payouts.bank_statements import BankStatementError, parse_bank_statement
from settlement.payouts.guards import PayoutError
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
from settlement.payouts.runs import approve_batch, cancel_batch, export_batch, run_payout
from tests.catalog.test_backoffice import sign_in
from tests.settlement.payout_factories import french_iban, make_available, payable_merchant, set_treasury, town_user


def payouts_url(name: str, **kwargs: object) -> str:
    return reverse(f"payouts:{name}", kwargs=kwargs or None, urlconf="config.urls_town")


def finance_url(name: str, **kwargs: object) -> str:
    return reverse(f"finance:{name}", kwargs=kwargs or None, urlconf="config.urls_town")


def camt053(statement_id: str, entries_xml: str) -> bytes:
    return (
        "<?xml version='1.0' encoding='UTF-8'?>"
        "<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.08'><BkToCstmrStmt>"
        "<GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-11-20T06:00:00+01:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{statement_id}</Id>{entries_xml}</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def ntry(
    ref: str,
    end_to_end_id: str | None,
    amount: str,
    direction: str,
    *,
    reversal: bool = False,
    sub_family: str = "ESCT",
    inner: str = "",
) -> str:
    refs = f"<Refs><EndToEndId>{end_to_end_id}</EndToEndId></Refs>" if end_to_end_id else ""
    reversal_xml = "<RvslInd>true</RvslInd>" if reversal else ""
    return (
        f"<Ntry><NtryRef>{ref}</NtryRef><Amt Ccy='EUR'>{amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd>"
        f"{reversal_xml}<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-11-20</Dt></BookgDt>"
        f"<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>{sub_family}</SubFmlyCd></Fmly></Domn></BkTxCd>"
        f"<NtryDtls><TxDtls>{refs}<Amt Ccy='EUR'>{amount}</Amt>{inner}</TxDtls></NtryDtls></Ntry>"
    )


def upload(client, data: bytes, name: str = "releve.xml"):
    return client.post(payouts_url("statements"), {"statement": SimpleUploadedFile(name, data)})


@pytest.fixture
def exported(town_a):
    """An exported SEPA batch of town A: a bakery (19,99 €) and a cheese shop (72,00 €)."""
    with town_a:
        set_treasury()
        shops = [payable_merchant("Boulangerie"), payable_merchant("Fromagerie")]
        make_available(shops[0], 1999)
        make_available(shops[1], 7200)
        batch = run_payout(cut_off=timezone.now(), actor=town_user()).batch
        approve_batch(batch=batch, actor=town_user(Role.TOWN_ADMIN))
        return export_batch(batch=batch, actor=town_user())


@pytest.fixture
def draft(town_a):
    """A draft batch of town A prepared by an agent (returned with that agent)."""
    with town_a:
        set_treasury()
        shop = payable_merchant("Boulangerie")
        make_available(shop, 1999)
        preparer = town_user(Role.TOWN_AGENT, email="preparateur@ville-a.test")
        return run_payout(cut_off=timezone.now(), actor=preparer).batch, preparer


# --- Bank statements: hostile and clumsy files -------------------------------------------------------


def test_a_statement_with_an_absurd_amount_is_refused_with_a_french_message(client_a, town_a, exported):
    """Found in review, now fixed; before the fix: bank_statements._amount_cents has no upper bound, so an amount beyond a bigint (a corrupt or
    forged CSV/camt line) reaches StatementLine.objects.create and PostgreSQL raises
    NumericValueOutOfRange: the upload page answers 500 instead of naming the line in French."""
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)
    client_a.raise_request_exception = False
    data = b"date;end_to_end_id;amount;status;reason\n20/11/2026;PL999;99999999999999999999,00;executed;\n"

    response = upload(client_a, data, "releve.csv")

    assert response.status_code == 200
    assert "montant" in response.content.decode()
    with town_a:
        assert StatementImport.objects.count() == 0
        assert StatementLine.objects.count() == 0


def test_a_camt_entry_nested_absurdly_deep_is_refused_not_a_crash(town_a):
    """Found in review, now fixed; before the fix: bank_statements._camt_entry keeps ``ET.tostring(entry)`` as the raw text of each entry; the
    standard library serialises recursively, so an Ntry holding a few thousand nested elements (a 30 kB
    file, well under the 5 MB limit) raises RecursionError — a 500 on upload — instead of a
    BankStatementError in French."""
    inner = "<X>" * 5000 + "</X>" * 5000
    data = camt053("S-DEEP", ntry("E1", "PL1", "1.00", "DBIT", inner=inner))

    with pytest.raises(BankStatementError):
        parse_bank_statement(data)


def test_a_statement_with_an_over_long_id_is_refused_whole_in_french(town_a, exported):
    """Ids longer than the columns were once cut on insert but looked up whole, so a repeated entry of
    such a statement missed the duplicate check and hit the unique constraint (a 500). ISO 20022
    caps them at 35 characters: a longer one refuses the file, nothing imported."""
    with town_a:
        line = exported.lines.order_by("pk").first()
        entry = ntry("E1", line.end_to_end_id, "19.99", "DBIT")

        with pytest.raises(BankStatementError, match="trop longue"):
            import_bank_statement(data=camt053("S" * 200, entry + entry), file_name="long.xml", actor=town_user())

        assert not StatementImport.objects.exists()
        line.refresh_from_db()
        assert line.status == PayoutLineStatus.PENDING


def test_an_entry_repeated_in_one_statement_executes_once_and_counts_a_duplicate(town_a, exported):
    with town_a:
        line = exported.lines.order_by("pk").first()
        entry = ntry("E1", line.end_to_end_id, "19.99", "DBIT")

        result = import_bank_statement(data=camt053("S" * 35, entry + entry), file_name="twice.xml", actor=town_user())

        assert (result.executed, result.duplicates) == (1, 1)


def test_a_debit_flagged_as_a_reversal_never_recredits_the_merchant(town_a, exported):
    """Found in review, now fixed; before the fix: payouts._apply_statement_entry treats any entry with ``is_return`` as money coming back,
    even a debit: bank_statements._camt_entry sets is_return for RvslInd=true or an RRTN sub-family
    whatever CdtDbtInd says. A *debit* of the treasury (money leaving, e.g. the bank reversing a return
    it had credited) carrying our EndToEndId then marks the pending line returned and re-credits the
    merchant's available balance: the next batch pays them a second time. A debit must never return a
    line (it belongs in suspense)."""
    with town_a:
        line = exported.lines.order_by("pk").first()
        data = camt053("S-RVSL", ntry("E1", line.end_to_end_id, "19.99", "DBIT", reversal=True, sub_family="RRTN"))

        import_bank_statement(data=data, file_name="rvsl.xml", actor=town_user())

        line.refresh_from_db()
        assert line.status != PayoutLineStatus.RETURNED
        assert merchant_balances(line.merchant_id) == (0, 0)


def test_a_dtd_or_entity_anywhere_in_a_statement_is_refused(town_a):
    billion_laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        b"<Document><BkToCstmrStmt><Stmt><Id>&lol2;</Id></Stmt></BkToCstmrStmt></Document>"
    )
    external = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b"<Document><BkToCstmrStmt><Stmt><Id>&xxe;</Id></Stmt></BkToCstmrStmt></Document>"
    )
    # A DOCTYPE pushed past the first 4 kB behind a comment: the ENTITY scan still covers the file.
    late = b'<?xml version="1.0"?><!--' + b"x" * 5000 + b'--><!DOCTYPE d [<!ENTITY e "PL1">]><Document/>'
    for data in (billion_laughs, external, late):
        with pytest.raises(BankStatementError, match="DOCTYPE/ENTITY"):
            parse_bank_statement(data)


def test_utf16_statement_with_nested_entities_is_refused_with_a_french_message(town_a):
    # The byte scan for "<!ENTITY" does not see UTF-16; expat's amplification guard must still stop it.
    levels = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 9))
    text = (
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE d [<!ENTITY e0 "aaaaaaaaaa">'
        f"{levels}]><Document><BkToCstmrStmt><Stmt><Id>&e8;</Id></Stmt></BkToCstmrStmt></Document>"
    )
    with pytest.raises(BankStatementError):
        parse_bank_statement(text.encode("utf-16-le"))


def test_an_unknown_end_to_end_id_zero_or_mismatched_amount_stays_in_suspense_and_posts_nothing(town_a, exported):
    with town_a:
        first, second = exported.lines.order_by("pk")
        entries = (
            ntry("E1", "PL999999999", "19.99", "DBIT")  # not ours
            + ntry("E2", first.end_to_end_id, "0.00", "DBIT")  # zero
            + ntry("E3", second.end_to_end_id, "72.01", "DBIT")  # one cent off
            + ntry("E4", first.end_to_end_id, "19.99", "CRDT")  # a credit that is not a return
            + ntry("E5", "pl" + str(first.pk), "19.99", "DBIT")  # not our spelling
        )
        before = balance("payout_in_transit")

        result = import_bank_statement(data=camt053("S-SUSP", entries), file_name="s.xml", actor=town_user())

        assert (result.executed, result.returned, result.unmatched) == (0, 0, 5)
        assert balance("payout_in_transit") == before
        assert set(PayoutLine.objects.values_list("status", flat=True)) == {PayoutLineStatus.PENDING}
        assert PayoutBatch.objects.get().state == PayoutBatchState.EXPORTED


def test_the_same_movement_twice_in_one_file_and_again_in_another_file_executes_once(town_a, exported):
    with town_a:
        first = exported.lines.order_by("pk").first()
        entry = ntry("E1", first.end_to_end_id, "19.99", "DBIT")
        result = import_bank_statement(data=camt053("S-DUP", entry + entry), file_name="a.xml", actor=None)
        assert (result.executed, result.duplicates) == (1, 1)
        # Same movement in a camt.054 notification re-sent as another file (different bytes).
        again = import_bank_statement(data=camt053("S-DUP", entry) + b"\n", file_name="b.xml", actor=None)
        assert (again.created, again.executed, again.duplicates) == (True, 0, 1)
        assert balance("payout_in_transit") == -7200


def test_a_statement_naming_a_line_of_a_draft_or_cancelled_batch_changes_nothing(town_a, draft):
    batch, _preparer = draft
    with town_a:
        line = batch.lines.get()
        data = camt053("S-DRAFT", ntry("E1", line.end_to_end_id, "19.99", "DBIT"))
        result = import_bank_statement(data=data, file_name="d.xml", actor=None)
        assert result.unmatched == 1
        line.refresh_from_db()
        assert line.status == PayoutLineStatus.PENDING
        assert PayoutBatch.objects.get().state == PayoutBatchState.DRAFT


# --- Four eyes, exported batches ---------------------------------------------------------------------


def test_the_preparer_cannot_approve_even_through_the_page_nor_in_the_database(client_a, town_a, draft):
    batch, preparer = draft
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


def test_a_scheduled_batch_needs_two_different_people_to_approve_and_export(town_a):
    with town_a:
        set_treasury()
        make_available(payable_merchant(), 1500)
        batch = run_payout(cut_off=timezone.now(), actor=None).batch
        approver = town_user(Role.TOWN_ADMIN)
        approve_batch(batch=batch, actor=approver)
        with pytest.raises(PayoutError, match="autre personne"):
            export_batch(batch=batch, actor=approver)
        assert PayoutBatch.objects.get().state == PayoutBatchState.APPROVED


def test_merchant_staff_cannot_prepare_approve_export_or_cancel(client_a, town_a, draft):
    batch, _preparer = draft
    with town_a:
        shop = batch.lines.get().merchant
    sign_in(client_a, town_a, role=Role.MERCHANT_STAFF, merchant=shop)
    for name in ("approve_batch", "export_batch", "cancel_batch", "mark_executed"):
        assert client_a.post(payouts_url(name, batch_id=batch.pk)).status_code == 403
    assert client_a.get(payouts_url("batch_detail", batch_id=batch.pk)).status_code == 403
    with town_a:
        assert PayoutBatch.objects.get().state == PayoutBatchState.DRAFT


def test_an_exported_batch_cannot_be_cancelled_reexported_or_edited(town_a, exported):
    with town_a:
        with pytest.raises(PayoutError):
            cancel_batch(batch=exported, actor=town_user())
        with pytest.raises(PayoutError):
            export_batch(batch=exported, actor=town_user())
        line = exported.lines.order_by("pk").first()
        for change in (
            lambda: PayoutLine.objects.filter(pk=line.pk).update(amount_cents=1),
            lambda: PayoutLine.objects.filter(pk=line.pk).update(iban=french_iban(424242)),
            lambda: PayoutBatch.objects.filter(pk=exported.pk).update(state="draft"),
            lambda: PayoutBatch.objects.filter(pk=exported.pk).update(file_xml=b"<x/>"),
        ):
            with pytest.raises(DatabaseError), transaction.atomic():
                change()


def test_state_changing_payout_urls_refuse_get(client_a, town_a, draft):
    batch, _preparer = draft
    sign_in(client_a, town_a, role=Role.TOWN_ADMIN)
    assert client_a.get(payouts_url("prepare_batch")).status_code == 405
    for name in ("approve_batch", "export_batch", "cancel_batch", "mark_executed"):
        assert client_a.get(payouts_url(name, batch_id=batch.pk)).status_code == 405
    with town_a:
        assert PayoutBatch.objects.get().state == PayoutBatchState.DRAFT


def test_payout_posts_without_a_csrf_token_are_refused(town_a, draft):
    from django.test import Client

    batch, _preparer = draft
    client = Client(HTTP_HOST=town_a.primary_host, enforce_csrf_checks=True)
    sign_in(client, town_a, role=Role.TOWN_ADMIN)
    assert client.post(payouts_url("approve_batch", batch_id=batch.pk)).status_code == 403
    assert client.post(payouts_url("prepare_batch")).status_code == 403
    with town_a:
        assert PayoutBatch.objects.get().state == PayoutBatchState.DRAFT


# --- Isolation: another town, another merchant ---------------------------------------------------------


def test_town_b_staff_reach_none_of_town_a_batches_or_documents(client_b, town_b, exported):
    sign_in(client_b, town_b, role=Role.TOWN_ADMIN)
    batch_id = exported.pk
    for path in (
        payouts_url("batch_detail", batch_id=batch_id),
        payouts_url("download_file", batch_id=batch_id),
        finance_url("payout_statement_pdf", batch_id=batch_id),
        finance_url("payout_statement_csv", batch_id=batch_id),
    ):
        assert client_b.get(path).status_code == 404, path
    for name in ("approve_batch", "export_batch", "cancel_batch", "mark_executed"):
        assert client_b.post(payouts_url(name, batch_id=batch_id)).status_code == 404


def test_a_merchant_reaches_neither_another_merchants_statements_nor_bank_details(client_a, town_a, exported):
    with town_a:
        mine, other = (line.merchant for line in exported.lines.order_by("pk"))
    sign_in(client_a, town_a, role=Role.MERCHANT_STAFF, merchant=mine)
    assert (
        client_a.get(finance_url("batch_statement_csv", merchant_slug=mine.slug, batch_id=exported.pk)).status_code
        == 200
    )
    for path in (
        finance_url("statement_list", merchant_slug=other.slug),
        finance_url("monthly_statement_csv", merchant_slug=other.slug, year=2026, month=11),
        finance_url("monthly_statement_pdf", merchant_slug=other.slug, year=2026, month=11),
        finance_url("batch_statement_csv", merchant_slug=other.slug, batch_id=exported.pk),
        finance_url("batch_statement_pdf", merchant_slug=other.slug, batch_id=exported.pk),
        payouts_url("bank_details_edit", merchant_slug=other.slug),
    ):
        assert client_a.get(path).status_code == 404, path
    response = client_a.post(
        payouts_url("bank_details_edit", merchant_slug=other.slug),
        {
            "holder_name": "Pirate",
            "iban": french_iban(666),
            "street": "x",
            "postcode": "1",
            "town": "y",
            "country": "FR",
        },
    )
    assert response.status_code == 404
    for path in (
        finance_url("dashboard"),
        finance_url("journal_csv"),
        finance_url("payout_statement_csv", batch_id=exported.pk),
        payouts_url("download_file", batch_id=exported.pk),
    ):
        assert client_a.get(path).status_code == 403, path
    with town_a:
        assert MerchantPayoutAccount.objects.get(merchant=other).holder_name == "Fromagerie"


def test_a_merchant_changing_their_iban_is_held_until_the_town_checks_it(town_a):
    with town_a:
        shop = payable_merchant("Boulangerie")
        make_available(shop, 5000)
        shopkeeper = town_user(Role.MERCHANT_STAFF)
        save_payout_account(
            merchant=shop,
            actor=shopkeeper,
            holder_name="Boulangerie",
            iban=french_iban(777),
            street="rue Royale",
            postcode="62100",
            town="Calais",
        )
        set_treasury()
        batch = run_payout(cut_off=timezone.now(), actor=town_user()).batch
        assert batch.lines.count() == 0
        assert list(batch.blocks.values_list("reason", flat=True)) == ["blocked"]


# --- Exports: CSV injection ----------------------------------------------------------------------------


@pytest.mark.parametrize("payload", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_merchant_controlled_text_is_neutralised_in_the_payout_statement_csv(client_a, town_a, payload):
    with town_a:
        set_treasury()
        shop = payable_merchant("Boutique")
        MerchantPayoutAccount.objects.filter(merchant=shop).update(holder_name=payload)
        shop.name = payload
        shop.save(update_fields=["name"])
        make_available(shop, 1500)
        batch = run_payout(cut_off=timezone.now(), actor=town_user()).batch
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)

    content = client_a.get(finance_url("payout_statement_csv", batch_id=batch.pk)).content.decode("utf-8-sig")

    rows = list(csv.reader(io.StringIO(content), delimiter=";"))
    assert rows[1][0] == "'" + payload
    assert rows[1][2] == "'" + payload


# --- Finance pages: bad input ----------------------------------------------------------------------------


def test_a_period_at_the_end_of_the_calendar_is_refused_not_a_500(client_a, town_a):
    """Found in review, now fixed; before the fix: views_finance.PeriodForm accepts any pair of dates up to a year apart, and dashboard.Period.end
    adds a day to the last one: ``?du=9999-12-31&au=9999-12-31`` (a typo in the year, a crafted link)
    raises OverflowError on the dashboard and in every CSV export — a 500 instead of the form's French
    error or the default period."""
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)
    client_a.raise_request_exception = False
    query = {"du": "9999-12-31", "au": "9999-12-31", "par": "jour"}
    for name in ("dashboard", "merchant_sales_csv", "period_sales_csv", "journal_csv"):
        assert client_a.get(finance_url(name), query).status_code == 200, name
    assert client_a.get(finance_url("dashboard"), {**query, "du": "9999-12-01", "par": "mois"}).status_code == 200


def test_monthly_statement_urls_with_impossible_months_are_404(client_a, town_a):
    with town_a:
        shop = payable_merchant("Boulangerie")
    sign_in(client_a, town_a, role=Role.MERCHANT_STAFF, merchant=shop)
    for year, month in ((2026, 0), (2026, 13), (1999, 5), (9999, 12)):
        path = finance_url("monthly_statement_csv", merchant_slug=shop.slug, year=year, month=month)
        assert client_a.get(path).status_code == 404, (year, month)


# --- SEPA lines: never zero, negative or unreadable --------------------------------------------------------


def test_a_negative_balance_is_carried_forward_and_a_zero_or_negative_line_cannot_exist(town_a):
    with town_a:
        set_treasury()
        owing, paid = payable_merchant("Doit de l'argent"), payable_merchant("Payé")
        make_available(owing, -1250)
        make_available(paid, 1000)
        batch = run_payout(cut_off=timezone.now(), actor=town_user()).batch
        assert list(batch.lines.values_list("merchant_id", "amount_cents")) == [(paid.pk, 1000)]
        assert list(batch.blocks.values_list("merchant_id", "reason", "amount_cents")) == [
            (owing.pk, "negative", -1250)
        ]
        line = batch.lines.get()
        for amount in (0, -1):
            with pytest.raises(IntegrityError), transaction.atomic():
                PayoutLine.objects.filter(pk=line.pk).update(amount_cents=amount)


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
