"""Brevo (ex-Sendinblue, Paris) transactional SMS API, with the standard library only.

API (developers.brevo.com, "Send SMS message asynchronously to a mobile number"):
``POST https://api.brevo.com/v3/transactionalSMS/send``, header ``api-key: <key>``, JSON body
``{"sender": "...", "recipient": "33612345678", "content": "...", "type": "transactional"}``
(sender: at most 11 alphanumeric characters; recipient: the number with its country code).
Success: ``201 {"messageId": 1511882900176220}``. Errors: ``{"code": "...", "message": "..."}`` with
codes such as ``unauthorized`` (401), ``invalid_parameter`` / ``missing_parameter`` (400),
``not_enough_credits`` (402), ``permission_denied`` (403).

Settings: ``SMS_API_URL`` (default the endpoint above), ``SMS_API_KEY``, ``SMS_SENDER``,
``SMS_API_TIMEOUT`` (seconds, default 10).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings

from accounts.sms import SmsError

DEFAULT_API_URL = "https://api.brevo.com/v3/transactionalSMS/send"

# What each HTTP status means for the town agent reading the failed-notifications page.
_STATUS_HINTS = {
    400: "requête refusée (numéro ou texte invalide)",
    401: "clé d'API refusée (vérifiez SMS_API_KEY)",
    402: "crédit SMS épuisé",
    403: "envoi non autorisé pour ce compte",
    429: "trop d'envois, le fournisseur limite le débit",
}


class SmsBackend:
    def __init__(self) -> None:
        self.api_url: str = getattr(settings, "SMS_API_URL", "") or DEFAULT_API_URL
        self.api_key: str = getattr(settings, "SMS_API_KEY", "")
        self.sender: str = getattr(settings, "SMS_SENDER", "") or "Comptoir"
        self.timeout: float = float(getattr(settings, "SMS_API_TIMEOUT", 10))

    def send(self, *, to: str, text: str) -> str:
        if not self.api_key:
            raise SmsError("Brevo : SMS_API_KEY n'est pas configurée.")
        if not self.api_url.startswith(("https://", "http://")):
            raise SmsError(f"Brevo : SMS_API_URL invalide ({self.api_url}).")
        body = {
            "sender": self.sender[:11],
            # Brevo wants the country code without "+" (33612345678).
            "recipient": to.removeprefix("+"),
            "content": text,
            "type": "transactional",
        }
        request = urllib.request.Request(  # noqa: S310 — URL from settings, scheme checked above
            self.api_url,
            data=json.dumps(body).encode(),
            method="POST",
            headers={"api-key": self.api_key, "content-type": "application/json", "accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                payload = _json(response.read())
        except urllib.error.HTTPError as error:
            raise SmsError(_describe_http_error(error)) from error
        except TimeoutError as error:
            raise SmsError(f"Brevo : pas de réponse en {self.timeout:g} s (délai dépassé).") from error
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                raise SmsError(f"Brevo : pas de réponse en {self.timeout:g} s (délai dépassé).") from error
            raise SmsError(f"Brevo injoignable : {error.reason}.") from error
        except OSError as error:
            raise SmsError(f"Brevo injoignable : {error}.") from error
        message_id = payload.get("messageId") if isinstance(payload, dict) else None
        if message_id in (None, ""):
            raise SmsError("Brevo : réponse sans identifiant de message (messageId).")
        return str(message_id)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return None


def _describe_http_error(error: urllib.error.HTTPError) -> str:
    payload = _json(error.read())
    hint = _STATUS_HINTS.get(error.code, "erreur du fournisseur" if error.code >= 500 else "requête refusée")
    detail = ""
    if isinstance(payload, dict) and (payload.get("code") or payload.get("message")):
        detail = f" — {payload.get('code', '')}: {payload.get('message', '')}".rstrip(": ")
    return f"Brevo HTTP {error.code} : {hint}{detail}"[:480]
