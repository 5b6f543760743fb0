"""Parsing single cells (prices, VAT rates, units, stock, EAN, yes/no, merchant kinds) and categories."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from catalog.formatting import AmountError, parse_amount
from catalog.imports.base import MAX_STOCK, RowInvalid, fold
from catalog.models import (
    Category,
    Merchant,
    MerchantKind,
    SaleUnit,
    VatRate,
)
from catalog.validators import validate_ean, validate_price_cents

TRUE_WORDS = frozenset({"oui", "o", "yes", "y", "true", "vrai", "1", "x"})
FALSE_WORDS = frozenset({"non", "n", "no", "false", "faux", "0"})
UNIT_WORDS = {
    **dict.fromkeys(("piece", "pieces", "pc", "pce", "u", "unite", "unit"), SaleUnit.PIECE),
    **dict.fromkeys(("kg", "kilo", "kilos", "kilogramme", "kilogrammes"), SaleUnit.KILOGRAM),
    **dict.fromkeys(("l", "litre", "litres", "liter"), SaleUnit.LITRE),
}
VAT_BASIS_POINTS = {2000, 1000, 550, 210, 0}
VAT_EXEMPT_WORDS = frozenset({"293b", "art293b", "art.293b", "exonere", "franchise", "nonapplicable"})


# --- parsing single cells ----------------------------------------------------------------------
def parse_price_cents(text: str) -> int:
    """ "12,50", "12.50", "1 234,56 €", "1,234.56" → cents, read as the back-office form reads a price."""
    try:
        cents = parse_amount(text)
    except AmountError as error:
        if error.reason == "too_precise":
            raise RowInvalid("prix", _("Prix « %(value)s » : deux décimales au plus.") % {"value": text}) from None
        raise RowInvalid(
            "prix", _("Prix illisible « %(value)s » : écrivez par exemple 12,50.") % {"value": text}
        ) from None
    try:
        validate_price_cents(cents)
    except ValidationError as error:
        raise RowInvalid("prix", error.messages[0]) from error
    return cents


def parse_vat_rate(text: str, *, merchant: Merchant) -> int:
    default = VatRate.NONE if merchant.is_vat_exempt else VatRate.STANDARD
    if not text:
        return int(default)
    compact = fold(text).replace(" ", "").replace("%", "").replace(",", ".")
    if compact in VAT_EXEMPT_WORDS:
        rate = 0
    else:
        try:
            amount = Decimal(compact)
        except InvalidOperation:
            amount = Decimal(-1)
        if 0 < amount < 1:  # Excel percentage cells: 0.055 is 5.5 %
            amount *= 100
        rate = int(amount * 100) if amount == amount.quantize(Decimal("0.01")) else -1
    if rate not in VAT_BASIS_POINTS:
        raise RowInvalid(
            "tva", _("Taux de TVA « %(value)s » inconnu : 20, 10, 5,5, 2,1 ou 0 (293 B).") % {"value": text}
        )
    if merchant.is_vat_exempt and rate != 0:
        raise RowInvalid("tva", _("Ce commerçant est en franchise de TVA (art. 293 B du CGI) : indiquez 0."))
    return rate


def parse_unit(text: str) -> str:
    if not text:
        return SaleUnit.PIECE
    unit = UNIT_WORDS.get(fold(text).rstrip("."))
    if unit is None:
        raise RowInvalid("unite", _("Unité « %(value)s » inconnue : piece, kg ou litre.") % {"value": text})
    return str(unit)


def parse_stock(text: str) -> int | None:
    if not text:
        return None
    compact = text.replace(" ", "").replace(",", ".")
    try:
        amount = Decimal(compact)
    except InvalidOperation:
        amount = Decimal("NaN")
    if amount.is_nan() or amount != amount.to_integral_value():
        raise RowInvalid("stock", _("Stock « %(value)s » : un nombre entier est attendu.") % {"value": text})
    if amount < 0:
        raise RowInvalid("stock", _("Le stock ne peut pas être négatif."))
    if amount > MAX_STOCK:
        raise RowInvalid("stock", _("Stock de plus de 10 millions refusé : vérifiez la saisie."))
    return int(amount)


def parse_ean(text: str) -> str:
    compact = re.sub(r"[\s\-]", "", text)
    if not compact:
        return ""
    candidates = [compact]
    if compact.isdigit() and len(compact) < 13:  # Excel drops leading zeros of numeric cells
        candidates.append(compact.zfill(13))
    for candidate in candidates:
        try:
            validate_ean(candidate)
        except ValidationError:
            continue
        return candidate
    try:
        validate_ean(compact)
    except ValidationError as error:
        raise RowInvalid("ean", error.messages[0]) from error
    return compact  # pragma: no cover - the loop above returned already


def parse_flag(text: str, column: str) -> bool | None:
    if not text:
        return None
    word = fold(text)
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise RowInvalid(column, _("« %(value)s » : oui ou non attendu.") % {"value": text})


def parse_merchant_kind(text: str) -> str:
    if not text:
        return MerchantKind.SHOP
    word = fold(text)
    for kind in MerchantKind:
        if word in (kind.value, fold(str(kind.label))):
            return kind.value
    extra = {
        "boutique": MerchantKind.SHOP,
        "immobilier": MerchantKind.ESTATE_AGENT,
        "agence": MerchantKind.ESTATE_AGENT,
        "marche": MerchantKind.MARKET_TRADER,
        "supermarche": MerchantKind.PARTNER_SUPERMARKET,
        "cafe": MerchantKind.RESTAURANT,
    }
    if word in extra:
        return extra[word].value
    raise RowInvalid(
        "type",
        _("Type « %(value)s » inconnu : %(choices)s.")
        % {"value": text, "choices": ", ".join(str(kind.label).lower() for kind in MerchantKind)},
    )


def _limited(values: dict[str, str], column: str, max_length: int, *, label: Any) -> str:
    text = values.get(column, "")
    if len(text) > max_length:
        raise RowInvalid(column, _("%(label)s : %(max)s caractères au plus.") % {"label": label, "max": max_length})
    return text


# --- categories --------------------------------------------------------------------------------
class CategoryIndex:
    """The town's categories by slug, by "Parent > Enfant" path and by name (when unique)."""

    def __init__(self) -> None:
        categories = list(Category.objects.all())
        by_id = {category.pk: category for category in categories}
        self.by_key: dict[str, Category | None] = {}
        self.paths: dict[int, str] = {}
        for category in categories:
            chain, node, seen = [category.name], category, {category.pk}
            while node.parent_id and node.parent_id in by_id and node.parent_id not in seen:
                node = by_id[node.parent_id]
                seen.add(node.pk)
                chain.insert(0, node.name)
            self.paths[category.pk] = " > ".join(chain)
            self.by_key[fold(self.paths[category.pk])] = category
        name_counts: dict[str, int] = {}
        for category in categories:
            name_counts[fold(category.name)] = name_counts.get(fold(category.name), 0) + 1
        for category in categories:
            name = fold(category.name)
            if name not in self.by_key:  # a root's path is its name: the root wins
                self.by_key[name] = category if name_counts[name] == 1 else None
        for category in categories:
            self.by_key[category.slug] = category

    def resolve(self, text: str) -> Category:
        key = text.strip() if text.strip() in self.by_key else " > ".join(fold(p) for p in text.split(">"))
        category = self.by_key.get(key)
        if category is None:
            raise RowInvalid("categorie", _("Catégorie « %(value)s » inconnue dans cette ville.") % {"value": text})
        return category
