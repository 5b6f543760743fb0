"""The residents' storefront: home, merchant directory and pages, products, categories, search.

Only live merchants and published products are shown (``catalog.queries``). List pages fetch their
related rows with a fixed number of queries whatever their length (pinned by tests).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Exists, JSONField, OuterRef, Prefetch, QuerySet, prefetch_related_objects
from django.db.models.expressions import RawSQL
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from catalog import homepage, search, sitemaps
from catalog.formatting import format_address
from catalog.models import (
    Category,
    Closure,
    HomeBlock,
    HomeBlockKind,
    Merchant,
    MerchantKind,
    OpeningPeriod,
    PhotoStatus,
    Product,
)
from catalog.queries import (
    categories_in_display_order,
    get_live_merchant,
    get_published_product,
    live_merchants,
    published_products,
    visible_photos,
)
from tenants.collation import by_name
from tenants.current import town_now, town_today

PRODUCTS_PER_PAGE = 24
MERCHANTS_PER_PAGE = 24
HOME_LIST_SIZE = 8
HOME_MERCHANTS = 8
LIST_SORTS = {key: value for key, value in search.SORTS.items() if key != "pertinence"}


# --- reads shared by the pages -----------------------------------------------------------------
# Only what ``{% product_cards %}`` shows: descriptions are long and never on a card.
CARD_FIELDS = (
    "merchant_id", "title", "slug", "price_cents", "unit", "content_quantity", "content_unit", "updated_at",
    "merchant__slug", "merchant__name",
)  # fmt: skip
MENU_FIELDS = (*CARD_FIELDS, "description", "category")


# The card's photo in the product's own row rather than a prefetch: one query per list instead of
# two. PostgreSQL evaluates it after ORDER BY ... LIMIT, so only for the rows of the page. Raw SQL:
# the same subquery through JSONObject() cost more to compile than to run.
CARD_PHOTO_SQL = """
    SELECT jsonb_build_object(
        'id', photo.id, 'image', photo.image, 'width', photo.width, 'height', photo.height,
        'alt_text', photo.alt_text, 'renditions', photo.renditions, 'status', photo.status
    )
    FROM catalog_photo photo
    WHERE photo.product_id = catalog_product.id AND photo.status <> %s
    ORDER BY photo.position, photo.id
    LIMIT 1
"""


def product_cards(products: QuerySet[Product], *, fields: tuple[str, ...] = CARD_FIELDS) -> QuerySet[Product]:
    """What a product card shows: its merchant and first photo, in the list's own query."""
    related = ("merchant", "category") if "category" in fields else ("merchant",)
    return (
        products.select_related(*related)
        .only(*fields)
        .annotate(card_photo=RawSQL(CARD_PHOTO_SQL, [PhotoStatus.FAILED], output_field=JSONField()))  # noqa: S611 - constant SQL
    )


def merchant_lookups(*, today: dt.date) -> tuple[Prefetch, ...]:
    """What a merchant card shows: photos, weekly hours and closures still to come (open-now label)."""
    return (
        Prefetch("photos", queryset=visible_photos(), to_attr="visible_photos"),
        Prefetch("opening_periods", queryset=OpeningPeriod.objects.order_by("weekday", "opens_at")),
        # From yesterday: the town's "today" may still be yesterday in UTC terms for the label.
        Prefetch("closures", queryset=Closure.objects.filter(ends_on__gte=today - dt.timedelta(days=1))),
    )


def merchant_cards(merchants: QuerySet[Merchant], *, today: dt.date) -> QuerySet[Merchant]:
    return merchants.prefetch_related(*merchant_lookups(today=today))


def open_now(merchants: QuerySet[Merchant], *, now: dt.datetime) -> QuerySet[Merchant]:
    """Open at ``now`` (town time): the rule of ``catalog.hours.opening_state`` for ``is_open``,
    evaluated in SQL so the filter stays one query before pagination, however many merchants."""
    in_period = OpeningPeriod.objects.filter(
        merchant=OuterRef("pk"), weekday=now.weekday(), opens_at__lte=now.time(), closes_at__gt=now.time()
    )
    closed_today = Closure.objects.filter(merchant=OuterRef("pk"), starts_on__lte=now.date(), ends_on__gte=now.date())
    return merchants.filter(Exists(in_period)).exclude(Exists(closed_today))


def paginate(request: HttpRequest, items: QuerySet, per_page: int, *, count: int | None = None) -> Page:
    """The requested page; ``count`` when the caller already knows the length (no COUNT query)."""
    paginator = Paginator(items, per_page)
    if count is not None:
        paginator.count = count  # a cached_property: setting it skips the query
    return paginator.get_page(request.GET.get("page"))


def categories_with_ids(slug: str) -> tuple[Category, list[int], list[Category]]:
    all_categories = list(categories_in_display_order())
    category, ids = search.category_with_descendants(slug, all_categories)
    if category is None:
        raise Http404(slug)
    return category, ids, all_categories


