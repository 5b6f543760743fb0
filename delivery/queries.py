"""Reads of delivery zones and the role checks that decide who may change them.

The schema isolates towns; these functions isolate roles inside a town. The only path from a zone
id in a request to a zone goes through ``get_zone_for``.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404

from accounts.models import Role, User
from delivery.geometry import polygon_covers
from delivery.models import DeliverySlot, DeliveryZone


# --- back-office -------------------------------------------------------------------------------
def is_delivery_manager(user: User) -> bool:
    """Town admins and agents set up the town's delivery zones; nobody else does."""
    return bool(user.is_authenticated and user.is_active and user.role in (Role.TOWN_ADMIN, Role.TOWN_AGENT))


def require_delivery_manager(user: User) -> None:
    """403 for a signed-in user who is not town staff."""
    if not is_delivery_manager(user):
        raise PermissionDenied


def zones_for(user: User) -> QuerySet[DeliveryZone]:
    """Every zone of the town for town staff, none for anybody else."""
    if is_delivery_manager(user):
        return DeliveryZone.objects.order_by("position", "pk")
    return DeliveryZone.objects.none()


def get_zone_for(user: User, zone_id: int) -> DeliveryZone:
    """404 (never 403) for a zone the user may not manage, or one of another town."""
    zone = zones_for(user).filter(pk=zone_id).first()
    if zone is None:
        raise Http404(zone_id)
    return zone


def slots_for(user: User) -> QuerySet[DeliverySlot]:
    """Every delivery slot of the town for town staff, none for anybody else."""
    if is_delivery_manager(user):
        return DeliverySlot.objects.order_by("start_time", "position", "pk")
    return DeliverySlot.objects.none()


def get_slot_for(user: User, slot_id: int) -> DeliverySlot:
    """404 (never 403) for a slot the user may not manage, or one of another town."""
    slot = slots_for(user).filter(pk=slot_id).first()
    if slot is None:
        raise Http404(slot_id)
    return slot


# --- delivery ----------------------------------------------------------------------------------
def active_zones() -> QuerySet[DeliveryZone]:
    """Active zones in matching order: polygons first (the centre by cargo bike wins over the wider
    area by car that usually contains it), then INSEE-code zones, each by position."""
    return DeliveryZone.objects.filter(is_active=True).order_by(
        Case(When(geometry__isnull=False, then=Value(0)), default=Value(1), output_field=IntegerField()),
        "position",
        "pk",
    )


def zone_for_point(
    zones: list[DeliveryZone], *, latitude: float, longitude: float, insee_code: str
) -> DeliveryZone | None:
    """The first zone serving the point: any polygon containing it, else any zone listing its commune.

    A zone with both a polygon and codes takes part in both rounds.
    """
    for zone in zones:
        if zone.geometry is not None and polygon_covers(
            zone_id=zone.pk, updated_at=zone.updated_at, geometry=zone.geometry, latitude=latitude, longitude=longitude
        ):
            return zone
    if insee_code:
        for zone in zones:
            if insee_code.upper() in zone.insee_codes:
                return zone
    return None


def active_slots() -> QuerySet[DeliverySlot]:
    """The slots offered to residents, in the order of the day."""
    return DeliverySlot.objects.filter(is_active=True).order_by("start_time", "position", "pk")
