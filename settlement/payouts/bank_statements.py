"""Bank statements of the town's treasury account, read to find which payouts left and which came back.

Formats (docs/money.md §7):

* camt.053 (``BkToCstmrStmt``, end-of-day statement), camt.054 (``BkToCstmrDbtCdtNtfctn``,
  debit/credit notification) and camt.052 (``BkToCstmrAcctRpt``, intraday report), in any version
  (.001.02 to .001.08 and later): namespaces are ignored and elements matched by local name, since the
  parts we read (Ntry, TxDtls, Refs/EndToEndId, RtrInf) keep their names across versions.
* CSV, for banks without camt: one transfer per row, columns in this order::

      date;end_to_end_id;amount;status;reason

  ``date`` is ``YYYY-MM-DD`` or ``DD/MM/YYYY``; ``end_to_end_id`` is the EndToEndId of our file
  (``PL123``), empty if unknown; ``amount`` is in euros with a decimal point or comma (``19.99``,
  ``19,99``, ``1 234,56``; a leading minus is accepted, the sign is given by the status);
  ``status`` is ``executed`` or ``returned`` (also ``rejected``/``RJCT``); ``reason`` is a return
  reason code (``AC04``) or free text, empty for executed transfers. The separator is ``;``
  or ``,`` (with ``,`` a decimal comma must be quoted), the file UTF-8 (BOM allowed) or
  Windows-1252, and an optional first header row starts with ``date``.

Every entry is returned, ours or not: ``match_entries`` then splits them by EndToEndId. A file
that cannot be read raises ``BankStatementError`` naming the line or element, and nothing of it
is returned, so a statement is either imported whole or not at all.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring
from django.utils.translation import gettext, gettext_noop

CURRENCY = "EUR"

# ISO 20022 external return reason codes (ExternalReturnReason1Code) seen on SEPA credit transfers.
RETURN_REASONS: dict[str, str] = {
    "AC01": gettext_noop("Numéro de compte incorrect"),
    "AC04": gettext_noop("Compte clôturé"),
    "AC06": gettext_noop("Compte bloqué"),
    "AC13": gettext_noop("Type de compte du bénéficiaire invalide"),
    "AG01": gettext_noop("Opération interdite sur ce type de compte"),
    "AG02": gettext_noop("Code opération invalide"),
    "AM05": gettext_noop("Virement en double"),
    "BE04": gettext_noop("Adresse du bénéficiaire manquante ou incorrecte"),
    "CNOR": gettext_noop("Banque du bénéficiaire non joignable"),
    "CUST": gettext_noop("Retour à la demande du client"),
    "DNOR": gettext_noop("Banque du donneur d’ordre non joignable"),
    "DUPL": gettext_noop("Paiement en double"),
    "ERIN": gettext_noop("Option ERI non prise en charge"),
    "FF01": gettext_noop("Format de fichier invalide"),
    "FOCR": gettext_noop("Retour à la suite d’une demande d’annulation"),
    "FRAD": gettext_noop("Fraude présumée"),
    "MD07": gettext_noop("Titulaire du compte décédé"),
    "MS02": gettext_noop("Refus du bénéficiaire (motif non communiqué)"),
    "MS03": gettext_noop("Motif non communiqué par la banque"),
    "NARR": gettext_noop("Motif précisé dans le texte"),
    "RC01": gettext_noop("BIC incorrect"),
    "RR01": gettext_noop("Identification du compte ou du donneur d’ordre manquante (réglementaire)"),
    "RR02": gettext_noop("Nom ou adresse du donneur d’ordre manquant (réglementaire)"),
    "RR03": gettext_noop("Nom ou adresse du bénéficiaire manquant (réglementaire)"),
    "RR04": gettext_noop("Motif réglementaire"),
    "TECH": gettext_noop("Problème technique"),
    "TM01": gettext_noop("Reçu après l’heure limite"),
}

# BkTxCd sub-family codes that mean money coming back from a transfer we sent.
_RETURN_SUB_FAMILIES = frozenset({"RRTN", "RPCR"})
# Entries in these states are not bookings (yet): a pending debit is not an executed payout.
_NOT_BOOKED = frozenset({"PDNG", "INFO", "FUTR"})
_CAMT_CONTAINERS = {
    "BkToCstmrStmt": "Stmt",
    "BkToCstmrDbtCdtNtfctn": "Ntfctn",
    "BkToCstmrAcctRpt": "Rpt",
}
_AMOUNT_RE = re.compile(r"([0-9]+)(?:[.,]([0-9]{1,5}))?")
# Far above any movement of a town's treasury (999 999 999,99 €, the SEPA file's own cap), far below
# what the database's bigint holds.
MAX_STATEMENT_AMOUNT_CENTS = 99_999_999_999
MAX_REFERENCE_LENGTH = 140
# camt nests about ten levels deep; a file nested far deeper is not a statement, and would exhaust
# the recursion of the serialiser that keeps each entry's raw XML.
MAX_XML_DEPTH = 64
_CSV_STATUSES = {
    "executed": False,
    "execute": False,
    "exécuté": False,
    "acsc": False,
    "returned": True,
    "rejected": True,
    "retourné": True,
    "rejeté": True,
    "rjct": True,
}


class BankStatementError(ValueError):
    """A statement file that cannot be read; the message (French) names the line or element."""


@dataclass(frozen=True, kw_only=True)
class StatementEntry:
    """One movement of the treasury account, for one transfer.

    ``amount_cents`` is always positive; ``is_credit`` says which way the money went (a payout
    leaves as a debit, a returned payout comes back as a credit). ``entry_ref`` is stable for the
    same file, so importing a statement twice can be made idempotent on
    ``(account, statement_id, entry_ref)``.
    """

    statement_id: str
    entry_ref: str
    end_to_end_id: str | None
    amount_cents: int
    booking_date: datetime.date
    is_credit: bool
    is_return: bool
    return_reason_code: str | None
    return_reason: str | None
    raw: str

    def __post_init__(self) -> None:
        # ISO 20022 caps these at 35 characters; our columns hold 140. A longer one is refused rather
        # than cut, so two references never become one (and the duplicate check sees what is stored).
        for value in (self.statement_id, self.entry_ref):
            if len(value) > MAX_REFERENCE_LENGTH:
                raise BankStatementError(
                    gettext("Référence « %(start)s… » trop longue (%(length)d caractères, %(limit)d au plus).")
                    % {"start": value[:35], "length": len(value), "limit": MAX_REFERENCE_LENGTH}
                )


def return_reason_label(code: str | None) -> str:
    """The French label of an ISO 20022 return reason code."""
    if not code:
        return gettext("Motif non communiqué")
    label = RETURN_REASONS.get(code.upper())
    if label is None:
        return gettext("Motif %(code)s (non répertorié)") % {"code": code}
    return gettext(label)


def parse_bank_statement(data: bytes, *, statement_id: str | None = None) -> list[StatementEntry]:
    """Every entry of a camt.052/053/054 or CSV statement; the format is recognised from the content."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return parse_camt(data)
    return parse_csv_statement(data, statement_id=statement_id)


