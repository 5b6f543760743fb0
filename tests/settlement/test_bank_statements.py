"""Reading the treasury account's statements to find executed and returned payouts (docs/money.md §7,
scenario 30): pure parsing, no database."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from settlement.payouts.bank_statements import (
    BankStatementError,
    StatementEntry,
    match_entries,
    parse_bank_statement,
    parse_camt,
    parse_csv_statement,
    return_reason_label,
)
from tests.settlement.conftest import camt053_xml, ntry

FIXTURES = Path(__file__).parent / "fixtures"
OUR_LINES = {"PL101", "PL102", "PL103", "PL104", "PL201", "PL202", "PL203"}


def summary(entries: list[StatementEntry]) -> list[tuple[object, ...]]:
    return [
        (
            entry.entry_ref,
            entry.end_to_end_id,
            entry.amount_cents,
            entry.booking_date,
            entry.is_credit,
            entry.is_return,
            entry.return_reason_code,
            entry.return_reason,
        )
        for entry in entries
    ]


def test_camt053_v08_gives_each_transfer_of_the_batch_the_return_and_the_unknown_line() -> None:
    entries = parse_bank_statement((FIXTURES / "camt053_v08_payouts.xml").read_bytes())

    assert {entry.statement_id for entry in entries} == {"FR7630006000011234567890189-2026-11-19"}
    nov18, nov19 = datetime.date(2026, 11, 18), datetime.date(2026, 11, 19)
    assert summary(entries) == [
        ("AGRI20261118000041-1", "PL101", 1999, nov18, False, False, None, None),
        ("AGRI20261118000041-2", "PL102", 7200, nov18, False, False, None, None),
        ("AGRI20261118000041-3", "PL103", 4250, nov18, False, False, None, None),
        ("20261119-000007", "PL102", 7200, nov19, True, True, "AC04", "Compte clôturé"),
        ("20261119-000012", "po_1QZx8kL2mN3oP4qR", 125000, nov19, True, False, None, None),
    ]
    assert entries[0].raw.startswith("<TxDtls>")
    assert "<EndToEndId>PL101</EndToEndId>" in entries[0].raw
    assert entries[3].raw.startswith("<Ntry>")


def test_unknown_line_is_reported_apart_from_ours() -> None:
    entries = parse_camt((FIXTURES / "camt053_v08_payouts.xml").read_bytes())

    matched, unknown = match_entries(entries, OUR_LINES)

    assert [entry.end_to_end_id for entry in matched] == ["PL101", "PL102", "PL103", "PL102"]
    assert [(entry.end_to_end_id, entry.amount_cents) for entry in unknown] == [("po_1QZx8kL2mN3oP4qR", 125000)]


def test_returned_line_is_detected_with_its_french_reason() -> None:
    entries = parse_camt((FIXTURES / "camt053_v08_payouts.xml").read_bytes())

    returns = [entry for entry in entries if entry.is_return]

    assert [(entry.end_to_end_id, entry.return_reason_code, entry.return_reason) for entry in returns] == [
        ("PL102", "AC04", "Compte clôturé")
    ]


def test_camt054_v02_notification_with_reversal_and_pending_entry() -> None:
    entries = parse_bank_statement((FIXTURES / "camt054_v02_notification.xml").read_bytes())

    # The pending (PDNG) debit for PL203 is not a booking yet, so it is not reported.
    assert {entry.statement_id for entry in entries} == {"NTF-2026-12-03-0001"}
    assert summary(entries) == [
        ("NTF0001-1", "PL201", 31025, datetime.date(2026, 12, 2), False, False, None, None),
        ("NTF0001-2", "PL202", 120410, datetime.date(2026, 12, 3), True, True, "MD07", "Titulaire du compte décédé"),
    ]


CAMT053_V02 = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-11-20T06:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-1</Id>
      <CreDtTm>2026-11-20T06:00:00</CreDtTm>
      <Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id></Acct>
      <Ntry>
        <Amt Ccy="EUR">19.99</Amt>
        <CdtDbtInd>DBIT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><DtTm>2026-11-18T10:12:00</DtTm></BookgDt>
        <AcctSvcrRef>REF-1</AcctSvcrRef>
        <NtryDtls><TxDtls><Refs><EndToEndId>PL101</EndToEndId></Refs></TxDtls></NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="EUR">5.00</Amt>
        <CdtDbtInd>DBIT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>2026-11-18</Dt></BookgDt>
        <NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs></TxDtls></NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="EUR">3.20</Amt>
        <CdtDbtInd>DBIT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>2026-11-19</Dt></BookgDt>
        <AddtlNtryInf>FRAIS BANCAIRES</AddtlNtryInf>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>
"""


