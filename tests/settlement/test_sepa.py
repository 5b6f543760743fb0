"""SEPA credit-transfer files (docs/money.md §7; §12, scenarios 27, 28, 32): pure functions, no database."""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from settlement.payouts import sepa
from settlement.payouts.sepa import (
    Debtor,
    PostalAddress,
    SepaError,
    TransferBatch,
    TransferLine,
    build_credit_transfer_file,
    cents_to_decimal_text,
    clean_sepa_text,
    decimal_text_to_cents,
    easter_sunday,
    next_target_business_day,
    validate_against_xsd,
    verify_credit_transfer_file,
)

TOWN_ADDRESS = PostalAddress(street="Place de la Comédie", building_number="1", postcode="69001", town="Lyon")
MONDAY = datetime.date(2026, 11, 30)
CREATED_AT = datetime.datetime(2026, 11, 27, 9, 30, tzinfo=datetime.UTC)


def wrong_rib_key_iban() -> str:
    bban = "30006000011234567890188"  # RIB key 89 → 88
    digits = "".join(str(int(char, 36)) for char in bban + "FR00")
    return f"FR{98 - int(digits) % 97:02d}{bban}"


def line(end_to_end_id: str = "PL101", amount_cents: int = 1999, **changes: object) -> TransferLine:
    values: dict[str, object] = {
        "end_to_end_id": end_to_end_id,
        "creditor_name": "Boulangerie du Parc",
        "creditor_iban": "FR14 2004 1010 0505 0001 3M02 606",
        "creditor_bic": None,
        "creditor_address": PostalAddress(street="Rue Mercière", building_number="12", postcode="69002", town="Lyon"),
        "amount_cents": amount_cents,
        "remittance": "Lyon marketplace reversement CPT-2026-11-A",
    }
    values.update(changes)
    return TransferLine(**values)  # type: ignore[arg-type]


def batch(*lines: TransferLine, **changes: object) -> TransferBatch:
    values: dict[str, object] = {
        "message_id": "CPT-2026-11-A",
        "payment_info_id": "CPT-2026-11-A-1",
        "debtor": Debtor(
            name="Régie marché local – Ville de Lyon", iban="FR7630006000011234567890189", address=TOWN_ADDRESS
        ),
        "execution_date": MONDAY,
        "lines": lines
        or (
            line("PL101", 1999),
            line("PL102", 7200, creditor_name="Fromagerie Martin", creditor_iban="FR7630004000031234567890143"),
            line(
                "PL103",
                4250,
                creditor_name="Librairie des Canuts",
                creditor_iban="DE89370400440532013000",
                creditor_bic="COBADEFFXXX",
                creditor_address=PostalAddress(
                    street="Unter den Linden", building_number="5", postcode="10117", town="Berlin", country="DE"
                ),
            ),
        ),
        "created_at": CREATED_AT,
    }
    values.update(changes)
    return TransferBatch(**values)  # type: ignore[arg-type]


def parse(xml: bytes, version: str) -> tuple[ET.Element, dict[str, str]]:
    root = ET.fromstring(xml)  # noqa: S314 - the file under test, generated here
    return root, {"p": f"urn:iso:std:iso:20022:tech:xsd:{version}"}


@pytest.mark.parametrize("version", ["pain.001.001.09", "pain.001.001.03"])
def test_batch_of_three_lines_gives_an_xsd_valid_file_with_exact_totals(version: str) -> None:
    # Given three payout lines, when the file is built
    sepa_file = build_credit_transfer_file(batch(version=version))

    # then it is valid against the bundled XSD and says exactly the batch.
    validate_against_xsd(sepa_file.xml, version)  # type: ignore[arg-type]
    assert sepa_file.number_of_transactions == 3
    assert sepa_file.control_sum_cents == 13449
    assert sepa_file.end_to_end_ids == ("PL101", "PL102", "PL103")
    assert sepa_file.execution_date == MONDAY
    root, names = parse(sepa_file.xml, version)
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId", None, names) == "CPT-2026-11-A"
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CreDtTm", None, names) == "2026-11-27T10:30:00"
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", None, names) == "3"
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", None, names) == "134.49"
    payment_info = root.find("p:CstmrCdtTrfInitn/p:PmtInf", names)
    assert payment_info is not None
    assert payment_info.findtext("p:PmtInfId", None, names) == "CPT-2026-11-A-1"
    assert payment_info.findtext("p:BtchBookg", None, names) == "true"
    assert payment_info.findtext("p:NbOfTxs", None, names) == "3"
    assert payment_info.findtext("p:CtrlSum", None, names) == "134.49"
    assert payment_info.findtext("p:DbtrAgt/p:FinInstnId/p:Othr/p:Id", None, names) == "NOTPROVIDED"
    transactions = payment_info.findall("p:CdtTrfTxInf", names)
    assert [t.findtext("p:PmtId/p:EndToEndId", None, names) for t in transactions] == ["PL101", "PL102", "PL103"]
    assert [t.findtext("p:Amt/p:InstdAmt", None, names) for t in transactions] == ["19.99", "72.00", "42.50"]
    address = transactions[2].find("p:Cdtr/p:PstlAdr", names)
    assert address is not None
    assert [(child.tag.rpartition("}")[2], child.text) for child in address] == [
        ("StrtNm", "Unter den Linden"),
        ("BldgNb", "5"),
        ("PstCd", "10117"),
        ("TwnNm", "Berlin"),
        ("Ctry", "DE"),
    ]
    assert sepa_file.xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')


