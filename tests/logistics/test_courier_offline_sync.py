"""A courier offline for the whole round: the phone queued every action with its key and sends the queue
when the network returns, maybe twice (a sync cut off before the answers came back). Each is applied once."""

from __future__ import annotations

import uuid

import pytest
import time_machine

from checkout.models import MerchantOrder, MerchantOrderStatus, OutboxEvent, StatusChange
from checkout.outbox import MERCHANT_ORDER_HANDED_OVER
from logistics.models import CourierAction, Delivery, DeliveryStatus, Round, Stop, StopStatus
from tests.logistics.courier_setup import FRIDAY_MORNING, plan_round

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_a_round_taken_offline_and_synced_twice_is_applied_once(
    client_a, town_a, delivering_shops, zones, django_capture_on_commit_callbacks
):
    with town_a:
        planned = plan_round(town_a, delivering_shops, django_capture_on_commit_callbacks)
        client_a.force_login(planned.courier)
    queued = [
        (f"/livreur/arrets/{stop.pk}/retrait/", {"key": str(uuid.uuid4()), "code": part.collect_code})
        for stop, part in zip(planned.pickups, planned.parts, strict=True)
    ]
    queued.append(
        (
            f"/livreur/arrets/{planned.drop.pk}/livraison/",
            {"key": str(uuid.uuid4()), "proof_kind": "code", "code": planned.delivery.door_code},
        )
    )
    queued.append((f"/livreur/arrets/{planned.reload.pk}/depot/", {"key": str(uuid.uuid4())}))

    def sync() -> list[dict]:
        with django_capture_on_commit_callbacks(execute=True):
            return [client_a.post(url, data, **JSON).json() for url, data in queued]

    def handed_over() -> tuple[int, int]:
        with town_a:
            changes = StatusChange.objects.filter(order=planned.order, to_status=MerchantOrderStatus.DELIVERED)
            return changes.count(), OutboxEvent.objects.filter(kind=MERCHANT_ORDER_HANDED_OVER).count()

    first = sync()
    after_first = handed_over()
    second = sync()

    assert [answer["outcome"] for answer in first] == ["collected", "collected", "delivered", "reloaded"]
    assert [answer["outcome"] for answer in second] == ["collected", "collected", "delivered", "reloaded"]
    assert {answer["replayed"] for answer in first} == {False}
    assert {answer["replayed"] for answer in second} == {True}
    with town_a:
        assert CourierAction.objects.count() == 4
        assert Delivery.objects.get(pk=planned.delivery.pk).status == DeliveryStatus.DELIVERED
        merchant_orders = MerchantOrder.objects.filter(order=planned.order)
        assert set(merchant_orders.values_list("status", flat=True)) == {MerchantOrderStatus.DELIVERED}
    # Delivered once each: one status change per shop, and no second event for the ledger's hold.
    assert after_first[0] == 2
    assert after_first[1] > 0
    assert handed_over() == after_first
    with town_a:
        assert set(Stop.objects.filter(round=planned.round).values_list("status", flat=True)) == {StopStatus.DONE}
        assert Round.objects.get(pk=planned.round.pk).finished_at == FRIDAY_MORNING