# --- pages -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ShownBlock:
    """A home page block as the page shows it, with the rows it lists."""

    block: HomeBlock
    merchants: list[Merchant] = field(default_factory=list)
    products: list[Product] = field(default_factory=list)
    places: list[dict[str, Any]] = field(default_factory=list)
    news: list[HomeBlock] = field(default_factory=list)


def _map_merchants() -> list[dict[str, Any]]:
    rows = (
        live_merchants()
        .filter(latitude__isnull=False, longitude__isnull=False)
        .order_by(*by_name(), "pk")
        .values("name", "slug", "address_line", "city", "latitude", "longitude")
    )
    # Both coordinates are present (filtered above); floats for the map's JSON.
    return [{**row, "latitude": float(row["latitude"] or 0), "longitude": float(row["longitude"] or 0)} for row in rows]


def home_blocks(blocks: list[HomeBlock], *, today: dt.date) -> dict[str, Any]:
    """What the home page shows of these blocks (published, or the draft in the preview) on ``today``.

    Each kind of block costs a fixed number of queries, however many rows it lists (pinned by tests).
    """
    shown: list[ShownBlock] = []
    map_merchants: list[dict[str, Any]] | None = None
    for block in blocks:
        if not homepage.is_shown_on(block, today):
            continue
        if block.kind == HomeBlockKind.MERCHANTS:
            ids = [int(pk) for pk in block.merchant_ids][:HOME_MERCHANTS]
            chosen = live_merchants().filter(pk__in=ids) if ids else live_merchants().filter(is_featured=True)
            merchants = list(merchant_cards(chosen.order_by(*by_name(), "pk"), today=today)[:HOME_MERCHANTS])
            if ids:
                merchants.sort(key=lambda merchant: ids.index(merchant.pk))
            shown.append(ShownBlock(block=block, merchants=merchants))
        elif block.kind == HomeBlockKind.PRODUCTS:
            products = list(
                product_cards(published_products().filter(is_featured=True)).order_by("-created_at")[:HOME_LIST_SIZE]
            )
            # Without featured products the block still shows what is new rather than an empty shelf.
            products = products or list(product_cards(published_products()).order_by("-created_at")[:HOME_LIST_SIZE])
            shown.append(ShownBlock(block=block, products=products))
        elif block.kind == HomeBlockKind.MAP:
            if map_merchants is None:
                map_merchants = _map_merchants()
            shown.append(ShownBlock(block=block, places=map_merchants))
        elif block.kind == HomeBlockKind.NEWS and shown and shown[-1].block.kind == HomeBlockKind.NEWS:
            shown[-1].news.append(block)  # news items in a row read as one "Actualités" section
        else:
            shown.append(ShownBlock(block=block, news=[block] if block.kind == HomeBlockKind.NEWS else []))
    places = [
        {
            "name": place["name"],
            "url": reverse("storefront:merchant", args=[place["slug"]]),
            "address": format_address(place["address_line"], "", place["city"]),
            "latitude": place["latitude"],
            "longitude": place["longitude"],
        }
        for place in map_merchants or []
    ]
    return {"blocks": shown, "has_map": map_merchants is not None, "map_places": places}


def allow_map_tiles(response: HttpResponse) -> HttpResponse:
    """Widen this one response's img-src to the map tiles' host (settings.MAP_TILE_URL): only a page
    showing the shop map loads tiles; every other page keeps the strict policy."""
    parts = urlsplit(settings.MAP_TILE_URL)
    if parts.scheme in ("http", "https") and parts.netloc:
        # "{s}.tile.example.org" (Leaflet's subdomains) is any subdomain for the policy.
        host = re.sub(r"\{[a-z]\}", "*", parts.netloc)
        response._csp_update = {"img-src": [f"{parts.scheme}://{host}"]}  # type: ignore[attr-defined]
    return response


def render_home(request: HttpRequest, blocks: list[HomeBlock] | None, *, preview: bool = False) -> HttpResponse:
    """The home page: the town's arranged blocks, or the default shop window when it has none."""
    today = town_today()
    if blocks:
        context = {
            **home_blocks(blocks, today=today),
            "categories": categories_in_display_order().filter(parent=None),
            "is_preview": preview,
            "map_tile_url": settings.MAP_TILE_URL,
            "map_attribution": settings.MAP_TILE_ATTRIBUTION,
        }
        response = render(request, "catalog/storefront/home_blocks.html", context)
        return allow_map_tiles(response) if context["has_map"] else response
    context = {
        "featured_merchants": merchant_cards(
            live_merchants().filter(is_featured=True).order_by(*by_name(), "pk"), today=today
        )[:6],
        "featured_products": product_cards(published_products().filter(is_featured=True)).order_by("-created_at")[
            :HOME_LIST_SIZE
        ],
        # Without featured products the home still shows what is new rather than an empty shelf.
        "new_products": product_cards(published_products()).order_by("-created_at")[:HOME_LIST_SIZE],
        "new_merchants": merchant_cards(live_merchants(), today=today).order_by("-created_at")[:6],
        "categories": categories_in_display_order().filter(parent=None),
        "is_preview": preview,
    }
    return render(request, "catalog/storefront/home.html", context)