def match_entries(
    entries: Iterable[StatementEntry], known_ids: set[str]
) -> tuple[list[StatementEntry], list[StatementEntry]]:
    """Split entries into those whose EndToEndId is one of our payout lines and the rest (suspense)."""
    matched: list[StatementEntry] = []
    unknown: list[StatementEntry] = []
    for entry in entries:
        (matched if entry.end_to_end_id in known_ids else unknown).append(entry)
    return matched, unknown


# --- Amounts and dates ---------------------------------------------------------------------------


def _amount_cents(text: str, where: str) -> int:
    """Euros as written by a bank ("1 234,56", "-19.99", "12.50000") to positive cents."""
    compact = re.sub(r"[\s\u00a0\u202f']", "", text or "").lstrip("+-")
    match = _AMOUNT_RE.fullmatch(compact)
    if match is None:
        raise BankStatementError(
            gettext("%(where)s : montant illisible « %(text)s ».") % {"where": where, "text": text}
        )
    euros, fraction = match.groups()
    fraction = (fraction or "").ljust(2, "0")
    if fraction[2:].strip("0"):
        raise BankStatementError(
            gettext("%(where)s : montant « %(text)s » plus précis que le centime.") % {"where": where, "text": text}
        )
    cents = int(euros) * 100 + int(fraction[:2])
    if cents > MAX_STATEMENT_AMOUNT_CENTS:
        raise BankStatementError(
            gettext("%(where)s : montant « %(text)s » hors limites (999 999 999,99 € au plus).")
            % {"where": where, "text": text}
        )
    return cents


