"""Orders a town agent takes by phone or at the town-hall desk (issue 13, item 6): the agent's page, the
resident's card link by SMS, payment in store, and the bad inputs each refused with nothing changed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from accounts.models import Role, User
from accounts.sms.backends import locmem
from catalog.models import Variant
from checkout.actions import (
    Actor,
    FulfilmentChoice,
    accept_merchant_order,
    expire_unpaid_orders,
    hand_over,
    mark_merchant_order_ready,
)
from checkout.basket import add_to_basket, get_or_create_basket
from checkout.models import (
    BasketLine,
    Fulfilment,
    Notification,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentMethod,
    PhoneOrder,
    StatusChange,
)
from checkout.payment_links import make_payment_token
from checkout.phone_orders import LINK_HOLD, place_phone_order, start_phone_order
from settlement.ledger.invariants import check_invariants
from settlement.ledger.models import JournalEntry, Release
from settlement.ledger.queries import balance, merchant_balances
from tenants.actions import update_branding
from tests.catalog.test_backoffice import sign_in
from tests.checkout.conftest import CONTACT, make_shop, merchant_user

LIST = "/gestion/commandes/telephone/"
START = "/gestion/commandes/telephone/nouvelle/"


def page(phone_order_id: int) -> str:
    return f"/gestion/commandes/telephone/{phone_order_id}/"


@pytest.fixture
def sms_outbox(settings: object) -> list[locmem.SmsMessage]:
    settings.SMS_BACKEND = "accounts.sms.backends.locmem.SmsBackend"
    locmem.outbox.clear()
    return locmem.outbox


@pytest.fixture
def agent(client_a: Client, town_a) -> User:
    user = sign_in(client_a, town_a, role=Role.TOWN_AGENT, email="claire.petit@ville-a.fr")
    with town_a:
        User.objects.filter(pk=user.pk).update(first_name="Claire", last_name="Petit")
        user.refresh_from_db()
        client_a.force_login(user)
    return user


@pytest.fixture
def pay_in_store(town_a) -> None:
    update_branding(town=town_a, pay_in_store_enabled=True)


def start(client: Client, channel: str = "phone") -> int:
    response = client.post(START, {"channel": channel})
    assert response.status_code == 302, response.content.decode()[:500]
    return int(re.search(r"/telephone/(\d+)/", response["Location"]).group(1))


def add(client: Client, phone_order_id: int, variant: object, quantity: str = "1", **extra: str):
    return client.post(f"{page(phone_order_id)}ajouter/", {"variant": str(variant.pk), "quantity": quantity, **extra})


def contact_data(shops: dict, *, payment_method: str = "card", **extra: str) -> dict[str, str]:
    data = {
        "first_name": "Jeanne",
        "last_name": "Martin",
        "phone": "06 12 34 56 78",
        "email": "",
        "payment_method": payment_method,
        "accept_terms": "on",
    }
    for shop in shops.values():
        data[f"fulfilment_{shop['merchant'].pk}"] = "collect"
    data.update(extra)
    return data


def taken_order(client: Client, shops: dict, *, payment_method: str = "card", **extra: str) -> Order:
    """An éclair (bakery) and a honey (grocer) taken by phone and placed through the agent's pages."""
    phone_order_id = start(client)
    add(client, phone_order_id, shops["bakery"]["variants"][0], "2")
    add(client, phone_order_id, shops["grocer"]["variants"][0], "1")
    placed = client.post(page(phone_order_id), contact_data(shops, payment_method=payment_method, **extra))
    assert placed.status_code == 302, placed.content.decode()[:3000]
    return PhoneOrder.objects.get(pk=phone_order_id).order


# --- who may enter -------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(client_a):
    response = client_a.get(LIST)
    assert (response.status_code, response["Location"]) == (302, f"/compte/login/?next={LIST}")


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.MERCHANT_STAFF, Role.COURIER])
def test_residents_merchants_and_couriers_get_403_and_change_nothing(client_a, town_a, shops, role):
    with town_a:
        admin = User.objects.create_user(email="admin@ville-a.fr", role=Role.TOWN_ADMIN)
        phone_order = start_phone_order(agent=admin, channel="phone")
    sign_in(client_a, town_a, role=role, merchant=shops["bakery"]["merchant"] if role == Role.MERCHANT_STAFF else None)

    assert client_a.get(LIST).status_code == 403
    assert client_a.post(START, {"channel": "phone"}).status_code == 403
    assert client_a.get(page(phone_order.pk)).status_code == 403
    assert add(client_a, phone_order.pk, shops["bakery"]["variants"][0]).status_code == 403
    assert client_a.post(page(phone_order.pk), contact_data({})).status_code == 403
    with town_a:
        assert PhoneOrder.objects.count() == 1
        assert BasketLine.objects.count() == 0
        assert Order.objects.count() == 0


