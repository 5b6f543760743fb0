"""The merchant's order screen: only the shop's staff (and town staff) reach its orders; each step is a
POST taken in order, the hand-over needs the right pickup code, and a refund stays within the shop's share.
Clumsy input gets a French message, never a 500."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from accounts.models import Role, User
from checkout.actions import accept_merchant_order, expire_unpaid_orders, mark_merchant_order_ready, refuse_line
from checkout.models import Fulfilment, MerchantOrderStatus, Notification, Order, PaymentMethod, Refund
from tests.checkout.conftest import (
    MERCHANT,
    basket_with,
    merchant_user,
    messages_of,
    no_raise,
    order_from,
    paid_order,
    pay_with_demo_gateway,
)
from tests.checkout.notification_factories import Line, make_order

# --- who reaches which order ------------------------------------------------------------------------


def test_merchants_never_see_an_unpaid_card_order_that_expired(client_a, town_a, shops):
    """An unpaid card order that expires was never announced to the shop: it stays out of "Commandes du
    jour", and its detail page and ticket (with the customer's name and phone) are not found."""
    with town_a:
        order = order_from(basket_with([(shops["bakery"]["variants"][0], 1)]))
        expire_unpaid_orders(now=order.expires_at + dt.timedelta(seconds=1))
        merchant_order = order.merchant_orders.get()
        assert merchant_order.status == MerchantOrderStatus.CANCELLED
        client_a.force_login(merchant_user(shops["bakery"]["merchant"], "boulanger@exemple.fr"))

    listing = client_a.get("/gestion/mes-commandes/").content.decode()

    assert order.number not in listing
    assert client_a.get(f"/gestion/mes-commandes/{merchant_order.pk}/").status_code == 404
    assert client_a.get(f"/gestion/mes-commandes/{merchant_order.pk}/ticket.pdf").status_code == 404


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.COURIER])
def test_residents_and_couriers_cannot_reach_the_merchant_order_screen(client_a, town_a, shops, role):
    with town_a:
        merchant_order = paid_order(shops["bakery"]["variants"][0]).merchant_orders.get()
        user = User.objects.create_user(email=f"{role}@exemple.fr", password="mot-de-passe-42", role=role)
        client_a.force_login(user)

    assert client_a.get("/gestion/mes-commandes/").status_code == 403
    assert client_a.get(f"/gestion/mes-commandes/{merchant_order.pk}/").status_code == 403
    assert client_a.get(f"/gestion/mes-commandes/{merchant_order.pk}/ticket.pdf").status_code == 403
    assert client_a.post(f"/gestion/mes-commandes/{merchant_order.pk}/accepter/").status_code == 403


def test_a_merchant_cannot_print_another_merchants_ticket_or_hand_it_over(client_a, town_a, shops):
    with town_a:
        merchant_order = paid_order(shops["bakery"]["variants"][0]).merchant_orders.get()
        accept_merchant_order(merchant_order_id=merchant_order.pk, actor=MERCHANT)
        mark_merchant_order_ready(merchant_order_id=merchant_order.pk, actor=MERCHANT)
        client_a.force_login(merchant_user(shops["grocer"]["merchant"], "epicier@exemple.fr"))
    base = f"/gestion/mes-commandes/{merchant_order.pk}/"

    assert client_a.get(base + "ticket.pdf").status_code == 404
    assert client_a.post(base + "prete/").status_code == 404
    assert client_a.post(base + "remise/", {"pickup_code": merchant_order.pickup_code}).status_code == 404
    with town_a:
        merchant_order.refresh_from_db()
        assert merchant_order.status == MerchantOrderStatus.READY


# --- steps, in order, by POST -----------------------------------------------------------------------


@pytest.mark.parametrize("step", ["accepter", "prete", "remise", "rembourser", "articles/{line}/refuser"])
def test_merchant_steps_refuse_get(client_a, town_a, shops, step):
    with town_a:
        merchant_order = paid_order(shops["bakery"]["variants"][0]).merchant_orders.get()
        client_a.force_login(merchant_user(shops["bakery"]["merchant"], "boulanger@exemple.fr"))
    line = merchant_order.lines.get().pk
    path = (
        f"/gestion/mes-commandes/{step.format(line=line)}/"
        if step.startswith("articles")
        else f"/gestion/mes-commandes/{merchant_order.pk}/{step}/"
    )

    assert client_a.get(path).status_code == 405
    with town_a:
        merchant_order.refresh_from_db()
        assert merchant_order.status == MerchantOrderStatus.PAID