def _date(text: str, where: str) -> datetime.date:
    value = (text or "").strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y"):
        try:
            return datetime.datetime.strptime(value[:10] if pattern == "%Y-%m-%d" else value, pattern).date()  # noqa: DTZ007 - a calendar date, no time
        except ValueError:
            continue
    raise BankStatementError(gettext("%(where)s : date illisible « %(text)s ».") % {"where": where, "text": text})


def _end_to_end_id(text: str | None) -> str | None:
    value = (text or "").strip()
    # NOTPROVIDED is what banks write when the originator gave no EndToEndId.
    return None if not value or value.upper() == "NOTPROVIDED" else value


# --- camt ----------------------------------------------------------------------------------------


def _parse_xml(data: bytes) -> ET.Element:
    # Bank statements never carry a DTD: defusedxml refuses any, and so every entity-expansion and
    # external-entity trick, whatever the file's encoding.
    try:
        root = defused_fromstring(data, forbid_dtd=True)
    except DefusedXmlException as error:
        raise BankStatementError(
            gettext("Relevé refusé : les déclarations DOCTYPE/ENTITY ne sont pas admises.")
        ) from error
    except ET.ParseError as error:
        line, column = error.position
        raise BankStatementError(
            gettext("Relevé illisible : XML mal formé ligne %(line)d, colonne %(column)d.")
            % {"line": line, "column": column + 1}  # expat counts columns from 0, editors from 1
        ) from error
    # Versions differ only by namespace for what we read: drop namespaces once, then use plain paths.
    # The walk is iterative and checks the depth on the way.
    pending = [(root, 1)]
    while pending:
        element, depth = pending.pop()
        if depth > MAX_XML_DEPTH:
            raise BankStatementError(
                gettext("Relevé refusé : éléments XML imbriqués sur plus de %(limit)d niveaux.")
                % {"limit": MAX_XML_DEPTH}
            )
        if isinstance(element.tag, str):
            element.tag = element.tag.rpartition("}")[2]
        pending.extend((child, depth + 1) for child in element)
    return root


def parse_camt(data: bytes) -> list[StatementEntry]:
    """Entries of a camt.053 statement, camt.054 notification or camt.052 report (any version)."""
    root = _parse_xml(data)
    if root.tag != "Document" or len(root) != 1 or root[0].tag not in _CAMT_CONTAINERS:
        found = root[0].tag if root.tag == "Document" and len(root) else root.tag
        raise BankStatementError(
            gettext("Ce fichier n’est pas un relevé camt.052, camt.053 ou camt.054 (élément %(tag)s).") % {"tag": found}
        )
    message = root[0]
    container_tag = _CAMT_CONTAINERS[message.tag]
    entries: list[StatementEntry] = []
    for statement_index, statement in enumerate(message.findall(container_tag), start=1):
        statement_path = f"{message.tag}/{container_tag}[{statement_index}]"
        statement_id = _text(statement, "Id", statement_path)
        for entry_index, entry in enumerate(statement.findall("Ntry"), start=1):
            entries.extend(_camt_entry(entry, statement_id, f"{statement_path}/Ntry[{entry_index}]", entry_index))
    return entries