@pytest.mark.parametrize("role", [Role.TOWN_ADMIN, Role.TOWN_AGENT])
def test_town_admins_and_agents_open_the_page(client_a, town_a, role):
    sign_in(client_a, town_a, role=role)
    response = client_a.get(LIST)
    assert response.status_code == 200
    assert "<h1>Commande par téléphone / au guichet</h1>" in response.content.decode()


# --- taking an order -------------------------------------------------------------------------------


def test_the_agent_finds_products_with_the_catalogue_search(client_a, town_a, agent, shops):
    with town_a:
        from catalog.actions import refresh_search_vectors
        from catalog.models import Product

        refresh_search_vectors(product_ids=Product.objects.values_list("pk", flat=True))
    phone_order_id = start(client_a)
    html = client_a.get(page(phone_order_id), {"q": "eclair"}).content.decode()
    assert "Éclair au café" in html
    assert f'name="variant" value="{shops["bakery"]["variants"][0].pk}"' in html
    assert "Miel de Calais" not in html


def test_a_two_shop_order_paid_in_store_is_placed_for_the_resident_who_gets_an_sms_per_shop(
    client_a, town_a, agent, shops, pay_in_store, sms_outbox, django_capture_on_commit_callbacks
):
    eclair, honey = shops["bakery"]["variants"][0], shops["grocer"]["variants"][0]
    with town_a:
        # The agent's own basket is not the one the order is built in.
        add_to_basket(basket=get_or_create_basket(token=None, user_id=agent.pk), variant_id=eclair.pk, quantity=1)
    with django_capture_on_commit_callbacks(execute=True):
        order = taken_order(client_a, shops, payment_method="in_store")

    with town_a:
        order.refresh_from_db()
        phone_order = order.phone_order
        assert (order.status, order.payment_method, order.user_id) == ("placed", "in_store", None)
        assert (order.first_name, order.last_name, order.phone, order.email) == ("Jeanne", "Martin", "0612345678", "")
        assert (order.total_cents, order.expires_at) == (2 * 250 + 890, None)
        assert (phone_order.channel, phone_order.agent_id, phone_order.agent_name) == (
            "phone",
            agent.pk,
            "Claire Petit",
        )
        assert list(StatusChange.objects.filter(order=order).values_list("actor_kind", "actor_id")) == [
            ("town_agent", agent.pk)
        ]
        assert Variant.objects.get(pk=eclair.pk).stock == 18
        assert Variant.objects.get(pk=honey.pk).stock == 4
        assert list(BasketLine.objects.filter(basket__user_id=agent.pk).values_list("variant_id", "quantity")) == [
            (eclair.pk, 1)
        ]
        parts = {part.merchant_name: part for part in order.merchant_orders.all()}
        # No e-mail given: none planned; the resident's SMS per shop, with its code.
        assert sorted(Notification.objects.filter(merchant_order__isnull=True).values_list("kind", "channel")) == []
        # Money is paid at the shop: nothing goes through the town's accounts.
        assert JournalEntry.objects.count() == 0
        assert check_invariants() == []
    texts = sorted(sms.text for sms in sms_outbox if sms.to == "+33612345678")
    bakery, grocer = parts["Boulangerie Dupont"], parts["Épicerie du Port"]
    assert len(texts) == 2
    assert any(
        text.startswith(
            f"Ville A : commande {order.number} chez Boulangerie Dupont. Code de retrait : {bakery.pickup_code}."
        )
        and text.endswith("A payer sur place : 5,00 €.")
        for text in texts
    ), texts
    assert any(f"chez Épicerie du Port. Code de retrait : {grocer.pickup_code}." in text for text in texts), texts

    # The merchant's screens say who took it.
    shop_client = Client(HTTP_HOST="ville-a.test")
    with town_a:
        shop_client.force_login(merchant_user(shops["bakery"]["merchant"], "boulangerie@exemple.fr"))
    assert (
        "Commande prise par téléphone par Claire Petit" in shop_client.get("/gestion/mes-commandes/").content.decode()
    )
    detail = shop_client.get(f"/gestion/mes-commandes/{bakery.pk}/").content.decode()
    assert '<dd class="taken-by">Commande prise par téléphone par Claire Petit</dd>' in detail
    # And the agent's page of the order, with the codes to read out.
    summary = client_a.get(page(phone_order.pk)).content.decode()
    assert "Commande prise par téléphone par Claire Petit" in summary
    assert f"<strong>{bakery.pickup_code}</strong>" in summary


