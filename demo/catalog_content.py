"""The content of the demo catalogue, read from ``demo/data/catalogue_*``: town profiles, names,
product families and their items, trades and the partner supermarket's shelf.

The files hold the content; this module only gives it the record types the generator
(``demo.catalog``) draws from. Every file keeps its order: the generator's draws depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from catalog.models import MerchantKind, VatRate
from demo.files import read_csv, read_toml


@dataclass(frozen=True)
class TownProfile:
    city: str
    postcode: str
    insee_code: str
    latitude: float
    longitude: float
    phone_prefix: str  # the two digits after 03 of local landlines
    streets: tuple[str, ...]
    districts: tuple[str, ...]  # with their preposition: "du Courgain", "des Fontinettes"
    surnames: tuple[str, ...]
    merchants: int
    products: int
    supermarket_products: int
    showcase_share: float  # share of merchants that do not sell online
    trade_weights: dict[str, float]
    other_trades_factor: float  # weight multiplier of the trades not listed in trade_weights
    supermarket_name: str
    market_days: tuple[int, ...]  # weekdays of the town's market


class Item(NamedTuple):
    title: str
    low_cents: int
    high_cents: int
    sale: str = "piece"  # "piece", "kg", "litre" or a content such as "500 g", "75 cl"
    vat: int | None = None  # overrides the family's rate
    alcohol: bool | None = None


@dataclass(frozen=True)
class Family:
    category: str  # slug in the default tree
    vat: int
    items: tuple[Item, ...]
    qualifiers: tuple[tuple[str, float], ...] = (("", 1.0),)
    perishable: bool = False
    alcohol: bool = False
    tracked: bool = True  # stock counted, else made to order / service
    ean_share: float = 0.0
    descriptions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Trade:
    kind: str
    category: str
    names: tuple[str, ...]  # "{surname}", "{first}", "{of_district}" ("du Courgain"), "{city}"
    families: tuple[str, ...]
    hours: str
    weight: float  # share of the town's merchants (Calais-like default, profiles override)
    product_weight: float  # relative number of products; 0 = no products (showcase only)
    sku_prefix: str
    descriptions: tuple[str, ...]
    vat_exempt_share: float = 0.0
    always_showcase: bool = False


class ShelfItem(NamedTuple):
    titles: tuple[str, ...]
    sizes: tuple[tuple[str, Decimal, str, float], ...]  # label, content quantity, content unit, price factor
    base_cents: int
    category: str
    vat: int = VatRate.REDUCED
    perishable: bool = False
    alcohol: bool = False


def _vat(name: str) -> VatRate:
    """A rate named in the files: "standard", "intermediate", "reduced" or "super_reduced"."""
    return VatRate[name.upper()]


def _profile(fields: dict[str, Any]) -> TownProfile:
    tuples = {key: tuple(fields[key]) for key in ("streets", "districts", "surnames", "market_days")}
    return TownProfile(**(fields | tuples))


def _item(row: dict[str, str]) -> Item:
    return Item(
        title=row["title"],
        low_cents=int(row["low_cents"]),
        high_cents=int(row["high_cents"]),
        sale=row["sale"],
        vat=_vat(row["vat"]) if row["vat"] else None,
        alcohol={"": None, "true": True, "false": False}[row["alcohol"]],
    )


def _families(fields: dict[str, dict[str, Any]], rows: list[dict[str, str]]) -> dict[str, Family]:
    items: dict[str, list[Item]] = {key: [] for key in fields}
    for row in rows:
        items[row["family"]].append(_item(row))
    families = {}
    for key, family in fields.items():
        options = dict(family, vat=_vat(family["vat"]), items=tuple(items[key]))
        if "qualifiers" in options:
            options["qualifiers"] = tuple(tuple(qualifier) for qualifier in options["qualifiers"])
        if "descriptions" in options:
            options["descriptions"] = tuple(options["descriptions"])
        families[key] = Family(**options)
    return families


def _trade(fields: dict[str, Any]) -> Trade:
    tuples = {key: tuple(fields[key]) for key in ("names", "families", "descriptions")}
    return Trade(**(fields | tuples | {"kind": MerchantKind(fields["kind"])}))


def _shelf_item(fields: dict[str, Any]) -> ShelfItem:
    sizes = tuple((label, Decimal(quantity), unit, factor) for label, quantity, unit, factor in fields["sizes"])
    options = fields | {"titles": tuple(fields["titles"]), "sizes": sizes}
    if "vat" in options:
        options["vat"] = _vat(options["vat"])
    return ShelfItem(**options)


_profiles = read_toml("catalogue_profiles.toml")
COMMON_SURNAMES: tuple[str, ...] = tuple(_profiles["common_surnames"])
FIRST_NAMES: tuple[str, ...] = tuple(_profiles["first_names"])
PROFILES: dict[str, TownProfile] = {key: _profile(fields) for key, fields in _profiles["profiles"].items()}

FAMILIES: dict[str, Family] = _families(read_toml("catalogue_families.toml"), read_csv("catalogue_products.csv"))
TRADES: dict[str, Trade] = {key: _trade(fields) for key, fields in read_toml("catalogue_trades.toml").items()}

_supermarket = read_toml("catalogue_supermarket.toml")
SUPERMARKET_TRADE: Trade = _trade(_supermarket["trade"])
SUPERMARKET_BRANDS: tuple[tuple[str, float], ...] = tuple(tuple(brand) for brand in _supermarket["brands"])
SHELF: tuple[ShelfItem, ...] = tuple(_shelf_item(fields) for fields in _supermarket["shelf"])
