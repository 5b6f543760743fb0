"""What residents read on their order pages: plain words, a refused payment said as such, a way
back to the shops, errors announced as errors."""

from __future__ import annotations

from checkout.actions import accept_merchant_order, refuse_line
from checkout.models import Order, Payment, PaymentStatus
from checkout.tokens import status_path
from tests.checkout.conftest import checkout_data, merchant_user
from tests.checkout.test_review_attacks import MERCHANT


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
