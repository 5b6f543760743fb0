"""Stock held by bots: a client holds at most the town's cap of a product, one unpaid order at a time,
a few unpaid orders per IP address, a guest for less time, and checkouts are rate limited.

Found by a report: an anonymous guest reserved all 33 units of a product by card checkouts without
paying, and the product stayed "Épuisé" for 30 minutes (README, "Abuse limits").
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from accounts.models import Role, User
from catalog.models import Variant
from checkout.actions import GATEWAY, Actor, expire_unpaid_orders, mark_order_paid
from checkout.basket import merge_baskets
from checkout.models import Basket, BasketLine, Order, OrderLine, OrderStatus, StatusChange
from tenants.actions import update_branding
from tests.catalog.factories import ProductFactory, VariantFactory
from tests.checkout.conftest import basket_with, checkout_data, order_from

BOT_IP = "198.51.100.7"
OTHER_IP = "203.0.113.50"
REPLACED = "Remplacée par une nouvelle commande du même client."
TOO_MANY_CHECKOUTS = "Trop de commandes commencées en peu de temps : réessayez dans quelques minutes."
TOO_MANY_UNPAID = "Trop de commandes attendent leur paiement depuis votre connexion"
# Rate limits count in fixed 10-minute windows: tests that count stand still inside one.
IN_A_WINDOW = dt.datetime(2026, 12, 5, 10, 0, 1, tzinfo=dt.UTC)


@pytest.fixture
def cakes(town_a, shops):
    """The reported case: 33 units of one product (at the bakery, so checkout_data fits)."""
    with town_a:
        merchant = shops["bakery"]["merchant"]
        product = ProductFactory(merchant=merchant, title="Galette des rois", price_cents=2400, vat_rate=550)
        return VariantFactory(product=product, merchant=merchant, stock=33)


def browser(town, ip: str = BOT_IP) -> Client:
    """A new browser (its own session, so its own basket) at this IP address."""
    return Client(HTTP_HOST=town.primary_host, REMOTE_ADDR=ip)


def checkout(client: Client, shops: dict, variant: Variant, quantity: int, **extra: str):
    """Put ``quantity`` in the basket, then post the checkout form (guest, collected, by card)."""
    client.post("/panier/ajouter/", {"variant": variant.pk, "quantity": str(quantity)})
    return client.post("/commande/", checkout_data(shops, **extra))


def stock_of(town, variant: Variant) -> int | None:
    with town:
        return Variant.objects.get(pk=variant.pk).stock


def statuses(town) -> list[str]:
    with town:
        return list(Order.objects.order_by("pk").values_list("status", flat=True))


# --- units of one product per order ----------------------------------------------------------------
def test_the_basket_refuses_more_than_the_towns_cap_of_one_product_in_french(client_a, town_a, cakes):
    over = client_a.post("/panier/ajouter/", {"variant": cakes.pk, "quantity": "11"}, follow=True)
    assert "Au plus 10 « Galette des rois » par commande." in over.content.decode()
    with town_a:
        assert not BasketLine.objects.exists()

    client_a.post("/panier/ajouter/", {"variant": cakes.pk, "quantity": "10"})
    one_more = client_a.post("/panier/ajouter/", {"variant": cakes.pk, "quantity": "1"}, follow=True)
    edited = client_a.post("/panier/modifier/", {"variant": cakes.pk, "quantity": "12"}, follow=True)

    assert "Au plus 10 « Galette des rois » par commande." in one_more.content.decode()
    assert "Au plus 10 « Galette des rois » par commande." in edited.content.decode()
    with town_a:
        assert list(BasketLine.objects.values_list("quantity", flat=True)) == [10]


def test_a_line_over_a_lowered_cap_is_flagged_and_the_checkout_refuses_it(client_a, town_a, shops, cakes):
    client_a.post("/panier/ajouter/", {"variant": cakes.pk, "quantity": "10"})
    update_branding(town=town_a, max_units_per_product=4)

    basket_page = client_a.get("/panier/").content.decode()
    refused = client_a.post("/commande/", checkout_data(shops))

    assert "Au plus 4 par commande : modifiez la quantité." in basket_page
    assert refused.status_code == 200
    assert "Galette des rois : Au plus 4 par commande : modifiez la quantité." in refused.content.decode()
    assert stock_of(town_a, cakes) == 33
    assert statuses(town_a) == []


def test_a_cap_of_zero_means_no_cap_and_an_untracked_stock_has_none(town_a, shops, cakes):
    bread = shops["bakery"]["variants"][1]  # stock not tracked
    with town_a:
        order_from(basket_with([(bread, 50)]))
        update_branding(town=town_a, max_units_per_product=0)
        order_from(basket_with([(cakes, 33)]))
        assert Variant.objects.get(pk=cakes.pk).stock == 0


def test_merging_baskets_at_login_stays_within_the_cap(town_a, cakes):
    with town_a:
        user = User.objects.create_user(email="jeanne@exemple.fr", password="mot-de-passe-42", role=Role.RESIDENT)
        anonymous = basket_with([(cakes, 8)])
        basket_with([(cakes, 8)], user_id=user.pk)

        merged = merge_baskets(anonymous=anonymous, user_id=user.pk)

        assert list(merged.lines.values_list("quantity", flat=True)) == [10]


# --- one unpaid order per client -------------------------------------------------------------------
def test_a_second_checkout_of_the_same_guest_releases_the_first(town_a, shops, cakes):
    guest = browser(town_a)
    first = checkout(guest, shops, cakes, 10)
    assert stock_of(town_a, cakes) == 23

    second = checkout(guest, shops, cakes, 10)

    assert first.status_code == second.status_code == 302
    assert first.url != second.url
    assert statuses(town_a) == [OrderStatus.CANCELLED, OrderStatus.PENDING_PAYMENT]
    assert stock_of(town_a, cakes) == 23  # ten given back, ten taken: one client, at most the cap
    with town_a:
        released = Order.objects.order_by("pk").first()
        change = StatusChange.objects.get(order=released, to_status=OrderStatus.CANCELLED)
        assert (change.from_status, change.actor_kind, change.note) == (
            OrderStatus.PENDING_PAYMENT,
            "resident",
            REPLACED,
        )
        lines = OrderLine.objects.filter(merchant_order__order=released)
        assert [line.stock_taken for line in lines] == [None]  # given back


def test_an_account_starting_another_checkout_in_another_browser_releases_its_first_order(town_a, shops, cakes):
    with town_a:
        user = User.objects.create_user(email="robot@exemple.fr", password="mot-de-passe-42", role=Role.RESIDENT)
    phone, laptop = browser(town_a), browser(town_a, OTHER_IP)
    phone.force_login(user)
    laptop.force_login(user)

    checkout(phone, shops, cakes, 10)
    checkout(laptop, shops, cakes, 10)

    assert statuses(town_a) == [OrderStatus.CANCELLED, OrderStatus.PENDING_PAYMENT]
    assert stock_of(town_a, cakes) == 23


def test_a_checkout_refused_before_it_starts_leaves_the_earlier_order_alone(town_a, shops, cakes):
    guest = browser(town_a)
    checkout(guest, shops, cakes, 10)
    guest.post("/panier/ajouter/", {"variant": cakes.pk, "quantity": "1"})

    refused = guest.post("/commande/", checkout_data(shops, accept_terms=""))

    assert refused.status_code == 200
    assert statuses(town_a) == [OrderStatus.PENDING_PAYMENT]
    assert stock_of(town_a, cakes) == 23


def test_a_pay_in_store_order_is_not_released_by_a_later_card_checkout(town_a, shops, cakes):
    update_branding(town=town_a, pay_in_store_enabled=True)
    guest = browser(town_a)
    checkout(guest, shops, cakes, 2, payment_method="in_store")

    checkout(guest, shops, cakes, 3)

    assert statuses(town_a) == [OrderStatus.PLACED, OrderStatus.PENDING_PAYMENT]
    assert stock_of(town_a, cakes) == 28
    with town_a:
        assert Order.objects.order_by("pk").first().expires_at is None  # its own rules: UNCOLLECTED_GRACE


# --- unpaid orders per IP address ------------------------------------------------------------------
def test_one_ip_address_holds_at_most_the_cap_of_a_product_however_many_sessions_it_opens(town_a, shops, cakes):
    bots = [browser(town_a) for _ in range(3)]

    answers = [checkout(bot, shops, cakes, quantity) for bot, quantity in zip(bots, (10, 10, 1), strict=True)]

    assert [answer.status_code for answer in answers] == [302, 429, 429]
    assert (
        "« Galette des rois » : 10 déjà en attente de paiement depuis votre connexion, au plus 10 à la fois."
        in answers[1].content.decode()
    )
    assert stock_of(town_a, cakes) == 23
    assert statuses(town_a) == [OrderStatus.PENDING_PAYMENT]
    # A real buyer elsewhere still finds the product.
    assert checkout(browser(town_a, OTHER_IP), shops, cakes, 10).status_code == 302
    assert stock_of(town_a, cakes) == 13


def test_one_ip_address_holds_at_most_three_unpaid_orders(town_a, shops, cakes):
    answers = [checkout(browser(town_a), shops, cakes, 1) for _ in range(4)]

    assert [answer.status_code for answer in answers] == [302, 302, 302, 429]
    assert TOO_MANY_UNPAID in answers[3].content.decode()
    assert stock_of(town_a, cakes) == 30
    assert statuses(town_a) == [OrderStatus.PENDING_PAYMENT] * 3
    with town_a:
        assert Basket.objects.filter(lines__isnull=False).count() == 1  # the refused basket kept its line


def test_an_ipv6_client_is_counted_by_its_network_not_by_each_address(town_a, shops, cakes):
    """One subscriber line gets a whole /64: a new address per checkout must not reset the limits."""
    same_line = [browser(town_a, f"2001:db8:5:7::{number}") for number in (1, 2)]
    neighbour = browser(town_a, "2001:db8:5:8::1")

    answers = [checkout(client, shops, cakes, 10) for client in [*same_line, neighbour]]

    assert [answer.status_code for answer in answers] == [302, 429, 302]


def test_a_paid_order_frees_its_place_among_the_unpaid_orders_of_its_ip(town_a, shops, cakes):
    bots = [browser(town_a) for _ in range(4)]
    for bot in bots[:3]:
        checkout(bot, shops, cakes, 1)
    with town_a:
        order = Order.objects.order_by("pk").first()
        mark_order_paid(order_id=order.pk, amount_cents=order.total_cents, currency="EUR", actor=GATEWAY)

    assert checkout(bots[3], shops, cakes, 1).status_code == 302


def test_an_order_keeps_only_a_keyed_hash_of_the_ip_and_only_while_unpaid(town_a, shops, cakes):
    checkout(browser(town_a), shops, cakes, 1)
    with town_a:
        order = Order.objects.get()
        assert len(order.client_key) == 64
        assert BOT_IP not in order.client_key
        expire_unpaid_orders(now=order.expires_at + dt.timedelta(seconds=1))
        order.refresh_from_db()
        assert (order.status, order.client_key) == (OrderStatus.CANCELLED, "")


# --- checkout rate limits --------------------------------------------------------------------------
@time_machine.travel(IN_A_WINDOW, tick=False)
def test_the_eleventh_checkout_from_one_ip_in_ten_minutes_gets_a_429_and_reserves_nothing(town_a, shops, cakes):
    # Paid in store: these do not wait for a payment, so only the rate limit can stop them.
    update_branding(town=town_a, pay_in_store_enabled=True)
    answers = [checkout(browser(town_a), shops, cakes, 1, payment_method="in_store") for _ in range(11)]

    assert [answer.status_code for answer in answers] == [302] * 10 + [429]
    assert TOO_MANY_CHECKOUTS in answers[-1].content.decode()
    assert 'name="accept_terms"' in answers[-1].content.decode()  # the checkout page, to try again later
    assert stock_of(town_a, cakes) == 23
    assert len(statuses(town_a)) == 10
    assert checkout(browser(town_a, OTHER_IP), shops, cakes, 1, payment_method="in_store").status_code == 302


def test_the_ip_limit_starts_again_in_the_next_window(town_a, shops, cakes):
    update_branding(town=town_a, pay_in_store_enabled=True)
    with time_machine.travel(IN_A_WINDOW, tick=False):
        for _ in range(10):
            checkout(browser(town_a), shops, cakes, 1, payment_method="in_store")
        assert checkout(browser(town_a), shops, cakes, 1, payment_method="in_store").status_code == 429
    with time_machine.travel(IN_A_WINDOW + dt.timedelta(minutes=10), tick=False):
        assert checkout(browser(town_a), shops, cakes, 1, payment_method="in_store").status_code == 302


@time_machine.travel(IN_A_WINDOW, tick=False)
def test_one_session_gets_five_checkouts_in_ten_minutes_then_a_429_that_changes_nothing(town_a, shops, cakes):
    guest = browser(town_a)
    answers = [checkout(guest, shops, cakes, 1) for _ in range(6)]

    assert [answer.status_code for answer in answers] == [302] * 5 + [429]
    assert TOO_MANY_CHECKOUTS in answers[-1].content.decode()
    assert statuses(town_a) == [OrderStatus.CANCELLED] * 4 + [OrderStatus.PENDING_PAYMENT]
    assert stock_of(town_a, cakes) == 32  # the fifth order still holds its unit


@time_machine.travel(IN_A_WINDOW, tick=False)
def test_an_account_is_limited_as_one_client_whatever_the_browser_or_address(town_a, shops, cakes):
    with town_a:
        user = User.objects.create_user(email="robot@exemple.fr", password="mot-de-passe-42", role=Role.RESIDENT)
    browsers = [browser(town_a, f"203.0.113.{number}") for number in range(1, 7)]
    for each in browsers:
        each.force_login(user)

    answers = [checkout(each, shops, cakes, 1) for each in browsers]

    assert [answer.status_code for answer in answers] == [302] * 5 + [429]


# --- how long stock is held --------------------------------------------------------------------------
@time_machine.travel(dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.UTC), tick=False)
def test_a_guests_order_holds_stock_ten_minutes_and_an_accounts_thirty(town_a, shops, cakes):
    with town_a:
        user = User.objects.create_user(email="jeanne@exemple.fr", password="mot-de-passe-42", role=Role.RESIDENT)
        now = dt.datetime.now(tz=dt.UTC)
        guest_order = order_from(basket_with([(cakes, 5)]))
        account_order = order_from(
            basket_with([(cakes, 7)], user_id=user.pk), actor=Actor(kind="resident", user_id=user.pk)
        )
        assert guest_order.expires_at == now + dt.timedelta(minutes=10)
        assert account_order.expires_at == now + dt.timedelta(minutes=30)

        # The expiry beat task, a minute after the guest's hold ended.
        assert expire_unpaid_orders(now=now + dt.timedelta(minutes=11)) == 1

        assert Variant.objects.get(pk=cakes.pk).stock == 33 - 7
        assert Order.objects.get(pk=account_order.pk).status == OrderStatus.PENDING_PAYMENT


@time_machine.travel(dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.UTC), tick=False)
def test_the_payment_page_tells_a_guest_until_when_the_items_are_held(town_a, shops, cakes, settings):
    settings.ALLOW_TEST_GATEWAY = False  # no card form: the page says how long the items stay reserved
    guest = browser(town_a)
    placed = checkout(guest, shops, cakes, 1)

    page = guest.get(placed.url).content.decode()

    assert "Vos articles restent réservés jusqu’à 11 h 10." in page  # 10:00 UTC is 11:00 in Paris
    assert "30 minutes" not in page
