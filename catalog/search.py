"""French full-text search of a town's catalogue: products and merchants, facets, spelling help.

One engine for every front door: ``match_catalogue`` answers both the site's ``/recherche/?q=``
(through ``search_catalogue``, which adds facets and suggestions) and the API's ``?search=``, so the
same text finds the same products in the same order.

The vectors are filled by ``catalog.actions.refresh_search_vectors`` with
``to_tsvector('french', comptoir_unaccent(...))``; the query side folds accents with the same SQL
function so "eclair" meets "Éclair". The embedded PostgreSQL has neither ``unaccent`` nor
``pg_trgm``, so misspellings are corrected in Python against a per-town lexicon (rapidfuzz).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Any

from django.contrib.postgres.search import SearchQueryField, SearchVectorField
from django.core.cache import cache
from django.db import connection
from django.db.models import BooleanField, Case, Exists, F, FloatField, Func, OuterRef, Q, QuerySet, Value, When
from django.db.models.expressions import OrderBy
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from rapidfuzz import fuzz, process

from catalog.models import Category, Merchant, Product
from catalog.queries import categories_in_display_order, live_merchants, published_products
from tenants.collation import FoldedText, by_name

# Bounded work per request whatever a visitor types.
MAX_QUERY_LENGTH = 200
MAX_WORDS = 8
MERCHANT_RESULTS = 6
FACET_SIZE = 12
LEXICON_CACHE_KEY = "catalog:search-lexicon:v2"
# Short: a new merchant or product must become correctable within minutes.
LEXICON_TIMEOUT_SECONDS = 300
CORRECTION_CUTOFF = 75
SUGGESTION_CUTOFF = 60
SUGGESTIONS = 6

SORTS: dict[str, tuple[str | OrderBy, ...]] = {
    "pertinence": ("-rank", *by_name("title"), "pk"),
    "prix": ("price_cents", *by_name("title"), "pk"),
    "prix-desc": ("-price_cents", *by_name("title"), "pk"),
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
    # Whether the words found any product before the filters: "fleuriste" may find shops and no product.
    has_product_matches: bool = False
    product_count: int = 0  # the length of ``products``, counted with the facets

    @property
    def is_corrected(self) -> bool:
        return self.effective_query != self.query


# --- text helpers ------------------------------------------------------------------------------
def fold(text: str) -> str:
    """Lower case without accents, like ``comptoir_unaccent`` (œ → oe)."""
    text = text.lower().replace("œ", "oe").replace("æ", "ae")
    return "".join(char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char))


# A minus sign starting a word (after a space, an opening quote or bracket) excludes it: "pain -seigle".
# Inside a word it is a hyphen: "pain-seigle" looks for both words.
_TOKEN = re.compile(r"(?P<minus>(?<![^\s\"'«(])-)?(?P<word>[^\W_]+)")


@dataclass(frozen=True)
class SearchTerms:
    """What a search looks for, in the visitor's words: the words every match holds, the words none holds."""

    words: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    # "boul" already finds "boulangerie" while it is being typed; not once an excluded word follows.
    is_last_word_a_prefix: bool = True

    @property
    def text(self) -> str:
        return " ".join([*self.words, *(f"-{word}" for word in self.excluded)])

    def tsquery(self) -> str:
        required = tsquery_text(list(self.words)) if self.is_last_word_a_prefix else " & ".join(self.words)
        return " & ".join([required, *(f"!{word}" for word in self.excluded)]) if required else ""


def parse_terms(text: str) -> SearchTerms:
    """Letters and digits only: nothing a visitor types can become a tsquery operator.

    Quotes are read as plain word separators (a phrase is all its words); a leading minus excludes a word.
    """
    words: list[str] = []
    excluded: list[str] = []
    is_last_excluded = False
    tokens = _TOKEN.finditer(text[:MAX_QUERY_LENGTH].lower())
    # One-letter words ("l'", "d'") are elisions, never worth requiring.
    kept = [token for token in tokens if len(token["word"]) > 1][:MAX_WORDS]
    for token in kept:
        is_last_excluded = bool(token["minus"])
        (excluded if is_last_excluded else words).append(token["word"][:40])
    return SearchTerms(words=tuple(words), excluded=tuple(excluded), is_last_word_a_prefix=not is_last_excluded)


def query_words(text: str) -> list[str]:
    """The words a match must hold (see ``parse_terms``)."""
    return list(parse_terms(text).words)


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


class _FrenchVector(Func):
    """A name's vector as ``catalog.actions.refresh_search_vectors`` builds it (French, accents folded)."""

    template = "to_tsvector('french'::regconfig, public.comptoir_unaccent(%(expressions)s))"
    output_field = SearchVectorField()


