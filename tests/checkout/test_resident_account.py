"""The resident's account: order history, data export, deletion that keeps orders anonymised (RGPD)."""

from __future__ import annotations

import json

import pytest

from accounts.models import Role, User
from checkout.actions import Actor, FulfilmentChoice, mark_order_paid
from checkout.models import Basket, Notification, NotificationChannel, Order, OrderStatus, PaymentMethod
from tests.checkout.conftest import CONTACT, GATEWAY, basket_with, order_from


@pytest.fixture
def resident(client_a, town_a):
    with town_a:
        user = User.objects.create_user(
            email="jeanne@exemple.fr", password="mot-de-passe-solide-42", role=Role.RESIDENT, first_name="Jeanne"
        )
    client_a.force_login(user)
    return user


def _order_for(user, variant, quantity=1):
    order = order_from(
        basket_with([(variant, quantity)], user_id=user.pk), actor=Actor(kind="resident", user_id=user.pk)
    )
    mark_order_paid(order_id=order.pk, amount_cents=order.total_cents, currency="EUR", actor=Actor(kind="gateway"))
    return order


def test_order_history_lists_only_the_residents_orders(client_a, town_a, shops, resident):
    with town_a:
        mine = _order_for(resident, shops["bakery"]["variants"][0])
        other = User.objects.create_user(email="autre@exemple.fr", password="x-mot-de-passe-42", role=Role.RESIDENT)
        theirs = _order_for(other, shops["grocer"]["variants"][0])

    page = client_a.get("/compte/commandes/").content.decode()

    assert mine.number in page
    assert theirs.number not in page
    assert client_a.get(f"/commande/{theirs.public_id}/confirmation/").status_code == 404
    assert client_a.get(f"/commande/{mine.public_id}/confirmation/").status_code == 200


def test_data_export_contains_the_account_and_its_orders(client_a, town_a, shops, resident):
    with town_a:
        order = _order_for(resident, shops["bakery"]["variants"][0], quantity=2)

    response = client_a.get("/compte/mes-donnees/")

    assert response["Content-Type"].startswith("application/json")
    data = json.loads(response.content)
    assert data["compte"]["email"] == "jeanne@exemple.fr"
    assert [o["numero"] for o in data["commandes"]] == [order.number]
    assert data["commandes"][0]["commerces"][0]["articles"][0] == {
        "produit": "Éclair au café",
        "quantite": "2",
        "prix_unitaire_centimes": 250,
        "total_centimes": 500,
    }


def test_account_deletion_anonymises_but_keeps_orders_for_accounting(client_a, town_a, shops, resident):
    with town_a:
        order = _order_for(resident, shops["bakery"]["variants"][0])

    refused = client_a.post("/compte/supprimer/", {})
    assert refused.status_code == 200
    with town_a:
        assert User.objects.filter(pk=resident.pk).exists()

    client_a.post("/compte/supprimer/", {"confirm": "oui"})

    with town_a:
        assert not User.objects.filter(pk=resident.pk).exists()
        order.refresh_from_db()
        assert order.status == OrderStatus.PAID
        assert order.total_cents == 250
        assert (order.user_id, order.first_name, order.email, order.phone) == (None, "Anonyme", "anonyme@invalid", "")
        assert order.is_anonymised
        assert not Basket.objects.filter(user_id=resident.pk).exists()
    assert client_a.get("/compte/commandes/").status_code == 302  # logged out


def test_pay_in_store_is_offered_for_collection_only_when_the_town_allows_it(town_a, shops):
    eclair, honey = shops["bakery"]["variants"][0], shops["grocer"]["variants"][0]
    with town_a:
        basket = basket_with([(eclair, 1)])
        from django.core.exceptions import ValidationError

        with pytest.raises(ValidationError, match="paiement en boutique"):
            order_from(basket, payment_method=PaymentMethod.IN_STORE)
        town_a.pay_in_store_enabled = True
        town_a.save()
        order = order_from(basket, payment_method=PaymentMethod.IN_STORE)
        assert order.status == OrderStatus.PLACED
        assert order.expires_at is None
        assert order.merchant_orders.get().status == "placed"

        delivered = basket_with([(honey, 2)])
        merchant_id = shops["grocer"]["merchant"].pk
        with pytest.raises(ValidationError):
            order_from(
                delivered,
                payment_method=PaymentMethod.IN_STORE,
                fulfilments={merchant_id: FulfilmentChoice(kind="delivery")},
                address_text="12 Rue Royale 62100 Calais",
            )
        assert Order.objects.count() == 1
        assert CONTACT.email == order.email


