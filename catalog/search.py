"""French full-text search of a town's catalogue: products and merchants, facets, spelling help.

The vectors are filled by ``catalog.actions.refresh_search_vectors`` with
``to_tsvector('french', comptoir_unaccent(...))``; the query side folds accents with the same SQL
function so "eclair" meets "Éclair". The embedded PostgreSQL has neither ``unaccent`` nor
``pg_trgm``, so misspellings are corrected in Python against a per-town lexicon (rapidfuzz).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.contrib.postgres.search import SearchQueryField
from django.core.cache import cache
from django.db import connection
from django.db.models import BooleanField, F, FloatField, Func, Q, QuerySet, Value
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from rapidfuzz import fuzz, process

from catalog.models import Category, Merchant, MerchantStatus, Product
from catalog.queries import live_merchants, published_products

# Bounded work per request whatever a visitor types.
MAX_QUERY_LENGTH = 200
MAX_WORDS = 8
MERCHANT_RESULTS = 6
FACET_SIZE = 12
LEXICON_CACHE_KEY = "catalog:search-lexicon:v1"
# Short: a new merchant or product must become correctable within minutes.
LEXICON_TIMEOUT_SECONDS = 300
CORRECTION_CUTOFF = 75
SUGGESTION_CUTOFF = 60

SORTS: dict[str, tuple[str, ...]] = {
    "pertinence": ("-rank", "title", "pk"),
    "prix": ("price_cents", "title", "pk"),
    "prix-desc": ("-price_cents", "title", "pk"),
    "nouveautes": ("-created_at", "-pk"),
}
SORT_LABELS: dict[str, Promise] = {
    "pertinence": _("Pertinence"),
    "prix": _("Prix croissant"),
    "prix-desc": _("Prix décroissant"),
    "nouveautes": _("Nouveautés"),
}


@dataclass(frozen=True)
class PriceBand:
    key: str
    label: Promise
    low_cents: int | None  # included
    high_cents: int | None  # excluded

    def condition(self) -> Q:
        condition = Q()
        if self.low_cents is not None:
            condition &= Q(price_cents__gte=self.low_cents)
        if self.high_cents is not None:
            condition &= Q(price_cents__lt=self.high_cents)
        return condition


PRICE_BANDS: tuple[PriceBand, ...] = (
    PriceBand("moins-de-10", _("Moins de 10 €"), None, 1000),
    PriceBand("10-25", _("De 10 à 25 €"), 1000, 2500),
    PriceBand("25-50", _("De 25 à 50 €"), 2500, 5000),
    PriceBand("50-100", _("De 50 à 100 €"), 5000, 10000),
    PriceBand("plus-de-100", _("100 € et plus"), 10000, None),
)
PRICE_BANDS_BY_KEY = {band.key: band for band in PRICE_BANDS}


@dataclass(frozen=True)
class Facet:
    value: str  # what goes in the URL
    label: str
    count: int
    is_selected: bool


@dataclass
class SearchOutcome:
    query: str
    effective_query: str  # the corrected query when the typed one found nothing
    products: QuerySet[Product]
    merchants: list[Merchant] = field(default_factory=list)
    category_facets: list[Facet] = field(default_factory=list)
    merchant_facets: list[Facet] = field(default_factory=list)
    price_facets: list[Facet] = field(default_factory=list)
    suggested_terms: list[str] = field(default_factory=list)
    suggested_categories: list[Category] = field(default_factory=list)
    has_matches: bool = False
    product_count: int = 0  # the length of ``products``, counted with the facets

    @property
    def is_corrected(self) -> bool:
        return self.effective_query != self.query


# --- text helpers ------------------------------------------------------------------------------
def fold(text: str) -> str:
    """Lower case without accents, like ``comptoir_unaccent`` (œ → oe)."""
    text = text.lower().replace("œ", "oe").replace("æ", "ae")
    return "".join(char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char))


def query_words(text: str) -> list[str]:
    """Letters and digits only: nothing a visitor types can become a tsquery operator."""
    words = re.findall(r"[^\W_]+", text[:MAX_QUERY_LENGTH].lower())
    # One-letter words ("l'", "d'") are elisions, never worth requiring.
    return [word[:40] for word in words if len(word) > 1][:MAX_WORDS]


PREFIX_MIN_LENGTH = 4


def tsquery_text(words: list[str]) -> str:
    """All words required; the last one as a prefix so "boul" already finds "boulangerie".

    Not for short last words: "les" stems to 'le', and 'le':* would match half the catalogue.
    """
    if not words:
        return ""
    last = f"{words[-1]}:*" if len(words[-1]) >= PREFIX_MIN_LENGTH else words[-1]
    return " & ".join([*words[:-1], last])


class _FrenchQuery(Func):
    template = "to_tsquery('french'::regconfig, public.comptoir_unaccent(%(expressions)s))"
    output_field = SearchQueryField()


class _Matches(Func):
    arg_joiner = " @@ "
    template = "(%(expressions)s)"
    output_field = BooleanField()


class _Rank(Func):
    function = "ts_rank_cd"
    output_field = FloatField()


def _matching_products(words: list[str]) -> QuerySet[Product]:
    query = _FrenchQuery(Value(tsquery_text(words)))
    return (
        published_products()
        .filter(_Matches(F("search_vector"), query))
        .annotate(rank=_Rank(F("search_vector"), _FrenchQuery(Value(tsquery_text(words)))))
    )


def _matching_merchants(words: list[str]) -> list[Merchant]:
    query = _FrenchQuery(Value(tsquery_text(words)))
    return list(
        live_merchants()
        .only("name", "slug", "kind", "city")  # what the results' merchant list shows
        .filter(_Matches(F("search_vector"), query))
        .annotate(rank=_Rank(F("search_vector"), _FrenchQuery(Value(tsquery_text(words)))))
        .order_by("-rank", "name")[:MERCHANT_RESULTS]
    )


# --- lexicon and spelling ----------------------------------------------------------------------
LEXICON_SQL = """
    SELECT DISTINCT token FROM (
        SELECT regexp_split_to_table(m.name, '\\s+') AS token FROM catalog_merchant m WHERE m.status = %s
        UNION ALL
        SELECT regexp_split_to_table(p.title, '\\s+') FROM catalog_product p
            JOIN catalog_merchant m ON m.id = p.merchant_id WHERE p.is_published AND m.status = %s
        UNION ALL
        SELECT regexp_split_to_table(c.name, '\\s+') FROM catalog_category c
    ) tokens