def test_version_09_uses_dated_execution_and_bicfi_and_03_the_plain_forms() -> None:
    root09, names09 = parse(build_credit_transfer_file(batch()).xml, "pain.001.001.09")
    root03, names03 = parse(build_credit_transfer_file(batch(version="pain.001.001.03")).xml, "pain.001.001.03")

    assert root09.findtext(".//p:PmtInf/p:ReqdExctnDt/p:Dt", None, names09) == "2026-11-30"
    assert root09.findtext(".//p:CdtrAgt/p:FinInstnId/p:BICFI", None, names09) == "COBADEFFXXX"
    assert root03.findtext(".//p:PmtInf/p:ReqdExctnDt", None, names03) == "2026-11-30"
    assert root03.findtext(".//p:CdtrAgt/p:FinInstnId/p:BIC", None, names03) == "COBADEFFXXX"


def test_same_batch_gives_the_same_bytes_and_hash() -> None:
    first = build_credit_transfer_file(batch())
    second = build_credit_transfer_file(batch())

    assert first.xml == second.xml
    assert first.sha256 == second.sha256
    assert len(first.sha256) == 64


def test_wrong_rib_key_is_refused_before_generation() -> None:
    with pytest.raises(SepaError) as caught:
        build_credit_transfer_file(batch(line("PL101", creditor_iban=wrong_rib_key_iban())))

    assert caught.value.messages == ["Ligne PL101 : La clé RIB de cet IBAN est incorrecte."]


