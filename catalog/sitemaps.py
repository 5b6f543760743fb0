"""The town's sitemap.xml: its live merchants, published products and categories, on the request's host."""

from __future__ import annotations

import datetime as dt

from django.contrib.sitemaps import Sitemap
from django.db.models import QuerySet
from django.urls import reverse

from catalog.models import Category, Merchant, Product
from catalog.queries import live_merchants, published_products


class PagesSitemap(Sitemap):
    changefreq = "daily"
    priority = 1.0

    def items(self) -> list[str]:
        return ["storefront:home", "storefront:directory"]

    def location(self, item: str) -> str:
        return reverse(item)


class MerchantSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.8

    def items(self) -> QuerySet[Merchant]:
        return live_merchants().only("slug", "updated_at").order_by("pk")

    def location(self, item: Merchant) -> str:
        return reverse("storefront:merchant", args=[item.slug])

    def lastmod(self, item: Merchant) -> dt.datetime:
        return item.updated_at


class ProductSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.6

    def items(self) -> QuerySet[Product]:
        return (
            published_products().select_related("merchant").only("slug", "updated_at", "merchant__slug").order_by("pk")
        )

    def location(self, item: Product) -> str:
        return reverse("storefront:product", args=[item.merchant.slug, item.slug])

    def lastmod(self, item: Product) -> dt.datetime:
        return item.updated_at


class CategorySitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.5

    def items(self) -> QuerySet[Category]:
        return Category.objects.only("slug").order_by("pk")

    def location(self, item: Category) -> str:
        return reverse("storefront:category", args=[item.slug])


# Without django.contrib.sites the sitemap framework uses the request's host: each town's own domain.
SITEMAPS: dict[str, type[Sitemap]] = {
    "pages": PagesSitemap,
    "merchants": MerchantSitemap,
    "products": ProductSitemap,
    "categories": CategorySitemap,
}
