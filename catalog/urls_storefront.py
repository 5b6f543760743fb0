"""The residents' storefront (French paths: they are part of the town's public site)."""

from django.urls import path

from catalog import views_storefront as views

app_name = "storefront"

urlpatterns = [
    path("", views.home, name="home"),
    path("commerces/", views.directory, name="directory"),
    path("commerces/<slug:merchant_slug>/", views.merchant_page, name="merchant"),
    path("commerces/<slug:merchant_slug>/<slug:product_slug>/", views.product_page, name="product"),
    path("categories/<slug:category_slug>/", views.category_page, name="category"),
    path("recherche/", views.search_page, name="search"),
    path("sitemap.xml", views.sitemap_index, name="sitemap"),
    path("sitemap-<slug:section>.xml", views.sitemap_section, name="sitemap_section"),
]