def test_camt053_v02_with_plain_status_datetime_booking_and_entries_without_references() -> None:
    entries = parse_camt(CAMT053_V02)

    assert summary(entries) == [
        ("REF-1", "PL101", 1999, datetime.date(2026, 11, 18), False, False, None, None),
        ("#2", None, 500, datetime.date(2026, 11, 18), False, False, None, None),
        ("#3", None, 320, datetime.date(2026, 11, 19), False, False, None, None),
    ]


def test_csv_in_windows_1252_with_decimal_commas() -> None:
    data = (FIXTURES / "statement_payouts.csv").read_bytes()

    entries = parse_bank_statement(data)

    nov18, nov20, nov21 = datetime.date(2026, 11, 18), datetime.date(2026, 11, 20), datetime.date(2026, 11, 21)
    assert summary(entries) == [
        ("L2", "PL101", 1999, nov18, False, False, None, None),
        ("L3", "PL102", 7200, nov18, False, False, None, None),
        ("L4", "PL103", 104250, nov18, False, False, None, None),
        ("L5", "PL102", 7200, nov20, True, True, "AC04", "Compte clôturé"),
        ("L6", "PL104", 1500, nov20, True, True, None, "Bénéficiaire inconnu à cette adresse"),
        ("L7", None, 25000, nov21, False, False, None, None),
    ]
    assert entries[0].raw == "18/11/2026;PL101;19,99;executed;"
    # The same file twice gives the same identifiers, so an import can be idempotent.
    assert {entry.statement_id for entry in entries} == {entry.statement_id for entry in parse_bank_statement(data)}
    assert len({entry.statement_id for entry in entries}) == 1
    _, unknown = match_entries(entries, OUR_LINES)
    assert [entry.entry_ref for entry in unknown] == ["L7"]


def test_csv_with_commas_utf8_bom_iso_dates_and_quoted_decimal_comma() -> None:
    data = (
        "\ufeffdate,end_to_end_id,amount,status,reason\n"
        '2026-11-18,PL101,"19,99",executed,\n'
        "2026-11-19,PL102,-72.00,RJCT,MD07\n"
    ).encode()

    entries = parse_csv_statement(data, statement_id="releve-novembre")

    assert [(e.statement_id, e.end_to_end_id, e.amount_cents, e.is_return, e.return_reason) for e in entries] == [
        ("releve-novembre", "PL101", 1999, False, None),
        ("releve-novembre", "PL102", 7200, True, "Titulaire du compte décédé"),
    ]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "2026-11-18;PL102;72,00;executed;;extra",
            "Ligne 3 : 5 colonnes attendues (date;end_to_end_id;amount;status;reason), 6 trouvées.",
        ),
        ("2026-11-18;PL102;72,0O;executed;", "Ligne 3 : montant illisible « 72,0O »."),
        ("2026-11-18;PL102;72,001;executed;", "Ligne 3 : montant « 72,001 » plus précis que le centime."),
        ("31/02/2026;PL102;72,00;executed;", "Ligne 3 : date illisible « 31/02/2026 »."),
        ("2026-11-18;PL102;72,00;paid;", "Ligne 3 : statut « paid » inconnu (executed ou returned attendu)."),
    ],
)
def test_csv_with_a_broken_row_is_refused_naming_the_line(row: str, message: str) -> None:
    data = f"date;end_to_end_id;amount;status;reason\n2026-11-18;PL101;19,99;executed;\n{row}\n".encode()

    with pytest.raises(BankStatementError) as caught:
        parse_csv_statement(data)

    assert str(caught.value) == message


