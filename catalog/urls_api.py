"""Catalogue API on town hosts, at /api/v1/ (schema at /api/v1/schema/)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from catalog import api

app_name = "catalog_api"

router = DefaultRouter()
router.include_root_view = False
router.register("merchants", api.MerchantViewSet, basename="merchant")
router.register("categories", api.CategoryViewSet, basename="category")
router.register("products", api.ProductViewSet, basename="product")
router.register("manage/products", api.ManagedProductViewSet, basename="managed-product")

schema_view = SpectacularAPIView.as_view(
    urlconf="config.urls_town",
    custom_settings={
        "TITLE": "Comptoir — API du catalogue de la ville",
        "DESCRIPTION": "Commerçants, catégories et produits publiés ; gestion du catalogue de ses propres commerçants.",
        "VERSION": "1.0.0",
    },
)

urlpatterns = [
    path("schema/", schema_view, name="schema"),
    path("", include(router.urls)),
]