def test_paid_in_store_the_shop_records_the_payment_at_hand_over_and_the_ledger_stays_untouched(
    town_a, agent, shops, pay_in_store, django_capture_on_commit_callbacks
):
    shop = Actor(kind="merchant", user_id=None)
    with town_a, django_capture_on_commit_callbacks(execute=True):
        phone_order = start_phone_order(agent=agent, channel="desk")
        add_to_basket(basket=phone_order.basket, variant_id=shops["bakery"]["variants"][0].pk, quantity=2)
        order = place_phone_order(
            phone_order_id=phone_order.pk,
            agent=agent,
            contact=CONTACT,
            fulfilments={shops["bakery"]["merchant"].pk: FulfilmentChoice(kind=Fulfilment.COLLECT)},
            payment_method=PaymentMethod.IN_STORE,
        )
        part = order.merchant_orders.get()
        accept_merchant_order(merchant_order_id=part.pk, actor=shop)
        mark_merchant_order_ready(merchant_order_id=part.pk, actor=shop)
        hand_over(merchant_order_id=part.pk, pickup_code=part.pickup_code, actor=shop)

        change = StatusChange.objects.filter(merchant_order=part).last()
        assert (change.to_status, change.actor_kind, change.note) == (
            "collected",
            "merchant",
            "Payé en boutique au retrait : 5,00\u00a0€",
        )
        assert JournalEntry.objects.count() == 0
        assert Release.objects.count() == 0
        assert check_invariants() == []


def test_a_card_order_sends_a_link_that_pays_through_the_gateway_and_posts_like_an_online_order(
    client_a, town_a, agent, shops, sms_outbox, django_capture_on_commit_callbacks
):
    now = timezone.now()
    with time_machine.travel(now, tick=False), django_capture_on_commit_callbacks(execute=True):
        order = taken_order(client_a, shops, email="jeanne@exemple.fr")
    with town_a:
        order.refresh_from_db()
        assert (order.status, order.payment_method) == ("pending_payment", "card")
        assert order.expires_at == now + LINK_HOLD
        token = make_payment_token(order)
        kinds = sorted(Notification.objects.filter(order=order).values_list("kind", "channel", "status"))
    assert kinds == [("payment_link", "email", "sent"), ("payment_link", "sms", "sent")]
    [sms] = [sms for sms in sms_outbox if sms.to == "+33612345678"]
    link = f"https://ville-a.test/payer/{token}/"
    assert sms.text.startswith(f"Ville A : payez votre commande {order.number} (13,90 €) par carte avant le ")
    assert sms.text.endswith(f" : {link}")
    assert len(sms.text) <= 160

    resident = Client(HTTP_HOST="ville-a.test")
    opened = resident.get(f"/payer/{token}/")
    payment_page = f"/commande/{order.public_id}/paiement/"
    assert (opened.status_code, opened["Location"]) == (302, payment_page)
    assert resident.get(payment_page).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        paid = resident.post(f"/commande/{order.public_id}/paiement-test/", {"outcome": "succeeded"})
    assert paid.status_code == 302
    with town_a:
        order.refresh_from_db()
        assert order.status == OrderStatus.PAID
        entry = JournalEntry.objects.get()
        assert (entry.source, entry.external_id) == ("order_paid", str(order.pk))
        assert balance("psp_clearing") == 1390
        assert merchant_balances(shops["bakery"]["merchant"].pk) == (500, 0)
        assert merchant_balances(shops["grocer"]["merchant"].pk) == (890, 0)
        assert check_invariants() == []
        receipts = sorted(Notification.objects.filter(order=order, kind="receipt").values_list("channel", flat=True))
    assert receipts == ["sms", "sms"]

    # The link used again: the order's status, never a second payment.
    again = resident.get(f"/payer/{token}/", follow=True)
    assert again.redirect_chain[0][0].startswith("/commande/suivi/")
    assert "Cette commande est déjà payée : merci !" in again.content.decode()
    replay = resident.post(f"/commande/{order.public_id}/paiement-test/", {"outcome": "succeeded"})
    assert replay["Location"] == f"/commande/{order.public_id}/confirmation/"
    with town_a:
        assert Payment.objects.filter(order=order).count() == 1
        assert JournalEntry.objects.count() == 1


