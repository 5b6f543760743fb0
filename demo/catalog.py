"""Demonstration catalogue: believable French local commerce for one town, generated from a seed.

Used by ``seed_demo_catalog`` (the demo towns of ``make run``), the storefront and load benchmarks
and the tests. Everything comes from one ``random.Random(seed)``: the same parameters give the same
town. Rows are written with ``bulk_create`` in chunks and the search vectors are computed in a few
set statements afterwards (catalog's ``refresh_search_vectors``), so 6,000 products take seconds
and 42,000 well under a few minutes.

The content (towns, names, streets, product families, trades, the supermarket shelf) is data:
``demo/data/catalogue_*``, read by ``demo.catalog_content``.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from datetime import time as clock
from decimal import Decimal
from typing import TypeVar

from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from stdnum import ean as stdnum_ean
from stdnum import luhn

from catalog.actions import free_slug, refresh_search_vectors, seed_default_categories
from catalog.cache import bump_catalogue_version
from catalog.models import (
    Category,
    Closure,
    Merchant,
    MerchantKind,
    MerchantStatus,
    OpeningPeriod,
    Product,
    SaleUnit,
    Variant,
    VatRate,
)
from demo.catalog_content import (
    COMMON_SURNAMES,
    FAMILIES,
    FIRST_NAMES,
    PROFILES,
    SHELF,
    SUPERMARKET_BRANDS,
    SUPERMARKET_TRADE,
    TRADES,
    Family,
    Item,
    TownProfile,
    Trade,
)

Progress = Callable[[str], None]
T = TypeVar("T")
CHUNK = 2_000


# --- hours ---------------------------------------------------------------------------------------

Span = tuple[clock, clock]


def _t(text: str) -> clock:
    hours, minutes = text.split(":")
    return clock(int(hours), int(minutes))


def _week(rng: random.Random, pattern: str, market_days: Sequence[int]) -> dict[int, list[Span]]:
    """Opening spans per weekday (0 = Monday) for a kind of business, with some variety."""
    late = rng.choice(("18:30", "19:00", "19:00", "19:30"))
    morning = rng.choice(("09:00", "09:30", "10:00"))
    split = [(_t(morning), _t("12:00")), (_t(rng.choice(("14:00", "14:00", "14:30"))), _t(late))]
    days: dict[int, list[Span]] = {}
    if pattern == "bakery":
        full = [(_t(rng.choice(("06:30", "07:00"))), _t("13:00")), (_t("15:00"), _t(rng.choice(("19:00", "19:30"))))]
        closed = rng.choice((0, 0, 2))
        days = {day: full for day in range(6) if day != closed}
        days[6] = [(_t("07:00"), _t("12:30"))]
    elif pattern in ("shop", "florist", "hairdresser"):
        days = {day: split for day in range(1, 6)}
        if rng.random() < 0.4:
            days[0] = [(_t("14:00"), _t(late))]
        if pattern == "florist":
            days[6] = [(_t("09:00"), _t("12:30"))]
        if pattern == "hairdresser" and rng.random() < 0.5:
            days = {day: [(_t("09:00"), _t(late))] for day in range(1, 6)}
            days[5] = [(_t("08:30"), _t("16:00"))]
    elif pattern == "morning":
        days = {day: [(_t("08:00"), _t("12:30"))] for day in range(1, 6)}
        days[4] = [(_t("08:00"), _t("12:30")), (_t("15:30"), _t("19:00"))]
        days[6] = [(_t("08:30"), _t("12:00"))]
    elif pattern == "restaurant":
        dinner = (_t("19:00"), _t(rng.choice(("21:30", "22:00", "22:30"))))
        lunch = (_t("12:00"), _t(rng.choice(("14:00", "14:30"))))
        days = {day: [lunch, dinner] for day in range(1, 6)}
        days[6] = [lunch]
        if rng.random() < 0.5:
            days[2] = [lunch]
    elif pattern == "evening":
        days = {day: [(_t("11:30"), _t("14:00")), (_t("18:00"), _t("22:30"))] for day in range(1, 7)}
    elif pattern == "cafe":
        days = {day: [(_t("07:00"), _t(rng.choice(("19:00", "20:00", "21:00"))))] for day in range(6)}
        if rng.random() < 0.5:
            days[6] = [(_t("08:00"), _t("13:00"))]
    elif pattern == "office":
        days = {day: [(_t("09:00"), _t("12:00")), (_t("14:00"), _t("18:00"))] for day in range(5)}
        days[5] = [(_t("09:00"), _t("12:00"))]
    elif pattern == "artisan":
        days = {day: [(_t("08:00"), _t("12:00")), (_t("13:30"), _t("17:30"))] for day in range(5)}
    elif pattern == "artisan_shop":
        days = {day: [(_t("10:00"), _t("12:30")), (_t("14:00"), _t("18:30"))] for day in (2, 3, 4, 5)}
    elif pattern == "association":
        days = {2: [(_t("14:00"), _t("18:00"))], 5: [(_t("10:00"), _t("12:00"))]}
    elif pattern == "market":
        days = {day: [(_t("07:30"), _t("12:30"))] for day in market_days}
    elif pattern == "supermarket":
        days = {day: [(_t("08:30"), _t("20:00"))] for day in range(6)}
        days[6] = [(_t("09:00"), _t("12:30"))]
    return days


# --- helpers -------------------------------------------------------------------------------------


def ean13(rng: random.Random, taken: set[str]) -> str:
    """A fresh EAN-13 with a French GS1 prefix (300-379) and a correct check digit."""
    while True:
        body = f"3{rng.randrange(0, 80):02d}{rng.randrange(0, 10**9):09d}"
        code = body + stdnum_ean.calc_check_digit(body)
        if code not in taken:
            taken.add(code)
            return code


def siret(rng: random.Random) -> str:
    """A SIRET whose SIREN and full number both pass the Luhn check (as INSEE's numbers do)."""
    siren_body = f"{rng.randrange(10**7, 10**8):08d}"
    siren = siren_body + luhn.calc_check_digit(siren_body)
    nic_body = siren + f"{rng.randrange(0, 10**4):04d}"
    return nic_body + luhn.calc_check_digit(nic_body)


def _price(rng: random.Random, low: int, high: int, factor: float, *, nines: bool) -> int:
    cents = int(rng.randint(low, high) * factor)
    if nines:
        return max(9, cents // 10 * 10 + 9 if cents % 100 < 90 else cents // 100 * 100 + 99)
    return max(10, round(cents / 10) * 10)


def _content(sale: str) -> tuple[str, Decimal | None, str]:
    """A sale label ("kg", "piece", "500 g", "2.5 l") as (unit, content quantity, content unit)."""
    if sale == "kg":
        return SaleUnit.KILOGRAM, None, ""
    if sale == "litre":
        return SaleUnit.LITRE, None, ""
    if sale == "piece":
        return SaleUnit.PIECE, None, ""
    quantity, unit = sale.split()
    return SaleUnit.PIECE, Decimal(quantity), unit


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` along ``weights`` so that the parts add up exactly (largest remainder)."""
    if total <= 0 or not weights or sum(weights) <= 0:
        return [0] * len(weights)
    shares = [total * weight / sum(weights) for weight in weights]
    parts = [int(share) for share in shares]
    by_remainder = sorted(range(len(weights)), key=lambda index: shares[index] - parts[index], reverse=True)
    for index in by_remainder[: total - sum(parts)]:
        parts[index] += 1
    return parts


@dataclass
class _ProductSpec:
    title: str
    price_cents: int
    vat: int
    sale: str
    category: str
    perishable: bool
    alcohol: bool
    tracked: bool
    ean: bool
    description: str


def _shop_products(rng: random.Random, trade: Trade, count: int, merchant_name: str) -> list[_ProductSpec]:
    """``count`` distinct products for one merchant of ``trade``, drawn from its families."""
    plain: list[tuple[Family, Item, str, float]] = []
    rest: list[tuple[Family, Item, str, float]] = []
    for key in trade.families:
        family = FAMILIES[key]
        for item in family.items:
            for position, (suffix, factor) in enumerate(family.qualifiers):
                # Plain titles first (a shop sells the basic item before its variations).
                (rest if position else plain).append((family, item, suffix, factor))
    rng.shuffle(plain)
    rng.shuffle(rest)
    ordered = plain + rest
    specs: list[_ProductSpec] = []
    for index in range(count):
        family, item, suffix, factor = ordered[index % len(ordered)]
        round_number = index // len(ordered)
        title = f"{item.title}{suffix}" + (f" — réf. {round_number + 1}" if round_number else "")
        description = rng.choice(family.descriptions) if family.descriptions else ""
        specs.append(
            _ProductSpec(
                title=title,
                price_cents=_price(rng, item.low_cents, item.high_cents, factor, nines=False),
                vat=item.vat if item.vat is not None else family.vat,
                sale=item.sale,
                category=family.category,
                perishable=family.perishable,
                alcohol=item.alcohol if item.alcohol is not None else family.alcohol,
                tracked=family.tracked,
                ean=rng.random() < family.ean_share,
                description=f"{description} Chez {merchant_name}."
                if description
                else f"{title}, chez {merchant_name}.",
            )
        )
    return specs


def _supermarket_products(rng: random.Random, count: int) -> list[_ProductSpec]:
    combos = [
        (shelf, title, size, brand)
        for shelf in SHELF
        for title in shelf.titles
        for size in shelf.sizes
        for brand in SUPERMARKET_BRANDS
    ]
    rng.shuffle(combos)
    specs: list[_ProductSpec] = []
    for index in range(count):
        shelf, title, (label, quantity, unit, size_factor), (brand, brand_factor) = combos[index % len(combos)]
        bundle = index // len(combos)
        name = f"{title} {brand} {label}" + (f" (lot de {bundle + 1})" if bundle else "")
        base = shelf.base_cents * size_factor * brand_factor * (bundle + 1)
        sale = f"{quantity} {unit}" if unit else "piece"
        specs.append(
            _ProductSpec(
                title=name,
                price_cents=_price(rng, int(base * 0.9), int(base * 1.1) + 1, 1.0, nines=True),
                vat=shelf.vat,
                sale=sale,
                category=shelf.category,
                perishable=shelf.perishable,
                alcohol=shelf.alcohol,
                tracked=True,
                ean=True,
                description=(
                    "L'abus d'alcool est dangereux pour la santé, à consommer avec modération."
                    if shelf.alcohol
                    else f"{title} de la marque {brand}, en rayon dans votre supermarché partenaire."
                ),
            )
        )
    return specs


# --- the generator -------------------------------------------------------------------------------


@dataclass
class DemoCatalogue:
    merchants: int = 0
    products: int = 0
    variants: int = 0
    published_products: int = 0
    opening_periods: int = 0
    merchants_by_kind: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _no_progress(_message: str) -> None:
    return None


def _pick_trades(rng: random.Random, profile: TownProfile, count: int) -> list[str]:
    """Which trade each merchant has: weighted draws, then every merchant kind at least once."""
    keys = list(TRADES)
    weights = [profile.trade_weights.get(key, TRADES[key].weight * profile.other_trades_factor) for key in keys]
    picked = rng.choices(keys, weights=weights, k=count)
    kinds_needed = [
        kind for kind in MerchantKind.values if kind != MerchantKind.PARTNER_SUPERMARKET
    ]  # the supermarket is added apart
    for position, kind in enumerate(kinds_needed):
        if position >= count:
            break
        if not any(TRADES[key].kind == kind for key in picked):
            choices = [key for key in keys if TRADES[key].kind == kind]
            # Replace a draw of the most common kind so the spread stays believable.
            common = Counter(TRADES[key].kind for key in picked).most_common(1)[0][0]
            slot = next(index for index, key in enumerate(picked) if TRADES[key].kind == common)
            picked[slot] = rng.choice(choices)
    return picked


ELISION = re.compile(r"\bde (?=[AEIOUYÉÈÊÂÎÔaeiouyéèêâîô])")


def _merchant_name(rng: random.Random, trade: Trade, profile: TownProfile, taken: set[str]) -> str:
    surnames = profile.surnames + COMMON_SURNAMES
    for attempt in range(40):
        template = rng.choice(trade.names)
        name = template.format(
            surname=rng.choice(surnames),
            first=rng.choice(FIRST_NAMES),
            of_district=rng.choice(profile.districts),
            city=profile.city,
        )
        name = ELISION.sub("d'", name)
        if attempt > 20:
            name = f"{name} ({rng.choice(profile.streets)})"
        if name not in taken:
            taken.add(name)
            return name
    name = f"{name} {len(taken)}"
    taken.add(name)
    return name


def _phone(rng: random.Random, profile: TownProfile, *, mobile: bool) -> str:
    head = rng.choice(("06", "07")) if mobile else f"03 {profile.phone_prefix}"
    groups = 4 if mobile else 3
    return " ".join([head, *(f"{rng.randrange(0, 100):02d}" for _ in range(groups))])


def generate_catalogue(
    *,
    merchants: int,
    products: int,
    supermarket_products: int,
    profile: str,
    seed: int,
    progress: Progress | None = None,
) -> DemoCatalogue:
    """Fill the current town's catalogue with ``merchants`` merchants and ``products`` products in all.

    ``supermarket_products`` of the products belong to one partner supermarket (none when 0). Run
    inside the town (``with town:``); all of it is written in one transaction.
    """
    report = progress or _no_progress
    town = PROFILES[profile]
    rng = random.Random(seed)  # noqa: S311 - demo content, not secrets
    started = time.perf_counter()
    supermarket_products = max(0, min(supermarket_products, products))
    has_supermarket = supermarket_products > 0 and merchants > 0
    summary = DemoCatalogue()

    with transaction.atomic():
        bump_catalogue_version()
        seed_default_categories()
        categories = dict(Category.objects.values_list("slug", "pk"))
        trade_keys = _pick_trades(rng, town, merchants - (1 if has_supermarket else 0))
        merchant_trades: list[Trade] = [TRADES[key] for key in trade_keys]
        if has_supermarket:
            merchant_trades.insert(0, SUPERMARKET_TRADE)

        names: set[str] = set()
        slugs: set[str] = set()
        rows: list[Merchant] = []
        for index, trade in enumerate(merchant_trades):
            if trade is SUPERMARKET_TRADE:
                name = town.supermarket_name
                names.add(name)
            else:
                name = _merchant_name(rng, trade, town, names)
            slug = free_slug(Merchant, name, is_taken=slugs.__contains__)
            slugs.add(slug)
            district = rng.choice(town.districts)
            is_showcase = trade.always_showcase or (
                trade is not SUPERMARKET_TRADE and rng.random() < town.showcase_share
            )
            spread = 0.03 if trade.kind in (MerchantKind.ARTISAN, MerchantKind.MARKET_TRADER) else 0.012
            status_draw = rng.random()
            status = (
                MerchantStatus.LIVE
                if trade is SUPERMARKET_TRADE or index < 2 or status_draw < 0.92
                else MerchantStatus.DRAFT
                if status_draw < 0.96
                else MerchantStatus.PAUSED
            )
            domain = slugify(name).replace("-", "")[:30] or "commerce"
            mobile = trade.kind in (MerchantKind.ARTISAN, MerchantKind.MARKET_TRADER, MerchantKind.ASSOCIATION)
            rows.append(
                Merchant(
                    name=name,
                    slug=slug,
                    kind=trade.kind,
                    status=status,
                    description=" ".join(
                        text.format(of_district=district, city=town.city) for text in trade.descriptions
                    ),
                    address_line=f"{rng.randint(1, 140)} {rng.choice(town.streets)}",
                    postcode=town.postcode,
                    city=town.city,
                    insee_code=town.insee_code,
                    latitude=Decimal(f"{town.latitude + rng.uniform(-spread, spread) * 0.7:.6f}"),
                    longitude=Decimal(f"{town.longitude + rng.uniform(-spread, spread):.6f}"),
                    phone=_phone(rng, town, mobile=mobile and rng.random() < 0.7),
                    email=f"contact@{domain}.fr" if rng.random() < 0.8 else "",
                    website=f"https://www.{domain}.fr" if rng.random() < 0.45 else "",
                    social_links=(
                        {"facebook": f"https://www.facebook.com/{domain}"}
                        | ({"instagram": f"https://www.instagram.com/{domain}"} if rng.random() < 0.5 else {})
                        if rng.random() < 0.6
                        else {}
                    ),
                    siret=siret(rng) if trade.kind != MerchantKind.ASSOCIATION or rng.random() < 0.3 else "",
                    is_vat_exempt=rng.random() < trade.vat_exempt_share,
                    sells_online=not is_showcase,
                    click_and_collect=not is_showcase,
                    delivery_eligible=not is_showcase and trade.kind != MerchantKind.RESTAURANT and rng.random() < 0.6,
                    is_featured=status == MerchantStatus.LIVE and (trade is SUPERMARKET_TRADE or rng.random() < 0.08),
                )
            )
        for chunk in _chunks(rows, CHUNK):
            Merchant.objects.bulk_create(chunk)
        summary.merchants = len(rows)
        summary.merchants_by_kind = dict(Counter(row.kind for row in rows))
        report(f"{len(rows)} commerçants créés")

        links = [
            Merchant.categories.through(merchant_id=merchant.pk, category_id=categories[trade.category])
            for merchant, trade in zip(rows, merchant_trades, strict=True)
            if trade.category in categories
        ]
        Merchant.categories.through.objects.bulk_create(links, batch_size=CHUNK)
        periods = [
            OpeningPeriod(merchant_id=merchant.pk, weekday=day, opens_at=opens, closes_at=closes)
            for merchant, trade in zip(rows, merchant_trades, strict=True)
            for day, spans in sorted(_week(rng, trade.hours, town.market_days).items())
            for opens, closes in spans
        ]
        OpeningPeriod.objects.bulk_create(periods, batch_size=CHUNK)
        summary.opening_periods = len(periods)
        year = timezone.localdate().year
        closures = [
            Closure(
                merchant_id=merchant.pk,
                starts_on=date(year, 8, start),
                ends_on=date(year, 8, start) + timedelta(days=rng.choice((6, 13, 20))),
                reason="Congés annuels",
            )
            for merchant, trade in zip(rows, merchant_trades, strict=True)
            if trade.kind in (MerchantKind.SHOP, MerchantKind.RESTAURANT) and rng.random() < 0.25
            for start in (rng.randint(1, 15),)
        ]
        Closure.objects.bulk_create(closures, batch_size=CHUNK)

        # Products: the supermarket's share first, the rest spread over merchants that sell things.
        sellers = [
            index
            for index, trade in enumerate(merchant_trades)
            if trade is not SUPERMARKET_TRADE and trade.product_weight > 0
        ]
        weights = [merchant_trades[index].product_weight * rng.uniform(0.5, 1.5) for index in sellers]
        counts = dict(zip(sellers, _allocate(products - supermarket_products, weights), strict=True))
        if has_supermarket:
            counts[0] = supermarket_products
        total = sum(counts.values())
        eans: set[str] = set()
        product_ids: list[int] = []
        pending_products: list[Product] = []
        pending_variants: list[tuple[Product, Variant]] = []

        def flush() -> None:
            Product.objects.bulk_create(pending_products)
            variants = []
            for product, variant in pending_variants:
                variant.product_id = product.pk
                variants.append(variant)
            Variant.objects.bulk_create(variants)
            ids = [product.pk for product in pending_products]
            refresh_search_vectors(product_ids=ids)
            product_ids.extend(ids)
            summary.published_products += sum(product.is_published for product in pending_products)
            pending_products.clear()
            pending_variants.clear()
            report(f"{len(product_ids)} / {total} produits")

        for index, merchant in enumerate(rows):
            count = counts.get(index, 0)
            if not count:
                continue
            trade = merchant_trades[index]
            specs = (
                _supermarket_products(rng, count)
                if trade is SUPERMARKET_TRADE
                else _shop_products(rng, trade, count, merchant.name)
            )
            product_slugs: set[str] = set()
            for number, spec in enumerate(specs, start=1):
                slug = free_slug(Product, spec.title, is_taken=product_slugs.__contains__)
                product_slugs.add(slug)
                unit, quantity, content_unit = _content(spec.sale)
                vat = VatRate.NONE if merchant.is_vat_exempt else spec.vat
                product = Product(
                    merchant_id=merchant.pk,
                    title=spec.title,
                    slug=slug,
                    description=spec.description,
                    category_id=categories.get(spec.category),
                    price_cents=spec.price_cents,
                    vat_rate=vat,
                    unit=unit,
                    content_quantity=quantity,
                    content_unit=content_unit if quantity is not None and content_unit else "",
                    is_perishable=spec.perishable,
                    is_alcohol=spec.alcohol,
                    is_published=rng.random() < 0.9,
                    is_featured=rng.random() < 0.02,
                )
                if product.content_quantity is not None and not product.content_unit:
                    product.content_quantity = None  # "× 6": a count, not a measured content
                stock = None
                if spec.tracked:
                    stock = 0 if rng.random() < 0.04 else rng.randint(1, 300 if trade is SUPERMARKET_TRADE else 60)
                variant = Variant(
                    merchant_id=merchant.pk,
                    sku=f"{trade.sku_prefix}-{number:05d}",
                    ean=ean13(rng, eans) if spec.ean else "",
                    stock=stock,
                )
                pending_products.append(product)
                pending_variants.append((product, variant))
                if len(pending_products) >= CHUNK:
                    flush()
        if pending_products:
            flush()
        refresh_search_vectors(merchant_ids=[merchant.pk for merchant in rows])
        summary.products = summary.variants = len(product_ids)

        # Spread creation dates over the past year so "newest" lists look like a real town.
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE catalog_merchant SET created_at = created_at - ((id * 7919) %% 525600) * interval '1 minute'"
                " WHERE id = ANY(%s)",
                [[merchant.pk for merchant in rows]],
            )
            if product_ids:
                cursor.execute(
                    "UPDATE catalog_product SET created_at = created_at - ((id * 104729) %% 525600) * interval '1 minute'"
                    " WHERE id = ANY(%s)",
                    [product_ids],
                )
    summary.seconds = time.perf_counter() - started
    return summary
