"""The courier app on rounds the planner made: every courier does their whole round through the app."""

from __future__ import annotations

import uuid

import pytest
import time_machine

from checkout.models import MerchantOrder, MerchantOrderStatus
from logistics.models import Delivery, DeliveryStatus, PlanStatus, Round, StopKind, StopStatus
from logistics.planner import plan_rounds
from tests.logistics.factories import IN_CENTRE, TUESDAY, TUESDAY_MORNING, delivery, delivery_zones, fleet, shop

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


@time_machine.travel(TUESDAY_MORNING, tick=False)
def test_each_courier_does_their_planned_round_through_the_app(client_a, town_a, django_capture_on_commit_callbacks):
    with town_a:
        delivery_zones()
        fleet(bikes=2, cars=0)
        bakery = shop("Boulangerie du Beffroi", 50.9520, 1.8560)
        grocer = shop("Épicerie du Courgain", 50.9545, 1.8530)
        made = [
            delivery([bakery], IN_CENTRE[0]),
            delivery([bakery, grocer], IN_CENTRE[1]),
            delivery([grocer], IN_CENTRE[2]),
        ]
        assert plan_rounds(date=TUESDAY, seconds=1).status == PlanStatus.PUBLISHED
        rounds = list(Round.objects.filter(date=TUESDAY).select_related("courier"))
        stops = {
            round_.pk: list(round_.stops.select_related("part", "delivery").order_by("position")) for round_ in rounds
        }
    assert sum(len(of_round) for of_round in stops.values()) >= 6

    for round_ in rounds:
        with town_a:
            client_a.force_login(round_.courier)
        page = client_a.get("/livreur/").content.decode()
        for stop in stops[round_.pk]:
            assert f'id="arret-{stop.pk}"' in page
            if stop.kind == StopKind.PICKUP:
                url, data = f"/livreur/arrets/{stop.pk}/retrait/", {"code": stop.part.collect_code}
            elif stop.kind == StopKind.DROP:
                url, data = (
                    f"/livreur/arrets/{stop.pk}/livraison/",
                    {"proof_kind": "code", "code": stop.delivery.door_code},
                )
            else:
                url, data = f"/livreur/arrets/{stop.pk}/depot/", {}
            with django_capture_on_commit_callbacks(execute=True):
                answer = client_a.post(url, {"key": str(uuid.uuid4()), **data}, **JSON).json()
            assert answer["ok"], (stop.kind, answer)

    with town_a:
        assert {Delivery.objects.get(pk=one.pk).status for one in made} == {DeliveryStatus.DELIVERED}
        assert set(
            MerchantOrder.objects.filter(order__in=[one.order_id for one in made]).values_list("status", flat=True)
        ) == {MerchantOrderStatus.DELIVERED}
        for round_ in rounds:
            done = Round.objects.get(pk=round_.pk)
            assert set(done.stops.values_list("status", flat=True)) == {StopStatus.DONE}
            assert done.started_at == done.finished_at == TUESDAY_MORNING
