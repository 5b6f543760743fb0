from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from hypothesis import given
from hypothesis import strategies as st

from catalog.actions import save_merchant, save_product
from catalog.formatting import (
    format_address,
    format_amount,
    format_clock,
    format_day,
    format_moment,
    format_price,
    format_vat_rate,
    parse_amount,
    price_per_reference_unit,
)
from catalog.forms import EuroPriceField
from catalog.hours import Period, opening_state
from catalog.imports import RowInvalid, parse_price_cents
from catalog.models import Category, Merchant, Product, Variant
from catalog.sanitising import sanitise_description
from tests.catalog.factories import MerchantFactory, ProductFactory, VariantFactory

PARIS = "Europe/Paris"


def test_new_towns_get_the_french_default_category_tree(town_a):
    with town_a:
        roots = list(Category.objects.filter(parent=None).values_list("name", flat=True))
        assert roots == [
            "Alimentation",
            "Mode",
            "Maison",
            "Beauté & santé",
            "Culture & loisirs",
            "Restaurants",
            "Services",
        ]
        assert Category.objects.get(slug="alimentation-boulangerie-et-patisserie").parent.name == "Alimentation"


@pytest.mark.parametrize(
    ("cents", "text"), [(1250, "12,50\u00a0€"), (0, "0,00\u00a0€"), (123456, "1\u202f234,56\u00a0€")]
)
def test_prices_are_shown_the_french_way(cents, text):
    assert format_price(cents) == text


@given(st.integers(min_value=-(10**14), max_value=10**14))
def test_an_amount_written_for_a_form_or_a_csv_cell_reads_back_the_same(cents):
    assert parse_amount(format_amount(cents)) == cents


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("12,50", 1250),
        ("12.5", 1250),
        ("1 234,56 €", 123456),
        ("1\u202f234,56\u00a0€", 123456),
        ("1.234,56", 123456),
        ("1,234.56", 123456),
        ("3", 300),
        ("+3", 300),
        ("12,500", 1250),
        ("12,50 EUR", 1250),
        ("12,505", None),
        ("douze", None),
        ("-3", None),
        ("1e5", None),
        ("NaN", None),
        ("=2*3", None),
        ("\u0661\u0662", None),  # Arabic-Indic digits: not what a price is typed with
        ("100000,01", None),
        ("9" * 5000, None),
    ],
)
def test_the_product_form_and_the_import_read_a_typed_price_alike(typed, cents):
    def read(parse, refused):
        try:
            return parse(typed)
        except refused:
            return None

    assert read(EuroPriceField().clean, ValidationError) == read(parse_price_cents, RowInvalid) == cents


def test_clock_times_are_written_the_french_way():
    assert [format_clock(dt.time(hour, minute)) for hour, minute in ((9, 0), (9, 30), (14, 5))] == [
        "9 h",
        "9 h 30",
        "14 h 05",
    ]
    assert format_clock(dt.time(9, 30), space="\u00a0") == "9\u00a0h\u00a030"


def test_days_are_written_the_french_way():
    assert format_day(dt.date(2026, 12, 8)) == "mardi 8 décembre"
    assert format_day(dt.date(2026, 12, 1)) == "mardi 1er décembre"


def test_journal_moments_name_the_date_and_the_time_the_french_way():
    assert format_moment(dt.datetime(2026, 12, 7, 14, 5, tzinfo=dt.UTC)) == "7 décembre 2026 à 14 h 05"
    assert format_moment(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)) == "1er décembre 2026 à 9 h"
    assert format_moment(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC), weekday=True) == "mardi 1er décembre 2026 à 9 h"


@pytest.mark.parametrize(
    ("street", "postcode", "city", "text"),
    [
        ("12 Rue Royale 62100 Calais", "62100", "Calais", "12 Rue Royale, 62100 Calais"),  # a geocoded label
        ("12 rue Royale", "62100", "Calais", "12 rue Royale, 62100 Calais"),
        ("5 place d'Armes,", "62100", "CALAIS", "5 place d'Armes, 62100 CALAIS"),
        ("", "62100", "Calais", "62100 Calais"),
        ("12 rue Royale", "", "", "12 rue Royale"),
    ],
)
def test_an_address_names_its_postcode_and_town_once(street, postcode, city, text):
    assert format_address(street, postcode, city) == text


def test_price_per_kilo_and_litre():
    assert price_per_reference_unit(price_cents=350, quantity=Decimal(250), unit="g") == (1400, "kg")
    assert price_per_reference_unit(price_cents=199, quantity=Decimal(75), unit="cl") == (265, "l")
    assert price_per_reference_unit(price_cents=199, quantity=Decimal(0), unit="cl") is None


def test_vat_rates_are_displayed_with_the_293b_mention():
    assert [format_vat_rate(rate) for rate in (2000, 1000, 550, 210, 0)] == [
        "20 %",
        "10 %",
        "5,5 %",
        "2,1 %",
        "TVA non applicable, art. 293 B du CGI",
    ]


