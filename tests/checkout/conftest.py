"""Checkout fixtures: two shops with stock and opening hours, a town paid through the Stripe fake."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.test import Client

from accounts.models import Role, User
from catalog.models import MerchantMembership, OpeningPeriod, SaleUnit
from checkout import payments
from checkout.actions import Actor, Contact, FulfilmentChoice, mark_order_paid, place_order
from checkout.basket import add_to_basket, get_or_create_basket
from checkout.models import Basket, Fulfilment, Order
from payments.gateways import gateway_account_id, get_gateway
from tenants.models import Town
from tests.catalog.factories import MerchantFactory, ProductFactory, VariantFactory
from tests.checkout.stripe_fixtures import (  # noqa: F401  (fixtures)
    FAKE_PUBLISHABLE_KEY,
    FAKE_SECRET_KEY,
    FAKE_WEBHOOK_SECRET,
    TOWN_ACCOUNT,
    stripe_fake,
    stripe_fake_server,
    stripe_gateway,
)

RESIDENT = Actor(kind="resident")
GATEWAY = Actor(kind="gateway")
MERCHANT = Actor(kind="merchant", user_id=1)
CONTACT = Contact(first_name="Jeanne", last_name="Martin", email="jeanne@exemple.fr", phone="0612345678")


def open_every_day(merchant: object) -> None:
    for weekday in range(7):
        OpeningPeriod.objects.create(
            merchant=merchant, weekday=weekday, opens_at=dt.time(0, 0), closes_at=dt.time(23, 59)
        )


def make_shop(
    name: str, *, products: list[tuple[str, int, int | None]], vat: int = 550, **fields: object
) -> dict[str, object]:
    """A live merchant selling online, open all day, with (title, price_cents, stock) products."""
    merchant = MerchantFactory(name=name, click_and_collect=True, **fields)
    open_every_day(merchant)
    variants = []
    for title, price, stock in products:
        product = ProductFactory(merchant=merchant, title=title, price_cents=price, vat_rate=vat)
        variants.append(VariantFactory(product=product, merchant=merchant, stock=stock))
    return {"merchant": merchant, "variants": variants}


@pytest.fixture
def shops(town_a: Town) -> Iterator[dict[str, dict[str, object]]]:
    with town_a:
        bakery = make_shop(
            "Boulangerie Dupont", products=[("Éclair au café", 250, 20), ("Pain de campagne", 380, None)]
        )
        grocer = make_shop("Épicerie du Port", products=[("Miel de Calais", 890, 5), ("Confiture de fraises", 620, 8)])
        grocer["merchant"].delivery_eligible = True
        grocer["merchant"].save()
        yield {"bakery": bakery, "grocer": grocer}


@pytest.fixture
def merchant_sms_on(town_a: Town) -> None:
    """Town A has chosen to tell its shops of each new order by SMS (Gestion du site)."""
    from townsite.models import SiteSettings

    with town_a:
        SiteSettings.objects.update_or_create(pk=1, defaults={"sms_merchants_on_new_order": True})


@pytest.fixture
def stripe_town(town_a: Town, settings: object, stripe_fake: object) -> Town:  # noqa: F811
    """Town A collects through Stripe (the fake), as a connected account."""
    settings.STRIPE_SECRET_KEY = FAKE_SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = FAKE_PUBLISHABLE_KEY
    settings.STRIPE_WEBHOOK_SECRET = FAKE_WEBHOOK_SECRET
    settings.STRIPE_API_BASE = stripe_fake.url
    town_a.payment_gateway, town_a.stripe_account_id = "stripe", TOWN_ACCOUNT
    town_a.save()  # save(), not update(): it invalidates the cached host → town lookup
    return town_a


def basket_with(items: list[tuple[object, object]], *, user_id: int | None = None) -> Basket:
    basket = get_or_create_basket(token=None, user_id=user_id)
    for variant, quantity in items:
        add_to_basket(basket=basket, variant_id=variant.pk, quantity=quantity)
    return basket


def collect_all(basket: Basket) -> dict[int, FulfilmentChoice]:
    merchant_ids = set(basket.lines.values_list("variant__merchant_id", flat=True))
    return {merchant_id: FulfilmentChoice(kind=Fulfilment.COLLECT) for merchant_id in merchant_ids}


def order_from(basket: Basket, **kwargs: object) -> Order:
    options = {"contact": CONTACT, "fulfilments": collect_all(basket), "terms_accepted": True, "actor": RESIDENT}
    options.update(kwargs)
    return place_order(basket=basket, **options)


def checkout_data(shops: dict, **extra: str) -> dict[str, str]:
    """The checkout form as a guest fills it: the bakery collected, paid by card."""
    data = {
        "first_name": "Jeanne",
        "last_name": "Martin",
        "email": "jeanne@exemple.fr",
        "phone": "06 12 34 56 78",
        "payment_method": "card",
        "accept_terms": "on",
        f"fulfilment_{shops['bakery']['merchant'].pk}": "collect",
    }
    data.update(extra)
    return data


def merchant_user(merchant: object, email: str) -> User:
    user = User.objects.create_user(email=email, password="mot-de-passe-solide-42", role=Role.MERCHANT_STAFF)
    MerchantMembership.objects.create(merchant=merchant, user_id=user.pk)
    return user


KG = SaleUnit.KILOGRAM


def no_raise(client: Client) -> Client:
    """The client answers a crash with the 500 page instead of raising it in the test."""
    client.raise_request_exception = False
    return client


def place_through_pages(client: Client, shops: dict, **extra: str) -> str:
    """Adds an éclair and places the order through the pages; returns the order's public id."""
    client.post("/panier/ajouter/", {"variant": shops["bakery"]["variants"][0].pk, "quantity": "1"})
    placed = client.post("/commande/", checkout_data(shops, **extra))
    assert placed.status_code == 302, placed.content.decode()[:1500]
    return placed["Location"].split("/commande/")[1].split("/")[0]


def paid_order(variant: object, quantity: int = 1) -> Order:
    order = order_from(basket_with([(variant, quantity)]))
    return mark_order_paid(order_id=order.pk, amount_cents=order.total_cents, currency="EUR", actor=GATEWAY)


def pay_with_demo_gateway(town: object, order: Order) -> None:
    """Pays through the demo gateway's signed-event path (so that refunds can go through it)."""
    payment = payments.start_payment(order=order)
    gateway = get_gateway(town)
    payload, signature = gateway.confirm_payment(account_id=gateway_account_id(town), intent_id=payment.intent_id)
    payments.handle_gateway_event(event=gateway.parse_webhook(payload=payload, signature_header=signature))


def messages_of(response: object) -> list[str]:
    return [str(message) for message in response.context["messages"]]
