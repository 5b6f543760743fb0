"""The demo catalogue generator: believable, valid, searchable and reproducible."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from stdnum import ean as stdnum_ean
from stdnum.fr import siret as stdnum_siret

from catalog.models import Merchant, MerchantKind, MerchantStatus, OpeningPeriod, Product, Variant, VatRate
from demo.catalog import DemoCatalogue, generate_catalogue

SMALL = {"merchants": 12, "products": 200, "supermarket_products": 60, "seed": 7}


def generate(profile: str = "calais", **overrides: int) -> DemoCatalogue:
    return generate_catalogue(profile=profile, **(SMALL | overrides))


def test_generates_the_requested_counts_with_every_kind_of_merchant(town_a):
    with town_a:
        result = generate()

        assert (result.merchants, result.products, result.variants) == (12, 200, 200)
        assert Merchant.objects.count() == 12
        assert Product.objects.count() == 200
        assert set(Merchant.objects.values_list("kind", flat=True)) == set(MerchantKind.values)
        supermarket = Merchant.objects.get(kind=MerchantKind.PARTNER_SUPERMARKET)
        assert supermarket.products.count() == 60
        assert supermarket.status == MerchantStatus.LIVE
        assert OpeningPeriod.objects.filter(merchant=supermarket).count() == 7


def test_every_product_has_exactly_one_variant_of_its_own_merchant(town_a):
    with town_a:
        generate()

        assert set(Product.objects.annotate(n=Count("variants")).values_list("n", flat=True)) == {1}
        mismatched = [v for v in Variant.objects.select_related("product") if v.merchant_id != v.product.merchant_id]
        assert mismatched == []
        skus = Counter(Variant.objects.values_list("merchant_id", "sku"))
        assert max(skus.values()) == 1


def test_barcodes_sirets_prices_and_vat_rates_are_valid(town_a):
    with town_a:
        generate()

        eans = list(Variant.objects.exclude(ean="").values_list("ean", flat=True))
        assert len(eans) >= 60  # every supermarket item has one
        assert all(stdnum_ean.is_valid(code) and len(code) == 13 for code in eans)
        sirets = [s for s in Merchant.objects.exclude(siret="").values_list("siret", flat=True)]
        assert sirets
        assert all(stdnum_siret.is_valid(code) for code in sirets)
        prices = list(Product.objects.values_list("price_cents", flat=True))
        assert all(isinstance(price, int) and 0 < price <= 10_000_000 for price in prices)
        assert set(Product.objects.values_list("vat_rate", flat=True)) <= set(VatRate.values)
        # A merchant in the 293 B franchise never charges VAT; nobody else sells at "no VAT".
        assert not Product.objects.filter(merchant__is_vat_exempt=True).exclude(vat_rate=VatRate.NONE).exists()
        assert not Product.objects.filter(merchant__is_vat_exempt=False, vat_rate=VatRate.NONE).exists()
        assert (
            not Product.objects.filter(is_alcohol=True).exclude(vat_rate__in=[VatRate.STANDARD, VatRate.NONE]).exists()
        )


def test_opening_hours_and_addresses_are_believable(town_a):
    with town_a:
        generate()

        assert all(period.closes_at > period.opens_at for period in OpeningPeriod.objects.all())
        merchant = Merchant.objects.exclude(kind=MerchantKind.PARTNER_SUPERMARKET).first()
        assert (merchant.postcode, merchant.city, merchant.insee_code) == ("62100", "Calais", "62193")
        assert 50.9 < float(merchant.latitude) < 51.0
        assert merchant.phone.startswith(("03 21 ", "06 ", "07 "))
        assert merchant.categories.count() == 1


def test_products_are_found_by_french_full_text_search(town_a):
    with town_a:
        generate(products=400, supermarket_products=100)

        assert not Product.objects.filter(search_vector__isnull=True).exists()
        assert not Merchant.objects.filter(search_vector__isnull=True).exists()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM catalog_product "
                "WHERE search_vector @@ plainto_tsquery('french', comptoir_unaccent(%s))",
                ["pâtes"],
            )
            assert cursor.fetchone()[0] > 0


def test_same_seed_gives_the_same_catalogue(town_a, town_b):
    with town_a:
        generate(seed=42)
        first = list(Merchant.objects.order_by("name").values_list("name", "address_line", "phone"))
        first_products = list(Product.objects.order_by("title", "price_cents").values_list("title", "price_cents"))
    with town_b:
        generate(seed=42)
        second = list(Merchant.objects.order_by("name").values_list("name", "address_line", "phone"))
        second_products = list(Product.objects.order_by("title", "price_cents").values_list("title", "price_cents"))

    assert first == second
    assert first_products == second_products


def test_luzy_profile_has_many_showcase_listings(town_a):
    with town_a:
        result = generate("luzy", merchants=40, products=150, supermarket_products=40)

        assert result.merchants == 40
        assert Merchant.objects.filter(sells_online=False).count() >= 10
        assert Merchant.objects.filter(city="Luzy", postcode="58170").count() == 40
        assert Merchant.objects.filter(kind=MerchantKind.ESTATE_AGENT, products__isnull=False).count() == 0


@pytest.mark.parametrize("profile", ["calais"])
def test_seed_command_is_idempotent(town_a, profile, capsys):
    small = ["--merchants", "8", "--products", "50", "--supermarket-products", "10", "--without-pictures"]
    call_command("seed_demo_catalog", town_a.slug, "--profile", profile, *small)
    call_command("seed_demo_catalog", town_a.slug, "--profile", profile)

    with town_a:
        assert (Merchant.objects.count(), Product.objects.count()) == (8, 50)
    assert "rien à faire" in capsys.readouterr().out
