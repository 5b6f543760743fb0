"""Catalogue REST API on town hosts: public reads, and writes to a merchant's own catalogue.

Authentication: the browser session, or an API token of the town (``Authorization: Token …``,
``accounts.ApiToken``: per schema, stored hashed), so a token of one town means nothing on another.
"""

from __future__ import annotations

from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db.models import F, Prefetch, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from accounts.tokens import ApiTokenAuthentication
from catalog import actions, queries, search
from catalog.models import Category, Product, Variant
from catalog.serializers import (
    CategorySerializer,
    ManagedProductSerializer,
    MerchantSerializer,
    ProductSerializer,
    PublicationSerializer,
    StockSerializer,
)
from tenants.collation import by_name

# The token class first: a failed token check then answers 401 with WWW-Authenticate, not 403.
AUTHENTICATION = (ApiTokenAuthentication, SessionAuthentication)


# --- throttling --------------------------------------------------------------------------------
class CatalogueAnonThrottle(AnonRateThrottle):
    scope = "catalogue_anon"
    default_rate = "120/min"

    def get_rate(self) -> str:
        # djangorestframework-stubs types the rates as numbers; DRF's are strings ("120/min").
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope) or self.default_rate  # type: ignore[return-value]


class CatalogueUserThrottle(UserRateThrottle):
    scope = "catalogue_user"
    default_rate = "600/min"

    def get_rate(self) -> str:
        # djangorestframework-stubs types the rates as numbers; DRF's are strings ("120/min").
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope) or self.default_rate  # type: ignore[return-value]


THROTTLES = (CatalogueAnonThrottle, CatalogueUserThrottle)


class CanManageCatalogue(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return queries.can_use_catalogue_backoffice(request.user)


# --- public reads ------------------------------------------------------------------------------
class PublicViewSet(viewsets.ReadOnlyModelViewSet):
    authentication_classes = AUTHENTICATION
    permission_classes = (permissions.AllowAny,)
    throttle_classes = THROTTLES


@extend_schema_view(retrieve=extend_schema(parameters=[OpenApiParameter("slug", str, OpenApiParameter.PATH)]))
class MerchantViewSet(PublicViewSet):
    """Live merchants of the town."""

    serializer_class = MerchantSerializer
    lookup_field = "slug"

    def get_queryset(self) -> QuerySet[Any]:
        return queries.live_merchants().prefetch_related("categories").order_by(*by_name(), "pk")


@extend_schema_view(retrieve=extend_schema(parameters=[OpenApiParameter("slug", str, OpenApiParameter.PATH)]))
class CategoryViewSet(PublicViewSet):
    """The town's category tree (``parent`` is the parent's slug)."""

    serializer_class = CategorySerializer
    lookup_field = "slug"

    def get_queryset(self) -> QuerySet[Any]:
        return Category.objects.select_related("parent").order_by(
            F("parent_id").asc(nulls_first=True), "position", *by_name(), "pk"
        )


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "search", str, description="recherche du site : mêmes produits, même ordre (« -mot » exclut un mot)"
            ),
            OpenApiParameter("merchant", str, description="slug du commerçant"),
            OpenApiParameter("category", str, description="slug de la catégorie (sous-catégories comprises)"),
        ]
    )
)
class ProductViewSet(PublicViewSet):
    """Published products of live merchants."""

    serializer_class = ProductSerializer

    def get_queryset(self) -> QuerySet[Any]:
        params = self.request.query_params
        if text := " ".join(params.get("search", "").split()):
            # The site's search engine: the same products in the same order as /recherche/?q=.
            products = search.match_catalogue(text=text).products
        else:
            products = queries.published_products().order_by(*by_name("title"), "pk")
        products = products.select_related("merchant", "category").prefetch_related(
            Prefetch("variants", queryset=Variant.objects.order_by("position", "pk"))
        )
        if merchant := params.get("merchant"):
            products = products.filter(merchant__slug=merchant)
        if category := params.get("category"):
            # As on the site: a category holds what its subcategories hold.
            _category, ids = search.category_with_descendants(category, list(Category.objects.all()))
            products = products.filter(category_id__in=ids)
        return products


