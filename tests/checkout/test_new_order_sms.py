"""A shop gets one SMS per new order when its town chose it (Gestion du site, town admins only): once per
merchant order, however often the payment is confirmed, never without a mobile number."""

from __future__ import annotations

import pytest
from django.db import transaction

from accounts.models import Role, User
from accounts.sms import gsm7_length, is_gsm7, to_gsm7
from accounts.sms.backends import locmem
from catalog.formatting import format_day
from checkout.actions import mark_order_paid
from checkout.models import Fulfilment, Notification
from checkout.notifications import queue_order_notifications
from checkout.payments import start_payment
from tenants.hosts import PUBLIC_DOMAIN_ATTRIBUTE
from tenants.models import Domain
from tests.catalog.factories import MerchantFactory
from tests.checkout.conftest import GATEWAY, basket_with, order_from, paid_order
from tests.checkout.notification_factories import Line, make_order
from tests.checkout.test_orders import paid_event, post_webhook
from townsite.models import SiteSettings
from townsite.queries import site_settings


@pytest.fixture
def sms_outbox(settings: object) -> list[locmem.SmsMessage]:
    settings.SMS_BACKEND = "accounts.sms.backends.locmem.SmsBackend"
    locmem.outbox.clear()
    return locmem.outbox


def with_mobile(shop: dict[str, object], phone: str = "06 11 22 33 44") -> None:
    merchant = shop["merchant"]
    merchant.phone = phone
    merchant.save()


@pytest.mark.slow
def test_the_same_payment_webhook_twice_sends_the_shop_one_sms(
    stripe_town, shops, stripe_fake, sms_outbox, merchant_sms_on, django_capture_on_commit_callbacks
):
    with stripe_town:
        with_mobile(shops["grocer"])
        order = order_from(basket_with([(shops["grocer"]["variants"][0], 1)]))
        payment = start_payment(order=order)
    event = paid_event(stripe_fake, payment.intent_id)

    # The webhook's after-commit work runs in the town, as it does at the request's commit in production
    # (the test transaction never commits; by the time the block ends the request left the town).
    with django_capture_on_commit_callbacks() as after_first:
        first = post_webhook(event)
    with django_capture_on_commit_callbacks() as after_second:
        second = post_webhook(event)
    with stripe_town:
        for callback in [*after_first, *after_second]:
            callback()
    with stripe_town:
        with django_capture_on_commit_callbacks(execute=True):
            # The action itself run again (a worker retrying it): still the same order, still paid once.
            mark_order_paid(order_id=order.pk, amount_cents=order.total_cents, currency="EUR", actor=GATEWAY)
        part = order.merchant_orders.get()
        sms_rows = list(Notification.objects.filter(channel="sms").values_list("merchant_order_id", "status"))

    assert (first.status_code, second.status_code) == (200, 200)
    assert sms_rows == [(part.pk, "sent")]
    [sms] = sms_outbox
    assert sms.to == "+33611223344"
    assert order.number in sms.text
    assert f"https://ville-a.test/gestion/mes-commandes/{part.pk}/" in sms.text


def test_no_sms_when_the_town_has_not_enabled_them(town_a, shops, sms_outbox, django_capture_on_commit_callbacks):
    with town_a, django_capture_on_commit_callbacks(execute=True):
        with_mobile(shops["bakery"])
        paid_order(shops["bakery"]["variants"][0])
        channels = sorted(Notification.objects.filter(merchant_order__isnull=False).values_list("channel", flat=True))

    assert channels == ["in_app"]  # the factory's shop has no e-mail; the screen still shows the order
    assert sms_outbox == []


@pytest.mark.parametrize("phone", ["", "03 21 00 00 00", "n/a"])
def test_no_sms_to_a_shop_without_a_mobile(
    town_a, shops, sms_outbox, merchant_sms_on, django_capture_on_commit_callbacks, phone
):
    with town_a, django_capture_on_commit_callbacks(execute=True):
        with_mobile(shops["bakery"], phone)
        paid_order(shops["bakery"]["variants"][0])
        assert not Notification.objects.filter(channel="sms").exists()
    assert sms_outbox == []


