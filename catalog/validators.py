"""Checks on catalogue data, with French messages for the people who type it."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import ean as stdnum_ean
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siret as stdnum_siret

MAX_PRICE_CENTS = 10_000_000  # 100 000 € — beyond that it is a typing error, not a shop price
MAX_STOCK = 10_000_000  # units on hand; beyond that a typing error (and past the database's integer)


def compact_siret(text: str) -> str:
    """ "732 829 320 00074", "732.829.320.00074" → "73282932000074": a SIRET as printed on invoices."""
    return re.sub(r"[\s.]", "", text)


def validate_siret(value: str) -> None:
    """14 digits with a valid Luhn checksum (La Poste's establishments excepted, as stdnum does)."""
    try:
        stdnum_siret.validate(value)
    except StdnumError as error:
        raise ValidationError(
            _("Le SIRET « %(value)s » n'est pas valide : vérifiez les 14 chiffres.") % {"value": value},
            code="invalid_siret",
        ) from error


def validate_ean(value: str) -> None:
    """EAN-8, EAN-13 (or UPC/GTIN-14) with a correct check digit."""
    try:
        stdnum_ean.validate(value)
    except StdnumError as error:
        raise ValidationError(
            _("Le code-barres EAN « %(value)s » n'est pas valide (chiffre de contrôle faux ou longueur incorrecte).")
            % {"value": value},
            code="invalid_ean",
        ) from error


def validate_price_cents(value: int) -> None:
    if value < 0:
        raise ValidationError(_("Un prix ne peut pas être négatif."), code="negative_price")
    if value > MAX_PRICE_CENTS:
        raise ValidationError(_("Un prix de plus de 100 000 € est refusé : vérifiez la saisie."), code="absurd_price")
