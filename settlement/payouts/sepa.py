"""SEPA credit-transfer files (pain.001) paying merchants from the town's treasury (docs/money.md §7).

``build_credit_transfer_file`` is a pure function: frozen dataclasses in, file bytes out. It refuses
a batch before calling sepaxml (which crashes on a 0.00 amount and trusts its input), lets sepaxml
write the document, rewrites the few parts sepaxml cannot control (our MsgId and PmtInfId, the
creation time, an IBAN-only debtor agent), validates the result against the bundled ISO 20022 XSD,
then reads the XML back with the standard library and checks NbOfTxs, CtrlSum, every amount and
every EndToEndId against the input. Any disagreement raises ``SepaError``: a file that is not
exactly the batch must never reach the bank.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

import sepaxml
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from sepaxml import SepaTransfer

from settlement.payouts.iban import validate_bic, validate_iban

if TYPE_CHECKING:
    import xmlschema

SepaVersion = Literal["pain.001.001.09", "pain.001.001.03"]
SEPA_VERSIONS: tuple[SepaVersion, ...] = ("pain.001.001.09", "pain.001.001.03")
DEFAULT_VERSION: SepaVersion = "pain.001.001.09"

CURRENCY = "EUR"
MAX_IDENTIFIER_LENGTH = 35
MAX_NAME_LENGTH = 70
MAX_REMITTANCE_LENGTH = 140
# The EPC caps one credit transfer at 999,999,999.99 EUR; the XSD would accept more.
MAX_AMOUNT_CENTS = 99_999_999_999

# CreDtTm is written in the towns' civil time, without offset, as French banks' examples show.
_PARIS = ZoneInfo("Europe/Paris")

# Countries of the European Economic Area (plus the EU outermost regions that have their own IBAN
# prefix). A transfer to a SEPA country outside the EEA (CH, GB, MC, SM…) must carry the
# creditor's address, so such a line without one is refused here rather than returned by the bank.
_EEA_COUNTRIES = frozenset(
    {
        *("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE"),
        *("IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "IS", "LI", "NO"),
        *("GF", "GP", "MQ", "RE", "YT", "MF"),
    }
)

# The EPC "basic Latin" character set that every SEPA bank must accept (EPC217-08). Anything else
# (accents, "&", "<", emoji…) may be rejected or mangled by a bank along the chain.
_SEPA_TEXT_RE = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
_IDENTIFIER_RE = re.compile(r"[A-Za-z0-9/\-?:().,'+]+")
# Characters NFKD does not decompose into Latin letters, and punctuation with a Latin equivalent.
_TRANSLITERATIONS = str.maketrans(
    {
        "œ": "oe",
        "Œ": "OE",
        "æ": "ae",
        "Æ": "AE",
        "ß": "ss",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ł": "l",
        "Ł": "L",
        "þ": "th",
        "Þ": "TH",
        "ð": "d",
        "Ð": "D",
        "&": " et ",
        "’": "'",
        "‘": "'",
        "‚": "'",
        "`": "'",
        "´": "'",
        "–": "-",
        "—": "-",
        "_": "-",
        "°": "o",
        "€": "EUR",
    }
)
_WHITESPACE_RE = re.compile(r"\s+")
_AMOUNT_TEXT_RE = re.compile(r"(0|[1-9][0-9]*)(?:\.([0-9]{1,2}))?")


class SepaError(Exception):
    """A batch that cannot become a SEPA file, with every reason in French."""

    def __init__(self, messages: str | Sequence[str]) -> None:
        self.messages: list[str] = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("\n".join(self.messages))


@dataclass(frozen=True, kw_only=True)
class PostalAddress:
    """A structured address (StrtNm, BldgNb, PstCd, TwnNm, Ctry): unstructured lines are refused
    by SEPA banks from November 2026."""

    street: str
    building_number: str
    postcode: str
    town: str
    country: str = "FR"


@dataclass(frozen=True, kw_only=True)
class Debtor:
    """The town's treasury account, which every transfer of the batch is drawn on."""

    name: str
    iban: str
    bic: str | None = None
    address: PostalAddress


