"""Sending SMS through a pluggable backend, the way Django sends e-mail.

``settings.SMS_BACKEND`` names the backend class (default: the console). Backends live in
``accounts.sms.backends``: ``locmem`` (tests), ``console`` (development) and ``brevo`` (Brevo's
transactional SMS API, a French provider). Texts are fitted to one GSM-7 SMS (160 septets) so a
message is never split or silently switched to UCS-2, which halves the length and doubles the price:
the accented letters GSM-7 has are kept (é, è, à, ù, É, Ç…), the others lose their accent (ê → e).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Protocol

import gsm0338  # noqa: F401 — registers the "gsm03.38" codec
from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_BACKEND = "accounts.sms.backends.console.SmsBackend"
SINGLE_SMS_SEPTETS = 160
# The GSM 03.38 alphabet is the gsm0338 library's codec (3GPP TS 23.038 tables): a character of the
# basic table is one septet, one of the extension table (€, [, ]…) an escape and itself, two.
GSM7_CODEC = "gsm03.38"
# French typography and letters GSM-7 lacks, mapped to the nearest GSM-7 text. The basic table keeps
# é è ù ì ò à É Ç; other accented letters (ê, â, î, ô, û, ç, ë…) fall back to their bare letter below.
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
}
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")


class SmsError(Exception):
    """The message was not accepted for delivery; the text says why, in words an agent can act on."""


class SmsBackend(Protocol):
    def send(self, *, to: str, text: str) -> str: ...


@functools.lru_cache(maxsize=1024)
def _septets(char: str) -> int | None:
    """Septets of one character in GSM-7 (1 or 2), None when GSM-7 cannot write it."""
    try:
        return len(char.encode(GSM7_CODEC))
    except UnicodeEncodeError:
        return None


def _gsm7_spelling(char: str) -> str:
    if _septets(char) is not None:
        return char
    if char in _REPLACEMENTS:
        return _REPLACEMENTS[char]
    bare = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return bare if bare and all(_septets(c) is not None for c in bare) else "?"


def to_gsm7(text: str) -> str:
    """The text with each character GSM-7 lacks replaced by its closest GSM-7 spelling (ê → e, œ → oe),
    the accented letters GSM-7 has (é, è, à, ù, É, Ç…) kept."""
    return "".join(_gsm7_spelling(char) for char in _SPACES.sub(" ", text).strip())


def is_gsm7(text: str) -> bool:
    """True when the whole text is GSM-7 (sent as such, never switched to UCS-2)."""
    return all(_septets(char) is not None for char in text)


def gsm7_length(text: str) -> int:
    """Septets the text takes in GSM-7 (extension characters such as € count twice)."""
    return len(text.encode(GSM7_CODEC))


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