def home(request: HttpRequest) -> HttpResponse:
    """The town's shop window, as the town admin last published it."""
    return render_home(request, list(homepage.published_blocks()))


def directory(request: HttpRequest) -> HttpResponse:
    now, kind, category_slug = town_now(), request.GET.get("type", ""), request.GET.get("categorie", "")
    all_categories = list(categories_in_display_order())
    merchants = live_merchants()
    if kind in MerchantKind.values:
        merchants = merchants.filter(kind=kind)
    category, ids = search.category_with_descendants(category_slug, all_categories)
    if category is not None:
        merchants = merchants.filter(
            pk__in=Merchant.categories.through.objects.filter(category_id__in=ids).values("merchant_id")
        )
    if request.GET.get("ouvert") == "1":
        merchants = open_now(merchants, now=now)
    page = paginate(request, merchant_cards(merchants.order_by(*by_name(), "pk"), today=now.date()), MERCHANTS_PER_PAGE)
    context = {
        "page": page,
        "categories": all_categories,
        "kinds": MerchantKind.choices,
        "selected_kind": kind,
        "selected_category": category,
        "open_only": request.GET.get("ouvert") == "1",
    }
    return render(request, "catalog/storefront/directory.html", context)


def merchant_page(request: HttpRequest, merchant_slug: str) -> HttpResponse:
    merchant = get_live_merchant(merchant_slug)
    prefetch_related_objects([merchant], *merchant_lookups(today=town_today()), "categories")
    is_restaurant = merchant.kind == MerchantKind.RESTAURANT
    # A restaurant's menu reads by course (its categories), a shop's window alphabetically.
    by_title = (*by_name("title"), "pk")
    ordering = ("category__position", *by_name("category__name"), *by_title) if is_restaurant else by_title
    fields = MENU_FIELDS if is_restaurant else CARD_FIELDS
    products = product_cards(published_products().filter(merchant=merchant), fields=fields).order_by(*ordering)
    context = {
        "merchant": merchant,
        "page": paginate(request, products, PRODUCTS_PER_PAGE),
        "is_restaurant": is_restaurant,
    }
    return render(request, "catalog/storefront/merchant.html", context)


def product_page(request: HttpRequest, merchant_slug: str, product_slug: str) -> HttpResponse:
    product = get_published_product(merchant_slug, product_slug)
    photos = [photo for photo in product.photos.all() if photo.status != PhotoStatus.FAILED]
    return render(
        request, "catalog/storefront/product.html", {"product": product, "merchant": product.merchant, "photos": photos}
    )


def category_page(request: HttpRequest, category_slug: str) -> HttpResponse:
    category, ids, categories = categories_with_ids(category_slug)
    sort = request.GET.get("tri", "")
    products = product_cards(published_products().filter(category_id__in=ids)).order_by(
        *LIST_SORTS.get(sort, (*by_name("title"), "pk"))
    )
    context = {
        "category": category,
        "page": paginate(request, products, PRODUCTS_PER_PAGE),
        "sort": sort,
        "sorts": {key: search.SORT_LABELS[key] for key in LIST_SORTS},
        "subcategories": [item for item in categories if item.parent_id == category.pk],
        "parent": next((item for item in categories if item.pk == category.parent_id), None),
    }
    return render(request, "catalog/storefront/category.html", context)


def search_page(request: HttpRequest) -> HttpResponse:
    filters = search.parse_filters(
        category_slug=request.GET.get("categorie", ""),
        merchant_slug=request.GET.get("commerce", ""),
        price_key=request.GET.get("prix", ""),
    )
    sort = request.GET.get("tri", "pertinence")
    outcome = search.search_catalogue(text=request.GET.get("q", ""), sort=sort, filters=filters)
    page = paginate(request, product_cards(outcome.products), PRODUCTS_PER_PAGE, count=outcome.product_count)
    context = {
        "outcome": outcome,
        "page": page,
        "filters": filters,
        "sort": sort if sort in search.SORTS else "pertinence",
        "sorts": search.SORT_LABELS,
    }
    return render(request, "catalog/storefront/search.html", context)


# --- sitemap -----------------------------------------------------------------------------------
def _sitemap_response(xml: bytes) -> HttpResponse:
    response = HttpResponse(xml, content_type="application/xml")
    response["X-Robots-Tag"] = "noindex, noodp, noarchive"  # as Django's own sitemap views
    return response


def sitemap_index(request: HttpRequest) -> HttpResponse:
    return _sitemap_response(sitemaps.index_xml())


def sitemap_section(request: HttpRequest, section: str) -> HttpResponse:
    try:
        page = int(request.GET.get("p", "1"))
    except ValueError as error:
        raise Http404(section) from error
    return _sitemap_response(sitemaps.section_xml(section, page))
