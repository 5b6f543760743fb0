"""The month of the delivery rounds in figures: hours per courier, deliveries and failures, bike km, CO₂ avoided.

Who reads it: the town (what its delivery partner did with the subsidy), the partner association (insertion
programmes report the hours worked per person) and the coordinator. Counted up to today: a shift or a round
of a later day of the month has not been worked yet.

CO₂ avoided: each km ridden by bike is a km no car drove, at ``LogisticsSettings.co2_grams_per_car_km``
(default 193 g/km, the ADEME Base Carbone figure for an average car; the town may change it).
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Max, Sum
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import TOWN_STAFF_ROLES, Role, User
from catalog.export import BYTE_ORDER_MARK, french_csv_writer, neutralise_formula
from catalog.formatting import format_decimal
from logistics.models import Delivery, DeliveryStatus, LogisticsSettings, Round, Shift, Stop, StopKind
from tenants.current import current_town_or_none, town_today

REPORT_ROLES = frozenset({*TOWN_STAFF_ROLES, Role.DELIVERY_COORDINATOR})


def can_read_delivery_reports(user: User) -> bool:
    """Town admins and agents, and the delivery coordinator; never merchants, couriers or residents."""
    return bool(user.is_authenticated and user.is_active and user.role in REPORT_ROLES)


def require_delivery_reports(user: User) -> None:
    """403 for a signed-in user who may not read the delivery reports (nor the proofs of delivery)."""
    if not can_read_delivery_reports(user):
        raise PermissionDenied


@dataclass(frozen=True)
class CourierHours:
    name: str
    shifts: int
    minutes: int

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Outcomes:
    label: str
    delivered: int
    failed: int


@dataclass(frozen=True)
class MonthlyReport:
    first_day: dt.date
    last_day: dt.date
    counted_until: dt.date  # the last day counted: the month's last, or today in the current month
    couriers: list[CourierHours]
    by_vehicle_type: list[Outcomes]
    by_zone: list[Outcomes]
    bike_metres: int
    co2_grams_per_car_km: int

    @property
    def bike_km(self) -> Decimal:
        return (Decimal(self.bike_metres) / 1000).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def co2_avoided_kg(self) -> Decimal:
        grams = Decimal(self.bike_metres) * self.co2_grams_per_car_km / 1000
        return (grams / 1000).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def total_minutes(self) -> int:
        return sum(row.minutes for row in self.couriers)

    @property
    def delivered(self) -> int:
        return sum(row.delivered for row in self.by_vehicle_type)

    @property
    def failed(self) -> int:
        return sum(row.failed for row in self.by_vehicle_type)


def _minutes(shift: Shift) -> int:
    total = 0
    for start, end in shift.stretches():
        span = dt.datetime.combine(shift.date, end) - dt.datetime.combine(shift.date, start)
        total += int(span.total_seconds() // 60)
    return total


def _person(user: User) -> str:
    return user.get_full_name() or user.email


def monthly_report(*, year: int, month: int) -> MonthlyReport:
    """The figures of one month of the current town, counted up to today."""
    first_day = dt.date(year, month, 1)
    last_day = dt.date(year, month, calendar.monthrange(year, month)[1])
    until = min(last_day, town_today())
    days = (first_day, until)

    hours: dict[int, tuple[str, int, int]] = {}
    for shift in Shift.objects.filter(date__range=days).select_related("courier").order_by("pk"):
        name, shifts, minutes = hours.get(shift.courier_id, (_person(shift.courier), 0, 0))
        hours[shift.courier_id] = (name, shifts + 1, minutes + _minutes(shift))
    couriers = sorted((CourierHours(*row) for row in hours.values()), key=lambda row: _alphabetical(row.name))

    done = (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)
    deliveries = list(
        Delivery.objects.filter(date__range=days, status__in=done).values_list(
            "pk", "status", "order__delivery_zone_name"
        )
    )
    # The round that made the last attempt: a delivery re-planned after a failure has several drop stops.
    last_drop = dict(
        Stop.objects.filter(kind=StopKind.DROP, delivery_id__in=[pk for pk, _status, _zone in deliveries])
        .values("delivery_id")
        .annotate(last=Max("pk"))
        .values_list("delivery_id", "last")
    )
    vehicle_types = dict(
        Stop.objects.filter(pk__in=last_drop.values()).values_list("delivery_id", "round__vehicle__vehicle_type__name")
    )
    by_vehicle: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_zone: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for pk, status, zone in deliveries:
        index = 0 if status == DeliveryStatus.DELIVERED else 1
        by_vehicle[vehicle_types.get(pk) or _("Sans tournée")][index] += 1
        by_zone[zone or _("Sans zone")][index] += 1

    bike_metres = (
        Round.objects.filter(date__range=days, vehicle__vehicle_type__is_bike=True).aggregate(total=Sum("distance_m"))[
            "total"
        ]
        or 0
    )
    return MonthlyReport(
        first_day=first_day,
        last_day=last_day,
        counted_until=until,
        couriers=couriers,
        by_vehicle_type=_outcomes(by_vehicle),
        by_zone=_outcomes(by_zone),
        bike_metres=bike_metres,
        co2_grams_per_car_km=LogisticsSettings.current().co2_grams_per_car_km,
    )


def _alphabetical(label: str) -> tuple[str, str]:
    """Vélo before Voiture: accents and case set aside, as a French reader sorts."""
    bare = "".join(char for char in unicodedata.normalize("NFKD", label) if not unicodedata.combining(char))
    return bare.casefold(), label


def _outcomes(counts: dict[str, list[int]]) -> list[Outcomes]:
    return [
        Outcomes(label, delivered, failed)
        for label, (delivered, failed) in sorted(counts.items(), key=lambda item: _alphabetical(item[0]))
    ]


# --- exports -------------------------------------------------------------------------------------------
def report_csv(report: MonthlyReport) -> bytes:
    """One row per figure (section; label; measure; value), UTF-8 with a BOM and semicolons for French Excel."""
    stream = io.StringIO()
    stream.write(BYTE_ORDER_MARK)
    writer = french_csv_writer(stream)
    with translation.override("fr"):
        writer.writerow([_("Rubrique"), _("Libellé"), _("Mesure"), _("Valeur")])
        for courier in report.couriers:
            section = _("Heures par livreur")
            writer.writerow([section, neutralise_formula(courier.name), _("services"), courier.shifts])
            writer.writerow([section, neutralise_formula(courier.name), _("heures"), format_decimal(courier.hours)])
        for section, rows in (
            (_("Livraisons par type de véhicule"), report.by_vehicle_type),
            (_("Livraisons par zone"), report.by_zone),
        ):
            for row in rows:
                writer.writerow([section, neutralise_formula(row.label), _("livrées"), row.delivered])
                writer.writerow([section, neutralise_formula(row.label), _("échecs"), row.failed])
        writer.writerow([_("Vélo"), "", _("km"), format_decimal(report.bike_km)])
        writer.writerow([_("CO2 évité"), "", _("g de CO2 par km en voiture"), report.co2_grams_per_car_km])
        writer.writerow([_("CO2 évité"), "", _("kg"), format_decimal(report.co2_avoided_kg)])
    return stream.getvalue().encode("utf-8")


def report_pdf(report: MonthlyReport) -> bytes:
    """The month as an A4 PDF (WeasyPrint; nothing fetched from the network)."""
    from weasyprint import HTML  # imported here: loading Pango costs ~0.3 s, only PDFs need it

    town = current_town_or_none()
    with translation.override("fr"):
        html = render_to_string(
            "logistics/reports/month_pdf.html", {"report": report, "town_name": town.name if town else "Comptoir"}
        )
    return HTML(string=html).write_pdf()
