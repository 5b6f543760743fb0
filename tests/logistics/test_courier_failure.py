"""A delivery that fails at the door: the parcels go back to the hub, the resident is told, and their
link lets them choose a new day (planned again, from the hub) or collection at the hub."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
import time_machine
from django.core import mail

from accounts.sms.backends import locmem
from catalog.models import Merchant
from checkout.models import MerchantOrder, MerchantOrderStatus
from delivery.models import DeliveryDay, DeliverySlot, DeliverySlotDay
from logistics.models import (
    Delivery,
    DeliveryStatus,
    FailureReason,
    PartStatus,
    Plan,
    PlanStatus,
    Shift,
    Stop,
    StopStatus,
)
from logistics.rescheduling import COLLECT_AT_HUB
from tests.logistics.courier_setup import FRIDAY_MORNING, TODAY, plan_round

pytestmark = pytest.mark.django_db
SATURDAY = dt.date(2026, 11, 28)
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def failed(town_a, delivering_shops, zones, django_capture_on_commit_callbacks, client_a, settings):
    """The courier collected both parts, then the resident refused the parcels at the door."""
    settings.SMS_BACKEND = "accounts.sms.backends.locmem.SmsBackend"
    locmem.outbox.clear()
    with time_machine.travel(FRIDAY_MORNING, tick=False):
        with town_a:
            planned = plan_round(town_a, delivering_shops, django_capture_on_commit_callbacks)
        client_a.force_login(planned.courier)
        for stop, part in zip(planned.pickups, planned.parts, strict=True):
            client_a.post(f"/livreur/arrets/{stop.pk}/retrait/", {"key": str(uuid.uuid4()), "code": part.collect_code})
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            response = client_a.post(
                f"/livreur/arrets/{planned.drop.pk}/echec/",
                {"key": str(uuid.uuid4()), "reason": FailureReason.REFUSED, "note": "Ne veut plus des éclairs"},
                **JSON,
            )
        assert response.json()["outcome"] == "failed"
        client_a.logout()
        yield planned


def link_path(text: str) -> str:
    return re.search(r"https?://[^/\s]+(/livraison/nouvel-essai/[^/\s]+/)", text).group(1)


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_a_parcel_refused_at_the_door_goes_back_to_the_hub_and_the_resident_is_told(town_a, failed):
    with town_a:
        delivery = Delivery.objects.get(pk=failed.delivery.pk)
        assert (delivery.status, delivery.attempts, delivery.failure_reason, delivery.failed_at) == (
            DeliveryStatus.FAILED,
            1,
            FailureReason.REFUSED,
            FRIDAY_MORNING,
        )
        assert delivery.failure_note == "Ne veut plus des éclairs"
        assert set(delivery.parts.values_list("status", flat=True)) == {PartStatus.AT_HUB}
        assert Stop.objects.get(pk=failed.drop.pk).status == StopStatus.FAILED
        # The shops' orders are not delivered: the ledger's hold does not start.
        assert set(MerchantOrder.objects.filter(order=failed.order).values_list("status", flat=True)) == {
            MerchantOrderStatus.PAID
        }
    [email] = mail.outbox
    assert email.to == ["jeanne@exemple.fr"]
    assert email.subject == "Ville A : votre livraison n'a pas pu être faite"
    assert "Colis refusé" in email.body
    [sms] = locmem.outbox
    assert sms.to == "+33612345678"
    assert link_path(sms.text) == link_path(email.body)
    # The town's name and the reason do not fit beside the link: the link comes whole.
    assert sms.text.startswith("Livraison impossible, colis au dépot. Nouveau jour : https://ville-a.test/")


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_the_residents_link_offers_new_slots_and_the_hub_and_a_new_slot_plans_it_again(client_a, town_a, failed):
    path = link_path(mail.outbox[0].body)
    with town_a:
        morning, afternoon = (DeliverySlot.objects.get(start_time=dt.time(hour, 0)) for hour in (10, 14))
        zone_id = failed.order.delivery_zone_id

        def booked() -> tuple[int, int, int, int]:
            days = {(day.date, day.slot_id): day.booked for day in DeliverySlotDay.objects.all()}
            zone_days = {day.date: day.booked for day in DeliveryDay.objects.filter(zone_id=zone_id)}
            return (
                zone_days.get(TODAY, 0),
                zone_days.get(SATURDAY, 0),
                days.get((TODAY, afternoon.pk), 0),
                days.get((SATURDAY, morning.pk), 0),
            )

        before = booked()

    page = client_a.get(path)

    assert page.status_code == 200
    html = page.content.decode()
    assert f'value="2026-11-28@{morning.pk}"' in html
    assert "<legend>samedi 28 novembre</legend>" in html
    assert f'value="2026-11-27@{morning.pk}"' not in html  # today's 10 h slot starts within the hour
    assert 'value="2026-11-29' not in html  # no deliveries on Sundays
    assert "Je viens les retirer au dépôt : Dépôt de l" in html

    chosen = client_a.post(path, {"choice": f"2026-11-28@{morning.pk}"})

    assert chosen.status_code == 302
    with town_a:
        delivery = Delivery.objects.get(pk=failed.delivery.pk)
        assert (delivery.status, delivery.date) == (DeliveryStatus.TO_PLAN, SATURDAY)
        assert (delivery.window_start, delivery.window_end) == (dt.time(10, 0), dt.time(12, 0))
        assert set(delivery.parts.values_list("status", flat=True)) == {PartStatus.AT_HUB}  # loaded at the hub
        # The capacity moved: one less today (zone and afternoon slot), one more on Saturday (zone and morning).
        assert booked() == (before[0] - 1, before[1] + 1, before[2] - 1, before[3] + 1)
    again = client_a.get(path).content.decode()
    assert "C'est noté : nouvelle livraison samedi 28 novembre, créneau 10 h – 12 h." in again
    assert client_a.post(path, {"choice": f"2026-11-30@{morning.pk}"}).status_code == 200  # made: nothing changes
    with town_a:
        assert Delivery.objects.get(pk=failed.delivery.pk).date == SATURDAY


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_the_resident_may_choose_to_collect_at_the_hub(client_a, town_a, failed):
    path = link_path(mail.outbox[0].body)

    client_a.post(path, {"choice": "hub"})

    with town_a:
        delivery = Delivery.objects.get(pk=failed.delivery.pk)
        assert (delivery.status, delivery.unassigned_reason) == (DeliveryStatus.FAILED, COLLECT_AT_HUB)
    assert "vous retirez vos colis au dépôt" in client_a.get(path).content.decode()


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_a_day_outside_those_offered_is_refused(client_a, town_a, failed):
    path = link_path(mail.outbox[0].body)
    response = client_a.post(path, {"choice": "2027-01-15@1"})
    assert response.status_code == 400
    assert "Choisissez un des jours proposés." in response.content.decode()
    with town_a:
        assert Delivery.objects.get(pk=failed.delivery.pk).status == DeliveryStatus.FAILED


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_the_link_means_nothing_altered_or_in_another_town(client_a, client_b, failed):
    path = link_path(mail.outbox[0].body)
    assert client_a.get(path[:-3] + "xx/").status_code == 404
    assert client_b.get(path).status_code == 404


def test_the_link_dies_after_two_weeks(client_a, town_a, failed):
    path = link_path(mail.outbox[0].body)
    with time_machine.travel(FRIDAY_MORNING + dt.timedelta(days=15), tick=False):
        assert client_a.get(path).status_code == 404


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_a_failure_needs_one_of_the_reasons(
    client_a, town_a, delivering_shops, zones, django_capture_on_commit_callbacks
):
    with town_a:
        planned = plan_round(town_a, delivering_shops, django_capture_on_commit_callbacks)
    client_a.force_login(planned.courier)
    response = client_a.post(
        f"/livreur/arrets/{planned.drop.pk}/echec/", {"key": str(uuid.uuid4()), "reason": "bored"}, **JSON
    )
    assert response.status_code == 400
    assert response.json()["ok"] is False
    with town_a:
        assert Delivery.objects.get(pk=planned.delivery.pk).status == DeliveryStatus.PLANNED


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_a_new_slot_today_goes_into_the_rounds_already_planned(
    client_a, town_a, failed, django_capture_on_commit_callbacks
):
    path = link_path(mail.outbox[0].body)
    with town_a:
        evening = DeliverySlot.objects.get(start_time=dt.time(16, 0))
        for part in failed.parts:
            Merchant.objects.filter(pk=part.merchant_order.merchant_id).update(latitude=50.951, longitude=1.853)
        # The courier works the afternoon too: the evening slot can be served from the hub.
        morning = Shift.objects.get()
        Shift.objects.create(
            date=TODAY, courier=morning.courier, vehicle=morning.vehicle, starts_at=dt.time(15), ends_at=dt.time(19)
        )

    with django_capture_on_commit_callbacks(execute=True):
        client_a.post(path, {"choice": f"2026-11-27@{evening.pk}"})

    with town_a:
        inserted = Plan.objects.get(date=TODAY, trigger="insertion")
        assert inserted.status == PlanStatus.PUBLISHED, inserted.problems
        delivery = Delivery.objects.get(pk=failed.delivery.pk)
        assert (delivery.date, delivery.window_start, delivery.window_end) == (TODAY, dt.time(16, 0), dt.time(18, 0))
        # The next attempt leaves from the hub, where the parcel went back: a drop to do, no pickup; the failed
        # attempt's stops stay on the round as they happened.
        assert delivery.status == DeliveryStatus.PLANNED
        assert [stop.kind for stop in delivery.stops.filter(status=StopStatus.TODO)] == ["drop"]
        assert delivery.stops.filter(status=StopStatus.FAILED).count() == 1


@time_machine.travel(FRIDAY_MORNING, tick=False)
def test_a_town_without_slots_offers_days_and_keeps_the_window(client_a, town_a, failed):
    path = link_path(mail.outbox[0].body)
    with town_a:
        DeliverySlot.objects.update(is_active=False)

    html = client_a.get(path).content.decode()
    assert 'value="2026-11-28"' in html
    assert "dans la journée (14 h – 16 h)" in html
    client_a.post(path, {"choice": "2026-11-28"})

    with town_a:
        delivery = Delivery.objects.get(pk=failed.delivery.pk)
        assert (delivery.status, delivery.date, delivery.window_start, delivery.window_end) == (
            DeliveryStatus.TO_PLAN,
            SATURDAY,
            dt.time(14, 0),
            dt.time(16, 0),
        )
