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
from django.db.models import BooleanField, Count, F, FloatField, Func, Q, QuerySet, Value
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


def _facets(matches: QuerySet[Product], filters: SearchFilters) -> dict[str, list[Facet]]:
    """Each facet counts the matches under the other filters, so every link leads to results."""
    by_category = (
        filters.apply(matches, skip="category")
        .filter(category__isnull=False)
        .values("category__slug", "category__name")
        .annotate(count=Count("pk"))
        .order_by("-count", "category__name")[:FACET_SIZE]
    )
    by_merchant = (
        filters.apply(matches, skip="merchant")
        .values("merchant__slug", "merchant__name")
        .annotate(count=Count("pk"))
        .order_by("-count", "merchant__name")[:FACET_SIZE]
    )
    band_counts: dict[str, Any] = filters.apply(matches, skip="price").aggregate(
        **{band.key: Count("pk", filter=band.condition()) for band in PRICE_BANDS}
    )
    selected_category = filters.category.slug if filters.category else None
    selected_merchant = filters.merchant.slug if filters.merchant else None
    selected_band = filters.price_band.key if filters.price_band else None
    return {
        "category_facets": [
            Facet(
                row["category__slug"], row["category__name"], row["count"], row["category__slug"] == selected_category
            )
            for row in by_category
        ],
        "merchant_facets": [
            Facet(
                row["merchant__slug"], row["merchant__name"], row["count"], row["merchant__slug"] == selected_merchant
            )
            for row in by_merchant
        ],
        "price_facets": [
            Facet(band.key, str(band.label), band_counts[band.key], band.key == selected_band)
            for band in PRICE_BANDS
            if band_counts[band.key]
        ],
    }


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
    if not merchants and not matches.exists():
        lexicon = town_lexicon()
        corrected = correct_words(words, lexicon)
        if corrected != words:
            words, effective = corrected, " ".join(corrected)
            matches = _matching_products(words)
            merchants = _matching_merchants(words)
        if not merchants and not matches.exists():
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
        **_facets(matches, filters),
    )
