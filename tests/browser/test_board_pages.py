"""The dispatcher's pages as a delivery coordinator uses them on a phone: axe finds nothing serious."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from accounts.models import Role, User
from checkout.models import MerchantOrder, Order
from logistics.models import (
    Board,
    Delivery,
    DeliveryStatus,
    Hub,
    Plan,
    PlanStatus,
    Round,
    Shift,
    Vehicle,
    VehicleType,
)
from logistics.planning import problem
from tenants.models import Town
from tests.browser.conftest import accessibility_problems, log_in
from tests.logistics import dispatch_world as world

PASSWORD = "mot-de-passe-des-tournees"
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def day(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
    """A committed day of two rounds (the server is another process), removed afterwards."""
    with django_db_blocker.unblock():
        town = Town.objects.get(slug="ville-a")
        with town:
            User.objects.create_user(email="coordination@ville-a.fr", password=PASSWORD, role=Role.DELIVERY_COORDINATOR)
            vehicles = world.fleet()
            anna, bruno = world.courier("Anna Leroy"), world.courier("Bruno Petit")
            world.planned_round(world.shift(anna, vehicles["bike"]), [world.delivery(), world.delivery()])
            world.planned_round(world.shift(bruno, vehicles["car"]), [world.delivery()])
            world.delivery(status=DeliveryStatus.UNASSIGNED, reason=problem.OUT_OF_REACH)
            Plan.objects.create(date=world.DAY, status=PlanStatus.REJECTED, problems=["capacité dépassée"])
        yield
        with town:
            Round.objects.all().delete()
            Shift.objects.all().delete()
            Vehicle.objects.all().delete()
            VehicleType.objects.all().delete()
            Hub.objects.all().delete()
            merchants = list(MerchantOrder.objects.values_list("merchant_id", flat=True))
            Delivery.objects.all().delete()
            Order.objects.all().delete()
            from catalog.models import Merchant

            Merchant.objects.filter(pk__in=merchants).delete()
            Plan.objects.all().delete()
            Board.objects.all().delete()
            User.objects.filter(role__in=(Role.COURIER, Role.DELIVERY_COORDINATOR)).delete()


@pytest.mark.browser
def test_dispatcher_pages_have_no_serious_accessibility_violations(page, server_port, day):
    base = f"http://ville-a.test:{server_port}"
    log_in(page, base, "coordination@ville-a.fr", PASSWORD)
    pages = {
        "dispatch-board": f"/gestion/livraisons/tableau/?date={world.DAY.isoformat()}",
        "dispatch-shifts": f"/gestion/livraisons/services/?semaine={world.DAY.isoformat()}",
        "dispatch-shift-new": "/gestion/livraisons/services/nouveau/",
        "dispatch-fleet": "/gestion/livraisons/flotte/",
        "dispatch-settings": "/gestion/livraisons/reglages/",
    }
    assert accessibility_problems(page, base, pages) == {}
