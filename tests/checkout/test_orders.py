"""Placing orders, paying through the Stripe fake, the webhook deciding, refunds and the merchant's steps."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.models import Role, User
from catalog.models import Variant
from checkout import payments
from checkout.actions import Actor, expire_unpaid_orders, refuse_line
from checkout.models import (
    MerchantOrderStatus,
    Notification,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    Refund,
    StatusChange,
)
from checkout.payments import confirm_payment_from_return, start_payment
from config.webhooks import _report_unconfigured
from payments.gateways import gateway_account_id, get_gateway
from payments.models import WebhookEvent
from tests.checkout.conftest import (
    FAKE_WEBHOOK_SECRET,
    TOWN_ACCOUNT,
    basket_with,
    checkout_data,
    merchant_user,
    order_from,
    paid_order,
)
from tests.checkout.stripe_fake import signed_webhook


def post_webhook(event: dict, *, secret: str = FAKE_WEBHOOK_SECRET, timestamp: int | None = None, tamper=None):
    payload, header = signed_webhook(event, secret=secret, timestamp=timestamp)
    if tamper:
        payload = tamper(payload)
    return Client(HTTP_HOST="test").post(
        "/webhooks/stripe/", data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )


def paid_event(stripe_fake, intent_id: str) -> dict:
    stripe_fake.succeed(intent_id, account=TOWN_ACCOUNT)
    return stripe_fake.last_event("payment_intent.succeeded", account=TOWN_ACCOUNT)


def test_an_order_splits_per_merchant_with_lines_snapshotting_price_and_vat(town_a, shops):
    eclair, bread = shops["bakery"]["variants"]
    honey = shops["grocer"]["variants"][0]
    with town_a:
        order = order_from(basket_with([(eclair, 2), (bread, 1), (honey, 1)]))
        eclair.product.price_cents = 999
        eclair.product.save()

        assert order.status == OrderStatus.PENDING_PAYMENT
        assert order.items_total_cents == order.total_cents == 2 * 250 + 380 + 890
        parts = {mo.merchant_name: mo for mo in order.merchant_orders.all()}
        assert {name: mo.items_total_cents for name, mo in parts.items()} == {
            "Boulangerie Dupont": 880,
            "Épicerie du Port": 890,
        }
        line = OrderLine.objects.get(variant=eclair)
        assert (line.product_title, line.unit_price_cents, line.vat_rate, line.total_cents) == (
            "Éclair au café",
            250,
            550,
            500,
        )
        assert Variant.objects.get(pk=eclair.pk).stock == 18  # taken at checkout
        assert Variant.objects.get(pk=bread.pk).stock is None  # not tracked
        assert all(mo.pickup_starts_at is not None for mo in parts.values())
        assert StatusChange.objects.filter(order=order).count() == 1


def test_checkout_refuses_without_terms_and_changes_nothing(town_a, shops):
    honey = shops["grocer"]["variants"][0]
    with town_a:
        basket = basket_with([(honey, 2)])
        with pytest.raises(ValidationError, match="conditions générales"):
            order_from(basket, terms_accepted=False)
        assert Variant.objects.get(pk=honey.pk).stock == 5
        assert basket.lines.count() == 1
        assert not Order.objects.exists()


def test_stock_gone_meanwhile_refuses_the_whole_order(town_a, shops):
    eclair, honey = shops["bakery"]["variants"][0], shops["grocer"]["variants"][0]
    with town_a:
        basket = basket_with([(eclair, 2), (honey, 5)])
        Variant.objects.filter(pk=honey.pk).update(stock=4)
        with pytest.raises(ValidationError):
            order_from(basket)
        assert Variant.objects.get(pk=eclair.pk).stock == 20  # its decrement was rolled back too
        assert not Order.objects.exists()


def test_the_webhook_marks_the_order_paid_once(stripe_town, shops, stripe_fake):
    honey = shops["grocer"]["variants"][0]
    with stripe_town:
        order = order_from(basket_with([(honey, 1)]))
        payment = start_payment(order=order)
        assert start_payment(order=order).pk == payment.pk
    intent = stripe_fake.get(payment.intent_id, account=TOWN_ACCOUNT)
    assert intent["amount"] == 890
    assert intent["currency"] == "eur"
    creates = [r for r in stripe_fake.requests if r.method == "POST" and r.path == "/v1/payment_intents"]
    assert all(r.headers.get("Stripe-Account") == TOWN_ACCOUNT and r.headers.get("Idempotency-Key") for r in creates)

    event = paid_event(stripe_fake, payment.intent_id)
    first, second = post_webhook(event), post_webhook(event)

    assert first.status_code == second.status_code == 200
    assert json.loads(second.content)["outcome"] == "duplicate"
    with stripe_town:
        order.refresh_from_db()
        assert order.status == OrderStatus.PAID
        assert set(order.merchant_orders.values_list("status", flat=True)) == {MerchantOrderStatus.PAID}
        assert WebhookEvent.objects.count() == 1
        assert StatusChange.objects.filter(order=order, to_status=OrderStatus.PAID).count() == 1
        assert (
            Notification.objects.filter(order=order, kind="order_paid", channel="email", merchant_order=None).count()
            == 1
        )


@pytest.mark.parametrize(
    ("case", "expected"),
    [("unsigned", 400), ("wrong secret", 400), ("altered", 400), ("too old", 400)],
)
def test_unverifiable_webhooks_are_refused_and_change_nothing(stripe_town, shops, stripe_fake, case, expected):
    with stripe_town:
        order = order_from(basket_with([(shops["grocer"]["variants"][0], 1)]))
        payment = start_payment(order=order)
    event = paid_event(stripe_fake, payment.intent_id)
    if case == "unsigned":
        response = Client(HTTP_HOST="test").post(
            "/webhooks/stripe/", data=json.dumps(event), content_type="application/json"
        )
    elif case == "wrong secret":
        response = post_webhook(event, secret="whsec_autre")
    elif case == "altered":
        response = post_webhook(event, tamper=lambda body: body.replace(b'"amount": 890', b'"amount": 1'))
    else:
        response = post_webhook(event, timestamp=int(dt.datetime.now(dt.UTC).timestamp()) - 301)

    assert response.status_code == expected
    with stripe_town:
        assert Order.objects.get().status == OrderStatus.PENDING_PAYMENT
        assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("missing", ["every Stripe key", "the webhook secrets"])
def test_webhooks_without_stripe_keys_answer_503_and_log_one_error_per_process(
    stripe_town, shops, stripe_fake, settings, caplog, missing
):
    with stripe_town:
        order = order_from(basket_with([(shops["grocer"]["variants"][0], 1)]))
        payment = start_payment(order=order)
    event = paid_event(stripe_fake, payment.intent_id)
    settings.STRIPE_WEBHOOK_SECRET = settings.STRIPE_CONNECT_WEBHOOK_SECRET = ""
    if missing == "every Stripe key":
        settings.STRIPE_SECRET_KEY = settings.STRIPE_PUBLISHABLE_KEY = ""
    _report_unconfigured.cache_clear()  # a fresh process

    with caplog.at_level(logging.INFO):
        responses = [post_webhook(event) for _ in range(3)]

    assert [(response.status_code, response.json()) for response in responses] == [
        (503, {"error": "stripe webhooks are not configured"})
    ] * 3
    reason = (
        "STRIPE_SECRET_KEY is required for towns using the Stripe gateway."
        if missing == "every Stripe key"
        else "STRIPE_WEBHOOK_SECRET is required to accept Stripe webhooks."
    )
    # One error per process (no traceback); each request only a warning.
    assert [(record.levelno, record.getMessage(), record.exc_info) for record in caplog.records] == [
        (logging.ERROR, f"stripe webhooks refused with 503 until configured: {reason}", None),
        *[(logging.WARNING, "Service Unavailable: /webhooks/stripe/", None)] * 3,
    ]
    with stripe_town:
        assert Order.objects.get().status == OrderStatus.PENDING_PAYMENT
        assert not WebhookEvent.objects.exists()


def test_an_amount_different_from_the_order_flags_it_for_review_only(stripe_town, shops, stripe_fake):
    honey = shops["grocer"]["variants"][0]
    with stripe_town:
        order = order_from(basket_with([(honey, 1)]))
        payment = start_payment(order=order)
        # The intent at the gateway says 890; pretend the order changed afterwards (e.g. a bug or tampering).
        Order.objects.filter(pk=order.pk).update(items_total_cents=900, total_cents=900)

    post_webhook(paid_event(stripe_fake, payment.intent_id))

    with stripe_town:
        order.refresh_from_db()
        assert order.status == OrderStatus.REVIEW
        assert "différent" in order.review_reason
        assert set(order.merchant_orders.values_list("status", flat=True)) == {MerchantOrderStatus.PENDING_PAYMENT}
        assert not Notification.objects.filter(order=order).exists()


def test_metadata_naming_another_town_does_not_move_that_town(stripe_town, town_b, shops, stripe_fake):
    with stripe_town:
        order = order_from(basket_with([(shops["grocer"]["variants"][0], 1)]))
        payment = start_payment(order=order)
    stripe_fake.succeed(payment.intent_id, account=TOWN_ACCOUNT)
    intent = stripe_fake.get(payment.intent_id, account=TOWN_ACCOUNT)
    intent["metadata"]["town"] = town_b.schema_name
    event = stripe_fake.make_event("payment_intent.succeeded", intent, account=TOWN_ACCOUNT)

    assert post_webhook(event).status_code == 200

    with town_b:
        assert not WebhookEvent.objects.exists()
    with stripe_town:
        assert Order.objects.get().status == OrderStatus.PAID  # mapped by the connected account, not metadata


def test_an_event_from_an_unknown_account_is_acknowledged_and_ignored(stripe_town, shops, stripe_fake):
    with stripe_town:
        order = order_from(basket_with([(shops["grocer"]["variants"][0], 1)]))
        payment = start_payment(order=order)
    stripe_fake.succeed(payment.intent_id, account=TOWN_ACCOUNT)
    intent = stripe_fake.get(payment.intent_id, account=TOWN_ACCOUNT)
    event = stripe_fake.make_event("payment_intent.succeeded", intent, account="acct_inconnu")

    response = post_webhook(event)

    assert response.status_code == 200
    assert json.loads(response.content)["outcome"] == "unknown account"
    with stripe_town:
        assert Order.objects.get().status == OrderStatus.PENDING_PAYMENT


def test_out_of_order_failed_event_after_success_keeps_the_order_paid(stripe_town, shops, stripe_fake):
    with stripe_town:
        order = order_from(basket_with([(shops["grocer"]["variants"][0], 1)]))
        payment = start_payment(order=order)
    stripe_fake.fail(payment.intent_id, account=TOWN_ACCOUNT)
    failed = stripe_fake.last_event("payment_intent.payment_failed", account=TOWN_ACCOUNT)
    succeeded = paid_event(stripe_fake, payment.intent_id)

    post_webhook(succeeded)
    post_webhook(failed)

    with stripe_town:
        assert Order.objects.get().status == OrderStatus.PAID


def test_the_browser_return_confirms_only_what_the_gateway_says(stripe_town, shops, stripe_fake):
    with stripe_town:
        order = order_from(basket_with([(shops["grocer"]["variants"][0], 1)]))
        payment = start_payment(order=order)
        assert confirm_payment_from_return(order=order).status == OrderStatus.PENDING_PAYMENT
        stripe_fake.succeed(payment.intent_id, account=TOWN_ACCOUNT)
        assert confirm_payment_from_return(order=order).status == OrderStatus.PAID


def test_unpaid_orders_expire_and_give_stock_back(town_a, shops):
    honey = shops["grocer"]["variants"][0]
    with town_a:
        order = order_from(basket_with([(honey, 3)]))
        assert Variant.objects.get(pk=honey.pk).stock == 2

        deadline = order.expires_at
        assert expire_unpaid_orders(now=deadline - dt.timedelta(seconds=1)) == 0
        assert expire_unpaid_orders(now=deadline + dt.timedelta(seconds=1)) == 1

        order.refresh_from_db()
        assert order.status == OrderStatus.CANCELLED
        assert Variant.objects.get(pk=honey.pk).stock == 5
        assert expire_unpaid_orders(now=deadline + dt.timedelta(hours=1)) == 0


def test_a_refused_line_is_refunded_through_the_gateway_and_the_resident_told(stripe_town, shops, stripe_fake):
    eclair, bread = shops["bakery"]["variants"]
    with stripe_town:
        order = order_from(basket_with([(eclair, 2), (bread, 1)]))
        payment = start_payment(order=order)
    post_webhook(paid_event(stripe_fake, payment.intent_id))
    with stripe_town:
        line = OrderLine.objects.get(variant=eclair)
        actor = Actor(kind="merchant", user_id=1)

        refuse_line(line_id=line.pk, actor=actor)
        refuse_line(line_id=line.pk, actor=actor)  # a double tap refunds once

        order.refresh_from_db()
        assert order.refunded_cents == 500
        assert order.merchant_orders.get().refunded_cents == 500
        refunds = [r for r in stripe_fake.requests if r.method == "POST" and r.path == "/v1/refunds"]
        assert len({r.headers["Idempotency-Key"] for r in refunds}) == 1
        assert stripe_fake.get(payment.intent_id, account=TOWN_ACCOUNT)["status"] == "succeeded"
        assert Notification.objects.filter(order=order, kind__startswith="line_refused", channel="email").exists()


def test_merchant_accepts_prepares_and_hands_over_with_the_pickup_code(client_a, town_a, shops):
    bakery = shops["bakery"]["merchant"]
    with town_a:
        order = order_from(basket_with([(shops["bakery"]["variants"][0], 1)]))
        from checkout.actions import mark_order_paid

        mark_order_paid(order_id=order.pk, amount_cents=order.total_cents, currency="EUR", actor=Actor(kind="gateway"))
        merchant_order = order.merchant_orders.get()
        client_a.force_login(merchant_user(bakery, "boulanger@exemple.fr"))

    listing = client_a.get("/gestion/mes-commandes/")
    assert order.number in listing.content.decode()
    base = f"/gestion/mes-commandes/{merchant_order.pk}/"
    detail = client_a.get(base).content.decode()
    title = detail.split("<title>")[1].split("</title>")[0]
    assert title == f"Commande {order.number} — Ville A"
    client_a.post(base + "accepter/")
    client_a.post(base + "prete/")
    wrong = client_a.post(
        base + "remise/", {"pickup_code": "000000" if merchant_order.pickup_code != "000000" else "111111"}, follow=True
    )
    assert "Code de retrait incorrect." in wrong.content.decode()
    client_a.post(base + "remise/", {"pickup_code": merchant_order.pickup_code})

    with town_a:
        merchant_order.refresh_from_db()
        assert merchant_order.status == MerchantOrderStatus.COLLECTED
        assert list(
            StatusChange.objects.filter(merchant_order=merchant_order).values_list("to_status", "actor_kind")
        ) == [("accepted", "merchant"), ("ready", "merchant"), ("collected", "merchant")]


def test_a_merchant_never_sees_another_merchants_order(client_a, town_a, shops):
    with town_a:
        order = order_from(basket_with([(shops["bakery"]["variants"][0], 1)]))
        from checkout.actions import mark_order_paid

        mark_order_paid(order_id=order.pk, amount_cents=order.total_cents, currency="EUR", actor=Actor(kind="gateway"))
        bakery_order = order.merchant_orders.get()
        line = bakery_order.lines.get()
        client_a.force_login(merchant_user(shops["grocer"]["merchant"], "epicier@exemple.fr"))

    assert order.number not in client_a.get("/gestion/mes-commandes/").content.decode()
    base = f"/gestion/mes-commandes/{bakery_order.pk}/"
    assert client_a.get(base).status_code == 404
    assert client_a.post(base + "accepter/").status_code == 404
    assert client_a.post(f"/gestion/mes-commandes/articles/{line.pk}/refuser/").status_code == 404
    with town_a:
        bakery_order.refresh_from_db()
        assert bakery_order.status == MerchantOrderStatus.PAID


def test_full_purchase_through_the_pages_with_the_demo_gateway(client_a, town_a, shops):
    eclair, honey = shops["bakery"]["variants"][0], shops["grocer"]["variants"][0]
    client_a.post("/panier/ajouter/", {"variant": eclair.pk, "quantity": "2"})
    client_a.post("/panier/ajouter/", {"variant": honey.pk, "quantity": "1"})
    form = client_a.get("/commande/")
    assert form.status_code == 200
    data = checkout_data(shops, **{f"fulfilment_{shops['grocer']['merchant'].pk}": "collect"})
    placed = client_a.post("/commande/", data)
    assert placed.status_code == 302, placed.content.decode()[:2000]
    payment_page = client_a.get(placed["Location"])
    assert "Passerelle de test" in payment_page.content.decode()
    paid = client_a.post(
        placed["Location"].replace("paiement/", "paiement-test/"), {"outcome": "succeeded"}, follow=True
    )

    body = paid.content.decode()
    assert "est confirmée" in body
    assert "dont TVA 5,5" in body
    with town_a:
        order = Order.objects.get()
        assert order.status == OrderStatus.PAID
        assert order.phone == "0612345678"
        assert Payment.objects.get(order=order).gateway == "test"
    other_browser = Client(HTTP_HOST=town_a.primary_host)
    assert other_browser.get(f"/commande/{order.public_id}/confirmation/").status_code == 404


def test_status_page_opens_with_the_signed_link_only(client_a, town_a, shops):
    from checkout.tokens import status_path

    with town_a:
        order = order_from(basket_with([(shops["bakery"]["variants"][0], 1)]))
        path = status_path(order)
    assert client_a.get(path).status_code == 200
    assert client_a.get(path[:-3] + "xx/").status_code == 404


@time_machine.travel(dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC), tick=False)
def test_pickup_window_must_be_one_the_shop_offers(town_a, shops):
    from checkout.actions import FulfilmentChoice

    eclair = shops["bakery"]["variants"][0]
    with town_a:
        basket = basket_with([(eclair, 1)])
        merchant_id = shops["bakery"]["merchant"].pk
        with pytest.raises(ValidationError, match="créneau"):
            order_from(
                basket,
                fulfilments={merchant_id: FulfilmentChoice(kind="collect", pickup_window_key="2020-01-01_0000_2359")},
            )
        order = order_from(
            basket,
            fulfilments={merchant_id: FulfilmentChoice(kind="collect", pickup_window_key="2026-11-28_0000_2359")},
        )
        assert order.merchant_orders.get().pickup_starts_at.isoformat() == "2026-11-27T23:00:00+00:00"


def test_a_town_agent_refunds_part_of_a_share_once_even_if_the_form_is_sent_twice(
    client_a, stripe_town, shops, stripe_fake
):
    from accounts.models import Role, User

    with stripe_town:
        order = order_from(basket_with([(shops["grocer"]["variants"][0], 2)]))
        payment = start_payment(order=order)
    post_webhook(paid_event(stripe_fake, payment.intent_id))
    with stripe_town:
        merchant_order = order.merchant_orders.get()
        agent = User.objects.create_user(
            email="agent@ville-a.fr", password="mot-de-passe-solide-42", role=Role.TOWN_AGENT
        )
        client_a.force_login(agent)
    url = f"/gestion/mes-commandes/{merchant_order.pk}/rembourser/"
    form = {"amount": "8,90", "reason": "Pot cassé", "request_key": "cle-unique-1"}

    client_a.post(url, form)
    client_a.post(url, form)
    too_much = client_a.post(url, {**form, "amount": "9,00", "request_key": "cle-unique-2"}, follow=True)

    assert "dépasse" in too_much.content.decode(), [str(m) for m in too_much.context["messages"]]
    with stripe_town:
        order.refresh_from_db()
        assert order.refunded_cents == 890
    assert len([r for r in stripe_fake.requests if r.path == "/v1/refunds"]) == 1


def test_a_merchant_cannot_use_the_refund_form(client_a, town_a, shops):
    with town_a:
        order = order_from(basket_with([(shops["bakery"]["variants"][0], 1)]))
        client_a.force_login(merchant_user(shops["bakery"]["merchant"], "boulanger2@exemple.fr"))
    merchant_order_id = order.merchant_orders.get().pk
    response = client_a.post(
        f"/gestion/mes-commandes/{merchant_order_id}/rembourser/", {"amount": "1", "reason": "x", "request_key": "k"}
    )
    assert response.status_code == 403


def test_the_checkout_form_explains_each_missing_field_in_french(client_a, town_a, shops):
    client_a.post("/panier/ajouter/", {"variant": shops["bakery"]["variants"][0].pk, "quantity": "1"})

    page = client_a.post("/commande/", {"email": "pas-une-adresse", "phone": "12"}).content.decode()

    assert "Cochez la case pour accepter les conditions générales de vente." in page
    assert "Numéro de téléphone invalide" in page
    assert "Saisissez une adresse e-mail valide." in page
    with town_a:
        assert not Order.objects.exists()


def test_a_webhook_for_a_misconfigured_town_is_acknowledged_not_retried_forever(
    stripe_town, shops, stripe_fake, settings
):
    with stripe_town:
        order = order_from(basket_with([(shops["grocer"]["variants"][0], 1)]))
        payment = start_payment(order=order)
    event = paid_event(stripe_fake, payment.intent_id)
    stripe_town.payment_gateway = "test"  # the town was switched to the demo gateway, refused in production
    stripe_town.save()
    settings.ALLOW_TEST_GATEWAY = False

    response = post_webhook(event)

    assert response.status_code == 200
    assert json.loads(response.content)["outcome"] == "town misconfigured"
    with stripe_town:
        assert Order.objects.get().status == OrderStatus.PENDING_PAYMENT


def test_a_town_whose_gateway_is_refused_shows_a_french_message_not_an_error_page(client_a, town_a, shops, settings):
    settings.ALLOW_TEST_GATEWAY = False
    client_a.post("/panier/ajouter/", {"variant": shops["bakery"]["variants"][0].pk, "quantity": "1"})
    data = {
        "first_name": "Jeanne",
        "last_name": "Martin",
        "email": "jeanne@exemple.fr",
        "phone": "0612345678",
        "payment_method": "card",
        "accept_terms": "on",
        f"fulfilment_{shops['bakery']['merchant'].pk}": "collect",
    }
    placed = client_a.post("/commande/", data)

    page = client_a.get(placed["Location"])

    assert page.status_code == 200
    assert "Le paiement en ligne n’est pas disponible pour le moment" in page.content.decode()
    with town_a:
        assert Order.objects.get().status == OrderStatus.PENDING_PAYMENT


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/panier/ajouter/"),
        ("post", "/panier/modifier/"),
        ("post", "/commande/"),
        ("post", "/compte/supprimer/"),
        ("post", "/gestion/mes-commandes/{mo}/accepter/"),
        ("post", "/gestion/mes-commandes/{mo}/prete/"),
        ("post", "/gestion/mes-commandes/{mo}/remise/"),
        ("post", "/gestion/mes-commandes/{mo}/rembourser/"),
        ("post", "/gestion/mes-commandes/articles/{line}/refuser/"),
    ],
)
def test_every_write_needs_the_csrf_token(town_a, shops, method, path):
    with town_a:
        order = paid_order(shops["bakery"]["variants"][0])
        merchant_order = order.merchant_orders.get()
        agent = User.objects.create_user(email="agent@ville-a.fr", password="mot-de-passe-42", role=Role.TOWN_AGENT)
        client = Client(HTTP_HOST=town_a.primary_host, enforce_csrf_checks=True)
        client.force_login(agent)

    response = getattr(client, method)(
        path.format(mo=merchant_order.pk, line=merchant_order.lines.get().pk),
        {"variant": shops["bakery"]["variants"][0].pk, "quantity": "1", "amount": "1", "reason": "x"},
    )

    assert response.status_code == 403
    with town_a:
        merchant_order.refresh_from_db()
        assert merchant_order.status == MerchantOrderStatus.PAID
        assert not Refund.objects.exists()


def test_a_late_success_for_an_expired_order_goes_to_review_not_back_to_paid(town_a, shops):
    honey = shops["grocer"]["variants"][0]
    with town_a:
        order = order_from(basket_with([(honey, 2)]))
        payment = payments.start_payment(order=order)
        gateway = get_gateway(town_a)
        account = gateway_account_id(town_a)
        payload, signature = gateway.confirm_payment(account_id=account, intent_id=payment.intent_id)
        expire_unpaid_orders(now=order.expires_at + dt.timedelta(seconds=1))

        outcome = payments.handle_gateway_event(
            event=gateway.parse_webhook(payload=payload, signature_header=signature)
        )

        order.refresh_from_db()
        assert outcome == f"order {order.pk} review"
        assert order.status == OrderStatus.REVIEW
        assert set(order.merchant_orders.values_list("status", flat=True)) == {MerchantOrderStatus.CANCELLED}
        assert Variant.objects.get(pk=honey.pk).stock == 5  # given back at expiry, not taken again
        assert not Notification.objects.filter(order=order).exists()