@dataclass(frozen=True, kw_only=True)
class TransferLine:
    """One payment to one merchant; ``end_to_end_id`` is our payout line id (``PL123``), which the
    bank hands back on statements and returns."""

    end_to_end_id: str
    creditor_name: str
    creditor_iban: str
    creditor_bic: str | None = None
    creditor_address: PostalAddress | None = None
    amount_cents: int
    remittance: str


@dataclass(frozen=True, kw_only=True)
class TransferBatch:
    """Everything a pain.001 file says. ``created_at`` fixes CreDtTm so the file (and its hash) is
    reproducible; ``None`` means now."""

    message_id: str
    payment_info_id: str
    debtor: Debtor
    execution_date: datetime.date
    lines: Sequence[TransferLine]
    version: SepaVersion = DEFAULT_VERSION
    currency: str = CURRENCY
    created_at: datetime.datetime | None = None


@dataclass(frozen=True, kw_only=True)
class SepaFile:
    """The bytes to store and send, with what was checked in them."""

    xml: bytes
    sha256: str
    number_of_transactions: int
    control_sum_cents: int
    execution_date: datetime.date
    message_id: str
    payment_info_id: str
    version: SepaVersion
    end_to_end_ids: tuple[str, ...] = field(default=())


# --- Amounts -------------------------------------------------------------------------------------


def cents_to_decimal_text(amount_cents: int) -> str:
    """``1999`` → ``"19.99"``: integer arithmetic only, floats would round."""
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents < 0:
        raise ValueError(f"amount in cents must be a non-negative int, got {amount_cents!r}")
    euros, cents = divmod(amount_cents, 100)
    return f"{euros}.{cents:02d}"


def decimal_text_to_cents(text: str) -> int:
    """``"19.99"`` → ``1999``; ``"19.9"`` → ``1990``. Refuses anything that is not a plain amount."""
    match = _AMOUNT_TEXT_RE.fullmatch((text or "").strip())
    if match is None:
        raise ValueError(f"not an amount: {text!r}")
    euros, fraction = match.groups()
    return int(euros) * 100 + int((fraction or "0").ljust(2, "0"))


# --- TARGET2 calendar ----------------------------------------------------------------------------


def easter_sunday(year: int) -> datetime.date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return datetime.date(year, month, day + 1)


def target_holidays(year: int) -> frozenset[datetime.date]:
    """The days TARGET2 is closed besides weekends: 1 Jan, Good Friday, Easter Monday, 1 May, 25–26 Dec."""
    easter = easter_sunday(year)
    return frozenset(
        {
            datetime.date(year, 1, 1),
            easter - datetime.timedelta(days=2),
            easter + datetime.timedelta(days=1),
            datetime.date(year, 5, 1),
            datetime.date(year, 12, 25),
            datetime.date(year, 12, 26),
        }
    )


def is_target_business_day(day: datetime.date) -> bool:
    """Whether SEPA payments settle on ``day``."""
    return day.weekday() < 5 and day not in target_holidays(day.year)


def next_target_business_day(day: datetime.date) -> datetime.date:
    """``day`` itself if TARGET2 is open, otherwise the next day it is."""
    while not is_target_business_day(day):
        day += datetime.timedelta(days=1)
    return day


# --- Text cleaning -------------------------------------------------------------------------------


def clean_sepa_text(value: str, max_length: int) -> str:
    """Transliterate to the SEPA basic Latin set and truncate: "Crêpes & Cie 🥞" → "Crepes et Cie".

    Accents are dropped (NFKD), ligatures spelled out, "&" written "et", and every other character
    outside the set (emoji, "<", quotes…) becomes a space, so the bank receives what we validated.
    """
    text = unicodedata.normalize("NFKC", value or "").translate(_TRANSLITERATIONS)
    text = "".join(char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char))
    text = _SEPA_TEXT_RE.sub(" ", text)
    text = _WHITESPACE_RE.sub(" ", text).strip()
    return text[:max_length].rstrip()