"""


def town_lexicon() -> dict[str, str]:
    """Folded word → word as written, from live merchants, published products and categories.

    Cached per town (the cache key function adds the schema) for a few minutes.
    """
    lexicon = cache.get(LEXICON_CACHE_KEY)
    if lexicon is None:
        with connection.cursor() as cursor:
            cursor.execute(LEXICON_SQL, [MerchantStatus.LIVE, MerchantStatus.LIVE])
            tokens = [row[0] for row in cursor.fetchall()]
        lexicon = {}
        for token in tokens:
            for word in re.findall(r"[^\W\d_]+", token.lower()):
                if len(word) >= 3:
                    lexicon.setdefault(fold(word), word)
        cache.set(LEXICON_CACHE_KEY, lexicon, LEXICON_TIMEOUT_SECONDS)
    return lexicon


def correct_words(words: list[str], lexicon: dict[str, str]) -> list[str]:
    """Each unknown word replaced by the closest word of the town's catalogue, if close enough."""
    corrected = []
    for index, word in enumerate(words):
        folded = fold(word)
        is_last = index == len(words) - 1
        if folded in lexicon or word.isdigit() or (is_last and any(key.startswith(folded) for key in lexicon)):
            corrected.append(word)
            continue
        best = process.extractOne(folded, list(lexicon), scorer=fuzz.ratio, score_cutoff=CORRECTION_CUTOFF)
        corrected.append(lexicon[best[0]] if best else word)
    return corrected


def suggest_terms(words: list[str], lexicon: dict[str, str], *, limit: int = 6) -> list[str]:
    suggestions: list[str] = []
    for word in words:
        for key, _score, _index in process.extract(
            fold(word), list(lexicon), scorer=fuzz.ratio, score_cutoff=SUGGESTION_CUTOFF, limit=limit
        ):
            if lexicon[key] not in suggestions and key != fold(word):
                suggestions.append(lexicon[key])
    return suggestions[:limit]


def suggest_categories(words: list[str]) -> list[Category]:
    """Categories whose name resembles a query word; the top of the tree otherwise."""
    categories = list(Category.objects.all())
    close = [
        category
        for category in categories
        if words and max(fuzz.partial_ratio(fold(word), fold(category.name)) for word in words) >= 80
    ]
    return close[:8] or [category for category in categories if category.parent_id is None]