def test_each_shop_of_a_two_shop_order_gets_its_own_sms(
    town_a, shops, sms_outbox, merchant_sms_on, django_capture_on_commit_callbacks
):
    with town_a, django_capture_on_commit_callbacks(execute=True):
        with_mobile(shops["bakery"], "06 11 22 33 44")
        with_mobile(shops["grocer"], "07 55 66 77 88")
        paid_order(shops["bakery"]["variants"][0])
        paid_order(shops["grocer"]["variants"][0])
    assert sorted(message.to for message in sms_outbox) == ["+33611223344", "+33755667788"]


def test_a_delivery_sms_says_the_day_fits_one_gsm7_sms_and_keeps_its_link_with_a_long_town_host(
    town_a, monkeypatch, sms_outbox, merchant_sms_on, django_capture_on_commit_callbacks
):
    long_host = "monshopping-centre-ville-calais.fr"
    Domain.objects.filter(tenant=town_a).update(is_primary=False)
    Domain.objects.create(tenant=town_a, domain=long_host, is_primary=True, is_verified=True)
    monkeypatch.delattr(town_a, PUBLIC_DOMAIN_ATTRIBUTE, raising=False)  # the host is read afresh
    with town_a:
        shop = MerchantFactory(name="Crèmerie du Beffroi", phone="0611223344")
        order = make_order([(shop, [Line("Maroilles", 890)])], fulfilment=Fulfilment.DELIVERY)
        part = order.merchant_orders.get()
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            queue_order_notifications(order=order, kind="order_paid")

    [sms] = sms_outbox
    assert sms.text == (
        f"Ville A : nouvelle commande {order.number}, livraison le {order.delivery_date:%d/%m}. "
        f"A accepter : https://{long_host}/gestion/mes-commandes/{part.pk}/"
    )  # "livraison à domicile le lundi 7 décembre" did not fit: the day is written short, the link kept
    assert gsm7_length(sms.text) <= 160
    assert is_gsm7(sms.text)


def test_a_delivery_sms_writes_the_fulfilment_label_when_it_fits(
    town_a, sms_outbox, merchant_sms_on, django_capture_on_commit_callbacks
):
    with town_a:
        shop = MerchantFactory(name="Crèmerie du Beffroi", phone="0611223344")
        order = make_order([(shop, [Line("Maroilles", 890)])], fulfilment=Fulfilment.DELIVERY)
        part = order.merchant_orders.get()
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            queue_order_notifications(order=order, kind="order_paid")

    [sms] = sms_outbox
    assert sms.text == to_gsm7(
        f"Ville A : nouvelle commande {order.number}, livraison à domicile le {format_day(order.delivery_date)}. "
        f"À accepter : https://ville-a.test/gestion/mes-commandes/{part.pk}/"
    )


# --- the town's choice ------------------------------------------------------------------------------


def test_the_town_admin_turns_the_sms_on_from_the_site_management_page(client_a, town_a):
    with town_a:
        admin = User.objects.create_user(email="maire@ville-a.fr", password="x" * 12, role=Role.TOWN_ADMIN)
        client_a.force_login(admin)
    page = client_a.get("/gestion/").content.decode()
    assert "Prévenir les commerces par SMS à chaque commande" in page
    assert 'name="sms_merchants_on_new_order"' in page

    response = client_a.post("/gestion/", {"sms_merchants_on_new_order": "on"})

    assert response.status_code == 302
    with town_a:
        saved = SiteSettings.objects.get()
        assert (saved.sms_merchants_on_new_order, saved.updated_by_id) == (True, admin.pk)
    client_a.post("/gestion/", {"sms_merchants_on_new_order": ""})  # unticked: off again
    with town_a:
        assert SiteSettings.objects.get().sms_merchants_on_new_order is False


@pytest.mark.parametrize("role", [Role.TOWN_AGENT, Role.MERCHANT_STAFF, Role.RESIDENT])
def test_only_the_town_admin_may_change_it(client_a, town_a, role):
    with town_a:
        client_a.force_login(User.objects.create_user(email=f"{role}@ville-a.fr", password="x" * 12, role=role))

    assert client_a.post("/gestion/", {"sms_merchants_on_new_order": "on"}).status_code == 403
    with town_a:
        assert site_settings().sms_merchants_on_new_order is False


def test_the_choice_is_per_town(town_a, town_b):
    with town_a:
        SiteSettings.objects.update_or_create(pk=1, defaults={"sms_merchants_on_new_order": True})
    with town_b:
        assert site_settings().sms_merchants_on_new_order is False