def _identifier_problem(value: str) -> str | None:
    if not value:
        return gettext("l’identifiant est vide")
    if len(value) > MAX_IDENTIFIER_LENGTH:
        return gettext("l’identifiant « %(value)s » dépasse 35 caractères") % {"value": value}
    if not _IDENTIFIER_RE.fullmatch(value) or value.startswith("/") or value.endswith("/") or "//" in value:
        return gettext("l’identifiant « %(value)s » contient des caractères interdits en SEPA") % {"value": value}
    return None


# --- Validation before sepaxml -------------------------------------------------------------------


@dataclass(frozen=True)
class _CleanAddress:
    street: str
    building_number: str
    postcode: str
    town: str
    country: str

    def as_sepaxml(self) -> dict[str, str]:
        # sepaxml writes these keys as StrtNm, BldgNb, PstCd, TwnNm, Ctry in XSD order and skips
        # empty ones, which gives the structured form for both .03 and .09.
        values = {
            "street_name": self.street,
            "building_number": self.building_number,
            "postcode": self.postcode,
            "town": self.town,
            "country": self.country,
        }
        return {key: text for key, text in values.items() if text}


@dataclass(frozen=True)
class _CleanLine:
    end_to_end_id: str
    name: str
    iban: str
    bic: str | None
    address: _CleanAddress | None
    amount_cents: int
    remittance: str


def _clean_address(address: PostalAddress, who: str, errors: list[str]) -> _CleanAddress:
    country = (address.country or "").strip().upper()
    clean = _CleanAddress(
        street=clean_sepa_text(address.street, 70),
        building_number=clean_sepa_text(address.building_number, 16),
        postcode=clean_sepa_text(address.postcode, 16),
        town=clean_sepa_text(address.town, 35),
        country=country,
    )
    if not clean.town:
        errors.append(gettext("%(who)s : la commune de l’adresse est obligatoire.") % {"who": who})
    if not re.fullmatch(r"[A-Z]{2}", country):
        errors.append(
            gettext("%(who)s : le pays de l’adresse doit être un code ISO à deux lettres (FR).") % {"who": who}
        )
    return clean


def _checked_iban(value: str, who: str, errors: list[str]) -> str:
    try:
        return validate_iban(value)
    except ValidationError as error:
        errors.extend(f"{who} : {message}" for message in error.messages)
        return ""


def _checked_bic(value: str | None, who: str, errors: list[str]) -> str | None:
    if not value:
        return None
    try:
        return validate_bic(value)
    except ValidationError as error:
        errors.extend(f"{who} : {message}" for message in error.messages)
        return None


def _clean_line(line: TransferLine, position: int, seen: set[str], errors: list[str]) -> _CleanLine:
    who = gettext("Ligne %(id)s") % {"id": line.end_to_end_id or f"n° {position}"}
    problem = _identifier_problem(line.end_to_end_id)
    if problem:
        errors.append(f"{who} : EndToEndId invalide, {problem}.")
    elif line.end_to_end_id.upper() == "NOTPROVIDED":
        errors.append(
            gettext("%(who)s : l’EndToEndId doit être l’identifiant de la ligne de reversement.") % {"who": who}
        )
    if line.end_to_end_id in seen:
        errors.append(gettext("%(who)s : cet EndToEndId apparaît deux fois dans le lot.") % {"who": who})
    seen.add(line.end_to_end_id)

    amount = line.amount_cents
    if isinstance(amount, bool) or not isinstance(amount, int):
        errors.append(gettext("%(who)s : le montant doit être un nombre entier de centimes.") % {"who": who})
        amount = 0
    elif amount <= 0:
        errors.append(
            gettext("%(who)s : le montant doit être strictement positif (reçu %(amount)s centimes).")
            % {"who": who, "amount": amount}
        )
    elif amount > MAX_AMOUNT_CENTS:
        errors.append(gettext("%(who)s : le montant dépasse le maximum d’un virement SEPA.") % {"who": who})

    name = clean_sepa_text(line.creditor_name, MAX_NAME_LENGTH)
    if not name:
        errors.append(gettext("%(who)s : le nom du bénéficiaire est vide.") % {"who": who})
    iban = _checked_iban(line.creditor_iban, who, errors)
    bic = _checked_bic(line.creditor_bic, who, errors)
    address = _clean_address(line.creditor_address, who, errors) if line.creditor_address else None
    if iban and address is None and iban[:2] not in _EEA_COUNTRIES:
        errors.append(
            gettext(
                "%(who)s : l’adresse du bénéficiaire est obligatoire pour un compte hors Espace économique européen."
            )
            % {"who": who}
        )

    remittance = clean_sepa_text(line.remittance, MAX_REMITTANCE_LENGTH + 1)
    if not remittance:
        errors.append(gettext("%(who)s : le libellé du virement est vide.") % {"who": who})
    elif len(remittance) > MAX_REMITTANCE_LENGTH:
        # The libellé carries the batch reference the merchant reconciles with: cutting it would
        # silently lose that reference, so an over-long one is a bug to fix, not to truncate.
        errors.append(gettext("%(who)s : le libellé du virement dépasse 140 caractères.") % {"who": who})
    return _CleanLine(line.end_to_end_id, name, iban, bic, address, amount, remittance)