def test_an_order_taken_twice_from_the_same_page_is_placed_once(client_a, town_a, agent, shops):
    phone_order_id = start(client_a)
    add(client_a, phone_order_id, shops["bakery"]["variants"][0])
    first = client_a.post(page(phone_order_id), contact_data({"bakery": shops["bakery"]}))
    second = client_a.post(page(phone_order_id), contact_data({"bakery": shops["bakery"]}))
    assert (first.status_code, second.status_code) == (302, 200)
    with town_a:
        assert Order.objects.count() == 1
        assert Variant.objects.get(pk=shops["bakery"]["variants"][0].pk).stock == 19


# --- bad input ---------------------------------------------------------------------------------------


def test_a_forged_price_is_never_read(client_a, town_a, agent, shops):
    phone_order_id = start(client_a)
    add(client_a, phone_order_id, shops["bakery"]["variants"][0], "2", price="1", unit_price_cents="1")
    placed = client_a.post(
        page(phone_order_id),
        contact_data({"bakery": shops["bakery"]}, total_cents="1", items_total_cents="1", unit_price_cents="1"),
    )
    assert placed.status_code == 302
    with town_a:
        assert list(OrderLine.objects.values_list("unit_price_cents", "total_cents")) == [(250, 500)]
        assert Order.objects.get().total_cents == 500


def test_another_towns_product_is_not_found(client_a, town_a, town_b, agent, shops):
    with town_b:
        foreign = make_shop("Boucherie de B", products=[("Rôti", 1500, 10)])["variants"][0]
        foreign_stock = Variant.objects.get(pk=foreign.pk).stock
    phone_order_id = start(client_a)
    response = add(client_a, phone_order_id, foreign)
    assert response.status_code == 404
    with town_a:
        assert BasketLine.objects.count() == 0
    with town_b:
        assert Variant.objects.get(pk=foreign.pk).stock == foreign_stock


def test_more_than_the_stock_is_refused_with_a_french_message(client_a, town_a, agent, shops):
    phone_order_id = start(client_a)
    refused = add(client_a, phone_order_id, shops["grocer"]["variants"][0], "6", q="miel")
    assert refused["Location"] == f"{page(phone_order_id)}?q=miel"
    messages = [str(m) for m in client_a.get(refused["Location"]).context["messages"]]
    assert messages == ["Il ne reste que 5 « Miel de Calais » en stock."]
    with town_a:
        assert BasketLine.objects.count() == 0


def test_a_line_sold_out_meanwhile_refuses_the_whole_order_and_changes_nothing(client_a, town_a, agent, shops):
    phone_order_id = start(client_a)
    add(client_a, phone_order_id, shops["bakery"]["variants"][0], "2")
    add(client_a, phone_order_id, shops["grocer"]["variants"][0], "1")
    with town_a:
        Variant.objects.filter(pk=shops["grocer"]["variants"][0].pk).update(stock=0)
    refused = client_a.post(page(phone_order_id), contact_data(shops))
    assert refused.status_code == 400
    assert "Miel de Calais : Épuisé." in refused.content.decode()
    with town_a:
        assert Order.objects.count() == 0
        assert PhoneOrder.objects.get(pk=phone_order_id).order is None
        assert BasketLine.objects.count() == 2
        assert Variant.objects.get(pk=shops["bakery"]["variants"][0].pk).stock == 20


