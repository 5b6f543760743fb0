"""The month of the rounds in figures: hours per courier, outcomes by vehicle type and by zone, bike km and
the CO₂ they avoided; as a page, a French CSV and a PDF; for the town's staff and the coordinator only."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from pypdf import PdfReader

from accounts.models import Role, User
from checkout.models import Fulfilment, Order
from logistics.models import (
    Delivery,
    DeliveryStatus,
    Hub,
    LogisticsSettings,
    Round,
    Shift,
    Stop,
    StopKind,
    Vehicle,
    VehicleType,
)
from logistics.reports import monthly_report
from tests.catalog.factories import MerchantFactory
from tests.catalog.test_backoffice import sign_in
from tests.checkout.conftest import merchant_user
from tests.checkout.notification_factories import Line, make_order

T = dt.time
D = dt.date
EARLY_JANUARY = dt.datetime(2027, 1, 5, 9, 0, tzinfo=dt.UTC)
REPORT_URL = "/gestion/livraisons/rapports/"


class Month:
    """December 2026 of a small delivery partner: two couriers, a cargo bike and a car."""

    def __init__(self) -> None:
        LogisticsSettings.objects.create(pk=1, co2_grams_per_car_km=200)
        hub = Hub.objects.create(name="Dépôt", address="1 quai de la Colonne", latitude=50.95, longitude=1.85)
        bike_type = VehicleType.objects.create(name="Vélo cargo", is_bike=True, position=0)
        car_type = VehicleType.objects.create(name="Voiture", is_bike=False, position=1)
        self.bike = Vehicle.objects.create(name="Vélo 1", vehicle_type=bike_type, hub=hub)
        self.car = Vehicle.objects.create(name="Kangoo", vehicle_type=car_type, hub=hub)
        self.karim = self.courier("Karim", "Benali")
        self.lea = self.courier("Léa", "Martin")
        self.positions = 0

    @staticmethod
    def courier(first: str, last: str) -> User:
        return User.objects.create_user(
            email=f"{first.lower()}@livreurs.fr", role=Role.COURIER, first_name=first, last_name=last
        )

    def shift(self, courier: User, vehicle: Vehicle, day: D, start: T, end: T, **pause: object) -> Shift:
        return Shift.objects.create(date=day, courier=courier, vehicle=vehicle, starts_at=start, ends_at=end, **pause)

    def round(self, shift: Shift, metres: int, stretch: int = 0) -> Round:
        return Round.objects.create(
            date=shift.date,
            shift=shift,
            stretch=stretch,
            courier=shift.courier,
            vehicle=shift.vehicle,
            starts_at=shift.starts_at,
            ends_at=shift.ends_at,
            distance_m=metres,
        )

    def delivery(self, status: str, zone: str, day: D, *rounds: Round) -> Delivery:
        order = make_order(
            [(MerchantFactory(name="Boulangerie Dupont"), [Line("Pain de campagne", 380)])],
            fulfilment=Fulfilment.DELIVERY,
        )
        Order.objects.filter(pk=order.pk).update(delivery_zone_name=zone, delivery_date=day)
        delivery = Delivery.objects.create(
            order=order, status=status, date=day, window_start=T(14, 0), window_end=T(16, 0), door_code="123456"
        )
        for route in rounds:  # one drop stop per attempt, the last one is the attempt that counts
            self.positions += 1
            Stop.objects.create(
                round=route,
                position=self.positions,
                kind=StopKind.DROP,
                delivery=delivery,
                arrives_at=T(14, 30),
                starts_at=T(14, 30),
                departs_at=T(14, 34),
            )
        return delivery


def seed_december() -> Month:
    month = Month()
    karim_3 = month.shift(month.karim, month.bike, D(2026, 12, 3), T(9, 0), T(13, 0))  # 4 h
    karim_10 = month.shift(
        month.karim, month.bike, D(2026, 12, 10), T(9, 0), T(17, 0), break_starts_at=T(12, 0), break_minutes=60
    )  # 7 h after the break
    lea_3 = month.shift(month.lea, month.car, D(2026, 12, 3), T(13, 0), T(18, 30))  # 5 h 30
    november = month.shift(month.karim, month.bike, D(2026, 11, 30), T(9, 0), T(12, 0))
    january = month.shift(month.lea, month.car, D(2027, 1, 4), T(9, 0), T(12, 0))

    bike_3 = month.round(karim_3, 12_300)
    bike_10_morning = month.round(karim_10, 8_000)
    bike_10_afternoon = month.round(karim_10, 4_450, stretch=1)
    car_3 = month.round(lea_3, 30_000)
    bike_november = month.round(november, 9_999)
    month.round(january, 7_000)

    month.delivery(DeliveryStatus.DELIVERED, "Centre", D(2026, 12, 3), bike_3)
    month.delivery(DeliveryStatus.DELIVERED, "Centre", D(2026, 12, 10), bike_10_afternoon)
    month.delivery(DeliveryStatus.FAILED, "Guînes", D(2026, 12, 3), car_3)
    month.delivery(DeliveryStatus.DELIVERED, "Guînes", D(2026, 12, 3), car_3)
    # Failed by car, re-planned, delivered by bike: counted once, on the bike that delivered it.
    month.delivery(DeliveryStatus.DELIVERED, "Centre", D(2026, 12, 10), car_3, bike_10_morning)
    month.delivery(DeliveryStatus.CANCELLED, "Centre", D(2026, 12, 10))
    month.delivery(DeliveryStatus.DELIVERED, "Centre", D(2026, 11, 30), bike_november)
    return month


@time_machine.travel(EARLY_JANUARY, tick=False)
def test_the_figures_of_a_seeded_month(town_a):
    with town_a:
        seed_december()
        report = monthly_report(year=2026, month=12)

    assert (report.first_day, report.last_day, report.counted_until) == (
        D(2026, 12, 1),
        D(2026, 12, 31),
        D(2026, 12, 31),
    )
    assert [(row.name, row.shifts, row.minutes, str(row.hours)) for row in report.couriers] == [
        ("Karim Benali", 2, 660, "11.00"),
        ("Léa Martin", 1, 330, "5.50"),
    ]
    assert [(row.label, row.delivered, row.failed) for row in report.by_vehicle_type] == [
        ("Vélo cargo", 3, 0),
        ("Voiture", 1, 1),
    ]
    assert [(row.label, row.delivered, row.failed) for row in report.by_zone] == [("Centre", 3, 0), ("Guînes", 1, 1)]
    assert (report.delivered, report.failed) == (4, 1)
    assert report.bike_metres == 12_300 + 8_000 + 4_450
    assert str(report.bike_km) == "24.8"
    assert report.co2_grams_per_car_km == 200  # the town's own factor
    assert str(report.co2_avoided_kg) == "5.0"  # 24.75 km × 200 g


@time_machine.travel(dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC), tick=False)
def test_the_current_month_counts_up_to_today_only(town_a):
    with town_a:
        seed_december()
        report = monthly_report(year=2026, month=12)

    assert report.counted_until == D(2026, 12, 5)
    assert [(row.name, row.minutes) for row in report.couriers] == [("Karim Benali", 240), ("Léa Martin", 330)]
    assert report.bike_metres == 12_300


@time_machine.travel(EARLY_JANUARY, tick=False)
def test_the_page_shows_the_month_and_documents_the_co2_factor(client_a, town_a):
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)
    with town_a:
        seed_december()

    response = client_a.get(REPORT_URL, {"mois": "2026-12"})
    page = response.content.decode()

    assert response.status_code == 200
    assert response.context["report"].bike_metres == 24_750
    assert "<h1>Livraisons de décembre 2026</h1>" in page
    assert '<td class="number" data-figure="delivered">4</td>' in page
    assert '<td class="number" data-figure="co2">5,0 kg</td>' in page
    assert "× 200 g de CO₂ par kilomètre" in page
    assert "selon la Base Carbone de l'ADEME" in page
    assert '<th scope="row">Karim Benali</th><td class="number">2</td><td class="number">11,00</td>' in page
    assert f'href="{REPORT_URL}rapport.csv?mois=2026-12"' in page


@time_machine.travel(EARLY_JANUARY, tick=False)
def test_the_csv_is_french_excel_ready(client_a, town_a):
    sign_in(client_a, town_a, role=Role.DELIVERY_COORDINATOR)
    with town_a:
        seed_december()

    response = client_a.get(f"{REPORT_URL}rapport.csv", {"mois": "2026-12"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="livraisons-2026-12.csv"'
    assert response.content.startswith("\ufeff".encode())
    assert response.content.decode("utf-8-sig").split("\r\n") == [
        "Rubrique;Libellé;Mesure;Valeur",
        "Heures par livreur;Karim Benali;services;2",
        "Heures par livreur;Karim Benali;heures;11",
        "Heures par livreur;Léa Martin;services;1",
        "Heures par livreur;Léa Martin;heures;5,5",
        "Livraisons par type de véhicule;Vélo cargo;livrées;3",
        "Livraisons par type de véhicule;Vélo cargo;échecs;0",
        "Livraisons par type de véhicule;Voiture;livrées;1",
        "Livraisons par type de véhicule;Voiture;échecs;1",
        "Livraisons par zone;Centre;livrées;3",
        "Livraisons par zone;Centre;échecs;0",
        "Livraisons par zone;Guînes;livrées;1",
        "Livraisons par zone;Guînes;échecs;1",
        "Vélo;;km;24,8",
        "CO2 évité;;g de CO2 par km en voiture;200",
        "CO2 évité;;kg;5",
        "",
    ]


@time_machine.travel(EARLY_JANUARY, tick=False)
def test_the_pdf_is_a_real_pdf_of_the_month(client_a, town_a):
    sign_in(client_a, town_a, role=Role.TOWN_ADMIN)
    with town_a:
        seed_december()

    response = client_a.get(f"{REPORT_URL}rapport.pdf", {"mois": "2026-12"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Livraisons de décembre 2026" in text
    assert "Karim Benali" in text
    assert "selon la Base Carbone de l'ADEME" in text
    assert "Vélo cargo 3 0" in text


@time_machine.travel(EARLY_JANUARY, tick=False)
def test_another_town_sees_none_of_it(client_b, town_a, town_b):
    with town_a:
        seed_december()
    sign_in(client_b, town_b, role=Role.TOWN_ADMIN)

    response = client_b.get(REPORT_URL, {"mois": "2026-12"})
    csv_rows = client_b.get(f"{REPORT_URL}rapport.csv", {"mois": "2026-12"}).content.decode("utf-8-sig").split("\r\n")

    report = response.context["report"]
    assert (report.couriers, report.by_vehicle_type, report.by_zone, report.bike_metres) == ([], [], [], 0)
    assert "Karim" not in response.content.decode()
    assert csv_rows[1:] == ["Vélo;;km;0", "CO2 évité;;g de CO2 par km en voiture;193", "CO2 évité;;kg;0", ""]


@pytest.mark.parametrize("path", ["", "rapport.csv", "rapport.pdf"])
def test_merchants_and_couriers_get_403_and_visitors_the_login_page(client_a, town_a, path):
    anonymous = client_a.get(REPORT_URL + path)
    with town_a:
        merchant = merchant_user(MerchantFactory(), "boutique@exemple.fr")
    client_a.force_login(merchant)
    as_merchant = client_a.get(REPORT_URL + path)
    sign_in(client_a, town_a, role=Role.COURIER)
    as_courier = client_a.get(REPORT_URL + path)

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/compte/login/")
    assert (as_merchant.status_code, as_courier.status_code) == (403, 403)


@time_machine.travel(EARLY_JANUARY, tick=False)
def test_a_missing_or_malformed_month_is_the_current_one(client_a, town_a):
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)

    for query in ({}, {"mois": "2026-13"}, {"mois": "décembre"}):
        report = client_a.get(REPORT_URL, query).context["report"]
        assert report.first_day == D(2027, 1, 1)


@time_machine.travel(EARLY_JANUARY, tick=False)
def test_the_report_reads_a_fixed_number_of_queries_whatever_the_month_holds(town_a, django_assert_num_queries):
    with town_a:
        month = seed_december()
        extra_shift = month.shift(month.lea, month.car, D(2026, 12, 17), T(9, 0), T(12, 0))
        extra_round = month.round(extra_shift, 5_000)
        for _ in range(5):
            month.delivery(DeliveryStatus.DELIVERED, "Coquelles", D(2026, 12, 17), extra_round)
        # Shifts with their couriers, outcomes, last drop of each, their vehicle types, bike km, the CO₂ factor.
        with django_assert_num_queries(6):
            report = monthly_report(year=2026, month=12)

    assert report.delivered == 9