# --- Generation ----------------------------------------------------------------------------------


def build_credit_transfer_file(batch: TransferBatch) -> SepaFile:
    """A pain.001 file for ``batch``, XSD-valid and re-read to equal it, or ``SepaError``."""
    errors: list[str] = []
    if batch.version not in SEPA_VERSIONS:
        errors.append(gettext("Version SEPA non prise en charge : %(version)s.") % {"version": batch.version})
    if batch.currency != CURRENCY:
        errors.append(gettext("Les virements SEPA de reversement se font en euros (EUR) uniquement."))
    for label, value in (("MsgId", batch.message_id), ("PmtInfId", batch.payment_info_id)):
        problem = _identifier_problem(value)
        if problem:
            errors.append(f"{label} : {problem}.")

    debtor_who = gettext("Compte de la commune")
    debtor_name = clean_sepa_text(batch.debtor.name, MAX_NAME_LENGTH)
    if not debtor_name:
        errors.append(gettext("%(who)s : le nom du titulaire est vide.") % {"who": debtor_who})
    debtor_iban = _checked_iban(batch.debtor.iban, debtor_who, errors)
    debtor_bic = _checked_bic(batch.debtor.bic, debtor_who, errors)
    debtor_address = _clean_address(batch.debtor.address, debtor_who, errors)

    if not batch.lines:
        errors.append(gettext("Le lot ne contient aucun virement."))
    seen: set[str] = set()
    lines = [_clean_line(line, position, seen, errors) for position, line in enumerate(batch.lines, start=1)]
    control_sum_cents = sum(line.amount_cents for line in lines)
    if errors:
        raise SepaError(errors)

    execution_date = next_target_business_day(batch.execution_date)
    created_at = batch.created_at or datetime.datetime.now(tz=datetime.UTC)
    if created_at.tzinfo is None:
        raise SepaError(gettext("L’heure de création du fichier doit être datée avec un fuseau horaire."))

    config: dict[str, Any] = {
        "name": debtor_name,
        "IBAN": debtor_iban,
        "batch": True,
        "currency": CURRENCY,
        "address": debtor_address.as_sepaxml(),
    }
    if debtor_bic:
        config["BIC"] = debtor_bic
    document = _render_with_sepaxml(config, lines, execution_date, batch.version)
    xml = _finalise(
        document,
        version=batch.version,
        message_id=batch.message_id,
        payment_info_id=batch.payment_info_id,
        created_at=created_at,
        has_debtor_bic=debtor_bic is not None,
    )
    validate_against_xsd(xml, batch.version)
    checked = replace(batch, execution_date=execution_date)
    verify_credit_transfer_file(xml, checked)
    return SepaFile(
        xml=xml,
        sha256=hashlib.sha256(xml).hexdigest(),
        number_of_transactions=len(lines),
        control_sum_cents=control_sum_cents,
        execution_date=execution_date,
        message_id=batch.message_id,
        payment_info_id=batch.payment_info_id,
        version=batch.version,
        end_to_end_ids=tuple(line.end_to_end_id for line in lines),
    )