@pytest.mark.parametrize("phone", ["12345", "06 12 34", "+33 6 12 34 5", "٠٦١٢٣٤٥٦٧٨"])
def test_an_invalid_phone_number_is_refused_in_french(client_a, town_a, agent, shops, phone):
    phone_order_id = start(client_a)
    add(client_a, phone_order_id, shops["bakery"]["variants"][0])
    refused = client_a.post(page(phone_order_id), contact_data({"bakery": shops["bakery"]}, phone=phone))
    assert refused.status_code == 400
    assert "Numéro de téléphone invalide. Exemple : 06 12 34 56 78" in refused.content.decode()
    with town_a:
        assert Order.objects.count() == 0


def test_a_card_link_needs_a_mobile_or_an_e_mail(client_a, town_a, agent, shops):
    phone_order_id = start(client_a)
    add(client_a, phone_order_id, shops["bakery"]["variants"][0])
    refused = client_a.post(page(phone_order_id), contact_data({"bakery": shops["bakery"]}, phone="03 21 00 00 00"))
    assert refused.status_code == 400
    assert (
        "Pour envoyer le lien de paiement, indiquez un numéro de mobile (06 ou 07) ou une adresse e-mail."
        in refused.content.decode()
    )
    with town_a:
        assert Order.objects.count() == 0
        assert Variant.objects.get(pk=shops["bakery"]["variants"][0].pk).stock == 20


def test_a_delivered_order_cannot_be_paid_in_store(town_a, agent, shops, pay_in_store):
    with town_a:
        phone_order = start_phone_order(agent=agent, channel="desk")
        add_to_basket(basket=phone_order.basket, variant_id=shops["grocer"]["variants"][0].pk, quantity=1)
        with pytest.raises(ValidationError) as refused:
            place_phone_order(
                phone_order_id=phone_order.pk,
                agent=agent,
                contact=CONTACT,
                fulfilments={shops["grocer"]["merchant"].pk: FulfilmentChoice(kind=Fulfilment.DELIVERY)},
                payment_method=PaymentMethod.IN_STORE,
                address_text="12 rue Royale, Calais",
            )
        assert refused.value.messages == ["Le paiement en boutique n'est possible que pour un retrait en boutique."]
        assert Order.objects.count() == 0
        assert Variant.objects.get(pk=shops["grocer"]["variants"][0].pk).stock == 5


def test_paying_in_store_needs_the_town_to_allow_it(client_a, town_a, agent, shops):
    phone_order_id = start(client_a)
    add(client_a, phone_order_id, shops["bakery"]["variants"][0])
    refused = client_a.post(page(phone_order_id), contact_data({"bakery": shops["bakery"]}, payment_method="in_store"))
    assert refused.status_code == 400
    with town_a:
        assert Order.objects.count() == 0


# --- the payment link ---------------------------------------------------------------------------


def _card_order(town, agent, shops) -> Order:
    with town:
        phone_order = start_phone_order(agent=agent, channel="phone")
        add_to_basket(basket=phone_order.basket, variant_id=shops["bakery"]["variants"][0].pk, quantity=1)
        return place_phone_order(
            phone_order_id=phone_order.pk,
            agent=agent,
            contact=CONTACT,
            fulfilments={shops["bakery"]["merchant"].pk: FulfilmentChoice(kind=Fulfilment.COLLECT)},
            payment_method=PaymentMethod.CARD,
        )


@pytest.mark.parametrize("change", ["mac", "id", "empty", "unicode"])
def test_a_tampered_link_is_not_found(town_a, agent, shops, change):
    order = _card_order(town_a, agent, shops)
    with town_a:
        token = make_payment_token(order)
    order_id, mac = token.split(".")
    tampered = {
        "mac": f"{order_id}.{'A' if mac[0] != 'A' else 'B'}{mac[1:]}",
        "id": f"{int(order_id) + 1}.{mac}",
        "empty": f"{order_id}.",
        "unicode": f"{order_id}٠.{mac}",
    }[change]
    resident = Client(HTTP_HOST="ville-a.test")
    assert resident.get(f"/payer/{tampered}/").status_code == 404
    with town_a:
        assert Payment.objects.count() == 0