def test_malformed_xml_is_refused_with_the_position() -> None:
    data = (FIXTURES / "camt053_v08_payouts.xml").read_bytes().replace(b"</NtryRef>", b"</NtryRf>", 1)

    with pytest.raises(BankStatementError) as caught:
        parse_bank_statement(data)

    assert str(caught.value) == "Relevé illisible : XML mal formé ligne 43, colonne 35."


def test_missing_element_is_refused_naming_it() -> None:
    data = (
        (FIXTURES / "camt053_v08_payouts.xml")
        .read_bytes()
        .replace(b"<CdtDbtInd>CRDT</CdtDbtInd>\n        <Sts>", b"<Sts>", 1)
    )

    with pytest.raises(BankStatementError) as caught:
        parse_camt(data)

    assert str(caught.value) == "Élément CdtDbtInd manquant dans BkToCstmrStmt/Stmt[1]/Ntry[2]."


def test_amount_in_another_currency_is_refused() -> None:
    data = CAMT053_V02.replace(b'<Amt Ccy="EUR">5.00</Amt>', b'<Amt Ccy="USD">5.00</Amt>')

    with pytest.raises(BankStatementError) as caught:
        parse_camt(data)

    assert str(caught.value) == (
        "BkToCstmrStmt/Stmt[1]/Ntry[2]/Amt : devise USD, seul l’euro est attendu sur le compte de la commune."
    )


def test_other_xml_document_is_refused() -> None:
    data = b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"><CstmrCdtTrfInitn/></Document>'

    with pytest.raises(BankStatementError) as caught:
        parse_bank_statement(data)

    assert (
        str(caught.value) == "Ce fichier n’est pas un relevé camt.052, camt.053 ou camt.054 (élément CstmrCdtTrfInitn)."
    )


def test_xml_with_entity_declarations_is_refused() -> None:
    data = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><Document>&a;</Document>'

    with pytest.raises(BankStatementError) as caught:
        parse_bank_statement(data)

    assert str(caught.value) == "Relevé refusé : les déclarations DOCTYPE/ENTITY ne sont pas admises."


def test_return_reason_labels() -> None:
    assert return_reason_label("AC01") == "Numéro de compte incorrect"
    assert return_reason_label("ac04") == "Compte clôturé"
    assert return_reason_label("MD07") == "Titulaire du compte décédé"
    assert return_reason_label("ZZ99") == "Motif ZZ99 (non répertorié)"
    assert return_reason_label(None) == "Motif non communiqué"


def test_a_camt_entry_nested_absurdly_deep_is_refused_not_a_crash() -> None:
    """An Ntry holding thousands of nested elements (a 30 kB file, far under the 5 MB limit) is refused in
    French (BankStatementError), never a RecursionError: a 500 on upload."""
    inner = "<X>" * 5000 + "</X>" * 5000
    data = camt053_xml("S-DEEP", ntry("E1", "PL1", "1.00", "DBIT", inner=inner))

    with pytest.raises(BankStatementError):
        parse_bank_statement(data)


def test_a_dtd_or_entity_anywhere_in_a_statement_is_refused() -> None:
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


def test_utf16_statement_with_nested_entities_is_refused_with_a_french_message() -> None:
    # The byte scan for "<!ENTITY" does not see UTF-16; expat's amplification guard must still stop it.
    levels = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 9))
    text = (
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE d [<!ENTITY e0 "aaaaaaaaaa">'
        f"{levels}]><Document><BkToCstmrStmt><Stmt><Id>&e8;</Id></Stmt></BkToCstmrStmt></Document>"
    )
    with pytest.raises(BankStatementError):
        parse_bank_statement(text.encode("utf-16-le"))
