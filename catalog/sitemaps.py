"""The town's sitemap: an index at /sitemap.xml pointing to one sitemap per section, in pages.

A section's page lists at most ``SITEMAP_PAGE_SIZE`` addresses. Every address is absolute on the
town's own primary host (``town_url``), never on the Host header of the request, which the client
chooses. The XML is cached per town, section and page, under the catalogue's version
(``catalog.cache``): a catalogue change makes the next request rebuild it, and a crawler asking again
and again costs a cache read, not a scan of the catalogue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit
from xml.sax.saxutils import escape

from django.contrib.sitemaps import Sitemap
from django.core.cache import cache
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db.models import Max, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from catalog.cache import catalogue_version
from catalog.models import Category, Merchant, Product
from catalog.queries import live_merchants, published_products
from tenants.actions import town_url
from tenants.current import current_town

# Well under the protocol's 50,000: a page is built in a fraction of a second when the cache is cold.
SITEMAP_PAGE_SIZE = 5_000
# A bound on staleness where the catalogue version cannot reach (a cache local to each process).
SITEMAP_CACHE_SECONDS = 6 * 3600


# Written here rather than through Django's sitemap templates: they took half of a page's time.
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
_SLOT = "sitemap-slot"


@dataclass(frozen=True)
class TownSite:
    """What Django's sitemaps take for a ``Site``: the town's host, from its configured primary domain."""

    domain: str
    name: str


def _path_builder(view_name: str, slots: int) -> Callable[..., str]:
    """``reverse(view_name, args=slugs)`` for thousands of slugs: resolved once, then filled in
    (one reverse() per address was most of a page's time). Slugs are quoted as reverse() quotes them."""
    parts = reverse(view_name, args=[_SLOT] * slots).split(_SLOT)

    def path(*slugs: str) -> str:
        return "".join(part + quote(slug, safe="") for part, slug in zip(parts, slugs, strict=False)) + parts[-1]

    return path


class PagesSitemap(Sitemap):
    limit = SITEMAP_PAGE_SIZE
    changefreq = "daily"
    priority = 1.0

    def items(self) -> list[str]:
        return ["storefront:home", "storefront:directory"]

    def location(self, item: str) -> str:
        return reverse(item)


class MerchantSitemap(Sitemap):
    limit = SITEMAP_PAGE_SIZE
    changefreq = "weekly"
    priority = 0.8

    def __init__(self) -> None:
        self.path = _path_builder("storefront:merchant", 1)

    def items(self) -> QuerySet[Merchant, tuple[str, dt.datetime]]:
        # Plain tuples: a model instance per address cost more than the rest of the page.
        return live_merchants().order_by("pk").values_list("slug", "updated_at")

    def location(self, item: tuple[str, dt.datetime]) -> str:
        return self.path(item[0])

    def lastmod(self, item: tuple[str, dt.datetime]) -> dt.datetime:
        return item[1]

    def get_latest_lastmod(self) -> dt.datetime | None:
        # One query, where Django's default reads every row.
        return live_merchants().aggregate(latest=Max("updated_at"))["latest"]


class ProductSitemap(Sitemap):
    limit = SITEMAP_PAGE_SIZE
    changefreq = "weekly"
    priority = 0.6

    def __init__(self) -> None:
        self.path = _path_builder("storefront:product", 2)

    def items(self) -> QuerySet[Product, tuple[str, str, dt.datetime]]:
        return published_products().order_by("pk").values_list("merchant__slug", "slug", "updated_at")

    def location(self, item: tuple[str, str, dt.datetime]) -> str:
        return self.path(item[0], item[1])

    def lastmod(self, item: tuple[str, str, dt.datetime]) -> dt.datetime:
        return item[2]

    def get_latest_lastmod(self) -> dt.datetime | None:
        return published_products().aggregate(latest=Max("updated_at"))["latest"]


class CategorySitemap(Sitemap):
    limit = SITEMAP_PAGE_SIZE
    changefreq = "weekly"
    priority = 0.5

    def __init__(self) -> None:
        self.path = _path_builder("storefront:category", 1)

    def items(self) -> QuerySet[Category, str]:
        return Category.objects.order_by("pk").values_list("slug", flat=True)

    def location(self, item: str) -> str:
        return self.path(item)


SITEMAPS: dict[str, type[Sitemap]] = {
    "pages": PagesSitemap,
    "merchants": MerchantSitemap,
    "products": ProductSitemap,
    "categories": CategorySitemap,
}


def _town_site() -> tuple[str, TownSite]:
    """The scheme and host of the current town's own address."""
    town = current_town()
    address = urlsplit(town_url(town))
    return address.scheme, TownSite(domain=address.netloc, name=town.name)


def _cached(part: str, build: Callable[[str, TownSite], str]) -> bytes:
    scheme, site = _town_site()
    # The address is part of the key: a town given another primary domain gets new pages at once.
    key = f"sitemap:{catalogue_version()}:{scheme}://{site.domain}:{part}"
    xml = cache.get(key)
    if xml is None:
        xml = build(scheme, site).encode()
        cache.set(key, xml, SITEMAP_CACHE_SECONDS)
    return xml


def index_xml() -> bytes:
    """The sitemap index: every page of every section, with the section's latest change."""

    def build(scheme: str, site: TownSite) -> str:
        lines = [XML_DECLARATION, '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
        for section, sitemap_class in SITEMAPS.items():
            sitemap = sitemap_class()
            location = f"{scheme}://{site.domain}{reverse('storefront:sitemap_section', args=[section])}"
            lastmod = sitemap.get_latest_lastmod()
            modified = f"<lastmod>{timezone.localtime(lastmod).isoformat()}</lastmod>" if lastmod else ""
            for page in range(1, sitemap.paginator.num_pages + 1):
                paged = location if page == 1 else f"{location}?p={page}"
                lines.append(f"<sitemap><loc>{escape(paged)}</loc>{modified}</sitemap>")
        lines.append("</sitemapindex>\n")
        return "\n".join(lines)

    return _cached("index", build)


def section_xml(section: str, page: int) -> bytes:
    """One page of one section; 404 for an unknown section or a page past the last."""
    if section not in SITEMAPS:
        raise Http404(section)

    def build(scheme: str, site: TownSite) -> str:
        try:
            # Django reads only site.domain: no need for the sites framework's Site model.
            urls = SITEMAPS[section]().get_urls(page=page, site=site, protocol=scheme)  # type: ignore[arg-type]
        except (EmptyPage, PageNotAnInteger) as error:
            raise Http404(f"{section} {page}") from error
        lines = [XML_DECLARATION, '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
        for url in urls:
            modified = f"<lastmod>{timezone.localdate(url['lastmod']):%Y-%m-%d}</lastmod>" if url["lastmod"] else ""
            lines.append(
                f"<url><loc>{escape(url['location'])}</loc>{modified}"
                f"<changefreq>{url['changefreq']}</changefreq><priority>{url['priority']}</priority></url>"
            )
        lines.append("</urlset>\n")
        return "\n".join(lines)

    return _cached(f"{section}:{page}", build)