def test_a_cancelled_part_cannot_be_accepted_made_ready_or_handed_over(client_a, town_a, shops):
    town_a.pay_in_store_enabled = True
    town_a.save()
    with town_a:
        order = order_from(basket_with([(shops["bakery"]["variants"][0], 1)]), payment_method=PaymentMethod.IN_STORE)
        merchant_order = order.merchant_orders.get()
        refuse_line(line_id=merchant_order.lines.get().pk, actor=MERCHANT)
        merchant_order.refresh_from_db()
        assert merchant_order.status == MerchantOrderStatus.CANCELLED
        client_a.force_login(merchant_user(shops["bakery"]["merchant"], "boulanger@exemple.fr"))
    base = f"/gestion/mes-commandes/{merchant_order.pk}/"

    accepted = client_a.post(base + "accepter/", follow=True)
    client_a.post(base + "prete/")
    client_a.post(base + "remise/", {"pickup_code": merchant_order.pickup_code})

    assert "action impossible" in " ".join(messages_of(accepted))
    with town_a:
        merchant_order.refresh_from_db()
        assert merchant_order.status == MerchantOrderStatus.CANCELLED


def test_hand_over_needs_a_ready_order_and_the_right_code(client_a, town_a, shops):
    with town_a:
        merchant_order = paid_order(shops["bakery"]["variants"][0]).merchant_orders.get()
        client_a.force_login(merchant_user(shops["bakery"]["merchant"], "boulanger@exemple.fr"))
    base = f"/gestion/mes-commandes/{merchant_order.pk}/"
    wrong = "000000" if merchant_order.pickup_code != "000000" else "111111"

    too_early = client_a.post(base + "remise/", {"pickup_code": merchant_order.pickup_code}, follow=True)
    client_a.post(base + "accepter/")
    client_a.post(base + "prete/")
    bad_codes = [
        client_a.post(base + "remise/", {"pickup_code": code}, follow=True)
        for code in (wrong, "", merchant_order.pickup_code + "0", merchant_order.pickup_code[:5])
    ]

    assert "pas prête" in " ".join(messages_of(too_early))
    assert all(response.status_code == 200 for response in bad_codes)
    with town_a:
        merchant_order.refresh_from_db()
        assert merchant_order.status == MerchantOrderStatus.READY
        assert merchant_order.handed_over_at is None


def test_a_pickup_code_typed_with_non_ascii_characters_is_refused_not_a_500(client_a, town_a, shops):
    """A pickup code typed with non-ASCII characters (the full-width digits of a phone keyboard, "12345é") is
    a wrong code, never a 500: ``secrets.compare_digest`` raises TypeError for non-ASCII text."""
    with town_a:
        merchant_order = paid_order(shops["bakery"]["variants"][0]).merchant_orders.get()
        accept_merchant_order(merchant_order_id=merchant_order.pk, actor=MERCHANT)
        mark_merchant_order_ready(merchant_order_id=merchant_order.pk, actor=MERCHANT)
        client_a.force_login(merchant_user(shops["bakery"]["merchant"], "boulanger@exemple.fr"))
    no_raise(client_a)

    response = client_a.post(f"/gestion/mes-commandes/{merchant_order.pk}/remise/", {"pickup_code": "12345é"})

    assert response.status_code == 302
    with town_a:
        merchant_order.refresh_from_db()
        assert merchant_order.status == MerchantOrderStatus.READY


# --- refunds ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("3,81", "dépasse"),
        ("0", "positif"),
        ("-1", "positif"),
        ("1,001", "au centime"),
        ("NaN", "positif"),
        ("douze", "en euros"),
    ],
)
def test_a_refund_beyond_the_share_or_malformed_is_refused(client_a, town_a, shops, amount, message):
    with town_a:
        order = order_from(basket_with([(shops["bakery"]["variants"][1], 1)]))
        pay_with_demo_gateway(town_a, order)
        merchant_order = order.merchant_orders.get()
        agent = User.objects.create_user(email="agent@ville-a.fr", password="mot-de-passe-42", role=Role.TOWN_AGENT)
        client_a.force_login(agent)

    response = client_a.post(
        f"/gestion/mes-commandes/{merchant_order.pk}/rembourser/",
        {"amount": amount, "reason": "Geste", "request_key": "cle-1"},
        follow=True,
    )

    assert any(message in text for text in messages_of(response)), messages_of(response)
    with town_a:
        order.refresh_from_db()
        assert order.refunded_cents == 0
        assert not Refund.objects.exists()