class _Matches(Func):
    arg_joiner = " @@ "
    template = "(%(expressions)s)"
    output_field = BooleanField()


class _Rank(Func):
    function = "ts_rank_cd"
    output_field = FloatField()


# What a shelf named by the words adds to a product's rank, as much as the words in its title: once when
# it is the product's category, once more when its shop is listed under it (a specialist of what is sought).
CATEGORY_MATCH_RANK = 1.0
SPECIALIST_MATCH_RANK = 1.0


def _matching_products(terms: SearchTerms) -> QuerySet[Product]:
    """Published products holding ``terms``, best first by ``rank``, the sum of three parts:

    - how well the product's own words match (its title first, then its shop's and category's names,
      then its description);
    - ``CATEGORY_MATCH_RANK`` when its category's name holds the words: "fromage" names the
      "Fromagerie" shelf, whose cheeses are what is looked for, before a "Pizza 4 fromages";
    - ``SPECIALIST_MATCH_RANK`` when its shop is listed under such a category: the cheese shop's
      Comté comes before the supermarket's, and both before its "Fromage blanc".

    The shop's name alone adds nothing more than its weight in the product's words: "Le Pain de 4
    Livres" is a bookshop, and its novels stay after every bread for "pain".
    """
    query = terms.tsquery()
    named_categories = Category.objects.filter(_Matches(_FrenchVector(F("name")), _FrenchQuery(Value(query)))).values(
        "pk"
    )
    is_specialist = Exists(
        Merchant.categories.through.objects.filter(
            merchant_id=OuterRef("merchant_id"), category_id__in=named_categories
        )
    )
    return (
        published_products()
        .filter(_Matches(F("search_vector"), _FrenchQuery(Value(query))))
        .annotate(
            rank=_Rank(F("search_vector"), _FrenchQuery(Value(query)))
            + Case(When(category_id__in=named_categories, then=Value(CATEGORY_MATCH_RANK)), default=Value(0.0))
            + Case(When(is_specialist, then=Value(SPECIALIST_MATCH_RANK)), default=Value(0.0)),
        )
    )


def _matching_merchants(terms: SearchTerms) -> QuerySet[Merchant]:
    return live_merchants().filter(_Matches(F("search_vector"), _FrenchQuery(Value(terms.tsquery()))))


def _best_merchants(terms: SearchTerms) -> list[Merchant]:
    return list(
        _matching_merchants(terms)
        .only("name", "slug", "kind", "city")  # what the results' merchant list shows
        .annotate(rank=_Rank(F("search_vector"), _FrenchQuery(Value(terms.tsquery()))))
        .order_by("-rank", *by_name(), "pk")[:MERCHANT_RESULTS]
    )


# --- lexicon and spelling ----------------------------------------------------------------------
# The town's words: every name residents may see, each query built by the storefront's own rules. A
# category's name is one only while it holds a published product (whose vector carries that name): the
# seeded tree of a town without a catalogue must not offer "maison" for "pain".
LEXICON_SQL = "SELECT DISTINCT token FROM ({sources}) AS tokens"
LEXICON_SOURCE_SQL = "SELECT regexp_split_to_table(source.text, '\\s+') AS token FROM ({names}) AS source(text)"


def _lexicon_sql() -> tuple[str, list[Any]]:
    sources = (
        live_merchants().order_by().values("name"),
        published_products().order_by().values("title"),
        Category.objects.filter(Exists(published_products().filter(category=OuterRef("pk")))).order_by().values("name"),
    )
    parts: list[str] = []
    params: list[Any] = []
    for source in sources:
        sql, source_params = source.query.sql_with_params()
        parts.append(LEXICON_SOURCE_SQL.format(names=sql))
        params.extend(source_params)
    return LEXICON_SQL.format(sources=" UNION ALL ".join(parts)), params


def town_lexicon() -> dict[str, str]:
    """Folded word → word as written, from live merchants, published products and categories.

    Cached per town (the cache key function adds the schema) for a few minutes.
    """
    lexicon = cache.get(LEXICON_CACHE_KEY)
    if lexicon is None:
        with connection.cursor() as cursor:
            cursor.execute(*_lexicon_sql())
            tokens = [row[0] for row in cursor.fetchall()]
        lexicon = {}
        for token in tokens:
            for word in re.findall(r"[^\W\d_]+", token.lower()):
                if len(word) >= 3:
                    lexicon.setdefault(fold(word), word)
        cache.set(LEXICON_CACHE_KEY, lexicon, LEXICON_TIMEOUT_SECONDS)
    return lexicon


