"""Town-site URLs of the catalogue. Each part owns its module; this file only assembles them."""

from django.urls import include, path

urlpatterns = [
    path("", include("catalog.urls_storefront")),
    path("gestion/catalogue/imports/", include("catalog.urls_imports")),
    path("gestion/catalogue/", include("catalog.urls_backoffice")),
    path("gestion/apparence/", include("catalog.urls_homepage")),
]
