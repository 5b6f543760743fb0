"""The agreement's merge fields, filled in for one merchant: a tiny substitution, never a template
engine (the text is typed by the town: no tag, filter or attribute lookup may run from it).

A field is ``{{ name }}`` (spaces optional). The text is plain: paragraphs separated by blank lines.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.formatting import format_decimal, format_price
from catalog.models import Merchant
from settlement.ledger.models import PayoutSchedule, SettlementPolicy

FIELD = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")

# The fields a town may use, with what each one says (shown beside the editor).
MERGE_FIELDS: dict[str, str] = {
    "commercant": "Nom du commerçant",
    "siret": "SIRET du commerçant",
    "adresse_commercant": "Adresse du commerçant",
    "ville": "Nom de la ville",
    "commission": "Commission retenue par la ville (en %)",
    "calendrier_reversements": "Calendrier des reversements",
    "delai_retenue": "Délai entre la remise d’une commande et son reversement",
    "virement_minimum": "Montant minimum d’un virement",
}


def unknown_fields(text: str) -> list[str]:
    """The ``{{ … }}`` names of ``text`` that are not merge fields, in order of appearance, once each."""
    seen: list[str] = []
    for name in FIELD.findall(text):
        if name not in MERGE_FIELDS and name not in seen:
            seen.append(name)
    # A brace pair that is not a well-formed field (``{{ Nom }}``, ``{{nom.x}}``) is refused too.
    for match in re.findall(r"\{\{(.*?)\}\}", text, flags=re.DOTALL):
        name = match.strip()
        if not re.fullmatch(r"[a-z_]+", name) and name not in seen:
            seen.append(name)
    return seen


def format_commission(basis_points: int) -> str:
    """500 → « 5 % », 250 → « 2,5 % » (no-break space, French decimal comma)."""
    return f"{format_decimal(Decimal(basis_points) / 100)}\u00a0%"


def format_schedule(schedule: str) -> str:
    if schedule == PayoutSchedule.DAILY:
        return _("chaque jour")
    return _("deux fois par mois, le 1er et le 16")


def merge_values(*, merchant: Merchant, policy: SettlementPolicy, town_name: str) -> dict[str, str]:
    """Each merge field's French value for ``merchant`` under the town's current settlement policy."""
    return {
        "commercant": merchant.name,
        "siret": merchant.siret or _("(non renseigné)"),
        "adresse_commercant": merchant.postal_address or _("(adresse non renseignée)"),
        "ville": town_name,
        "commission": format_commission(policy.commission_basis_points),
        "calendrier_reversements": format_schedule(policy.payout_schedule),
        "delai_retenue": ngettext("%(days)d jour", "%(days)d jours", policy.hold_days) % {"days": policy.hold_days},
        "virement_minimum": format_price(policy.minimum_payout_cents),
    }


def fill_in(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each known field replaced by its value (an unknown one is left as typed)."""
    return FIELD.sub(lambda match: values.get(match[1], match[0]), text).replace("\r\n", "\n")


def text_digest(text: str) -> str:
    """The SHA-256 (hex) of the text's UTF-8 bytes: what the merchant's acceptance is bound to."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