def correct_words(words: list[str], lexicon: dict[str, str], *, is_last_word_a_prefix: bool = True) -> list[str]:
    """Each unknown word replaced by the closest word of the town's catalogue, if close enough."""
    corrected = []
    for index, word in enumerate(words):
        folded = fold(word)
        is_last = is_last_word_a_prefix and index == len(words) - 1
        if folded in lexicon or word.isdigit() or (is_last and any(key.startswith(folded) for key in lexicon)):
            corrected.append(word)
            continue
        best = process.extractOne(folded, list(lexicon), scorer=fuzz.ratio, score_cutoff=CORRECTION_CUTOFF)
        corrected.append(lexicon[best[0]] if best else word)
    return corrected


def suggest_terms(words: list[str], lexicon: dict[str, str], *, limit: int = SUGGESTIONS) -> list[str]:
    """Words of the town's lexicon close to the query's words, closest first (not yet checked to find anything)."""
    suggestions: list[str] = []
    for word in words:
        for key, _score, _index in process.extract(
            fold(word), list(lexicon), scorer=fuzz.ratio, score_cutoff=SUGGESTION_CUTOFF, limit=limit
        ):
            if lexicon[key] not in suggestions and key != fold(word):
                suggestions.append(lexicon[key])
    return suggestions[:limit]


# Which candidate terms find a product or a merchant, each searched as the search reads it, in one query.
FINDING_TERMS_SQL = """
    SELECT candidate.term
    FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS candidate(term, tsquery, position)
    WHERE EXISTS (
        SELECT 1 FROM ({products}) product(vector)
        WHERE product.vector @@ to_tsquery('french'::regconfig, public.comptoir_unaccent(candidate.tsquery))
    ) OR EXISTS (
        SELECT 1 FROM ({merchants}) merchant(vector)
        WHERE merchant.vector @@ to_tsquery('french'::regconfig, public.comptoir_unaccent(candidate.tsquery))
    )
    ORDER BY candidate.position
"""


def terms_that_find_something(terms: list[str]) -> list[str]:
    """``terms`` less those that, searched alone, find no published product and no live merchant.

    A suggestion is a promise: "Essayez plutôt : maison" must lead to results. Stop words ("avec")
    and names no longer on sale are left out.
    """
    queries = [parse_terms(term).tsquery() for term in terms]
    candidates = [(term, query) for term, query in zip(terms, queries, strict=True) if query]
    if not candidates:
        return []
    products_sql, products_params = published_products().order_by().values("search_vector").query.sql_with_params()
    merchants_sql, merchants_params = live_merchants().order_by().values("search_vector").query.sql_with_params()
    sql = FINDING_TERMS_SQL.format(products=products_sql, merchants=merchants_sql)
    params = [[term for term, _query in candidates], [query for _term, query in candidates]]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *products_params, *merchants_params])
        return [row[0] for row in cursor.fetchall()]


def suggest_categories(words: list[str]) -> list[Category]:
    """Categories whose name resembles a query word; the top of the tree otherwise."""
    all_categories = list(categories_in_display_order())
    close = [
        category
        for category in all_categories
        if words and max(fuzz.partial_ratio(fold(word), fold(category.name)) for word in words) >= 80
    ]
    return close[:8] or [category for category in all_categories if category.parent_id is None]


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


def category_with_descendants(slug: str, categories: list[Category]) -> tuple[Category | None, list[int]]:
    """The category of ``slug`` and the ids of it and everything under it; (None, []) for an unknown slug.

    The one meaning of "in this category": the category page, the directory, the search's filter and the API.
    """
    category = next((item for item in categories if item.slug == slug), None)
    return category, category_and_descendant_ids(category, categories) if category is not None else []


@dataclass(frozen=True)
class SearchFilters:
    category: Category | None = None
    category_ids: tuple[int, ...] = ()
    merchant: Merchant | None = None
    price_band: PriceBand | None = None

    @property
    def active_count(self) -> int:
        """How many filters narrow the results (the "Filtrer" button says so while they are folded away)."""
        return sum(item is not None for item in (self.category, self.merchant, self.price_band))

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
    category: Category | None = None
    category_ids: tuple[int, ...] = ()
    if category_slug:
        category, ids = category_with_descendants(category_slug, list(categories_in_display_order()))
        category_ids = tuple(ids)
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
            row_number() OVER (ORDER BY g.category_count DESC, {category_name}, c.name, c.slug) AS position
        FROM grouped g JOIN catalog_category c ON c.id = g.category_id
        WHERE g.grouping_set = 3 AND g.category_count > 0
        UNION ALL
        SELECT 'merchant', m.slug, m.name, g.merchant_count,
            row_number() OVER (ORDER BY g.merchant_count DESC, {merchant_name}, m.name, m.slug)
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
    whens: list[str] = []
    params: list[int | str] = []
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
    sql = FACETS_SQL.format(
        matches=matches_sql,
        band=band_sql,
        # Names in French alphabetical order, as every list (tenants.collation).
        category_name=FoldedText.template % {"expressions": "c.name"},
        merchant_name=FoldedText.template % {"expressions": "m.name"},
        **{name: flag[0] for name, flag in flags.items()},
    )
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
@dataclass(frozen=True)
class CatalogueMatches:
    """What the catalogue holds for a text: the one answer behind the site's results and the API's ``?search=``."""

    query: str  # the text as typed, white space folded and bounded
    effective_query: str  # the corrected text when the typed one matched nothing
    terms: SearchTerms  # what was searched (corrected)
    products: QuerySet[Product]  # published products matching ``terms``, annotated with ``rank``, best first
    has_matches: bool  # a product or a merchant matched
    # For the results page (``facet_filters`` given): the best live merchants matching ``terms``
    # (at most MERCHANT_RESULTS) and the facets. Without it, only whether any matched is asked.
    merchants: list[Merchant] = field(default_factory=list)
    facets: FacetCounts | None = None