# --- a merchant's own catalogue ----------------------------------------------------------------
def _as_drf_error(error: ValidationError) -> serializers.ValidationError:
    if hasattr(error, "error_dict"):
        return serializers.ValidationError(
            {field: [str(m) for e in errs for m in e.messages] for field, errs in error.error_dict.items()}
        )
    return serializers.ValidationError({"detail": error.messages})


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("merchant", str, description="slug du commerçant")])
)
class ManagedProductViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Products of the merchants the user manages (another merchant's product: 404)."""

    serializer_class = ManagedProductSerializer
    authentication_classes = AUTHENTICATION
    permission_classes = (permissions.IsAuthenticated, CanManageCatalogue)
    throttle_classes = THROTTLES

    def get_queryset(self) -> QuerySet[Any]:
        products = (
            queries.products_for(self.request.user)
            .select_related("merchant", "category")
            .prefetch_related(Prefetch("variants", queryset=Variant.objects.order_by("position", "pk")))
            .order_by(*by_name("title"), "pk")
        )
        if merchant := self.request.query_params.get("merchant"):
            products = products.filter(merchant__slug=merchant)
        return products

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        if self.request is not None and self.request.user.is_authenticated:
            kwargs.setdefault("merchants", queries.merchants_for(self.request.user))
        return super().get_serializer(*args, **kwargs)

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        data = dict(serializer.validated_data)
        sku, stock = data.pop("sku", None), data.pop("stock", None)
        try:
            serializer.instance = actions.save_product(product=Product(), sku=sku, stock=stock, **data)
        except ValidationError as error:
            raise _as_drf_error(error) from error

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        data = dict(serializer.validated_data)
        data.pop("sku", None)
        stock_given, stock = "stock" in data, data.pop("stock", None)
        if "price_cents" in data:  # a price given completes a draft from a photo shoot, as the full form does
            data["needs_details"] = False
        try:
            # An update's serializer always holds the product being updated.
            product = actions.save_product(product=cast(Product, serializer.instance), **data)
            if stock_given and (variant := product.variants.order_by("position", "pk").first()):
                actions.set_variant_stock(variant=variant, stock=stock)
        except ValidationError as error:
            raise _as_drf_error(error) from error
        serializer.instance = self.get_queryset().get(pk=product.pk)

    @extend_schema(request=PublicationSerializer, responses=ManagedProductSerializer)
    @action(detail=True, methods=["post"])
    def publication(self, request: Request, pk: str) -> Response:
        """Publish (``true``) or withdraw (``false``) the product."""
        incoming = PublicationSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            product = actions.set_product_published(
                product=self.get_object(), is_published=incoming.validated_data["is_published"]
            )
        except ValidationError as error:
            raise _as_drf_error(error) from error
        return Response(self.get_serializer(self.get_queryset().get(pk=product.pk)).data)

    @extend_schema(request=StockSerializer, responses=ManagedProductSerializer)
    @action(detail=True, methods=["post"])
    def stock(self, request: Request, pk: str) -> Response:
        """Set the stock of one variant (by SKU, else the first); ``null`` means not tracked."""
        product = self.get_object()
        incoming = StockSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        variants = product.variants.order_by("position", "pk")
        if sku := incoming.validated_data.get("sku"):
            variants = variants.filter(sku=sku)
        variant = variants.first()
        if variant is None:
            raise serializers.ValidationError({"sku": [_("Aucune déclinaison avec cette référence.")]})
        try:
            actions.set_variant_stock(variant=variant, stock=incoming.validated_data["stock"])
        except ValidationError as error:
            raise _as_drf_error(error) from error
        return Response(self.get_serializer(self.get_queryset().get(pk=product.pk)).data)
