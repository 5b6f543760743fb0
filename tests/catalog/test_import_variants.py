"""Product imports: rows sharing a product reference become the variants of one product."""

from __future__ import annotations

from catalog.imports import import_products
from catalog.models import Merchant, Product, Variant
from tests.catalog.factories import MerchantFactory, VariantFactory

HEADER = "ref_produit;sku;titre;declinaison;prix;stock\n"


def csv_bytes(*lines: str, header: str = HEADER) -> bytes:
    return (header + "\n".join(lines) + "\n").encode()


def variants(merchant: Merchant) -> list[tuple]:
    return list(
        Variant.objects.filter(merchant=merchant)
        .order_by("product__title", "position", "sku")
        .values_list("product__title", "sku", "name", "price_cents", "stock", "position")
    )


def test_two_rows_of_one_product_reference_make_one_product_with_two_variants(town_a):
    with town_a:
        merchant = MerchantFactory()

        report = import_products(
            merchant=merchant,
            data=csv_bytes(
                "TSHIRT;TS-M;T-shirt lin;Taille M;25,00;4",
                "TSHIRT;TS-L;T-shirt lin;Taille L;27,00;0",
                ";MUG;Mug émaillé;;12;",
            ),
            filename="p.csv",
        )

        assert (report.errors, report.created, report.updated) == ([], 3, 0)
        assert list(
            Product.objects.filter(merchant=merchant).order_by("title").values_list("title", "price_cents")
        ) == [
            ("Mug émaillé", 1200),
            ("T-shirt lin", 2500),
        ]
        # The first row sets the product's price; a variant keeps its own only where it differs.
        assert variants(merchant) == [
            ("Mug émaillé", "MUG", "", None, None, 0),
            ("T-shirt lin", "TS-M", "Taille M", None, 4, 0),
            ("T-shirt lin", "TS-L", "Taille L", 2700, 0, 1),
        ]


def test_reimporting_the_same_file_updates_the_variants_in_place(town_a):
    with town_a:
        merchant = MerchantFactory()
        first = csv_bytes("TSHIRT;TS-M;T-shirt lin;Taille M;25;4", "TSHIRT;TS-L;T-shirt lin;Taille L;27;0")
        import_products(merchant=merchant, data=first, filename="p.csv")

        report = import_products(
            merchant=merchant,
            data=csv_bytes(
                "TSHIRT;TS-M;T-shirt en lin;M;26;3",
                "TSHIRT;TS-L;T-shirt en lin;L;26;2",
                "TSHIRT;TS-XL;T-shirt en lin;XL;28;1",
            ),
            filename="p.csv",
        )

        assert (report.errors, report.created, report.updated) == ([], 1, 2)
        assert Product.objects.filter(merchant=merchant).count() == 1
        assert variants(merchant) == [
            ("T-shirt en lin", "TS-M", "M", None, 3, 0),
            ("T-shirt en lin", "TS-L", "L", None, 2, 1),
            ("T-shirt en lin", "TS-XL", "XL", 2800, 1, 2),
        ]


def test_a_new_sku_joins_the_existing_product_of_its_reference(town_a):
    with town_a:
        merchant = MerchantFactory()
        existing = VariantFactory(product__merchant=merchant, merchant=merchant, sku="VASE-S", product__title="Vase")

        report = import_products(
            merchant=merchant,
            data=csv_bytes("VASE;VASE-S;Vase bleu;Petit;30;", "VASE;VASE-L;Vase bleu;Grand;45;"),
            filename="p.csv",
        )

        assert report.errors == []
        assert list(Product.objects.filter(merchant=merchant).values_list("pk", "title")) == [
            (existing.product_id, "Vase bleu")
        ]
        assert [sku for _title, sku, *_rest in variants(merchant)] == ["VASE-S", "VASE-L"]


def test_without_a_product_reference_same_titles_stay_separate_products(town_a):
    with town_a:
        merchant = MerchantFactory()

        import_products(
            merchant=merchant, data=b"sku;titre;prix\nA1;Yaourt nature;1\nB1;Yaourt nature;2\n", filename="p.csv"
        )

        assert sorted(Product.objects.filter(merchant=merchant).values_list("slug", flat=True)) == [
            "yaourt-nature",
            "yaourt-nature-2",
        ]


def test_a_reference_joining_two_existing_products_is_refused_and_nothing_changes(town_a):
    with town_a:
        merchant = MerchantFactory()
        import_products(merchant=merchant, data=b"sku;titre;prix\nA1;Bol;5\nB1;Tasse;4\n", filename="p.csv")
        before = variants(merchant)

        report = import_products(
            merchant=merchant, data=csv_bytes("VAISSELLE;A1;Bol;;5;", "VAISSELLE;B1;Tasse;;4;"), filename="p.csv"
        )

        assert report.errors == [
            {
                "line": 3,
                "column": "ref_produit",
                "message": "La référence « B1 » appartient à un autre produit que « A1 » : une même référence "
                "produit ne peut pas réunir deux produits existants.",
            }
        ]
        assert variants(merchant) == before
