"""The basket: grouped per merchant, always priced from the database, bad input refused in French."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Role, User
from catalog.models import Merchant, MerchantStatus, Product, SaleUnit, Variant
from checkout.basket import add_to_basket, get_or_create_basket, price_basket, set_basket_quantity
from checkout.models import Basket, BasketLine
from tests.catalog.factories import ProductFactory, VariantFactory
from tests.checkout.conftest import make_shop, messages_of


def test_lines_from_two_merchants_are_grouped_and_priced_from_the_database(client_a, town_a, shops):
    bakery, grocer = shops["bakery"], shops["grocer"]
    eclair, honey = bakery["variants"][0], grocer["variants"][0]

    client_a.post("/panier/ajouter/", {"variant": eclair.pk, "quantity": "3", "price_cents": "1", "total": "1"})
    client_a.post("/panier/ajouter/", {"variant": honey.pk, "quantity": "1", "vat_rate": "0"})
    page = client_a.get("/panier/")

    assert page.status_code == 200
    body = page.content.decode()
    assert "Boulangerie Dupont" in body
    assert "Épicerie du Port" in body
    assert "7,50\u00a0€" in body  # 3 × 2,50 €: the forged price field is ignored
    with town_a:
        basket = Basket.objects.get()
        priced = price_basket(basket)
        assert [group.merchant.name for group in priced.groups] == ["Boulangerie Dupont", "Épicerie du Port"]
        assert priced.total_cents == 3 * 250 + 890
        assert [(v.rate, v.gross_cents) for v in priced.vat_lines()] == [(550, 1640)]


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("-1", "La quantité doit être supérieure à zéro."),
        ("0", "La quantité doit être supérieure à zéro."),
        ("1,5", "Ce produit se vend à la pièce : indiquez un nombre entier."),
        ("abc", "Indiquez une quantité en chiffres."),
        ("NaN", "La quantité doit être supérieure à zéro."),
        ("1e9", "La quantité ne peut pas dépasser 999."),
    ],
)
def test_bad_quantities_are_refused_with_a_french_message(client_a, town_a, shops, quantity, message):
    eclair = shops["bakery"]["variants"][0]

    response = client_a.post("/panier/ajouter/", {"variant": eclair.pk, "quantity": quantity}, follow=True)

    assert message in response.content.decode()
    with town_a:
        assert not BasketLine.objects.exists()


def test_goods_sold_by_the_kilo_accept_a_decimal_comma(town_a):
    with town_a:
        shop = make_shop("Fromagerie", products=[("Comté 18 mois", 2490, None)])
        product = shop["variants"][0].product
        product.unit = SaleUnit.KILOGRAM
        product.save()
        basket = get_or_create_basket(token=None, user_id=None)

        line = add_to_basket(basket=basket, variant_id=shop["variants"][0].pk, quantity="0,35")

        assert line.quantity == Decimal("0.350")
        assert price_basket(basket).total_cents == 872  # 0,35 × 24,90 € = 8,715 → 8,72 €


def test_stock_limits_the_quantity(town_a, shops):
    honey = shops["grocer"]["variants"][0]  # 5 in stock
    with town_a:
        basket = get_or_create_basket(token=None, user_id=None)
        add_to_basket(basket=basket, variant_id=honey.pk, quantity=4)
        with pytest.raises(ValidationError, match="Il ne reste que 5"):
            add_to_basket(basket=basket, variant_id=honey.pk, quantity=2)
        assert BasketLine.objects.get().quantity == 4


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ("nothing", ""),
        ("product withdrawn", "Ce produit n'est plus en vente."),
        ("merchant paused", "Ce produit n'est plus en vente."),
        ("merchant stops selling online", "Ce produit n'est plus en vente."),
        ("stock below the quantity", "Il n'en reste que 3 : modifiez la quantité."),
        ("sold out", "Épuisé."),
    ],
)
def test_a_basket_line_is_flagged_exactly_when_adding_it_again_is_refused(town_a, shops, change, problem):
    honey = shops["grocer"]["variants"][0]  # 5 in stock
    with town_a:
        basket = get_or_create_basket(token=None, user_id=None)
        add_to_basket(basket=basket, variant_id=honey.pk, quantity=4)
        merchant, product = honey.merchant, honey.product
        if change == "product withdrawn":
            Product.objects.filter(pk=product.pk).update(is_published=False)
        elif change == "merchant paused":
            Merchant.objects.filter(pk=merchant.pk).update(status=MerchantStatus.PAUSED)
        elif change == "merchant stops selling online":
            Merchant.objects.filter(pk=merchant.pk).update(sells_online=False)
        elif change == "stock below the quantity":
            Variant.objects.filter(pk=honey.pk).update(stock=3)
        elif change == "sold out":
            Variant.objects.filter(pk=honey.pk).update(stock=0)

        [line] = price_basket(basket).groups[0].lines
        try:
            set_basket_quantity(basket=basket, variant_id=honey.pk, quantity=4)
            refused = False
        except ValidationError:
            refused = True

    assert line.problem == problem
    assert refused == bool(problem)


@pytest.mark.parametrize("zero", ["0", "0,0", "0,00", "00", " 0 ", "0.0000", "-0"])
def test_a_quantity_of_zero_however_written_removes_the_line(town_a, shops, zero):
    honey = shops["grocer"]["variants"][0]
    with town_a:
        basket = get_or_create_basket(token=None, user_id=None)
        add_to_basket(basket=basket, variant_id=honey.pk, quantity=2)

        assert set_basket_quantity(basket=basket, variant_id=honey.pk, quantity=zero) is None
        assert not basket.lines.exists()


def test_unpublished_product_and_another_towns_product_are_refused(client_a, town_a, town_b, shops):
    with town_b:
        foreign = VariantFactory(product=ProductFactory(title="Produit de B"))
    with town_a:
        hidden = VariantFactory(product=ProductFactory(title="Caché", is_published=False))
        # Make sure the foreign id is not also a valid id in town A.
        while town_a and VariantFactory._meta.model.objects.filter(pk=foreign.pk).exists():
            foreign.pk += 1000

    for variant_id in (hidden.pk, foreign.pk, "9999999", "x"):
        response = client_a.post("/panier/ajouter/", {"variant": variant_id, "quantity": "1"}, follow=True)
        assert response.status_code == 200
        assert "Ce produit n" in response.content.decode()
    with town_a:
        assert not BasketLine.objects.exists()


def test_anonymous_basket_joins_the_account_basket_at_login(client_a, town_a, shops):
    eclair, honey = shops["bakery"]["variants"][0], shops["grocer"]["variants"][0]
    with town_a:
        user = User.objects.create_user(
            email="jeanne@exemple.fr", password="mot-de-passe-solide-42", role=Role.RESIDENT
        )
        account_basket = get_or_create_basket(token=None, user_id=user.pk)
        add_to_basket(basket=account_basket, variant_id=eclair.pk, quantity=1)
    client_a.post("/panier/ajouter/", {"variant": eclair.pk, "quantity": "2"})
    client_a.post("/panier/ajouter/", {"variant": honey.pk, "quantity": "1"})

    response = client_a.post("/compte/login/", {"login": "jeanne@exemple.fr", "password": "mot-de-passe-solide-42"})

    assert response.status_code == 302
    with town_a:
        basket = Basket.objects.get()
        assert basket.user_id == user.pk
        assert {line.variant_id: line.quantity for line in basket.lines.all()} == {eclair.pk: 3, honey.pk: 1}


def test_basket_page_query_count_does_not_grow_with_lines(client_a, town_a, django_assert_max_num_queries):
    with town_a:
        shop = make_shop("Grande surface", products=[(f"Article {i}", 100 + i, None) for i in range(12)])
    for variant in shop["variants"][:2]:
        client_a.post("/panier/ajouter/", {"variant": variant.pk, "quantity": "1"})
    client_a.get("/panier/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # Counted at once: each request resets Django's query log, which a context read later would slice.
    with CaptureQueriesContext(connection) as few:
        client_a.get("/panier/")
    two_lines = len(few.captured_queries)
    for variant in shop["variants"][2:]:
        client_a.post("/panier/ajouter/", {"variant": variant.pk, "quantity": "1"})
    with CaptureQueriesContext(connection) as many:
        client_a.get("/panier/")
    twelve_lines = len(many.captured_queries)
    assert two_lines > 0
    assert twelve_lines == two_lines


# --- forged and absurd input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["/\\evil.example/", "/\t/evil.example/", "//evil.example/", "https://evil.example/"]
)
def test_next_never_sends_the_resident_to_another_site(client_a, shops, target):
    response = client_a.post(
        "/panier/ajouter/", {"variant": shops["bakery"]["variants"][0].pk, "quantity": "1", "next": target}
    )

    location = response["Location"]
    assert response.status_code == 302
    assert location.startswith("/")
    assert not location.startswith("//")
    assert "\\" not in location
    assert "\t" not in location  # Django's redirect percent-encodes both (%5C, %09)


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("NaN", "supérieure à zéro"),
        ("-1", "supérieure à zéro"),
        ("0", "supérieure à zéro"),
        ("1e3", "999"),
        ("1,5", "nombre entier"),
        ("deux", "en chiffres"),
        ("", "en chiffres"),
    ],
)
def test_forged_quantities_get_a_french_message_and_no_line(client_a, town_a, shops, quantity, message):
    response = client_a.post(
        "/panier/ajouter/", {"variant": shops["bakery"]["variants"][0].pk, "quantity": quantity}, follow=True
    )

    assert any(message in text for text in messages_of(response)), messages_of(response)
    with town_a:
        assert not BasketLine.objects.exists()


@pytest.mark.parametrize("variant", ["99999999999999999999", "abc", "-1", ""])
def test_unknown_or_absurd_variant_ids_get_a_french_message(client_a, variant):
    response = client_a.post("/panier/ajouter/", {"variant": variant, "quantity": "1"}, follow=True)

    assert response.status_code == 200
    assert any("n'existe pas" in text or "plus en vente" in text for text in messages_of(response))


def test_another_towns_variant_cannot_be_put_in_the_basket(client_a, town_a, town_b, shops):
    with town_b:
        foreign = VariantFactory(stock=None)
    with town_a:
        local_ids = set(Variant.objects.values_list("pk", flat=True))
    if foreign.pk in local_ids:
        pytest.skip("the same id exists in town A: nothing to prove")

    client_a.post("/panier/ajouter/", {"variant": foreign.pk, "quantity": "1"})

    with town_a:
        assert not BasketLine.objects.exists()


@pytest.mark.slow
def test_setting_a_quantity_cannot_grow_the_basket_past_its_100_lines(client_a, town_a, shops):
    """Setting a quantity cannot add a 101st line any more than adding one can ("Votre panier est plein"):
    a script could otherwise grow a basket without bound, and every basket and checkout page prices all of it."""
    with town_a:
        bakery = shops["bakery"]["merchant"]
        variants = [
            VariantFactory(product=ProductFactory(merchant=bakery, price_cents=100), merchant=bakery, stock=None)
            for _ in range(101)
        ]
    for variant in variants[:100]:
        client_a.post("/panier/ajouter/", {"variant": variant.pk, "quantity": "1"})
    with town_a:
        assert BasketLine.objects.count() == 100

    client_a.post("/panier/modifier/", {"variant": variants[100].pk, "quantity": "1"})

    with town_a:
        assert BasketLine.objects.count() == 100
