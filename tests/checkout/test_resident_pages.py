"""What residents read on their order pages: plain words, a refused payment said as such, a way
back to the shops, errors announced as errors, never a 500. Only the resident reaches them: by session,
or by a signed status link of the order's own town."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from accounts.models import User
from checkout.actions import accept_merchant_order, expire_unpaid_orders, refuse_line
from checkout.models import Order, OrderStatus, Payment, PaymentMethod, PaymentStatus
from checkout.tokens import status_path
from tests.checkout.conftest import (
    MERCHANT,
    basket_with,
    checkout_data,
    merchant_user,
    no_raise,
    order_from,
    place_through_pages,
)


def _placed(client, shops) -> str:
    client.post("/panier/ajouter/", {"variant": shops["bakery"]["variants"][0].pk, "quantity": "1"})
    client.post("/panier/ajouter/", {"variant": shops["bakery"]["variants"][1].pk, "quantity": "1"})
    placed = client.post("/commande/", checkout_data(shops))
    assert placed.status_code == 302, placed.content.decode()[:1500]
    return placed["Location"]


def test_a_refused_card_is_said_as_such_with_a_way_to_pay_again(client_a, town_a, shops):
    payment_url = _placed(client_a, shops)
    client_a.get(payment_url)

    refused = client_a.post(payment_url.replace("paiement/", "paiement-test/"), {"outcome": "failed"}, follow=True)
    error = refused.content.decode()
    assert '<p class="message message-error" role="alert">Paiement refusé (carte de test)' in error

    with town_a:
        order = Order.objects.get()
        assert Payment.objects.get(order=order).status == PaymentStatus.FAILED
    page = client_a.get(f"/commande/{order.public_id}/confirmation/").content.decode()
    assert "le paiement n’a pas abouti" in page
    assert "Rien n’a été débité." in page
    assert f'href="/commande/{order.public_id}/paiement/">Réessayer le paiement' in page
    assert "paiement en cours de confirmation" not in page

    # Paying again works, and the order is then confirmed
    paid = client_a.post(payment_url.replace("paiement/", "paiement-test/"), {"outcome": "succeeded"}, follow=True)
    assert "est confirmée" in paid.content.decode()
    with town_a:
        assert Payment.objects.get(order=order).status == PaymentStatus.SUCCEEDED


def test_the_status_page_tells_the_story_in_plain_words(client_a, town_a, shops):
    payment_url = _placed(client_a, shops)
    client_a.get(payment_url)
    client_a.post(payment_url.replace("paiement/", "paiement-test/"), {"outcome": "succeeded"})
    with town_a:
        order = Order.objects.get()
        merchant_order = order.merchant_orders.get()
        accept_merchant_order(merchant_order_id=merchant_order.pk, actor=MERCHANT)
        refuse_line(line_id=merchant_order.lines.order_by("pk").last().pk, actor=MERCHANT)
        path = status_path(order)

    page = client_a.get(path).content.decode()

    assert "payment_intent" not in page
    assert "Paiement confirmé" in page
    assert "Boulangerie Dupont : Acceptée, en préparation" in page
    assert "— Article indisponible : Pain de campagne" in page
    assert " h " in page.split('<ol class="history">')[1].split("</ol>")[0]  # "14 h 18", French style


def test_residents_read_their_own_wording_for_a_shop_that_has_not_accepted_yet(client_a, town_a, shops):
    payment_url = _placed(client_a, shops)
    client_a.get(payment_url)

    page = client_a.post(
        payment_url.replace("paiement/", "paiement-test/"), {"outcome": "succeeded"}, follow=True
    ).content.decode()

    assert "État : En attente de validation par le commerçant" in page
    assert "Payée, à accepter" not in page  # the shop's wording


def test_basket_and_checkout_keep_the_way_back_to_the_shops(client_a, town_a, shops):
    client_a.post("/panier/ajouter/", {"variant": shops["bakery"]["variants"][0].pk, "quantity": "1"})
    for url in ("/panier/", "/commande/"):
        page = client_a.get(url).content.decode()
        assert '<a href="/commerces/">Commerces</a>' in page, url
        assert '<a href="/recherche/">Rechercher</a>' in page, url


def test_the_shop_reads_the_buyers_phone_number_in_pairs_and_dials_it_whole(client_a, town_a, shops):
    payment_url = _placed(client_a, shops)
    client_a.get(payment_url)
    client_a.post(payment_url.replace("paiement/", "paiement-test/"), {"outcome": "succeeded"})
    with town_a:
        merchant_order = Order.objects.get().merchant_orders.get()
        client_a.force_login(merchant_user(shops["bakery"]["merchant"], "boulanger@exemple.fr"))

    page = client_a.get(f"/gestion/mes-commandes/{merchant_order.pk}/").content.decode()

    assert '<a href="tel:0612345678">06 12 34 56 78</a>' in page


def test_only_the_payment_page_of_a_stripe_town_lets_stripe_js_in(client_a, stripe_town, shops):
    from tests.test_security_headers import policy_of

    payment_url = _placed(client_a, shops)
    payment = client_a.get(payment_url)

    assert '<script src="https://js.stripe.com/v3/"></script>' in payment.content.decode()
    policy = policy_of(payment)
    assert policy["script-src"] == ["'self'", "https://js.stripe.com", "https://*.js.stripe.com"]
    assert policy["frame-src"] == ["https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"]
    assert policy["connect-src"] == ["'self'", "https://api.stripe.com"]
    assert policy["form-action"] == ["'self'"]
    assert policy_of(client_a.get("/panier/"))["script-src"] == ["'self'"]


def test_the_demo_gateway_payment_page_keeps_the_strict_policy(client_a, town_a, shops):
    from tests.test_security_headers import assert_strict_policy

    payment = client_a.get(_placed(client_a, shops))

    assert "Passerelle de test" in payment.content.decode()
    assert_strict_policy(payment)
    assert "frame-src" not in payment["Content-Security-Policy"]


def test_a_resident_reading_in_english_reads_every_step_of_the_story_in_english(client_a, town_a, shops):
    payment_url = _placed(client_a, shops)
    client_a.get(payment_url)
    client_a.post(payment_url.replace("paiement/", "paiement-test/"), {"outcome": "succeeded"})
    with town_a:
        order = Order.objects.get()
        accept_merchant_order(merchant_order_id=order.merchant_orders.get().pk, actor=MERCHANT)
        path = status_path(order)
    client_a.post("/i18n/setlang/", {"language": "en", "next": "/"})

    history = client_a.get(path).content.decode().split('<ol class="history">')[1].split("</ol>")[0]

    steps = [item.split("</time> — ")[1].split("</li>")[0] for item in history.split("<li>")[1:]]
    assert steps == ["Order placed", "Payment confirmed", "Boulangerie Dupont : Accepted, being prepared"]


# --- payment pages that cannot be used: a redirect, never a 500 ------------------------------------


@pytest.mark.parametrize("case", ["pay in store", "expired"])
def test_the_demo_payment_form_on_an_order_not_awaiting_payment_is_not_a_500(client_a, town_a, shops, case):
    """Re-posting the demo card form for an order that awaits no payment (paid in store, or a card order
    that expired before its payment page was opened: the back button) leaves the order as it is, never a 500."""
    if case == "pay in store":
        town_a.pay_in_store_enabled = True
        town_a.save()
    public_id = place_through_pages(
        client_a, shops, payment_method=PaymentMethod.IN_STORE if case == "pay in store" else PaymentMethod.CARD
    )
    if case == "expired":
        with town_a:
            expire_unpaid_orders(now=Order.objects.get().expires_at + dt.timedelta(seconds=1))
    no_raise(client_a)

    response = client_a.post(f"/commande/{public_id}/paiement-test/", {"outcome": "succeeded"})

    assert response.status_code == 302
    with town_a:
        assert Order.objects.get().status == (OrderStatus.PLACED if case == "pay in store" else OrderStatus.CANCELLED)
        assert not Payment.objects.exists()


def test_the_payment_return_with_an_unusable_gateway_waits_for_the_webhook_not_a_500(client_a, town_a, shops, settings):
    """The page the bank sends the resident back to, when the town's gateway is unusable, waits for the
    webhook on the confirmation page (as the payment page says so in French): never a 500 right after paying."""
    public_id = place_through_pages(client_a, shops)
    client_a.get(f"/commande/{public_id}/paiement/")  # the intent exists
    settings.ALLOW_TEST_GATEWAY = False
    no_raise(client_a)

    response = client_a.get(f"/commande/{public_id}/retour/")

    assert response.status_code == 302
    assert response["Location"] == f"/commande/{public_id}/confirmation/"
    with town_a:
        assert Order.objects.get().status == OrderStatus.PENDING_PAYMENT


# --- who opens an order ----------------------------------------------------------------------------


def test_another_resident_cannot_open_pay_or_confirm_my_order(client_a, town_a, shops):
    public_id = place_through_pages(client_a, shops)
    stranger = Client(HTTP_HOST=town_a.primary_host)
    with town_a:
        intruder = User.objects.create_user(email="intrus@exemple.fr", password="mot-de-passe-42")
        stranger.force_login(intruder)

    for path in ("paiement/", "retour/", "confirmation/"):
        assert stranger.get(f"/commande/{public_id}/{path}").status_code == 404
    assert stranger.post(f"/commande/{public_id}/paiement-test/", {"outcome": "succeeded"}).status_code == 404
    with town_a:
        assert Order.objects.get().status == OrderStatus.PENDING_PAYMENT
        assert not Payment.objects.exists()


def test_a_status_link_works_only_on_its_own_town_and_unaltered(client_a, client_b, town_a, shops):
    from checkout.tokens import status_path

    with town_a:
        order = order_from(basket_with([(shops["bakery"]["variants"][0], 1)]))
        path = status_path(order)
    token = path.rstrip("/").rsplit("/", 1)[1]
    forged = token.replace(token.split(":")[0], "InZ2WlFpMjZhM2JjIg")

    assert client_a.get(path).status_code == 200
    assert client_b.get(path).status_code == 404
    assert client_a.get(f"/commande/suivi/{forged}/").status_code == 404
    assert client_a.get(f"/commande/suivi/{order.public_id}/").status_code == 404


def test_a_status_token_minted_in_one_town_is_refused_by_another(client_a, town_a, town_b, shops):
    """A status token names its town: signed with a salt shared by every town, it would verify anywhere,
    and only the order lookup would keep it out."""
    from checkout.tokens import order_public_id_from_token, status_path

    with town_a:
        order = order_from(basket_with([(shops["bakery"]["variants"][0], 1)]))
        token = status_path(order).rstrip("/").rsplit("/", 1)[1]
        assert order_public_id_from_token(token) == str(order.public_id)
    with town_b:
        assert order_public_id_from_token(token) is None


def test_status_links_mailed_before_tokens_named_their_town_still_open_the_order(client_a, client_b, town_a, shops):
    from django.core import signing

    with town_a:
        order = order_from(basket_with([(shops["bakery"]["variants"][0], 1)]))
    legacy = signing.dumps(str(order.public_id), salt="checkout.order-status", compress=False)

    assert client_a.get(f"/commande/suivi/{legacy}/").status_code == 200
    assert client_b.get(f"/commande/suivi/{legacy}/").status_code == 404