def test_a_link_minted_in_town_a_is_not_found_in_town_b(town_a, town_b, agent, shops):
    order = _card_order(town_a, agent, shops)
    with town_a:
        token = make_payment_token(order)
    with town_b:
        # Town B even holds an order waiting for payment with the same id and public id: the town's salt differs.
        Order.objects.create(
            pk=order.pk,
            public_id=order.public_id,
            first_name="Paul",
            last_name="Durand",
            email="paul@exemple.fr",
            phone="0698765432",
            terms_accepted_at=timezone.now(),
            expires_at=timezone.now() + dt.timedelta(hours=1),
        )
    assert Client(HTTP_HOST="ville-b.test").get(f"/payer/{token}/").status_code == 404
    assert Client(HTTP_HOST="ville-a.test").get(f"/payer/{token}/").status_code == 302


def test_an_expired_link_says_so_and_never_reaches_the_payment_page(
    town_a, agent, shops, sms_outbox, django_capture_on_commit_callbacks
):
    order = _card_order(town_a, agent, shops)
    with town_a:
        token = make_payment_token(order)
    resident = Client(HTTP_HOST="ville-a.test")
    later = order.expires_at + dt.timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        # Past the hold, before the sweep cancelled it: already no way to pay.
        assert resident.get(f"/payer/{token}/").status_code == 410
        with town_a, django_capture_on_commit_callbacks(execute=True):
            assert expire_unpaid_orders() == 1
        expired = resident.get(f"/payer/{token}/")
    assert expired.status_code == 410
    assert "Ce lien de paiement n’est plus valable" in expired.content.decode()
    with town_a:
        assert Order.objects.get().status == OrderStatus.CANCELLED
        assert Payment.objects.count() == 0
        assert Variant.objects.get(pk=shops["bakery"]["variants"][0].pk).stock == 20
    # The resident, who may read no e-mail, is told by SMS.
    assert [sms.text for sms in sms_outbox] == [
        f"Ville A : votre commande {order.number} est annulée (non payée à temps). Les articles sont remis en "
        "vente. Pour commander à nouveau, appelez la mairie."
    ]


# --- the list page ------------------------------------------------------------------------------


def test_the_list_page_reads_a_fixed_number_of_queries(client_a, town_a, agent, shops, django_assert_num_queries):
    def take(count: int) -> None:
        with town_a:
            for _ in range(count):
                _card_order(town_a, agent, shops)
                start_phone_order(agent=agent, channel="desk")

    take(1)
    client_a.get(LIST)  # the town's settings, cached once for every page
    with django_assert_num_queries(QUERIES_OF_THE_LIST):
        first = client_a.get(LIST)
    take(3)
    with django_assert_num_queries(QUERIES_OF_THE_LIST):
        second = client_a.get(LIST)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.content.decode().count("En cours de saisie") == 4
    assert second.content.decode().count("Jeanne Martin") == 4


# The town's schema, the session, the user, the rows with their orders (one join): whatever the number of rows.
QUERIES_OF_THE_LIST = 4


def test_the_order_page_reads_a_fixed_number_of_queries_whatever_the_lines(
    client_a, town_a, agent, shops, django_assert_num_queries
):
    phone_order_id = start(client_a)
    add(client_a, phone_order_id, shops["bakery"]["variants"][0])
    client_a.get(page(phone_order_id))  # the town's settings, cached once for every page
    with django_assert_num_queries(QUERIES_OF_THE_ORDER_PAGE + PICKUP_QUERIES_PER_SHOP):
        client_a.get(page(phone_order_id), {"q": "eclair"})
    add(client_a, phone_order_id, shops["bakery"]["variants"][1])
    add(client_a, phone_order_id, shops["grocer"]["variants"][0])
    add(client_a, phone_order_id, shops["grocer"]["variants"][1])
    with django_assert_num_queries(QUERIES_OF_THE_ORDER_PAGE + 2 * PICKUP_QUERIES_PER_SHOP):
        response = client_a.get(page(phone_order_id), {"q": "eclair"})
    assert response.content.decode().count('name="remove"') == 4


# Schema, session, user, the order being taken with its basket, the basket's lines and their photos (price_basket),
# whether the town delivers, the catalogue search (whether a product matches, then whether a merchant does: the
# test's search vectors are not computed, so nothing matches).
QUERIES_OF_THE_ORDER_PAGE = 9
# The checkout form's pickup windows of each shop (its opening hours and closures), as on the resident's checkout.
PICKUP_QUERIES_PER_SHOP = 2
