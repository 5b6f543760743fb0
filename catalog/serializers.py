"""Shapes of the catalogue API (public reads, a merchant's own catalogue for writes)."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework import serializers

from catalog.models import Category, Merchant, Product, Variant
from catalog.validators import MAX_PRICE_CENTS, MAX_STOCK


class SlugField(serializers.SlugRelatedField):
    """A slug lookup that refuses a NUL character (PostgreSQL cannot even compare one) as "not found"."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", ""))
        return super().to_internal_value(data)


class CategorySerializer(serializers.ModelSerializer):
    # Not Field.parent (the enclosing serializer): DRF moves declared fields off the class.
    parent: serializers.SlugRelatedField[Category] = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="slug", read_only=True
    )

    class Meta:
        model = Category
        fields = ("id", "slug", "name", "parent", "position")


class MerchantSerializer(serializers.ModelSerializer):
    categories: serializers.SlugRelatedField[Category] = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True
    )

    class Meta:
        model = Merchant
        fields = (
            "id",
            "slug",
            "name",
            "kind",
            "description",
            "address_line",
            "postcode",
            "city",
            "latitude",
            "longitude",
            "phone",
            "email",
            "website",
            "sells_online",
            "click_and_collect",
            "delivery_eligible",
            "categories",
        )


class PublicVariantSerializer(serializers.ModelSerializer):
    price_cents = serializers.IntegerField(source="effective_price_cents", read_only=True)
    is_in_stock = serializers.BooleanField(read_only=True)

    class Meta:
        model = Variant
        fields = ("sku", "name", "ean", "price_cents", "is_in_stock")


class ProductSerializer(serializers.ModelSerializer):
    merchant: serializers.SlugRelatedField[Merchant] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    category: serializers.SlugRelatedField[Category] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    variants = PublicVariantSerializer(many=True, read_only=True)

    class Meta:
        model = Product
        fields = (
            "id",
            "slug",
            "title",
            "description",
            "merchant",
            "category",
            "price_cents",
            "vat_rate",
            "unit",
            "content_quantity",
            "content_unit",
            "is_perishable",
            "is_alcohol",
            "variants",
        )


class ManagedVariantSerializer(serializers.ModelSerializer):
    class Meta:
        model = Variant
        fields = ("id", "sku", "name", "ean", "price_cents", "stock")
        read_only_fields = fields


class ManagedProductSerializer(serializers.ModelSerializer):
    """A product of a merchant the user manages; ``merchant`` only accepts those merchants."""

    merchant = SlugField(slug_field="slug", queryset=Merchant.objects.none())
    category = SlugField(slug_field="slug", queryset=Category.objects.all(), allow_null=True, required=False)
    price_cents = serializers.IntegerField(min_value=0, max_value=MAX_PRICE_CENTS)
    sku = serializers.CharField(max_length=64, required=False, write_only=True, help_text="SKU of the default variant")
    stock = serializers.IntegerField(
        min_value=0,
        max_value=MAX_STOCK,
        allow_null=True,
        required=False,
        write_only=True,
        help_text="null: stock not tracked",
    )
    variants = ManagedVariantSerializer(many=True, read_only=True)

    class Meta:
        model = Product
        fields = (
            "id",
            "slug",
            "merchant",
            "title",
            "description",
            "category",
            "price_cents",
            "vat_rate",
            "unit",
            "content_quantity",
            "content_unit",
            "is_perishable",
            "is_alcohol",
            "is_published",
            "sku",
            "stock",
            "variants",
        )
        read_only_fields = ("id", "slug", "variants")

    def __init__(self, *args: Any, merchants: QuerySet[Merchant] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if merchants is not None:
            cast(SlugField, self.fields["merchant"]).queryset = merchants
        if self.instance is not None:
            self.fields["merchant"].read_only = True  # a product never moves to another merchant

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The SKU is unique per merchant: checked against the merchant the serializer validated, never
        # against the raw input.
        merchant, sku = attrs.get("merchant"), attrs.get("sku")
        if self.instance is None and sku and merchant is not None and merchant.variants.filter(sku=sku).exists():
            raise serializers.ValidationError({"sku": [_("Cette référence existe déjà chez ce commerçant.")]})
        return attrs


class PublicationSerializer(serializers.Serializer):
    is_published = serializers.BooleanField()


class StockSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64, required=False, help_text="default: the product's first variant")
    stock = serializers.IntegerField(min_value=0, max_value=MAX_STOCK, allow_null=True)


class ApiTokenSerializer(serializers.Serializer):
    token = serializers.CharField()