def _text(parent: ET.Element, path: str, where: str) -> str:
    text = parent.findtext(path)
    if text is None or not text.strip():
        raise BankStatementError(gettext("Élément %(path)s manquant dans %(where)s.") % {"path": path, "where": where})
    return text.strip()


def _camt_amount(parent: ET.Element, path: str, where: str) -> int:
    element = parent.find(path)
    if element is None:
        raise BankStatementError(gettext("Élément %(path)s manquant dans %(where)s.") % {"path": path, "where": where})
    currency = element.get("Ccy")
    if currency != CURRENCY:
        raise BankStatementError(
            gettext("%(where)s : devise %(currency)s, seul l’euro est attendu sur le compte de la commune.")
            % {"where": f"{where}/{path}", "currency": currency}
        )
    return _amount_cents(element.text or "", f"{where}/{path}")


def _credit(parent: ET.Element, where: str) -> bool:
    indicator = _text(parent, "CdtDbtInd", where)
    if indicator not in ("CRDT", "DBIT"):
        raise BankStatementError(
            gettext("%(where)s : CdtDbtInd « %(value)s » inconnu.") % {"where": where, "value": indicator}
        )
    return indicator == "CRDT"


def _camt_entry(entry: ET.Element, statement_id: str, where: str, entry_index: int) -> list[StatementEntry]:
    # Status is <Sts>BOOK</Sts> up to .001.02–.04 and <Sts><Cd>BOOK</Cd></Sts> from .001.05 on.
    status = (entry.findtext("Sts/Cd") or entry.findtext("Sts") or "BOOK").strip()
    if status in _NOT_BOOKED:
        return []
    entry_ref = (entry.findtext("NtryRef") or entry.findtext("AcctSvcrRef") or "").strip() or f"#{entry_index}"
    entry_amount = _camt_amount(entry, "Amt", where)
    entry_is_credit = _credit(entry, where)
    booking_text = entry.findtext("BookgDt/Dt") or entry.findtext("BookgDt/DtTm") or entry.findtext("ValDt/Dt")
    if not booking_text:
        raise BankStatementError(gettext("Élément BookgDt manquant dans %(where)s.") % {"where": where})
    booking_date = _date(booking_text, f"{where}/BookgDt")
    is_reversal = (entry.findtext("RvslInd") or "").strip().lower() == "true"
    sub_family = (entry.findtext("BkTxCd/Domn/Fmly/SubFmlyCd") or "").strip()
    entry_is_return = is_reversal or sub_family in _RETURN_SUB_FAMILIES

    transactions = entry.findall("NtryDtls/TxDtls")
    if not transactions:
        return [
            StatementEntry(
                statement_id=statement_id,
                entry_ref=entry_ref,
                end_to_end_id=None,
                amount_cents=entry_amount,
                booking_date=booking_date,
                is_credit=entry_is_credit,
                is_return=entry_is_return,
                return_reason_code=None,
                return_reason=return_reason_label(None) if entry_is_return else None,
                raw=ET.tostring(entry, encoding="unicode"),
            )
        ]
    results: list[StatementEntry] = []
    for index, transaction in enumerate(transactions, start=1):
        here = f"{where}/NtryDtls/TxDtls[{index}]"
        # A batch-booked debit is one Ntry for many transfers: each TxDtls carries its own amount,
        # in Amt (.001.05+) or AmtDtls/TxAmt/Amt (.001.02); a lone TxDtls may omit it.
        if transaction.find("Amt") is not None:
            amount = _camt_amount(transaction, "Amt", here)
        elif transaction.find("AmtDtls/TxAmt/Amt") is not None:
            amount = _camt_amount(transaction, "AmtDtls/TxAmt/Amt", here)
        elif len(transactions) == 1:
            amount = entry_amount
        else:
            raise BankStatementError(gettext("Montant manquant dans %(where)s.") % {"where": here})
        is_credit = _credit(transaction, here) if transaction.find("CdtDbtInd") is not None else entry_is_credit
        return_info = transaction.find("RtrInf")
        reason_code = None
        if return_info is not None:
            reason_code = (return_info.findtext("Rsn/Cd") or return_info.findtext("Rsn/Prtry") or "").strip() or None
        is_return = entry_is_return or return_info is not None
        transaction_ref = (transaction.findtext("Refs/AcctSvcrRef") or "").strip()
        if len(transactions) == 1:
            reference, raw_element = entry_ref, entry
        else:
            reference, raw_element = transaction_ref or f"{entry_ref}/{index}", transaction
        results.append(
            StatementEntry(
                statement_id=statement_id,
                entry_ref=reference,
                end_to_end_id=_end_to_end_id(transaction.findtext("Refs/EndToEndId")),
                amount_cents=amount,
                booking_date=booking_date,
                is_credit=is_credit,
                is_return=is_return,
                return_reason_code=reason_code,
                return_reason=return_reason_label(reason_code) if is_return else None,
                raw=ET.tostring(raw_element, encoding="unicode"),
            )
        )
    return results


