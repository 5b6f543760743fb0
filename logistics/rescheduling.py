"""After a failed delivery, the resident chooses what happens to their parcels, through a signed link.

The link (e-mail and SMS of ``logistics.courier_messages``) carries the delivery and its attempt
number, signed with the town's salt: it works without logging in, dies after ``LINK_MAX_AGE`` and
after the next attempt, and means nothing in another town. Two choices:

- a new day and slot (among the town's delivery slots, as at checkout): the delivery goes back to
  be planned (``TO_PLAN``) then, its parcels loaded at the hub (the parts stay ``AT_HUB``; the
  planner makes no pickup for them); the zone's and the slot's capacity move from the old day to
  the new one; a day that is today goes into the rounds already planned. The order keeps the day
  and slot it was placed for (checkout has no action to change them); the resident hears of the new
  arrival window through the planner's messages (``logistics.notify``);
- collection at the hub (the association's premises, ``Hub``): nothing more is planned; the
  delivery stays ``FAILED`` with the parcels ``AT_HUB``, marked ``COLLECT_AT_HUB`` (in
  ``unassigned_reason``, as the model has no status for it yet) so the board can show it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from dataclasses import dataclass

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.signing import town_salt
from delivery.models import DeliverySlot
from delivery.provider import DELIVERY_WEEKDAYS, DeliveryUnavailable, SlotAvailability, provider
from delivery.queries import active_slots
from logistics.models import Delivery, DeliveryStatus, Hub, Round
from tenants.actions import town_absolute_url
from tenants.current import town_now, town_today
from tenants.models import Town

logger = logging.getLogger(__name__)

_PURPOSE = "logistics.reschedule"
LINK_MAX_AGE = 60 * 60 * 24 * 14
COLLECT_AT_HUB = "collect_at_hub"
DAYS_OFFERED = 7


def make_token(delivery: Delivery) -> str:
    return signing.dumps([delivery.pk, delivery.attempts], salt=town_salt(_PURPOSE), compress=False)


def reschedule_url(delivery: Delivery, town: Town) -> str:
    return town_absolute_url(town, reverse("logistics_resident:reschedule", kwargs={"token": make_token(delivery)}))


def delivery_from_token(token: str) -> Delivery | None:
    """The delivery the link was sent about, or None when forged, expired, from another town or outdated."""
    try:
        delivery_id, attempts = signing.loads(token, salt=town_salt(_PURPOSE), max_age=LINK_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    delivery = Delivery.objects.select_related("order").filter(pk=delivery_id, attempts=attempts).first()
    return delivery


def can_choose(delivery: Delivery) -> bool:
    return delivery.status == DeliveryStatus.FAILED and delivery.unassigned_reason != COLLECT_AT_HUB


def is_collected_at_hub(delivery: Delivery) -> bool:
    return delivery.status == DeliveryStatus.FAILED and delivery.unassigned_reason == COLLECT_AT_HUB


@dataclass(frozen=True)
class Choice:
    """A day, and one of the town's delivery slots that day (None: a town delivering by the day)."""

    value: str  # "2026-11-28" or "2026-11-28@3", as the form sends it
    date: dt.date
    slot: SlotAvailability | None

    @property
    def is_full(self) -> bool:
        return self.slot is not None and self.slot.is_full


def offered_choices(*, now: dt.datetime | None = None) -> list[Choice]:
    """Today and the next delivery days, each with the town's slots still ahead (as offered at checkout)."""
    now = now or town_now()
    today = now.date()
    has_slots = active_slots().exists()
    choices = []
    days = (today + dt.timedelta(days=offset) for offset in range(3 * DAYS_OFFERED))
    for date in itertools.islice((day for day in days if day.weekday() in DELIVERY_WEEKDAYS), DAYS_OFFERED):
        if not has_slots:
            choices.append(Choice(value=date.isoformat(), date=date, slot=None))
            continue
        choices.extend(
            Choice(value=f"{date.isoformat()}@{slot.slot_id}", date=date, slot=slot)
            for slot in provider.slots_for(delivery_date=date, now=now)
        )
    return choices


def collection_hub() -> Hub | None:
    return Hub.objects.filter(is_active=True).order_by("name", "pk").first()


def _slot_of(delivery: Delivery) -> int | None:
    """The slot the delivery's window was booked in (the order's first, or the one chosen after a failure)."""
    slot = DeliverySlot.objects.filter(start_time=delivery.window_start, end_time=delivery.window_end).first()
    return slot.pk if slot is not None else None


def choose_new_day(*, delivery_id: int, choice: str) -> Delivery:
    """The resident chose a new day (and slot): the failed delivery is to be planned again then, its parcels
    loaded at the hub; the zone's and the slot's capacity move from the old day to the new one. A day that is
    today goes into the rounds already planned (``planner.insert_delivery``) once this commits."""
    chosen = next((offered for offered in offered_choices() if offered.value == choice), None)
    if chosen is None:
        raise ValidationError(_("Choisissez un des jours proposés."), code="day")
    if chosen.is_full:
        raise ValidationError(_("Ce créneau est complet : choisissez-en un autre."), code="full")
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().select_related("order").get(pk=delivery_id)
        if not can_choose(delivery):
            raise ValidationError(_("Votre choix est déjà enregistré."), code="state")
        zone_id = delivery.order.delivery_zone_id
        new_slot = chosen.slot.slot_id if chosen.slot is not None else None
        if zone_id:
            try:
                provider.reserve(zone_id=zone_id, delivery_date=chosen.date, slot_id=new_slot)
            except DeliveryUnavailable as refusal:
                raise ValidationError(refusal.message, code=refusal.code) from None
            provider.release(zone_id=zone_id, delivery_date=delivery.date, slot_id=_slot_of(delivery))
        if chosen.slot is not None:
            delivery.window_start, delivery.window_end = chosen.slot.start, chosen.slot.end
        delivery.status, delivery.date, delivery.unassigned_reason = DeliveryStatus.TO_PLAN, chosen.date, ""
        delivery.eta_start = delivery.eta_end = None
        delivery.save(
            update_fields=[
                "status",
                "date",
                "window_start",
                "window_end",
                "unassigned_reason",
                "eta_start",
                "eta_end",
                "updated_at",
            ]
        )
        if chosen.date == town_today() and Round.objects.filter(date=chosen.date).exists():
            transaction.on_commit(lambda: _insert_into_rounds(delivery.pk))
    return delivery


def _insert_into_rounds(delivery_id: int) -> None:
    """After commit: the resident's choice stands even if the insertion fails (the next planning takes it)."""
    from logistics.planner import insert_delivery

    try:
        insert_delivery(delivery_id=delivery_id)
    except Exception:  # the solver's failures are many; the delivery stays to plan
        logger.exception("logistics: delivery %s could not be inserted into today's rounds", delivery_id)


def choose_collection_at_hub(*, delivery_id: int) -> Delivery:
    """The resident will fetch the parcels at the hub: nothing more is planned for this delivery."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        if not can_choose(delivery):
            raise ValidationError(_("Votre choix est déjà enregistré."), code="state")
        delivery.unassigned_reason = COLLECT_AT_HUB
        delivery.save(update_fields=["unassigned_reason", "updated_at"])
    return delivery
