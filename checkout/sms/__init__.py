"""Sending SMS through a pluggable backend, the way Django sends e-mail.

``settings.SMS_BACKEND`` names the backend class (default: the console). Backends live in
``checkout.sms.backends``: ``locmem`` (tests), ``console`` (development) and ``brevo`` (Brevo's
transactional SMS API, a French provider). Texts are fitted to one GSM-7 SMS (160 characters) so a
message is never split or silently switched to UCS-2, which halves the length and doubles the price.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_BACKEND = "checkout.sms.backends.console.SmsBackend"
SINGLE_SMS_SEPTETS = 160

# GSM 03.38 basic character set: one septet each. Anything else forces UCS-2 (70 characters).
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: reachable through an escape, so each costs two septets.
GSM7_EXTENSION = "^{}\\[~]|€\f"
_GSM7 = frozenset(GSM7_BASIC + GSM7_EXTENSION)
# French typography that GSM-7 lacks, mapped to the nearest GSM-7 text (ê, â, ç… lose their accent).
_REPLACEMENTS = {
    "’": "'",
    "‘": "'",
    "«": '"',
    "»": '"',
    "“": '"',
    "”": '"',
    "…": "...",
    "–": "-",
    "—": "-",
    "œ": "oe",
    "Œ": "OE",
    "ç": "c",
}
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")


class SmsError(Exception):
    """The message was not accepted for delivery; the text says why, in words an agent can act on."""


class SmsBackend(Protocol):
    def send(self, *, to: str, text: str) -> str: ...


def to_gsm7(text: str) -> str:
    """The text with every character GSM-7 lacks replaced by its closest GSM-7 spelling."""
    text = _SPACES.sub(" ", text).strip()
    result = []
    for char in text:
        if char in _GSM7:
            result.append(char)
        elif char in _REPLACEMENTS:
            result.append(_REPLACEMENTS[char])
        else:
            stripped = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            result.append(stripped if stripped and all(c in _GSM7 for c in stripped) else "?")
    return "".join(result)


def gsm7_length(text: str) -> int:
    """Septets the text takes in GSM-7 (extension characters such as € count twice)."""
    return sum(2 if char in GSM7_EXTENSION else 1 for char in text)


def fit_single_sms(text: str) -> str:
    """GSM-7 text of at most 160 septets, cut with "..." when longer (a safety net: templates fit)."""
    text = to_gsm7(text)
    if gsm7_length(text) <= SINGLE_SMS_SEPTETS:
        return text
    while gsm7_length(text) > SINGLE_SMS_SEPTETS - 3:
        text = text[:-1]
    return text.rstrip() + "..."


# French mobile prefixes (national format) and their E.164 country codes: metropolitan 06/07 and
# the overseas departments, whose mobiles are dialled 06 9x nationally but have their own codes.
_OVERSEAS_MOBILES = {
    "0690": "590",  # Guadeloupe
    "0691": "590",
    "0694": "594",  # Guyane
    "0696": "596",  # Martinique
    "0697": "596",
    "0692": "262",  # La Réunion
    "0693": "262",
    "0639": "262",  # Mayotte
}


def normalise_french_mobile(phone: str) -> str | None:
    """+33612345678 for a French mobile number written any usual way; None for landlines and junk."""
    digits = re.sub(r"[\s.\-()/]", "", phone or "")
    if digits.startswith("+"):
        digits = "00" + digits[1:]
    if not digits.isdigit():
        return None
    if digits.startswith("0033"):
        digits = "0" + digits[4:]
    elif digits.startswith("33") and len(digits) == 11:
        digits = "0" + digits[2:]
    elif digits.startswith("00"):
        # Already international: accept overseas French codes written that way.
        for code in set(_OVERSEAS_MOBILES.values()):
            if digits.startswith("00" + code) and len(digits) == 2 + len(code) + 9:
                national = "0" + digits[2 + len(code) :]
                if _OVERSEAS_MOBILES.get(national[:4]) == code:
                    return "+" + code + national[1:]
        return None
    if len(digits) != 10 or not digits.startswith(("06", "07")):
        return None
    if digits[:4] in _OVERSEAS_MOBILES:
        return "+" + _OVERSEAS_MOBILES[digits[:4]] + digits[1:]
    if digits.startswith("07") and digits[2] not in "3456789":
        return None  # 070–072 are not allocated to mobiles
    return "+33" + digits[1:]


def get_backend(path: str | None = None) -> SmsBackend:
    if not path:
        path = getattr(settings, "SMS_BACKEND", DEFAULT_BACKEND)
    return import_string(path)()


def send_sms(*, to: str, text: str) -> str:
    """Send one SMS to an E.164 number; returns the provider's message id, raises SmsError."""
    if not re.fullmatch(r"\+[1-9]\d{6,14}", to):
        raise SmsError(f"Numéro invalide pour un SMS : « {to} » (format attendu : +33612345678).")
    return get_backend().send(to=to, text=fit_single_sms(text))