# --- CSV -----------------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Exports from Windows tools (Excel "CSV (séparateur : point-virgule)") are Windows-1252.
        return data.decode("cp1252")


def parse_csv_statement(data: bytes, *, statement_id: str | None = None) -> list[StatementEntry]:
    """Rows of a ``date;end_to_end_id;amount;status;reason`` file (see the module docstring).

    Without ``statement_id`` the file's SHA-256 stands in for it, so re-importing the same file
    yields the same identifiers.
    """
    try:
        text = _decode(data)
    except UnicodeDecodeError as error:
        raise BankStatementError(
            gettext("Relevé CSV illisible : encodage inconnu (ni UTF-8 ni Windows-1252).")
        ) from error
    statement_id = statement_id or f"csv-{hashlib.sha256(data).hexdigest()[:16]}"
    lines = text.splitlines()
    first_line = next((line for line in lines if line.strip()), "")
    delimiter = ";" if ";" in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    entries: list[StatementEntry] = []
    try:
        rows = [(row, reader.line_num) for row in reader]
    except csv.Error as error:
        raise BankStatementError(
            gettext("Ligne %(line)d : CSV mal formé (%(error)s).") % {"line": reader.line_num, "error": error}
        ) from error
    for row, line_number in rows:
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if not entries and cells[0].lower() == "date":
            continue
        where = gettext("Ligne %(line)d") % {"line": line_number}
        if len(cells) == 4:
            cells.append("")  # a trailing empty reason is often dropped by spreadsheets
        if len(cells) != 5:
            raise BankStatementError(
                gettext(
                    "%(where)s : 5 colonnes attendues (date;end_to_end_id;amount;status;reason), %(count)d trouvées."
                )
                % {"where": where, "count": len(cells)}
            )
        date_text, end_to_end_text, amount_text, status_text, reason_text = cells
        status = status_text.lower()
        if status not in _CSV_STATUSES:
            raise BankStatementError(
                gettext("%(where)s : statut « %(status)s » inconnu (executed ou returned attendu).")
                % {"where": where, "status": status_text}
            )
        is_return = _CSV_STATUSES[status]
        reason_code = None
        reason = None
        if is_return:
            if re.fullmatch(r"[A-Z]{2}[0-9]{2}|[A-Z]{4}", reason_text):
                reason_code, reason = reason_text, return_reason_label(reason_text)
            else:
                reason = reason_text or return_reason_label(None)
        entries.append(
            StatementEntry(
                statement_id=statement_id,
                entry_ref=f"L{line_number}",
                end_to_end_id=_end_to_end_id(end_to_end_text),
                amount_cents=_amount_cents(amount_text, where),
                booking_date=_date(date_text, where),
                is_credit=is_return,
                is_return=is_return,
                return_reason_code=reason_code,
                return_reason=reason,
                raw=delimiter.join(row),
            )
        )
    return entries