@dataclass(frozen=True)
class _Found:
    products: QuerySet[Product]
    merchants: list[Merchant]
    facets: FacetCounts | None
    has_matches: bool


def _look_up(terms: SearchTerms, facet_filters: SearchFilters | None) -> _Found:
    products = _matching_products(terms)
    if facet_filters is None:  # the same answer to "did anything match?", at the least cost
        return _Found(products, [], None, products.exists() or _matching_merchants(terms).exists())
    merchants = _best_merchants(terms)
    facets = _facets(products, facet_filters)  # counts the matches too: no query of its own for that
    return _Found(products, merchants, facets, bool(merchants) or facets.match_count > 0)


def match_catalogue(*, text: str, facet_filters: SearchFilters | None = None) -> CatalogueMatches:
    """Published products and live merchants matching ``text``, best first; when the typed words match
    nothing, the words corrected against the town's lexicon ("marolles" finds Maroilles).

    With ``facet_filters``, the facets under those filters are counted by the query that also tells
    whether any product matched (what the results page needs, at no extra query), and the best merchants.
    """
    query = " ".join(text.split())[:MAX_QUERY_LENGTH]
    terms = parse_terms(query)
    if not terms.words:
        return CatalogueMatches(query, query, terms, Product.objects.none(), has_matches=False)
    found = _look_up(terms, facet_filters)
    effective_terms, effective_query = terms, query
    if not found.has_matches:
        words = correct_words(list(terms.words), town_lexicon(), is_last_word_a_prefix=terms.is_last_word_a_prefix)
        if words != list(terms.words):
            corrected_terms = replace(terms, words=tuple(words))
            corrected = _look_up(corrected_terms, facet_filters)
            if corrected.has_matches:
                found, effective_terms, effective_query = corrected, corrected_terms, corrected_terms.text
    return CatalogueMatches(
        query=query,
        effective_query=effective_query,
        terms=effective_terms,
        products=found.products.order_by(*SORTS["pertinence"]) if found.has_matches else Product.objects.none(),
        merchants=found.merchants,
        has_matches=found.has_matches,
        facets=found.facets,
    )


def search_catalogue(*, text: str, sort: str = "pertinence", filters: SearchFilters | None = None) -> SearchOutcome:
    """The site's search: ``match_catalogue`` filtered and sorted, with its merchants and facets.

    Never an empty page: without results the outcome carries close terms and categories.
    The product queryset is ordered and not yet paginated.
    """
    filters = filters or SearchFilters()
    matches = match_catalogue(text=text, facet_filters=filters)
    query = matches.query
    if not matches.terms.words:
        return SearchOutcome(
            query=query, effective_query=query, products=matches.products, suggested_categories=suggest_categories([])
        )
    facets = matches.facets
    if facets is None or not matches.has_matches:
        words = query_words(query)
        # Twice as many candidates as shown: some may find nothing on their own and are left out.
        candidates = suggest_terms(words, town_lexicon(), limit=2 * SUGGESTIONS)
        return SearchOutcome(
            query=query,
            effective_query=query,
            products=matches.products,
            suggested_terms=terms_that_find_something(candidates)[:SUGGESTIONS],
            suggested_categories=suggest_categories(words),
        )
    ordering = SORTS.get(sort, SORTS["pertinence"])
    return SearchOutcome(
        query=query,
        effective_query=matches.effective_query,
        products=filters.apply(matches.products).select_related("merchant").order_by(*ordering),
        merchants=matches.merchants,
        has_matches=True,
        has_product_matches=facets.match_count > 0,
        category_facets=facets.category_facets,
        merchant_facets=facets.merchant_facets,
        price_facets=facets.price_facets,
        product_count=facets.product_count,
    )