@pytest.mark.parametrize(
    ("html", "kept", "gone"),
    [
        ("<p>Bon <strong>pain</strong></p><script>alert(1)</script>", "<strong>pain</strong>", "script"),
        ('<img src=x onerror="alert(1)">Texte', "Texte", "onerror"),
        ('<a href="javascript:alert(1)">lien</a>', "lien", "javascript"),
        ('<p style="color:red" onclick="x()">Salut</p>', "Salut", "onclick"),
    ],
)
def test_descriptions_lose_scripts_and_event_handlers(html, kept, gone):
    cleaned = sanitise_description(html)
    assert kept in cleaned
    assert gone not in cleaned


def _opening(now: dt.datetime) -> str:
    periods = [Period(weekday, dt.time(9, 30), dt.time(12, 30)) for weekday in range(0, 6)] + [
        Period(weekday, dt.time(14), dt.time(19)) for weekday in range(0, 6)
    ]
    return opening_state(
        periods=periods, closures=[(dt.date(2026, 12, 25), dt.date(2026, 12, 26))], now=now, time_zone=PARIS
    ).label


def test_opening_state_in_the_town_time_zone():
    # 2026-11-27 is a Friday; 16:00 UTC is 17:00 in Paris
    assert _opening(dt.datetime(2026, 11, 27, 16, 0, tzinfo=dt.UTC)) == "Ouvert · ferme à 19 h"
    assert _opening(dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)) == "Fermé · ouvre à 14 h"
    assert _opening(dt.datetime(2026, 11, 27, 19, 0, tzinfo=dt.UTC)) == "Fermé · ouvre demain à 9 h 30"
    assert _opening(dt.datetime(2026, 11, 28, 19, 0, tzinfo=dt.UTC)) == "Fermé · ouvre lundi à 9 h 30"
    # Christmas closure (Friday 25 and Saturday 26 December)
    assert _opening(dt.datetime(2026, 12, 25, 10, 0, tzinfo=dt.UTC)) == "Fermé · ouvre lundi à 9 h 30"


def test_siret_and_ean_are_checksum_validated(town_a):
    with town_a:
        merchant = Merchant(name="Boulangerie Dupont", slug="boulangerie-dupont", siret="73282932000074")
        merchant.full_clean(exclude=["categories"])
        merchant.siret = "73282932000075"
        with pytest.raises(ValidationError, match="SIRET"):
            merchant.full_clean(exclude=["categories"])
        variant = VariantFactory.build(ean="4006381333931", product=ProductFactory())
        variant.full_clean()
        variant.ean = "4006381333932"
        with pytest.raises(ValidationError, match="EAN"):
            variant.full_clean()


@pytest.mark.parametrize("price", [-1, 10_000_001])
def test_negative_or_absurd_prices_are_refused_by_the_form_layer_and_the_database(town_a, price):
    with town_a:
        merchant = MerchantFactory()
        with pytest.raises(ValidationError):
            save_product(product=Product(merchant=merchant, title="Prix faux", price_cents=price))
        with pytest.raises(IntegrityError), transaction.atomic():
            Product.objects.create(merchant=merchant, title="Prix faux", slug="prix-faux", price_cents=price)


def test_stock_can_never_go_negative_in_the_database(town_a):
    with town_a:
        variant = VariantFactory(stock=1)
        with pytest.raises(IntegrityError), transaction.atomic():
            Variant.objects.filter(pk=variant.pk).update(stock=-1)


def test_sku_is_unique_per_merchant_only(town_a):
    with town_a:
        first, second = MerchantFactory(), MerchantFactory()
        VariantFactory(product=ProductFactory(merchant=first), sku="001")
        VariantFactory(product=ProductFactory(merchant=second), sku="001")
        with pytest.raises(IntegrityError), transaction.atomic():
            VariantFactory(product=ProductFactory(merchant=first), sku="001")


def test_saved_products_are_found_by_accent_insensitive_french_search(town_a):
    with town_a:
        merchant = save_merchant(merchant=Merchant(name="Pâtisserie Lenôtre", city="Calais"))
        product = save_product(
            product=Product(
                merchant=merchant,
                title="Éclair au café",
                price_cents=290,
                description="<p>Crème pâtissière</p><script>x</script>",
            )
        )
        assert product.description == "<p>Crème pâtissière</p>"
        assert product.variants.get().sku == f"P{product.pk}"
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM catalog_product WHERE search_vector @@ "
                "plainto_tsquery('french', comptoir_unaccent(%s))",
                ["eclair"],
            )
            assert cursor.fetchall() == [(product.pk,)]
            cursor.execute(
                "SELECT id FROM catalog_product WHERE search_vector @@ "
                "plainto_tsquery('french', comptoir_unaccent(%s))",
                ["lenotre"],
            )
            assert cursor.fetchall() == [(product.pk,)]
