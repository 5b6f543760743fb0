"""French money, numbers, clock times, days and postal addresses: values in, text out (and typed text back).

The one place for these rules: the storefront, the back-office, the CSV files, e-mails, SMS, PDF tickets
and the checkout pages all call these functions rather than writing "12,50", "9 h 30", "mardi 8 décembre"
or "12 Rue Royale, 62100 Calais" themselves.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal

from babel.numbers import format_currency
from django.utils import formats, translation

# Net content units expressed in the reference unit of the price per unit (kg or litre).
_TO_REFERENCE = {
    "g": (Decimal("0.001"), "kg"),
    "kg": (Decimal(1), "kg"),
    "ml": (Decimal("0.001"), "l"),
    "cl": (Decimal("0.01"), "l"),
    "l": (Decimal(1), "l"),
}


@functools.lru_cache(maxsize=16_384)
def format_price(cents: int, *, locale: str = "fr_FR") -> str:
    """12,50 € — with the no-break spaces French typography uses (Babel's CLDR data).

    Cached: Babel takes ~70 µs a call and a product list formats dozens of prices per page.
    """
    return format_currency(Decimal(cents) / 100, "EUR", locale=locale)


def format_amount(cents: int) -> str:
    """-1250 → "-12,50": an amount as French people type it and French Excel reads it as a number
    (decimal comma, no thousands separator, no symbol): form fields and CSV cells."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole},{part:02d}"


class AmountError(ValueError):
    """Text that is not an amount of euros: ``reason`` is "unreadable" or "too_precise" (below the cent)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_AMOUNT_NOISE = re.compile(r"[\s€]|eur", re.IGNORECASE)
_AMOUNT = re.compile(r"(?P<sign>[-+]?)(?P<euros>[0-9]+)(?:\.(?P<fraction>[0-9]+))?")
# Past any amount a caller accepts: longer numbers are read as this, never as a huge integer.
_MAX_EURO_DIGITS = 15


def parse_amount(text: str) -> int:
    """ "12,50", "12.5", "1 234,56 €", "1.234,56", "1,234.56", "-3" → cents (signed), in integers only.

    A comma or a point is the decimal mark; when both appear, the last one is and the other separates
    thousands. Zeros past the cent are allowed ("12,500"), other digits are not ("12,505").
    """
    cleaned = _AMOUNT_NOISE.sub("", text)
    if "," in cleaned and "." in cleaned:
        thousands, decimal = (".", ",") if cleaned.rfind(",") > cleaned.rfind(".") else (",", ".")
        cleaned = cleaned.replace(thousands, "").replace(decimal, ".")
    else:
        cleaned = cleaned.replace(",", ".")
    match = _AMOUNT.fullmatch(cleaned)
    if match is None:
        raise AmountError("unreadable")
    fraction = (match["fraction"] or "").rstrip("0")
    if len(fraction) > 2:
        raise AmountError("too_precise")
    euros = match["euros"].lstrip("0")
    if len(euros) > _MAX_EURO_DIGITS:
        euros = "9" * (_MAX_EURO_DIGITS + 1)
    cents = int(euros or "0") * 100 + int(fraction.ljust(2, "0"))
    return -cents if match["sign"] == "-" else cents


def format_decimal(value: Decimal) -> str:
    """0.350 → "0,35", 5.5 → "5,5", 2 → "2": a quantity or a rate, decimal comma, no trailing zeros."""
    return f"{value.normalize():f}".replace(".", ",")


# What follows a quantity of goods sold by weight or volume (SaleUnit values); pieces have no suffix.
UNIT_SUFFIXES = {"kg": "kg", "litre": "l"}


def format_quantity(quantity: Decimal, unit: str) -> str:
    """3 (pieces), 0,35 kg, 1,5 l: a quantity of an order or a basket line."""
    text = format_decimal(Decimal(quantity))
    suffix = UNIT_SUFFIXES.get(unit)
    return f"{text} {suffix}" if suffix else text


def format_clock(value: dt.time, *, space: str = " ") -> str:
    """9 h, 9 h 30, 14 h 05: a time of day as French people write it (``space``: a no-break one in tables)."""
    if value.minute == 0:
        return f"{value.hour}{space}h"
    return f"{value.hour}{space}h{space}{value.minute:02d}"


def format_day(value: dt.date) -> str:
    """mardi 8 décembre, mardi 1er décembre: a day as said in the active language (names from Django)."""
    text = formats.date_format(value, "l j F")
    if value.day == 1 and (translation.get_language() or "fr").startswith("fr"):
        text = text.replace(" 1 ", " 1er ", 1)
    return text


def format_short_day(value: dt.date) -> str:
    """08/12: a day where every character counts (an SMS), in the day-first order French readers expect."""
    return f"{value:%d/%m}"


def format_moment(value: dt.datetime, *, weekday: bool = False) -> str:
    """7 décembre 2026 à 14 h 05 (``weekday``: lundi 7 décembre 2026 à 14 h): a date and time of day
    in one phrase, for the journals and statements where the year matters (the day in ``format_day``'s
    words, the time in ``format_clock``'s)."""
    text = formats.date_format(value, "l j F Y" if weekday else "j F Y")
    if value.day == 1 and (translation.get_language() or "fr").startswith("fr"):
        text = text.replace(" 1 ", " 1er ", 1) if weekday else text.replace("1 ", "1er ", 1)
    return translation.gettext("%(day)s à %(time)s") % {"day": text, "time": format_clock(value.time())}


def format_address(street: str, postcode: str = "", city: str = "") -> str:
    """ "12 Rue Royale, 62100 Calais": a street line, then its postcode and town once.

    A geocoded label ("12 Rue Royale 62100 Calais", the national address base's) already ends with the
    postcode and town: they are not written twice.
    """
    street = " ".join((street or "").split()).rstrip(" ,")
    locality = " ".join(f"{postcode or ''} {city or ''}".split())
    if locality and street.casefold().endswith(locality.casefold()):
        street = street[: -len(locality)].rstrip(" ,")
    return ", ".join(part for part in (street, locality) if part)


def tel_link(phone: str) -> str:
    """The ``tel:`` address of a phone number as typed ("03.21.46.62.00" → "tel:0321466200")."""
    return "tel:" + re.sub(r"[^\d+]", "", phone or "")


def price_per_reference_unit(*, price_cents: int, quantity: Decimal, unit: str) -> tuple[int, str] | None:
    """Price per kg or per litre (in cents, rounded half up) for a piece of the given net content."""
    if unit not in _TO_REFERENCE or quantity is None or quantity <= 0:
        return None
    factor, reference = _TO_REFERENCE[unit]
    per_unit = (Decimal(price_cents) / (quantity * factor)).quantize(Decimal(1), rounding="ROUND_HALF_UP")
    return int(per_unit), reference


def format_vat_rate(basis_points: int) -> str:
    if basis_points == 0:
        return "TVA non applicable, art. 293 B du CGI"
    return f"{format_decimal(Decimal(basis_points) / 100)} %"
