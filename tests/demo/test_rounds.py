"""The demo's delivery day: the association's fleet and couriers, the day's orders planned into rounds."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from accounts.models import Role, User
from delivery.models import DeliveryZone
from demo.delivery import seed_demo_logistics
from demo.rounds import delivery_day, seed_demo_rounds
from logistics.models import Delivery, DeliveryStatus, Hub, Plan, PlanStatus, Round, Shift, Vehicle
from tests.checkout.conftest import make_shop

TUESDAY = dt.date(2026, 12, 8)


def test_the_demo_day_is_today_or_monday_on_a_sunday():
    assert delivery_day(TUESDAY) == TUESDAY
    assert delivery_day(dt.date(2026, 12, 13)) == dt.date(2026, 12, 14)


@pytest.mark.slow
@time_machine.travel(dt.datetime(2026, 12, 8, 15, 0, tzinfo=dt.UTC), tick=False)
def test_the_demo_plans_calais_day_into_rounds_through_the_real_actions_once(town_a, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with town_a:
        seed_demo_logistics(town_slug="calais")
        assert DeliveryZone.objects.exists()
        for name, latitude in (("Boulangerie Démo", "50.956000"), ("Fromagerie Démo", "50.957500")):
            shop = make_shop(name, products=[("Pain", 900, None), ("Tarte", 1800, None)])
            merchant = shop["merchant"]
            merchant.delivery_eligible, merchant.latitude, merchant.longitude = True, latitude, "1.852000"
            merchant.save()
            for weekday in range(6):
                merchant.opening_periods.create(weekday=weekday, opens_at=dt.time(8), closes_at=dt.time(19))

        result = seed_demo_rounds(town=town_a, password="mot-de-passe-demo-42", today=TUESDAY, orders=8)
        again = seed_demo_rounds(town=town_a, password="mot-de-passe-demo-42", today=TUESDAY, orders=8)

        assert Hub.objects.count() == 1
        assert Vehicle.objects.filter(vehicle_type__is_bike=True).count() == 3
        assert Vehicle.objects.filter(vehicle_type__is_bike=False).count() == 2
        assert User.objects.filter(role=Role.COURIER).count() == 5
        assert User.objects.filter(role=Role.DELIVERY_COORDINATOR).count() == 1
        assert Shift.objects.filter(date=TUESDAY).count() == 5
        assert result.orders == Delivery.objects.filter(date=TUESDAY).count() > 0
        # Planned as at 7:30 that morning, whatever the hour of `make run` (here 16:00): the whole day shows.
        assert result.served == Delivery.objects.filter(status=DeliveryStatus.PLANNED).count() > 0
        assert Round.objects.filter(date=TUESDAY).exists()
        assert Plan.objects.get().status == PlanStatus.PUBLISHED
        assert again.orders == 0  # once: a second run adds nothing
        assert Plan.objects.count() == 1