@pytest.mark.parametrize("amount_cents", [0, -500])
def test_zero_or_negative_amount_is_refused_before_sepaxml(amount_cents: int, monkeypatch: pytest.MonkeyPatch) -> None:
    def must_not_run(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("sepaxml must not be reached")

    monkeypatch.setattr(sepa, "_render_with_sepaxml", must_not_run)

    with pytest.raises(SepaError) as caught:
        build_credit_transfer_file(batch(line("PL101", 1999), line("PL102", amount_cents)))

    assert caught.value.messages == [
        f"Ligne PL102 : le montant doit être strictement positif (reçu {amount_cents} centimes)."
    ]


def test_amount_that_is_not_integer_cents_is_refused() -> None:
    with pytest.raises(SepaError) as caught:
        build_credit_transfer_file(batch(line("PL101", 19.99)))  # type: ignore[arg-type]

    assert caught.value.messages == ["Ligne PL101 : le montant doit être un nombre entier de centimes."]


def test_duplicate_end_to_end_id_is_refused() -> None:
    with pytest.raises(SepaError) as caught:
        build_credit_transfer_file(batch(line("PL101", 1000), line("PL101", 2000)))

    assert caught.value.messages == ["Ligne PL101 : cet EndToEndId apparaît deux fois dans le lot."]


@pytest.mark.parametrize(
    ("end_to_end_id", "problem"),
    [
        ("PL" + "1" * 34, "l’identifiant « PL" + "1" * 34 + " » dépasse 35 caractères"),
        ("PL 12", "l’identifiant « PL 12 » contient des caractères interdits en SEPA"),
        ("PL_12", "l’identifiant « PL_12 » contient des caractères interdits en SEPA"),
        ("/PL12", "l’identifiant « /PL12 » contient des caractères interdits en SEPA"),
    ],
)
def test_invalid_end_to_end_id_is_refused(end_to_end_id: str, problem: str) -> None:
    with pytest.raises(SepaError) as caught:
        build_credit_transfer_file(batch(line(end_to_end_id)))

    assert caught.value.messages == [f"Ligne {end_to_end_id} : EndToEndId invalide, {problem}."]


def test_every_problem_of_a_batch_is_reported_at_once() -> None:
    with pytest.raises(SepaError) as caught:
        build_credit_transfer_file(
            batch(
                line("PL101", 0, creditor_name="🙂"),
                line("PL102", remittance="x" * 141),
                currency="USD",
            )
        )

    assert caught.value.messages == [
        "Les virements SEPA de reversement se font en euros (EUR) uniquement.",
        "Ligne PL101 : le montant doit être strictement positif (reçu 0 centimes).",
        "Ligne PL101 : le nom du bénéficiaire est vide.",
        "Ligne PL102 : le libellé du virement dépasse 140 caractères.",
    ]


def test_non_eea_creditor_without_address_is_refused() -> None:
    with pytest.raises(SepaError) as caught:
        build_credit_transfer_file(batch(line("PL101", creditor_iban="CH9300762011623852957", creditor_address=None)))

    assert caught.value.messages == [
        "Ligne PL101 : l’adresse du bénéficiaire est obligatoire pour un compte hors Espace économique européen."
    ]


def test_eea_creditor_without_address_is_accepted() -> None:
    sepa_file = build_credit_transfer_file(batch(line("PL101", creditor_address=None)))

    root, names = parse(sepa_file.xml, "pain.001.001.09")
    assert root.find(".//p:Cdtr/p:PstlAdr", names) is None


@pytest.mark.parametrize("version", ["pain.001.001.09", "pain.001.001.03"])
def test_hostile_names_are_cleaned_and_the_file_stays_xsd_valid(version: str) -> None:
    # Given names with accents, ligatures, emoji, "&", "<" and 200 characters
    hostile = (
        line("PL101", creditor_name="Crêperie « Chez Zoé » & Fils <script> 🥞🇫🇷"),
        line("PL102", creditor_name="Œufs & Cœurs — Ça, c’est bon", creditor_iban="FR7630004000031234567890143"),
        line("PL103", creditor_name="É" * 200, creditor_iban="DE89370400440532013000"),
    )

    sepa_file = build_credit_transfer_file(batch(*hostile, version=version))

    validate_against_xsd(sepa_file.xml, version)  # type: ignore[arg-type]
    root, names = parse(sepa_file.xml, version)
    assert [element.text for element in root.findall(".//p:Cdtr/p:Nm", names)] == [
        "Creperie Chez Zoe et Fils script",
        "OEufs et Coeurs - Ca, c'est bon",
        "E" * 70,
    ]
    assert b"&amp;" not in sepa_file.xml
    assert b"&lt;" not in sepa_file.xml


def test_clean_sepa_text_keeps_only_the_sepa_character_set() -> None:
    assert clean_sepa_text("  Hôtel   de  Ville\t", 70) == "Hotel de Ville"
    assert clean_sepa_text("Müller & Søn ß", 70) == "Muller et Son ss"
    assert clean_sepa_text("a" * 69 + " bc", 70) == "a" * 69
    assert clean_sepa_text("👍", 70) == ""


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        (datetime.date(2026, 11, 30), datetime.date(2026, 11, 30)),  # Monday: unchanged
        (datetime.date(2026, 11, 28), datetime.date(2026, 11, 30)),  # Saturday → Monday
        (datetime.date(2026, 11, 29), datetime.date(2026, 11, 30)),  # Sunday → Monday
        (datetime.date(2026, 12, 25), datetime.date(2026, 12, 28)),  # Christmas (Fri), 26 Dec, weekend
        (datetime.date(2027, 12, 25), datetime.date(2027, 12, 27)),  # Saturday Christmas → Monday 27
        (datetime.date(2027, 1, 1), datetime.date(2027, 1, 4)),  # New Year (Fri) → Monday
        (datetime.date(2026, 4, 3), datetime.date(2026, 4, 7)),  # Good Friday → Tuesday after Easter Monday
        (datetime.date(2026, 4, 6), datetime.date(2026, 4, 7)),  # Easter Monday → Tuesday
        (datetime.date(2026, 5, 1), datetime.date(2026, 5, 4)),  # Labour Day (Fri) → Monday
        (datetime.date(2026, 5, 8), datetime.date(2026, 5, 8)),  # French holiday, but TARGET2 is open
    ],
)
def test_execution_date_moves_to_the_next_target2_business_day(
    requested: datetime.date, expected: datetime.date
) -> None:
    assert next_target_business_day(requested) == expected