@pytest.mark.parametrize("amount", ["1e30", "9e99"])
def test_a_refund_amount_written_with_a_huge_exponent_is_a_french_error_not_a_500(client_a, town_a, shops, amount):
    """A town agent's "1e30" is the form's French error, never a 500: quantized to cents it exceeds the
    decimal context's 28 digits (decimal.InvalidOperation)."""
    with town_a:
        merchant_order = paid_order(shops["bakery"]["variants"][0]).merchant_orders.get()
        agent = User.objects.create_user(email="agent@ville-a.fr", password="mot-de-passe-42", role=Role.TOWN_AGENT)
        client_a.force_login(agent)
    no_raise(client_a)

    response = client_a.post(
        f"/gestion/mes-commandes/{merchant_order.pk}/rembourser/",
        {"amount": amount, "reason": "Erreur", "request_key": "cle-1"},
    )

    assert response.status_code == 302
    with town_a:
        assert not Refund.objects.exists()


def test_a_pay_in_store_order_cannot_be_refunded_through_the_gateway(client_a, town_a, shops):
    town_a.pay_in_store_enabled = True
    town_a.save()
    with town_a:
        order = order_from(basket_with([(shops["bakery"]["variants"][0], 1)]), payment_method=PaymentMethod.IN_STORE)
        agent = User.objects.create_user(email="agent@ville-a.fr", password="mot-de-passe-42", role=Role.TOWN_AGENT)
        client_a.force_login(agent)

    response = client_a.post(
        f"/gestion/mes-commandes/{order.merchant_orders.get().pk}/rembourser/",
        {"amount": "1", "reason": "Geste", "request_key": "cle-1"},
        follow=True,
    )

    assert "Seule une commande payée" in " ".join(messages_of(response))
    with town_a:
        assert not Refund.objects.exists()


# --- a delivered order on the shop's screen -----------------------------------------------------------


def delivered_order(merchant: object) -> Order:
    """A paid order delivered on Tuesday 8 December 2026, with the resident's instructions."""
    order = make_order([(merchant, [Line("Maroilles", 890)])], fulfilment=Fulfilment.DELIVERY)
    Order.objects.filter(pk=order.pk).update(
        delivery_date=dt.date(2026, 12, 8),
        delivery_address_label="12 Rue Royale 62100 Calais",
        delivery_instructions="Interphone 12, 2e étage",
    )
    order.merchant_orders.update(pickup_starts_at=None, pickup_ends_at=None)  # a delivery has no pickup window
    return order


def test_the_shop_sees_a_delivered_orders_day_address_and_instructions(client_a, town_a, shops):
    with town_a:
        merchant_order = delivered_order(shops["grocer"]["merchant"]).merchant_orders.get()
        client_a.force_login(merchant_user(shops["grocer"]["merchant"], "epicier@exemple.fr"))

    page = client_a.get(f"/gestion/mes-commandes/{merchant_order.pk}/").content.decode()

    assert "<dd>Livraison à domicile le mardi 8 décembre</dd>" in page
    assert "<dt>Adresse de livraison</dt><dd>12 Rue Royale, 62100 Calais</dd>" in page
    assert "<dt>Instructions pour le livreur</dt><dd>Interphone 12, 2e étage</dd>" in page


def test_a_ready_delivered_order_asks_the_shop_for_no_code_and_claims_no_message_to_the_customer(
    client_a, town_a, shops
):
    """The resident gives the code to the courier, not to the shop; and nobody was sent anything."""
    with town_a:
        merchant_order = delivered_order(shops["grocer"]["merchant"]).merchant_orders.get()
        accept_merchant_order(merchant_order_id=merchant_order.pk, actor=MERCHANT)
        client_a.force_login(merchant_user(shops["grocer"]["merchant"], "epicier@exemple.fr"))
    base = f"/gestion/mes-commandes/{merchant_order.pk}/"

    ready = client_a.post(base + "prete/", follow=True)

    assert messages_of(ready) == ["Commande prête : elle attend le livreur."]
    page = ready.content.decode()
    assert "Prête : elle attend le livreur. Le client lui donnera son code à la livraison." in page
    assert 'name="pickup_code"' not in page
    assert "Code de retrait" not in page
    with town_a:
        assert not Notification.objects.filter(kind="order_ready").exists()


def test_a_delivered_order_is_not_handed_over_at_the_shop_even_with_the_residents_code(client_a, town_a, shops):
    """The town's courier collects it with the ticket's code and proves the delivery at the door."""
    with town_a:
        merchant_order = delivered_order(shops["grocer"]["merchant"]).merchant_orders.get()
        accept_merchant_order(merchant_order_id=merchant_order.pk, actor=MERCHANT)
        client_a.force_login(merchant_user(shops["grocer"]["merchant"], "epicier@exemple.fr"))
    base = f"/gestion/mes-commandes/{merchant_order.pk}/"
    client_a.post(base + "prete/")

    handed = client_a.post(base + "remise/", {"pickup_code": merchant_order.pickup_code}, follow=True)

    assert "le livreur la retire avec le code du ticket" in handed.content.decode()
    with town_a:
        merchant_order.refresh_from_db()
        assert merchant_order.status == MerchantOrderStatus.READY
        assert merchant_order.handed_over_at is None


