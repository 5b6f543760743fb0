"""The phone retried while its first request was still being answered: the same key arrives twice at
once. One request applies the action; the other waits and answers the first one's outcome."""

from __future__ import annotations

import uuid

import pytest

from accounts.models import User
from checkout.models import Fulfilment, MerchantOrderStatus, StatusChange
from logistics import courier
from logistics.models import CourierAction, Delivery, DeliveryStatus
from tenants.current import town_today
from tests.catalog.factories import MerchantFactory
from tests.checkout.notification_factories import Line, make_order
from tests.conftest import run_concurrently
from tests.logistics.courier_setup import make_courier, round_for_order


@pytest.mark.slow
def test_the_same_key_sent_twice_at_once_is_applied_once(committed_town):
    with committed_town:
        rider = make_courier("livreur-concurrent@ville.fr")
        order = make_order([(MerchantFactory(name="Boulangerie"), [Line("Pain", 380)])], fulfilment=Fulfilment.DELIVERY)
        planned = round_for_order(order, courier=rider, today=town_today(), codes=("KX7PQR",))
    collect_key, deliver_key = uuid.uuid4(), uuid.uuid4()

    def collect(_: int) -> courier.Outcome:
        with committed_town:
            return courier.collect_part(
                courier=User.objects.get(pk=rider.pk), key=collect_key, stop_id=planned.pickups[0].pk, code="KX7PQR"
            )

    def deliver(_: int) -> courier.Outcome:
        with committed_town:
            return courier.deliver(
                courier=User.objects.get(pk=rider.pk),
                key=deliver_key,
                stop_id=planned.drop.pk,
                proof=courier.Proof(kind="code", code="246810"),
            )

    collected = run_concurrently(2, collect)
    delivered = run_concurrently(2, deliver)

    assert sorted((result.outcome, result.replayed) for result in collected) == [
        ("collected", False),
        ("collected", True),
    ]
    assert sorted((result.outcome, result.replayed) for result in delivered) == [
        ("delivered", False),
        ("delivered", True),
    ]
    with committed_town:
        assert CourierAction.objects.count() == 2
        assert Delivery.objects.get(pk=planned.delivery.pk).status == DeliveryStatus.DELIVERED
        assert StatusChange.objects.filter(order=order, to_status=MerchantOrderStatus.DELIVERED).count() == 1
