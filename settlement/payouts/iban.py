"""IBAN and BIC checks for merchants' bank details (docs/money.md §7; §12, scenario 26).

Everything a merchant types at onboarding goes through ``validate_iban`` so that a payout file is
never refused by the bank for a typo: the ISO 13616 check digits, the country's length, the national
check digits (the French *clé RIB*) and membership of the SEPA zone are all verified by schwifty.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, gettext_lazy
from schwifty import BIC, IBAN, exceptions, registry

# People paste IBANs from PDFs and bank apps: blocks separated by spaces (including non-breaking
# ones), dots or dashes. Those separators never carry meaning, so they are dropped before checking.
_SEPARATORS_RE = re.compile(r"[\s.\-]+")
_ALPHANUMERIC_RE = re.compile(r"[A-Z0-9]+")

# Countries whose national check digits are the French "clé RIB" (Monaco uses the same RIB).
_RIB_COUNTRIES = frozenset({"FR", "MC"})

MASK = "••••"


def compact_iban(value: str) -> str:
    """The IBAN without separators, in upper case (the form stored and written in SEPA files)."""
    return _SEPARATORS_RE.sub("", value or "").upper()


def validate_iban(value: str) -> str:
    """Return the compact IBAN, or raise ``ValidationError`` naming what is wrong, in French."""
    iban = compact_iban(value)
    if not iban:
        raise ValidationError(gettext("Saisissez un IBAN."), code="iban_required")
    if not _ALPHANUMERIC_RE.fullmatch(iban) or not iban[:2].isalpha() or not iban[2:4].isdigit():
        raise ValidationError(
            gettext("Un IBAN commence par deux lettres et deux chiffres, suivis de lettres et de chiffres uniquement."),
            code="iban_characters",
        )
    country_code = iban[:2]
    try:
        spec = registry.get_iban_spec(country_code)
    except exceptions.InvalidCountryCode as error:
        raise ValidationError(
            gettext("« %(country)s » n’est pas le code d’un pays qui utilise l’IBAN.") % {"country": country_code},
            code="iban_country_unknown",
        ) from error
    expected_length = spec.iban_length
    if len(iban) != expected_length:
        raise ValidationError(
            gettext(
                "La longueur de cet IBAN est incorrecte : un IBAN %(country)s compte %(expected)d caractères, "
                "celui-ci en compte %(actual)d."
            )
            % {"country": country_code, "expected": expected_length, "actual": len(iban)},
            code="iban_length",
        )
    try:
        # Countries without a registered national algorithm only emit a warning: that is not an
        # error for the merchant, so it must not leak into logs as noise either.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", exceptions.NationalChecksumNotVerified)
            parsed = IBAN(iban, validate_bban=True)
    except exceptions.InvalidChecksumDigits as error:
        raise ValidationError(
            gettext("Cet IBAN n’est pas valide : sa clé de contrôle ne correspond pas. Vérifiez chaque caractère."),
            code="iban_checksum",
        ) from error
    except exceptions.InvalidBBANChecksum as error:
        if country_code in _RIB_COUNTRIES:
            raise ValidationError(gettext("La clé RIB de cet IBAN est incorrecte."), code="iban_rib_key") from error
        raise ValidationError(
            gettext("La clé de contrôle nationale de cet IBAN est incorrecte."), code="iban_national_checksum"
        ) from error
    except exceptions.InvalidLength as error:  # pragma: no cover - length is checked above
        raise ValidationError(gettext("La longueur de cet IBAN est incorrecte."), code="iban_length") from error
    except exceptions.SchwiftyException as error:
        raise ValidationError(
            gettext("Le format de cet IBAN ne correspond pas à celui des comptes %(country)s.")
            % {"country": country_code},
            code="iban_format",
        ) from error
    if not parsed.in_sepa_zone:
        raise ValidationError(
            gettext(
                "Les virements SEPA ne peuvent pas être envoyés vers un compte %(country)s : "
                "indiquez un compte situé dans la zone SEPA."
            )
            % {"country": country_code},
            code="iban_not_sepa",
        )
    return str(parsed)


def validate_bic(value: str) -> str:
    """Return the BIC in upper case (8 or 11 characters), or raise ``ValidationError`` in French."""
    bic = compact_iban(value)
    if not bic:
        raise ValidationError(gettext("Saisissez un BIC."), code="bic_required")
    try:
        parsed = BIC(bic)
    except exceptions.InvalidLength as error:
        raise ValidationError(
            gettext("Un BIC compte 8 ou 11 caractères, celui-ci en compte %(actual)d.") % {"actual": len(bic)},
            code="bic_length",
        ) from error
    except exceptions.SchwiftyException as error:
        raise ValidationError(gettext("Ce BIC n’est pas valide."), code="bic_format") from error
    return str(parsed)


def validate_bic_matches_iban(bic: str, iban: str) -> None:
    """Refuse a BIC from another country than the IBAN: the usual sign of details mixed up."""
    if validate_bic(bic)[4:6] != validate_iban(iban)[:2]:
        raise ValidationError(gettext("Ce BIC ne correspond pas au pays de l’IBAN."), code="bic_mismatch")


def mask_iban(value: str) -> str:
    """Show an IBAN without revealing it: country and check digits, then only the last block.

    ``"FR76 3000 6000 0112 3456 7890 189"`` → ``"FR76 •••• •••• •••• •••• •••• 189"``.
    """
    iban = compact_iban(value)
    blocks = [iban[index : index + 4] for index in range(0, len(iban), 4)]
    if len(blocks) <= 2:
        # Too short to be an IBAN: reveal nothing but the country rather than the whole value.
        return f"{iban[:4]} {MASK}" if iban else ""
    return " ".join([blocks[0], *[MASK] * (len(blocks) - 2), blocks[-1]])


def format_iban(value: str) -> str:
    """The IBAN in blocks of four characters, as printed on a RIB."""
    iban = compact_iban(value)
    return " ".join(iban[index : index + 4] for index in range(0, len(iban), 4))


class _BankCodeField(forms.CharField):
    """A bank code typed as people type it (spaces, lower case), cleaned to the compact form, then checked."""

    @staticmethod
    def check(value: str) -> object:
        raise NotImplementedError

    def to_python(self, value: Any) -> str | None:
        # None only for a field built with empty_value=None, as CharField allows.
        text = super().to_python(value)
        return compact_iban(text) if text else text

    def validate(self, value: str | None) -> None:
        super().validate(value)
        if value:
            self.check(value)


class IBANFormField(_BankCodeField):
    """A form field that accepts an IBAN as people type it and cleans it to the compact form."""

    default_error_messages = {"required": gettext_lazy("Saisissez un IBAN.")}
    check = staticmethod(validate_iban)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 42)  # 34 characters plus the spaces between blocks
        kwargs.setdefault("strip", True)
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        # The browser must not autocorrect or capitalise a bank account number.
        attrs.update({"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})
        return attrs


class BICFormField(_BankCodeField):
    """An optional BIC: SEPA payments in euros only need the IBAN."""

    check = staticmethod(validate_bic)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 11)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