# --- filters and facets ------------------------------------------------------------------------
def category_and_descendant_ids(category: Category, categories: list[Category]) -> list[int]:
    """The category and everything under it (the tree is small: walked in Python from one query)."""
    children: dict[int | None, list[int]] = {}
    for item in categories:
        children.setdefault(item.parent_id, []).append(item.pk)
    found, frontier = [category.pk], [category.pk]
    while frontier:
        frontier = [child for parent in frontier for child in children.get(parent, []) if child not in found]
        found.extend(frontier)
    return found


@dataclass(frozen=True)
class SearchFilters:
    category: Category | None = None
    category_ids: tuple[int, ...] = ()
    merchant: Merchant | None = None
    price_band: PriceBand | None = None

    def apply(self, products: QuerySet[Product], *, skip: str = "") -> QuerySet[Product]:
        if self.category is not None and skip != "category":
            products = products.filter(category_id__in=self.category_ids)
        if self.merchant is not None and skip != "merchant":
            products = products.filter(merchant=self.merchant)
        if self.price_band is not None and skip != "price":
            products = products.filter(self.price_band.condition())
        return products


def parse_filters(*, category_slug: str = "", merchant_slug: str = "", price_key: str = "") -> SearchFilters:
    """Unknown slugs are ignored rather than refused: a stale shared link still shows results."""
    category, category_ids = None, ()
    if category_slug:
        categories = list(Category.objects.all())
        category = next((item for item in categories if item.slug == category_slug), None)
        if category is not None:
            category_ids = tuple(category_and_descendant_ids(category, categories))
    merchant = live_merchants().filter(slug=merchant_slug).first() if merchant_slug else None
    return SearchFilters(
        category=category, category_ids=category_ids, merchant=merchant, price_band=PRICE_BANDS_BY_KEY.get(price_key)
    )


@dataclass(frozen=True)
class FacetCounts:
    category_facets: list[Facet]
    merchant_facets: list[Facet]
    price_facets: list[Facet]
    product_count: int  # matches under every filter: the length of the result list
    match_count: int  # matches before any filter: zero means the words found no product


# One scan of the matches counts every facet: each grouping set counts the rows that pass the
# *other* filters (so every facet link leads to results), the empty set counts the totals. Names
# are joined after grouping and only the top FACET_SIZE of each facet leave the database.
# GROUPING(category_id, merchant_id, band) tells the sets apart: 3 category, 5 merchant, 6 band, 7 ().
FACETS_SQL = """
    WITH banded AS (
        SELECT category_id, merchant_id, {band} AS band FROM ({matches}) matched
    ),
    flagged AS (
        SELECT category_id, merchant_id, band,
            {category_ok} AS category_ok, {merchant_ok} AS merchant_ok, {price_ok} AS price_ok
        FROM banded
    ),
    grouped AS (
        SELECT GROUPING(category_id, merchant_id, band) AS grouping_set, category_id, merchant_id, band,
            COUNT(*) FILTER (WHERE merchant_ok AND price_ok) AS category_count,
            COUNT(*) FILTER (WHERE category_ok AND price_ok) AS merchant_count,
            COUNT(*) FILTER (WHERE category_ok AND merchant_ok) AS band_count,
            COUNT(*) FILTER (WHERE category_ok AND merchant_ok AND price_ok) AS product_count,
            COUNT(*) AS match_count
        FROM flagged
        GROUP BY GROUPING SETS ((category_id), (merchant_id), (band), ())
    )
    SELECT kind, value, label, count FROM (
        SELECT 'category' AS kind, c.slug AS value, c.name AS label, g.category_count AS count,
            row_number() OVER (ORDER BY g.category_count DESC, c.name, c.slug) AS position
        FROM grouped g JOIN catalog_category c ON c.id = g.category_id
        WHERE g.grouping_set = 3 AND g.category_count > 0
        UNION ALL
        SELECT 'merchant', m.slug, m.name, g.merchant_count,
            row_number() OVER (ORDER BY g.merchant_count DESC, m.name, m.slug)
        FROM grouped g JOIN catalog_merchant m ON m.id = g.merchant_id
        WHERE g.grouping_set = 5 AND g.merchant_count > 0
        UNION ALL
        SELECT 'price', g.band, '', g.band_count, 0 FROM grouped g WHERE g.grouping_set = 6 AND g.band_count > 0
        UNION ALL
        SELECT 'products', '', '', g.product_count, 0 FROM grouped g WHERE g.grouping_set = 7
        UNION ALL
        SELECT 'matches', '', '', g.match_count, 0 FROM grouped g WHERE g.grouping_set = 7
    ) facets
    WHERE position <= %s
    ORDER BY kind, position
"""