def _render_with_sepaxml(
    config: dict[str, Any], lines: Sequence[_CleanLine], execution_date: datetime.date, version: SepaVersion
) -> bytes:
    # clean=False: sepaxml's own cleaning (unidecode, no charset filter) would run after ours and
    # could only make the text differ from what we validated.
    transfer = SepaTransfer(config, schema=version, clean=False)
    for line in lines:
        payment: dict[str, Any] = {
            "name": line.name,
            "IBAN": line.iban,
            "amount": line.amount_cents,
            "execution_date": execution_date,
            "description": line.remittance,
            "endtoend_id": line.end_to_end_id,
        }
        if line.bic:
            payment["BIC"] = line.bic
        if line.address:
            payment["address"] = line.address.as_sepaxml()
        transfer.add_payment(payment)
    try:
        # Our own XSD check runs on the final bytes, after the rewrite below.
        return transfer.export(validate=False)
    except Exception as error:  # sepaxml raises bare Exceptions, or ValueError on a 0.00 amount
        raise SepaError(gettext("sepaxml n’a pas pu produire le fichier : %(error)s") % {"error": error}) from error


def _namespace(version: str) -> str:
    return f"urn:iso:std:iso:20022:tech:xsd:{version}"


def _finalise(
    document: bytes,
    *,
    version: SepaVersion,
    message_id: str,
    payment_info_id: str,
    created_at: datetime.datetime,
    has_debtor_bic: bool,
) -> bytes:
    """Put our identifiers into sepaxml's document.

    sepaxml always draws MsgId and PmtInfId at random and stamps CreDtTm with the server's clock;
    ours are stored on the batch (and must be, to match pain.002 and statements), and a fixed
    CreDtTm makes the file reproducible. Without a BIC sepaxml leaves ``<FinInstnId/>`` empty:
    the XSD accepts it but banks expect ``Othr/Id = NOTPROVIDED`` for IBAN-only payments.
    """
    namespace = _namespace(version)
    names = {"p": namespace}
    root = ET.fromstring(document)  # noqa: S314 - our own output, not external input
    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", names)
    payment_infos = root.findall("p:CstmrCdtTrfInitn/p:PmtInf", names)
    if header is None or len(payment_infos) != 1:
        raise SepaError(gettext("Le fichier produit par sepaxml n’a pas la structure attendue (un seul PmtInf)."))
    _required(header, "p:MsgId", names).text = message_id
    _required(header, "p:CreDtTm", names).text = created_at.astimezone(_PARIS).strftime("%Y-%m-%dT%H:%M:%S")
    payment_info = payment_infos[0]
    _required(payment_info, "p:PmtInfId", names).text = payment_info_id
    if not has_debtor_bic:
        institution = _required(payment_info, "p:DbtrAgt/p:FinInstnId", names)
        if len(institution) == 0:
            other = ET.SubElement(institution, f"{{{namespace}}}Othr")
            ET.SubElement(other, f"{{{namespace}}}Id").text = "NOTPROVIDED"
    # Written the way sepaxml writes it (plain tags, one default xmlns) rather than through
    # ET.register_namespace, which is process-wide state shared by concurrent exports.
    for element in root.iter():
        element.tag = element.tag.rpartition("}")[2]
    root.set("xmlns", namespace)
    body = ET.tostring(root, encoding="unicode")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body.encode("utf-8")


def _required(parent: ET.Element, path: str, names: dict[str, str]) -> ET.Element:
    element = parent.find(path, names)
    if element is None:
        raise SepaError(gettext("Élément %(path)s absent du fichier SEPA.") % {"path": path.replace("p:", "")})
    return element


# --- Checks after generation ---------------------------------------------------------------------


@functools.cache
def _schema(version: SepaVersion) -> xmlschema.XMLSchema:
    # Imported late, as sepaxml does: xmlschema patches ElementTree when imported.
    import xmlschema

    return xmlschema.XMLSchema(str(Path(sepaxml.__file__).parent / "schemas" / f"{version}.xsd"))