def test_a_ready_collected_order_says_the_customer_is_told_only_when_a_message_was_queued(client_a, town_a, shops):
    with town_a:
        merchant_order = paid_order(shops["bakery"]["variants"][0]).merchant_orders.get()
        accept_merchant_order(merchant_order_id=merchant_order.pk, actor=MERCHANT)
        client_a.force_login(merchant_user(shops["bakery"]["merchant"], "boulanger@exemple.fr"))
    base = f"/gestion/mes-commandes/{merchant_order.pk}/"

    first = client_a.post(base + "prete/", follow=True)
    again = client_a.post(base + "prete/", follow=True)  # a double tap: nothing more is sent

    assert messages_of(first) == ["Commande prête : le client est prévenu."]
    assert messages_of(again) == ["Commande prête."]
    assert 'name="pickup_code"' in first.content.decode()
    with town_a:
        sent = Notification.objects.filter(kind="order_ready").values_list("channel", flat=True)
        assert sorted(sent) == ["email", "sms"]


# --- "Commandes du jour": by day, oldest first -------------------------------------------------------

# Monday 7 December 2026, 11 h in Calais (UTC+1).
MONDAY_MORNING = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)


@time_machine.travel(MONDAY_MORNING, tick=False)
def test_the_shops_list_groups_orders_by_day_in_the_towns_clock_oldest_first_and_flags_earlier_days(
    client_a, town_a, shops
):
    bakery = shops["bakery"]["merchant"]
    with town_a:
        this_morning = make_order(
            [(bakery, [Line("Pain", 380)])], paid_at=dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
        )
        # 00 h 30 on Monday in Calais, still Sunday in UTC: it came in on Monday.
        past_midnight = make_order(
            [(bakery, [Line("Baguette", 120)])], paid_at=dt.datetime(2026, 12, 6, 23, 30, tzinfo=dt.UTC)
        )
        saturday = make_order(
            [(bakery, [Line("Brioche", 450)])], paid_at=dt.datetime(2026, 12, 5, 17, 0, tzinfo=dt.UTC)
        )
        client_a.force_login(merchant_user(bakery, "boulanger@exemple.fr"))

    page = client_a.get("/gestion/mes-commandes/").content.decode()

    order_of_appearance = sorted(
        (page.index(f"Commande {order.number}"), order) for order in (this_morning, past_midnight, saturday)
    )
    assert [order for _index, order in order_of_appearance] == [saturday, past_midnight, this_morning]
    saturday_heading = '<h2 id="day-2026-12-05">Samedi 5 décembre — en attente depuis un jour précédent</h2>'
    monday_heading = '<h2 id="day-2026-12-07">Lundi 7 décembre</h2>'
    assert page.index(saturday_heading) < page.index(f"Commande {saturday.number}") < page.index(monday_heading)
    assert page.index(monday_heading) < page.index(f"Commande {past_midnight.number}")
    assert "dimanche" not in page.lower()
    assert page.count("En attente depuis le samedi 5 décembre") == 1
    assert "reçue à 18 h" in page  # Saturday 17:00 UTC
    assert "reçue à 0 h 30" in page
    assert "reçue à 10 h" in page


# The town's search path, session, user, merchant orders (with their orders and merchants), their lines,
# the notices.
QUERIES_OF_THE_LIST = 6


@time_machine.travel(MONDAY_MORNING, tick=False)
def test_the_shops_list_runs_the_same_queries_for_2_or_6_orders(client_a, town_a, shops, django_assert_num_queries):
    bakery = shops["bakery"]["merchant"]
    with town_a:
        for _ in range(2):
            make_order([(bakery, [Line("Pain", 380)])], paid_at=dt.datetime(2026, 12, 5, 17, 0, tzinfo=dt.UTC))
        client_a.force_login(merchant_user(bakery, "boulanger@exemple.fr"))
    client_a.get("/gestion/mes-commandes/")  # warm the caches a first page fills

    with django_assert_num_queries(QUERIES_OF_THE_LIST):
        client_a.get("/gestion/mes-commandes/")
    with town_a:
        for _ in range(4):
            make_order([(bakery, [Line("Pain", 380)])])
    with django_assert_num_queries(QUERIES_OF_THE_LIST):
        client_a.get("/gestion/mes-commandes/")
