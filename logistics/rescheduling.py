"""After a failed delivery, the resident chooses what happens to their parcels, through a signed link.

The link (e-mail and SMS of ``logistics.courier_messages``) carries the delivery and its attempt
number, signed with the town's salt: it works without logging in, dies after ``LINK_MAX_AGE`` and
after the next attempt, and means nothing in another town. Two choices:

- a new day (the window of the order is kept): the delivery goes back to be planned
  (``TO_PLAN``) on that day, its parcels picked up at the hub (the parts stay ``AT_HUB``); the
  zone's capacity moves from the old day to the new one; when the day is today, it is inserted into
  the rounds already planned;
- collection at the hub (the association's premises, ``Hub``): nothing more is planned; the
  delivery stays ``FAILED`` with the parcels ``AT_HUB``, marked ``COLLECT_AT_HUB`` (in
  ``unassigned_reason``, as the model has no status for it yet) so the board can show it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.signing import town_salt
from delivery.actions import CapacityFull, ZoneClosed, release_delivery, reserve_delivery
from logistics.models import Delivery, DeliveryStatus, Hub
from tenants.actions import town_absolute_url
from tenants.current import town_today
from tenants.models import Town

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


def offered_days(*, today: dt.date | None = None) -> list[dt.date]:
    """Today and the next days (the zone's capacity is checked when the resident chooses)."""
    today = today or town_today()
    return [today + dt.timedelta(days=offset) for offset in range(DAYS_OFFERED)]


def collection_hub() -> Hub | None:
    return Hub.objects.filter(is_active=True).order_by("name", "pk").first()


@dataclass(frozen=True)
class Rescheduled:
    delivery: Delivery
    insert_into_rounds: bool


def choose_new_day(*, delivery_id: int, date: dt.date) -> Rescheduled:
    """The resident chose a new day: the failed delivery is to be planned again that day, from the hub."""
    if date not in offered_days():
        raise ValidationError(_("Choisissez un des jours proposés."), code="day")
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().select_related("order").get(pk=delivery_id)
        if not can_choose(delivery):
            raise ValidationError(_("Votre choix est déjà enregistré."), code="state")
        zone_id = delivery.order.delivery_zone_id
        if zone_id and date != delivery.date:
            try:
                reserve_delivery(zone_id=zone_id, delivery_date=date)
            except CapacityFull:
                raise ValidationError(_("Plus de place ce jour-là : choisissez un autre jour."), code="full") from None
            except ZoneClosed:
                raise ValidationError(
                    _("Votre adresse n'est plus livrée : retirez vos colis au dépôt."), code="closed"
                ) from None
            release_delivery(zone_id=zone_id, delivery_date=delivery.date)
        delivery.status, delivery.date, delivery.unassigned_reason = DeliveryStatus.TO_PLAN, date, ""
        delivery.eta_start = delivery.eta_end = None
        delivery.save(update_fields=["status", "date", "unassigned_reason", "eta_start", "eta_end", "updated_at"])
    return Rescheduled(delivery=delivery, insert_into_rounds=date == town_today())


def choose_collection_at_hub(*, delivery_id: int) -> Delivery:
    """The resident will fetch the parcels at the hub: nothing more is planned for this delivery."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
        if not can_choose(delivery):
            raise ValidationError(_("Votre choix est déjà enregistré."), code="state")
        delivery.unassigned_reason = COLLECT_AT_HUB
        delivery.save(update_fields=["unassigned_reason", "updated_at"])
    return delivery