def validate_against_xsd(xml: bytes, version: SepaVersion) -> None:
    """Raise ``SepaError`` listing every XSD violation of ``xml`` (the bundled ISO 20022 schema)."""
    problems = [f"{error.path or '/'} : {error.reason}" for error in _schema(version).iter_errors(xml.decode("utf-8"))]
    if problems:
        raise SepaError(
            [gettext("Le fichier SEPA n’est pas conforme au schéma %(version)s.") % {"version": version}, *problems]
        )


def verify_credit_transfer_file(xml: bytes, batch: TransferBatch) -> None:
    """Read ``xml`` back and check it says exactly ``batch``: identifiers, date, count, sums, lines.

    Deliberately independent of sepaxml (standard-library parsing, our own amount reading), so a
    bug in the generator cannot hide itself.
    """
    names = {"p": _namespace(batch.version)}
    try:
        root = ET.fromstring(xml)  # noqa: S314 - our own output, not external input
    except ET.ParseError as error:
        raise SepaError(gettext("Le fichier SEPA n’est pas un XML lisible : %(error)s") % {"error": error}) from error
    mismatches: list[str] = []

    def expect(what: str, found: object, expected: object) -> None:
        if found != expected:
            mismatches.append(
                gettext("%(what)s : le fichier indique %(found)s, le lot %(expected)s.")
                % {"what": what, "found": found, "expected": expected}
            )

    def amount(element: ET.Element | None, what: str) -> int | None:
        try:
            return decimal_text_to_cents(element.text or "") if element is not None else None
        except ValueError:
            mismatches.append(gettext("%(what)s : montant illisible.") % {"what": what})
            return None

    def number(element: ET.Element | None) -> int | None:
        text = (element.text or "").strip() if element is not None else ""
        return int(text) if text.isdigit() else None

    expected_count = len(batch.lines)
    expected_sum = sum(line.amount_cents for line in batch.lines)
    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", names)
    payment_infos = root.findall("p:CstmrCdtTrfInitn/p:PmtInf", names)
    if header is None or len(payment_infos) != 1:
        raise SepaError(gettext("Le fichier SEPA relu n’a pas un en-tête et un seul PmtInf."))
    payment_info = payment_infos[0]
    expect("GrpHdr/MsgId", header.findtext("p:MsgId", None, names), batch.message_id)
    expect("GrpHdr/NbOfTxs", number(header.find("p:NbOfTxs", names)), expected_count)
    expect("GrpHdr/CtrlSum", amount(header.find("p:CtrlSum", names), "GrpHdr/CtrlSum"), expected_sum)
    expect("PmtInf/PmtInfId", payment_info.findtext("p:PmtInfId", None, names), batch.payment_info_id)
    expect("PmtInf/NbOfTxs", number(payment_info.find("p:NbOfTxs", names)), expected_count)
    expect("PmtInf/CtrlSum", amount(payment_info.find("p:CtrlSum", names), "PmtInf/CtrlSum"), expected_sum)
    date_path = "p:ReqdExctnDt" if batch.version == "pain.001.001.03" else "p:ReqdExctnDt/p:Dt"
    expect("PmtInf/ReqdExctnDt", payment_info.findtext(date_path, None, names), batch.execution_date.isoformat())

    transactions = payment_info.findall("p:CdtTrfTxInf", names)
    expect(gettext("Nombre de CdtTrfTxInf"), len(transactions), expected_count)
    total = 0
    for transaction, line in zip(transactions, batch.lines, strict=False):
        end_to_end_id = transaction.findtext("p:PmtId/p:EndToEndId", None, names)
        expect(gettext("EndToEndId"), end_to_end_id, line.end_to_end_id)
        instructed = transaction.find("p:Amt/p:InstdAmt", names)
        cents = amount(instructed, f"InstdAmt {end_to_end_id}")
        expect(f"InstdAmt {end_to_end_id}", cents, line.amount_cents)
        expect(f"InstdAmt/@Ccy {end_to_end_id}", None if instructed is None else instructed.get("Ccy"), CURRENCY)
        total += cents or 0
    expect(gettext("Somme des InstdAmt"), total, expected_sum)
    if mismatches:
        raise SepaError([gettext("Le fichier SEPA relu ne correspond pas au lot."), *mismatches])