def test_execution_date_in_the_file_is_the_moved_one() -> None:
    sepa_file = build_credit_transfer_file(batch(execution_date=datetime.date(2026, 4, 6)))  # Easter Monday

    root, names = parse(sepa_file.xml, "pain.001.001.09")
    assert sepa_file.execution_date == datetime.date(2026, 4, 7)
    assert root.findtext(".//p:PmtInf/p:ReqdExctnDt/p:Dt", None, names) == "2026-04-07"


def test_easter_sunday() -> None:
    assert [easter_sunday(year) for year in (2024, 2025, 2026, 2027, 2038)] == [
        datetime.date(2024, 3, 31),
        datetime.date(2025, 4, 20),
        datetime.date(2026, 4, 5),
        datetime.date(2027, 3, 28),
        datetime.date(2038, 4, 25),
    ]


def test_amounts_are_written_from_integer_cents() -> None:
    assert [cents_to_decimal_text(cents) for cents in (1, 5, 99, 100, 1999, 123456789)] == [
        "0.01",
        "0.05",
        "0.99",
        "1.00",
        "19.99",
        "1234567.89",
    ]
    assert [decimal_text_to_cents(text) for text in ("0.01", "19.9", "19.99", "7")] == [1, 1990, 1999, 700]
    with pytest.raises(ValueError, match="not an amount"):
        decimal_text_to_cents("19.999")


def test_control_sum_altered_after_generation_is_detected(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a generator bug that writes a wrong group-header CtrlSum (still XSD-valid)
    finalise = sepa._finalise

    def corrupt(document: bytes, **kwargs: object) -> bytes:
        return finalise(document, **kwargs).replace(b"<CtrlSum>134.49</CtrlSum>", b"<CtrlSum>134.50</CtrlSum>", 1)  # type: ignore[arg-type]

    monkeypatch.setattr(sepa, "_finalise", corrupt)

    # when the file is built, then the re-parse refuses it.
    with pytest.raises(SepaError) as caught:
        build_credit_transfer_file(batch())

    assert caught.value.messages == [
        "Le fichier SEPA relu ne correspond pas au lot.",
        "GrpHdr/CtrlSum : le fichier indique 13450, le lot 13449.",
    ]


def test_stored_file_is_checked_against_its_batch() -> None:
    the_batch = batch()
    xml = build_credit_transfer_file(the_batch).xml
    tampered = xml.replace(b'<InstdAmt Ccy="EUR">72.00</InstdAmt>', b'<InstdAmt Ccy="EUR">73.00</InstdAmt>')

    verify_credit_transfer_file(xml, the_batch)
    with pytest.raises(SepaError) as caught:
        verify_credit_transfer_file(tampered, the_batch)

    assert caught.value.messages == [
        "Le fichier SEPA relu ne correspond pas au lot.",
        "InstdAmt PL102 : le fichier indique 7300, le lot 7200.",
        "Somme des InstdAmt : le fichier indique 13549, le lot 13449.",
    ]


def test_xsd_violation_is_reported() -> None:
    xml = build_credit_transfer_file(batch()).xml.replace(b"<PmtMtd>TRF</PmtMtd>", b"<PmtMtd>XXX</PmtMtd>")

    with pytest.raises(SepaError) as caught:
        validate_against_xsd(xml, "pain.001.001.09")

    assert caught.value.messages[0] == "Le fichier SEPA n’est pas conforme au schéma pain.001.001.09."
    assert len(caught.value.messages) == 2


def test_debtor_with_bic_gets_it_in_the_debtor_agent() -> None:
    the_batch = batch()
    with_bic = replace(the_batch, debtor=replace(the_batch.debtor, bic="AGRIFRPPXXX"))

    root, names = parse(build_credit_transfer_file(with_bic).xml, "pain.001.001.09")

    assert root.findtext(".//p:DbtrAgt/p:FinInstnId/p:BICFI", None, names) == "AGRIFRPPXXX"
    assert root.find(".//p:DbtrAgt/p:FinInstnId/p:Othr", names) is None