def test_staff_accounts_cannot_erase_themselves_and_their_signatures_stay(client_a, town_a, shops):
    from checkout.models import StatusChange

    with town_a:
        agent = User.objects.create_user(email="agent@ville-a.fr", password="mot-de-passe-42", role=Role.TOWN_AGENT)
        order = order_from(basket_with([(shops["bakery"]["variants"][0], 1)]))
        mark_order_paid(order_id=order.pk, amount_cents=order.total_cents, currency="EUR", actor=Actor(kind="gateway"))
        from checkout.actions import accept_merchant_order

        accept_merchant_order(
            merchant_order_id=order.merchant_orders.get().pk, actor=Actor(kind="town_agent", user_id=agent.pk)
        )
    client_a.force_login(agent)

    assert client_a.post("/compte/supprimer/", {"confirm": "oui"}).status_code == 403

    with town_a:
        assert User.objects.filter(pk=agent.pk).exists()
        assert StatusChange.objects.filter(actor_id=agent.pk, to_status="accepted").exists()


def test_the_status_link_expires_after_ninety_days(client_a, town_a, shops):
    import datetime as dt

    import time_machine

    from checkout.tokens import status_path

    with town_a:
        order = order_from(basket_with([(shops["bakery"]["variants"][0], 1)]))
        path = status_path(order)
    assert client_a.get(path).status_code == 200
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=91)):
        assert client_a.get(path).status_code == 404


def test_the_data_export_holds_only_the_residents_orders(client_a, town_a, shops):
    with town_a:
        me = User.objects.create_user(email="moi@exemple.fr", password="mot-de-passe-42")
        other = User.objects.create_user(email="autre@exemple.fr", password="mot-de-passe-42")
        mine = order_from(
            basket_with([(shops["bakery"]["variants"][0], 1)], user_id=me.pk),
            actor=Actor(kind="resident", user_id=me.pk),
        )
        theirs = order_from(
            basket_with([(shops["grocer"]["variants"][0], 1)], user_id=other.pk),
            actor=Actor(kind="resident", user_id=other.pk),
        )
        client_a.force_login(me)

    data = json.loads(client_a.get("/compte/mes-donnees/").content)

    assert [entry["numero"] for entry in data["commandes"]] == [mine.number]
    assert theirs.number not in json.dumps(data)
    assert "Miel de Calais" not in json.dumps(data, ensure_ascii=False)


def test_deleting_the_account_needs_a_post_with_the_confirmation(client_a, town_a):
    with town_a:
        resident = User.objects.create_user(email="jeanne@exemple.fr", password="mot-de-passe-42")
        client_a.force_login(resident)

    assert client_a.get("/compte/supprimer/?confirm=oui").status_code == 200
    assert client_a.post("/compte/supprimer/", {"confirm": "yes"}).status_code == 200
    with town_a:
        assert User.objects.filter(pk=resident.pk).exists()


def test_deleting_the_account_keeps_the_merchants_notifications_deliverable(town_a, shops, merchant_sms_on):
    """Deleting the account blanks the recipient of the resident's own messages only: the merchant's e-mail
    and SMS about the order keep theirs, so a new-order message still pending (or failed and resent by the
    town) reaches the shop."""
    from checkout.privacy import anonymise_resident

    with town_a:
        grocer = shops["grocer"]["merchant"]
        grocer.email, grocer.phone = "epicerie@exemple.fr", "06 11 22 33 44"
        grocer.save()
        resident = User.objects.create_user(email="jeanne@exemple.fr", password="mot-de-passe-42")
        order = order_from(
            basket_with([(shops["grocer"]["variants"][0], 1)], user_id=resident.pk),
            actor=Actor(kind="resident", user_id=resident.pk),
        )
        mark_order_paid(order_id=order.pk, amount_cents=order.total_cents, currency="EUR", actor=GATEWAY)

        anonymise_resident(user_id=resident.pk)

        to_merchant = Notification.objects.filter(order=order, merchant_order__isnull=False).exclude(
            channel=NotificationChannel.IN_APP
        )
        assert sorted(to_merchant.values_list("channel", "recipient")) == [
            ("email", "epicerie@exemple.fr"),
            ("sms", "+33611223344"),
        ]
        assert Notification.objects.get(order=order, merchant_order=None).recipient == ""