def _band_sql() -> tuple[str, list[Any]]:
    """CASE giving each price its band key (the bands are contiguous and cover every price)."""
    whens, params = [], []
    for band in PRICE_BANDS:
        conditions = []
        if band.low_cents is not None:
            conditions.append("price_cents >= %s")
            params.append(band.low_cents)
        if band.high_cents is not None:
            conditions.append("price_cents < %s")
            params.append(band.high_cents)
        whens.append(f"WHEN {' AND '.join(conditions)} THEN %s")
        params.append(band.key)
    return f"CASE {' '.join(whens)} END", params


def _facets(matches: QuerySet[Product], filters: SearchFilters) -> FacetCounts:
    """Facet counts and result totals in one query; each facet counts the matches under the other filters."""
    matches_sql, matches_params = (
        matches.order_by().values("category_id", "merchant_id", "price_cents").query.sql_with_params()
    )
    band_sql, band_params = _band_sql()
    flags: dict[str, tuple[str, list[Any]]] = {
        "category_ok": ("category_id = ANY(%s)", [list(filters.category_ids)]) if filters.category else ("TRUE", []),
        "merchant_ok": ("merchant_id = %s", [filters.merchant.pk]) if filters.merchant else ("TRUE", []),
        "price_ok": ("band = %s", [filters.price_band.key]) if filters.price_band else ("TRUE", []),
    }
    sql = FACETS_SQL.format(matches=matches_sql, band=band_sql, **{name: flag[0] for name, flag in flags.items()})
    params = [*band_params, *matches_params, *(param for flag in flags.values() for param in flag[1]), FACET_SIZE]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    by_kind: dict[str, list[tuple[str, str, int]]] = {}
    for kind, value, label, count in found:
        by_kind.setdefault(kind, []).append((value, label, count))
    band_counts = {value: count for value, _label, count in by_kind.get("price", [])}
    selected_category = filters.category.slug if filters.category else None
    selected_merchant = filters.merchant.slug if filters.merchant else None
    selected_band = filters.price_band.key if filters.price_band else None
    return FacetCounts(
        category_facets=[
            Facet(value, label, count, value == selected_category)
            for value, label, count in by_kind.get("category", [])
        ],
        merchant_facets=[
            Facet(value, label, count, value == selected_merchant)
            for value, label, count in by_kind.get("merchant", [])
        ],
        price_facets=[
            Facet(band.key, str(band.label), band_counts[band.key], band.key == selected_band)
            for band in PRICE_BANDS
            if band_counts.get(band.key)
        ],
        product_count=by_kind["products"][0][2],
        match_count=by_kind["matches"][0][2],
    )


# --- the search --------------------------------------------------------------------------------
def search_catalogue(*, text: str, sort: str = "pertinence", filters: SearchFilters | None = None) -> SearchOutcome:
    """Published products and live merchants matching ``text`` (corrected if it finds nothing).

    Never an empty page: without results the outcome carries close terms and categories.
    The product queryset is ordered and not yet paginated.
    """
    filters = filters or SearchFilters()
    query = " ".join(text.split())[:MAX_QUERY_LENGTH]
    words = query_words(query)
    if not words:
        return SearchOutcome(
            query=query,
            effective_query=query,
            products=Product.objects.none(),
            suggested_categories=suggest_categories([]),
        )

    effective = query
    matches = _matching_products(words)
    merchants = _matching_merchants(words)
    facets = _facets(matches, filters)
    if not merchants and not facets.match_count:
        lexicon = town_lexicon()
        corrected = correct_words(words, lexicon)
        if corrected != words:
            words, effective = corrected, " ".join(corrected)
            matches = _matching_products(words)
            merchants = _matching_merchants(words)
            facets = _facets(matches, filters)
        if not merchants and not facets.match_count:
            return SearchOutcome(
                query=query,
                effective_query=query,
                products=Product.objects.none(),
                suggested_terms=suggest_terms(query_words(query), lexicon),
                suggested_categories=suggest_categories(query_words(query)),
            )

    ordering = SORTS.get(sort, SORTS["pertinence"])
    products = filters.apply(matches).select_related("merchant").order_by(*ordering)
    return SearchOutcome(
        query=query,
        effective_query=effective,
        products=products,
        merchants=merchants,
        has_matches=True,
        category_facets=facets.category_facets,
        merchant_facets=facets.merchant_facets,
        price_facets=facets.price_facets,
        product_count=facets.product_count,
    )
